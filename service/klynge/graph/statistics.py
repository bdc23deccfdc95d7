"""Whole-graph statistics, counted once when the graph is built and published as a VoID description.

The /dataset and /.well-known/void description (triples, distinct subjects and objects, entities, class and
property partitions), the /ontology page (how often the data uses each klynge term, with an example) and
/browse (how many resources each class has) count the whole graph: at EU27 (13 M quads) each count is a scan
of seconds to minutes, at every request. ``described`` counts once and writes the figures into the graph
``kg:void`` as VoID (``void:triples``, ``void:classPartition`` with ``void:entities``, ``void:propertyPartition``
with ``void:triples``, ``void:subset`` for each named graph and for the data without the ontology).
``klynge.answers.statistics`` reads them; tests/test_statistics.py holds them equal to the scans.

What costs the engine little is counted by it, in four passes (``sparql/count-*.rq``): quads per named graph and
property, resources per named graph and class, distinct subjects and objects, and, for the few properties and
classes several graphs state, the distinct ones beyond those of the graph that states the most (a triple may be
stated and entailed, or stated in two files). The distinct ``rdf:type`` triples are the sum of the class
partitions. What would make the engine read the IRI of every subject, the first subject (by IRI) of each klynge
property and class for the ontology page's examples and the subjects outside the URI space (the entities are the
others), is noted in Python as the quads stream into the store (``Noted``): a minimum and a small set hold
however often a quad streams past. At EU27 this costs about 25 s of CPU (20 in the engine, 6 in Python), where a
query per figure cost 150.

The figures describe every graph but ``kg:void`` itself (a description cannot count its own figures); its
readers add the few triples of ``kg:void`` (counted on request), so what they show equals a scan of the whole
store. ``kg:void`` states no ``rdf:type`` and no klynge term, so the class partitions and the ontology's usage
figures need no such addition. It is recounted, over the whole store, at every build (a store extended by a
second ``klynge load`` included).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.rdf.namespaces import KG, KID, KLYNGE, ONTOLOGY_GRAPH, RDF_TYPE, SD, VOID, XSD, curie

STATISTICS_GRAPH = KG.void
# The description's own nodes are fragments of its graph's IRI (``kg:void#dataset``), outside the data's URI space.
NODE = STATISTICS_GRAPH.value + "#"
DATASET = ox.NamedNode(NODE + "dataset")  # every graph but kg:void
DATA = ox.NamedNode(NODE + "data")  # every graph but kg:void and the ontology's: the data the ontology page counts
URI_SPACE = KID.iri  # void:entities counts the resources under it
ONTOLOGY_NAMESPACE = KLYNGE.iri
RESOURCES = internal("count-subjects-objects")
ENTITIES = internal("count-entities")
GRAPH_PROPERTIES = internal("count-graph-properties")
GRAPH_CLASSES = internal("count-graph-classes")
PROPERTY_TRIPLES = internal("count-property-triples")
CLASS_ENTITIES = internal("count-class-entities")
# A property's quads (a class's resources) in each named graph, by property (class).
PerGraph: TypeAlias = "dict[ox.Term, dict[ox.NamedNode, int]]"


def slug(iri: str) -> str:
    """A readable, stable path for a term in a partition's IRI (``klynge/Policy``; a term of no known
    namespace by a hash of its IRI)."""
    short = curie(iri)
    if short != iri and ":" in short:
        prefix, local = short.split(":", 1)
        if local and all(c.isalnum() or c in "-_." for c in local):
            return f"{prefix}/{local}"
    return "iri/" + hashlib.sha256(iri.encode()).hexdigest()[:16]


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD.integer)


def select(store: ox.Store, query: str, **bound: ox.Term) -> list[dict[str, ox.Term]]:
    """The rows of a SELECT over the union of the store's graphs; an unbound variable is absent from its row."""
    substitutions = {ox.Variable(name): term for name, term in bound.items()}
    results = store.query(query, use_default_graph_as_union=True, substitutions=substitutions or None)
    assert isinstance(results, ox.QuerySolutions)
    names = [variable.value for variable in results.variables]
    return [{name: row[name] for name in names if row[name] is not None} for row in results]


def ontology_term(term: ox.Term) -> bool:
    """Whether a term is klynge's own, as the ontology page's scans tell (``STRSTARTS(STR(?term), …)``)."""
    return isinstance(term, ox.NamedNode | ox.Literal) and term.value.startswith(ONTOLOGY_NAMESPACE)


NO_EXAMPLE = ""  # a term with a subject that is no IRI: the scans' MIN(STR(?s)) has no value, so no example
OUTSIDE_HELD = 500_000  # subjects outside the URI space held at most (~75 MB); beyond, the engine counts entities


@dataclass
class Noted:
    """What is counted in Python from the quads that stream into the store anyway (``noting``), where every term
    is already a string, instead of by scans that read the IRI of every subject from the store (at EU27, 30 s of
    CPU for the examples, 37 s for the entities). A quad that streams past twice changes nothing.

    ``properties`` and ``classes``: the first subject (by IRI) of each klynge property and of each klynge
    class's resources in every graph but the ontology's, the ontology page's example of each term (the scans'
    ``MIN(STR(?s))``). ``outside``: the distinct subjects that are not IRIs in the URI space (a few hundred, the
    ontology's terms, the graphs' own nodes, blank nodes), so that the entities are the distinct subjects less
    these; None where there were more than OUTSIDE_HELD."""

    properties: dict[ox.Term, str] = field(default_factory=dict)
    classes: dict[ox.Term, str] = field(default_factory=dict)
    outside: set[ox.Term] | None = field(default_factory=set)

    @classmethod
    def of(cls, store: ox.Store) -> Noted:
        """What a store's quads give, read once (an in-memory store: decoding every quad of one on disk costs
        more than the scans)."""
        noted = cls()
        for _ in noted.noting(store):
            pass
        return noted

    def noting(self, quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        """The quads, unchanged, each noted as it passes: called for every quad a load writes, so plain loops;
        the graph is read only for a quad that would change an example."""
        kinds: dict[ox.Term, dict[ox.Term, str] | None] = {}  # predicate: the examples it gives, or None
        class_kinds: dict[ox.Term, bool] = {}  # object of rdf:type: a klynge class
        iri, space, outside = ox.NamedNode, URI_SPACE, self.outside
        for quad in quads:
            subject = quad.subject
            name = subject.value if type(subject) is iri else None
            if outside is not None and (name is None or not name.startswith(space)):
                outside.add(subject)
                if len(outside) > OUTSIDE_HELD:
                    self.outside = outside = None
            predicate = quad.predicate
            try:
                found = kinds[predicate]
            except KeyError:
                found = kinds[predicate] = (
                    self.classes if predicate == RDF_TYPE else self.properties if ontology_term(predicate) else None
                )
            if found is not None:
                term: ox.Term = predicate
                if found is self.classes:
                    term = quad.object
                    try:
                        ours = class_kinds[term]
                    except KeyError:
                        ours = class_kinds[term] = ontology_term(term)
                    if not ours:
                        yield quad
                        continue
                first = found.get(term)
                if name is not None:
                    if (first is None or (first and name < first)) and quad.graph_name != ONTOLOGY_GRAPH:
                        found[term] = name
                elif first != NO_EXAMPLE and quad.graph_name != ONTOLOGY_GRAPH:
                    found[term] = NO_EXAMPLE
            yield quad


def per_graph(rows: list[dict[str, ox.Term]], key: str, column: str) -> PerGraph:
    """Count rows (``?g``, ``key``, ``column``) by term, then by named graph."""
    counts: PerGraph = {}
    for row in rows:
        graph = row["g"]
        assert isinstance(graph, ox.NamedNode)
        counts.setdefault(row[key], {})[graph] = int(row[column].value)
    return counts


def distinct_over_graphs(
    store: ox.Store, counts: PerGraph, key: str, query: str, excluded: ox.NamedNode = STATISTICS_GRAPH
) -> dict[ox.Term, int]:
    """Each property's distinct triples (or each class's distinct resources) over every graph but ``excluded``,
    from the counts per graph: where one graph states it they are its count there (a graph holds a triple
    once); where several do, the count of the graph that states the most, and what ``query`` counts in the
    others that this one does not state (``key``, ``?largest`` and ``?excluded`` bound)."""
    found: dict[ox.Term, int] = {}
    for term, graphs in counts.items():
        counted = {graph: count for graph, count in graphs.items() if graph != excluded}
        if not counted:
            continue
        largest = max(counted, key=lambda graph: (counted[graph], graph.value))
        found[term] = counted[largest]
        if len(counted) > 1:
            more = select(store, query, **{key: term}, largest=largest, excluded=excluded)
            found[term] += int(more[0]["more"].value) if more else 0
    return found


@dataclass(frozen=True)
class Counts:
    """What the engine counts: quads per named graph and property, resources per named graph and class, and
    each class's distinct resources (every object of rdf:type, IRI or not) over every graph."""

    properties: PerGraph
    classes: PerGraph
    class_entities: dict[ox.Term, int]

    @classmethod
    def of(cls, store: ox.Store) -> Counts:
        classes = per_graph(select(store, GRAPH_CLASSES.sparql), "class", "entities")
        return cls(
            per_graph(select(store, GRAPH_PROPERTIES.sparql), "property", "triples"),
            classes,
            distinct_over_graphs(store, classes, "class", CLASS_ENTITIES.sparql),
        )

    @property
    def graph_sizes(self) -> dict[ox.NamedNode, int]:
        """Quads in each named graph."""
        sizes: dict[ox.NamedNode, int] = {}
        for graphs in self.properties.values():
            for graph, count in graphs.items():
                sizes[graph] = sizes.get(graph, 0) + count
        return sizes

    def property_triples(self, store: ox.Store) -> dict[ox.Term, int]:
        """Each property's distinct triples over every graph; rdf:type's are the class partitions' sum."""
        several = {term: graphs for term, graphs in self.properties.items() if len(graphs) > 1 and term != RDF_TYPE}
        found = {term: sum(graphs.values()) for term, graphs in self.properties.items()}
        found |= distinct_over_graphs(store, several, "property", PROPERTY_TRIPLES.sparql)
        if RDF_TYPE in found:
            found[RDF_TYPE] = sum(self.class_entities.values())
        return found


def entities_counted(store: ox.Store, subjects: int, noted: Noted) -> int:
    """The distinct subjects in the URI space: those less the ones noted outside it, else counted by the engine."""
    if noted.outside is not None:
        return subjects - len(noted.outside)
    found = select(store, ENTITIES.sparql, space=ox.Literal(URI_SPACE))
    return int(found[0]["entities"].value) if found else 0


def dataset_triples(store: ox.Store, counts: Counts, noted: Noted) -> Iterator[ox.Triple]:
    """The dataset's figures and its class and property partitions (over the union of the graphs)."""
    (resources,) = select(store, RESOURCES.sparql)
    subjects = int(resources["subjects"].value)
    properties = sorted(counts.property_triples(store).items(), key=lambda item: item[0].value)
    classes = sorted(
        ((cls, n) for cls, n in counts.class_entities.items() if isinstance(cls, ox.NamedNode)),
        key=lambda item: item[0].value,
    )
    yield ox.Triple(DATASET, VOID.triples, integer(sum(triples for _, triples in properties)))
    yield ox.Triple(DATASET, VOID.distinctSubjects, integer(subjects))
    yield ox.Triple(DATASET, VOID.distinctObjects, integer(int(resources["objects"].value)))
    yield ox.Triple(DATASET, VOID.properties, integer(len(properties)))
    yield ox.Triple(DATASET, VOID.classes, integer(len(classes)))
    yield ox.Triple(DATASET, VOID.uriSpace, ox.Literal(URI_SPACE))
    yield ox.Triple(DATASET, VOID.entities, integer(entities_counted(store, subjects, noted)))
    for cls, entities in classes:
        partition = ox.NamedNode(NODE + f"class/{slug(cls.value)}")
        yield ox.Triple(DATASET, VOID.classPartition, partition)
        yield ox.Triple(partition, VOID["class"], cls)
        yield ox.Triple(partition, VOID.entities, integer(entities))
    for prop, triples in properties:
        assert isinstance(prop, ox.NamedNode)
        partition = ox.NamedNode(NODE + f"property/{slug(prop.value)}")
        yield ox.Triple(DATASET, VOID.propertyPartition, partition)
        yield ox.Triple(partition, VOID.property, prop)
        yield ox.Triple(partition, VOID.triples, integer(triples))


def graph_triples(counts: Counts) -> Iterator[ox.Triple]:
    """Each named graph as a subset of the dataset, with its triples per property."""
    subsets = {
        graph: ox.NamedNode(NODE + f"graph/{graph_slug(graph)}")
        for graph in sorted(counts.graph_sizes, key=lambda graph: graph.value)
    }
    for graph, subset in subsets.items():
        yield ox.Triple(DATASET, VOID.subset, subset)
        yield ox.Triple(subset, SD.name, graph)
    for prop, graphs in counts.properties.items():
        assert isinstance(prop, ox.NamedNode)
        for graph, triples in graphs.items():
            subset = subsets[graph]
            partition = ox.NamedNode(f"{subset.value}/property/{slug(prop.value)}")
            yield ox.Triple(subset, VOID.propertyPartition, partition)
            yield ox.Triple(partition, VOID.property, prop)
            yield ox.Triple(partition, VOID.triples, integer(triples))


def graph_slug(graph: ox.NamedNode) -> str:
    """A named graph's path in its subset's IRI: its name under ``kg:``, else a hash of its IRI."""
    name = graph.value.removeprefix(KG.iri)
    if name != graph.value and name and all(c.isalnum() or c in "-_." for c in name):
        return name
    return "iri/" + hashlib.sha256(graph.value.encode()).hexdigest()[:16]


def data_triples(store: ox.Store, counts: Counts, noted: Noted) -> Iterator[ox.Triple]:
    """The data without the ontology: how many resources have each klynge class, with the first (by IRI) as
    an example, and the first subject (by IRI) of each klynge property, for the ontology page."""
    yield ox.Triple(DATASET, VOID.subset, DATA)
    ours = {cls: graphs for cls, graphs in counts.classes.items() if ontology_term(cls)}
    typed_in_ontology = {cls: graphs for cls, graphs in ours.items() if ONTOLOGY_GRAPH in graphs}
    uses = {cls: counts.class_entities[cls] for cls in ours if cls not in typed_in_ontology}
    uses |= distinct_over_graphs(store, typed_in_ontology, "class", CLASS_ENTITIES.sparql, excluded=ONTOLOGY_GRAPH)
    for cls, entities in sorted(uses.items(), key=lambda item: item[0].value):
        partition = ox.NamedNode(NODE + f"data/class/{slug(cls.value)}")
        yield ox.Triple(DATA, VOID.classPartition, partition)
        yield ox.Triple(partition, VOID["class"], cls)
        yield ox.Triple(partition, VOID.entities, integer(entities))
        if example := noted.classes.get(cls):  # none where a resource of it is no IRI, as the scan has none
            yield ox.Triple(partition, VOID.exampleResource, ox.NamedNode(example))
    for term, example in sorted(noted.properties.items(), key=lambda item: item[0].value):
        if not example:
            continue  # a subject of it is no IRI: the scan's MIN(STR(?s)) has no value
        assert isinstance(term, ox.NamedNode)
        partition = ox.NamedNode(NODE + f"data/property/{slug(term.value)}")
        yield ox.Triple(DATA, VOID.propertyPartition, partition)
        yield ox.Triple(partition, VOID.property, term)
        yield ox.Triple(partition, VOID.exampleResource, ox.NamedNode(example))


@dataclass(frozen=True)
class Description:
    """The VoID description of a store's graphs, as quads in ``kg:void``, and the quads in each named graph it
    counted (what ``klynge load`` reports, with no count of its own)."""

    quads: list[ox.Quad]
    graph_sizes: dict[ox.NamedNode, int]


def described(store: ox.Store, noted: Noted | None = None) -> Description:
    """The statistics of the store's graphs but ``kg:void``; ``noted`` from its quads as they were written (else
    from the store, which should then be in memory)."""
    counts = Counts.of(store)
    noted = noted if noted is not None else Noted.of(store)
    found = [*dataset_triples(store, counts, noted), *graph_triples(counts), *data_triples(store, counts, noted)]
    quads = [ox.Quad(t.subject, t.predicate, t.object, STATISTICS_GRAPH) for t in found]
    return Description(quads, counts.graph_sizes)


def publish(store: ox.Store) -> int:
    """Count the store's graphs anew into ``kg:void`` (replacing what it held); the number of triples written."""
    store.remove_graph(STATISTICS_GRAPH)
    quads = described(store).quads
    store.extend(quads)
    return len(quads)
