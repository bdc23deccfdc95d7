"""The participation statistics of the records, published as Data Cube observations when the graph is built.

Counting participation records by business area joins every record to its activity, cluster and area: at EU27
(900,000 records) the engine takes seconds, at every request. Statistical offices publish such aggregates as
observations, and so does klynge: it counts once (``Records``, as the graph streams past at load) and
writes one ``qb:Observation`` per area and measure into the graph ``kg:aggregates``, in the data set
``kid:dataset/participation-by-area`` with its structure (``participation-cube.ttl``). The named query
``participation-by-area`` reads them. A graph without participation records (the repository's) gets none.
tests/test_aggregates.py holds the observations equal to the counts of the records.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeAlias

import pyoxigraph as ox

from klynge.rdf.namespaces import DCTERMS, KG, KID, KLYNGE, PREFIXES, QB, RDF_TYPE, RDFS, XSD

AGGREGATES_GRAPH = KG.aggregates
DATASET = KID["dataset/participation-by-area"]
STRUCTURE_FILE = Path(__file__).resolve().parent / "participation-cube.ttl"
OBS_VALUE = ox.NamedNode(PREFIXES["sdmx-measure"] + "obsValue")
# The column of the count -> its measure, and how an observation's label says it.
MEASURES = {
    "participations": (KLYNGE.NumberOfParticipations, "Participations in cluster activities"),
    "participants": (KLYNGE.NumberOfParticipants, "Organisations taking part in cluster activities"),
    "activities": (KLYNGE.NumberOfActivities, "Cluster activities with participants"),
    "clusters": (KLYNGE.NumberOfClusterOrganisations, "Cluster organisations running activities with participants"),
}


def slug(area: ox.NamedNode) -> str:
    """A readable, stable path for an area in an observation's IRI (``area/energy-technology``)."""
    if area.value.startswith(KID.iri):
        return area.value.removeprefix(KID.iri)
    return "iri/" + hashlib.sha256(area.value.encode()).hexdigest()[:16]


def observation_iri(area: ox.NamedNode, column: str) -> ox.NamedNode:
    return KID[f"stat/participation-by-area/{slug(area)}/{column}"]


def observations(rows: list[dict[str, Any]], sources: dict[ox.Term, set[ox.Term]]) -> Iterator[ox.Triple]:
    """One observation per area and measure, labelled, with the sources of the records it counts."""
    for row in rows:
        area = row["area"]
        assert isinstance(area, ox.NamedNode)
        name = row["areaLabel"].value if "areaLabel" in row else slug(area)
        for column, (measure, said) in MEASURES.items():
            iri = observation_iri(area, column)
            value = row[column]
            yield ox.Triple(iri, RDF_TYPE, QB.Observation)
            yield ox.Triple(iri, QB.dataSet, DATASET)
            yield ox.Triple(iri, KLYNGE.businessArea, area)
            yield ox.Triple(iri, KLYNGE.measure, measure)
            yield ox.Triple(iri, OBS_VALUE, ox.Literal(str(value), datatype=XSD.integer))
            yield ox.Triple(iri, RDFS.label, ox.Literal(f"{said} in {name}: {value:,}", language="en"))
            for source in sorted(sources.get(area, ()), key=str):
                yield ox.Triple(iri, DCTERMS.source, source)


Named: TypeAlias = "dict[ox.Term, ox.Term | set[ox.Term]]"  # record -> the term(s) it names


class Records:
    """The participation records of a stream of quads, counted by business area in two passes over it, as
    the engine counted them over the union of the graphs (each triple once): every record, participant,
    activity, organiser and area it reaches is one participation; participants, activities and organisers are
    counted once per area, and each area cites the sources of the records it counts. A few dicts in Python do
    at a fraction of the engine's cost what its join did, while the stream passes anyway.

    The first pass (``first``) finds the records, the activities' organisers and the organisers' areas; the
    second (``second``) what each record names, and the areas' English labels."""

    def __init__(self) -> None:
        self.records: set[ox.Term] = set()
        self.organisers: dict[ox.Term, set[ox.Term]] = defaultdict(set)
        self.areas: dict[ox.Term, set[ox.Term]] = defaultdict(set)
        self.named: tuple[Named, Named, Named] = ({}, {}, {})  # record -> participants, activities, sources
        self.area_names: dict[ox.Term, set[ox.Literal]] | None = None

    def first(self, quad: ox.Quad) -> None:
        predicate = quad.predicate
        if predicate == RDF_TYPE:
            if quad.object == PARTICIPATION:
                self.records.add(quad.subject)
        elif predicate == ORGANISED_BY:
            self.organisers[quad.subject].add(quad.object)
        elif predicate == HAS_AREA:
            self.areas[quad.subject].add(quad.object)

    def second(self, quad: ox.Quad) -> None:
        if self.area_names is None:
            self.area_names = {area: set() for areas in self.areas.values() for area in areas}
        predicate = quad.predicate
        column = NAMED.get(predicate)
        if column is not None:
            if quad.subject in self.records:
                add(self.named[column], quad.subject, quad.object)
        elif predicate == LABEL and quad.subject in self.area_names and english(quad.object):
            self.area_names[quad.subject].add(quad.object)  # type: ignore[arg-type]

    def triples(self) -> list[ox.Triple]:
        """The data set, its structure and its observations for the records seen (none: empty)."""
        participants_of, activities_of, sources_of = self.named
        rows: dict[ox.Term, list[Any]] = {}
        sources: dict[ox.Term, set[ox.Term]] = defaultdict(set)
        for record, participants in participants_of.items():
            participants = every(participants)
            for activity in every(activities_of.get(record)):
                for cluster in self.organisers.get(activity, ()):
                    for area in self.areas.get(cluster, ()):
                        row = rows.setdefault(area, [0, set(), set(), set()])
                        row[0] += len(participants)
                        row[1].update(participants)
                        row[2].add(activity)
                        row[3].add(cluster)
                        sources[area].update(every(sources_of.get(record)))
        if not rows:
            return []
        names = self.area_names or {}
        counted = [
            {
                "area": area,
                **({"areaLabel": min(names[area], key=str)} if names.get(area) else {}),
                **{column: row[0] if i == 0 else len(row[i]) for i, column in enumerate(MEASURES)},
            }
            for area, row in rows.items()
        ]
        cited = sorted({source for found in sources.values() for source in found}, key=str)
        return [*structure(), *(ox.Triple(DATASET, DCTERMS.source, s) for s in cited), *observations(counted, sources)]


NAMED = {KLYNGE.participant: 0, KLYNGE.activity: 1, DCTERMS.source: 2}
PARTICIPATION, ORGANISED_BY, HAS_AREA, LABEL = KLYNGE.Participation, KLYNGE.organisedBy, KLYNGE.hasArea, RDFS.label
FIRST_PREDICATES = {RDF_TYPE, ORGANISED_BY, HAS_AREA}  # what Records.first reads


def add(named: Named, record: ox.Term, term: ox.Term) -> None:
    """Note that ``record`` names ``term``: most name one of each, kept as itself, not in a set (memory)."""
    held = named.get(record)
    if held is None:
        named[record] = term
    elif isinstance(held, set):
        held.add(term)
    elif held != term:
        named[record] = {held, term}


def every(held: ox.Term | set[ox.Term] | None) -> set[ox.Term]:
    return held if isinstance(held, set) else set() if held is None else {held}


def structure() -> list[ox.Triple]:
    """The data set's structure (participation-cube.ttl), published with the observations."""
    return [q.triple for q in ox.parse(path=str(STRUCTURE_FILE), format=ox.RdfFormat.TURTLE)]


def english(term: ox.Term) -> bool:
    """LANGMATCHES(LANG(?name), "en")."""
    language = (term.language or "").lower() if isinstance(term, ox.Literal) else ""
    return language == "en" or language.startswith("en-")


def counted(quads: Callable[[], Iterable[ox.Quad]]) -> list[ox.Triple]:
    """The participation statistics of the records among ``quads`` (read twice)."""
    records = Records()
    for quad in quads():
        records.first(quad)
    for quad in quads():
        records.second(quad)
    return records.triples()


def publish(store: ox.Store) -> int:
    """Add the participation statistics of the store's records to the graph ``kg:aggregates`` (replacing what
    it held); the number of triples written."""
    triples = counted(lambda: store.quads_for_pattern(None, None, None, None))
    store.remove_graph(AGGREGATES_GRAPH)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, AGGREGATES_GRAPH) for t in triples)
    return len(triples)
