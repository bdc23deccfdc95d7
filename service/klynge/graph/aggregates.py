"""The participation statistics of the records, published as Data Cube observations when the graph is built.

Counting participation records by business area joins every record to its activity, cluster and area: at EU27
(900,000 records) the engine takes seconds, at every request. Statistical offices publish such aggregates as
observations, and so does klynge: ``publish`` counts once (``sparql/aggregate-participation-by-area.rq``) and
writes one ``qb:Observation`` per area and measure into the graph ``kg:aggregates``, in the data set
``kid:dataset/participation-by-area`` with its structure (``participation-cube.ttl``). The named query
``participation-by-area`` reads them. A graph without participation records (the repository's) gets none.
tests/test_aggregates.py holds the observations equal to the counts of the records.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.rdf.namespaces import DCTERMS, KG, KID, KLYNGE, PREFIXES, QB, RDF_TYPE, RDFS, XSD

AGGREGATES_GRAPH = KG.aggregates
DATASET = KID["dataset/participation-by-area"]
STRUCTURE_FILE = Path(__file__).resolve().parent / "participation-cube.ttl"
OBS_VALUE = ox.NamedNode(PREFIXES["sdmx-measure"] + "obsValue")
BY_AREA = internal("aggregate-participation-by-area")
SOURCES = internal("aggregate-participation-sources")
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


def observations(rows: list[dict[str, ox.Term]], sources: dict[ox.Term, set[ox.Term]]) -> Iterator[ox.Triple]:
    """One observation per area and measure, labelled, with the sources of the records it counts."""
    for row in rows:
        area = row["area"]
        assert isinstance(area, ox.NamedNode)
        name = row["areaLabel"].value if "areaLabel" in row else slug(area)
        for column, (measure, said) in MEASURES.items():
            iri = observation_iri(area, column)
            value = int(row[column].value)
            yield ox.Triple(iri, RDF_TYPE, QB.Observation)
            yield ox.Triple(iri, QB.dataSet, DATASET)
            yield ox.Triple(iri, KLYNGE.businessArea, area)
            yield ox.Triple(iri, KLYNGE.measure, measure)
            yield ox.Triple(iri, OBS_VALUE, ox.Literal(str(value), datatype=XSD.integer))
            yield ox.Triple(iri, RDFS.label, ox.Literal(f"{said} in {name}: {value:,}", language="en"))
            for source in sorted(sources.get(area, ()), key=str):
                yield ox.Triple(iri, DCTERMS.source, source)


def aggregate_triples(store: ox.Store) -> list[ox.Triple]:
    """The data set, its structure and its observations for the records the store holds (none: empty)."""
    rows = select(store, BY_AREA.sparql)
    if not rows:
        return []
    sources: dict[ox.Term, set[ox.Term]] = defaultdict(set)
    for row in select(store, SOURCES.sparql):
        sources[row["area"]].add(row["source"])
    structure = [q.triple for q in ox.parse(path=str(STRUCTURE_FILE), format=ox.RdfFormat.TURTLE)]
    cited = sorted({source for found in sources.values() for source in found}, key=str)
    return [*structure, *(ox.Triple(DATASET, DCTERMS.source, s) for s in cited), *observations(rows, sources)]


def select(store: ox.Store, query: str) -> list[dict[str, ox.Term]]:
    """The rows of a SELECT over the union of the store's graphs; an unbound variable is absent from its row."""
    results = store.query(query, use_default_graph_as_union=True)
    assert isinstance(results, ox.QuerySolutions)
    names = [variable.value for variable in results.variables]
    return [{name: row[name] for name in names if row[name] is not None} for row in results]


def publish(store: ox.Store) -> int:
    """Add the participation statistics of the store's records to the graph ``kg:aggregates`` (replacing what
    it held); the number of triples written."""
    triples = aggregate_triples(store)
    store.remove_graph(AGGREGATES_GRAPH)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, AGGREGATES_GRAPH) for t in triples)
    return len(triples)
