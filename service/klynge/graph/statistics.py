"""Whole-graph statistics, counted once when the graph is built and published as a VoID description.

The /dataset and /.well-known/void description (triples, distinct subjects and objects, entities, class and
property partitions), the /ontology page (how often the data uses each klynge term, with an example) and
/browse (how many resources each class has) count the whole graph: at EU27 (13 M quads) each count is a scan
of seconds to minutes, at every request. ``publish`` counts once, with the queries the pages used to run
(``sparql/dataset-counts.rq``, ``ontology-class-usage.rq``) and ``count-*.rq``, which count per named graph first
and count distinct over the graphs only the properties and classes that several graphs state, and writes the
figures into the graph ``kg:void`` as VoID (``void:triples``, ``void:classPartition`` with ``void:entities``,
``void:propertyPartition`` with ``void:triples``, ``void:subset`` for each named graph and for the data without
the ontology). ``klynge.answers.statistics`` reads them; tests/test_statistics.py holds
them equal to the scans.

The figures describe every graph but ``kg:void`` itself (a description cannot count its own figures); its
readers add the few triples of ``kg:void`` (counted on request), so what they show equals a scan of the whole
store. ``kg:void`` states no ``rdf:type`` and no klynge term, so the class partitions and the ontology's usage
figures need no such addition. It is recounted, over the whole store, every time ``materialise`` runs (a
store extended by a second ``klynge load`` included).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.rdf.namespaces import KG, KID, KLYNGE, SD, VOID, XSD, curie

STATISTICS_GRAPH = KG.void
# The description's own nodes are fragments of its graph's IRI (``kg:void#dataset``), outside the data's URI space.
NODE = STATISTICS_GRAPH.value + "#"
DATASET = ox.NamedNode(NODE + "dataset")  # every graph but kg:void
DATA = ox.NamedNode(NODE + "data")  # every graph but kg:void and the ontology's: the data the ontology page counts
URI_SPACE = KID.iri  # void:entities counts the resources under it
ONTOLOGY_NAMESPACE = KLYNGE.iri
# The dataset's figures: the queries run and the VoID property each figure is written as.
COUNTS = internal("dataset-counts")
ENTITIES = internal("count-entities")
GRAPH_CLASSES = internal("count-graph-classes")
CLASS_ENTITIES = internal("count-class-entities")
PROPERTY_TRIPLES = internal("count-property-triples")
GRAPH_PROPERTIES = internal("count-graph-properties")
CLASS_USAGE = internal("ontology-class-usage")
PROPERTY_EXAMPLE = internal("count-property-example")


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


def distinct_over_graphs(
    store: ox.Store, per_graph: list[dict[str, ox.Term]], key: str, column: str, query: str
) -> dict[ox.NamedNode, int]:
    """Each property's distinct triples (or each class's distinct resources) over every graph, from the counts per
    graph: where one graph states it they are its count there (a graph holds a triple once); where several do
    (a triple may be stated and entailed, or in two files), ``query`` counts them distinct, ``key`` bound."""
    counts: dict[ox.NamedNode, int] = {}
    graphs: dict[ox.NamedNode, int] = {}
    for row in per_graph:
        term = row[key]
        assert isinstance(term, ox.NamedNode)
        counts[term] = counts.get(term, 0) + int(row[column].value)
        graphs[term] = graphs.get(term, 0) + 1
    for term in [term for term, count in graphs.items() if count > 1]:
        (row,) = select(store, query, **{key: term})
        counts[term] = int(row[column].value)
    return dict(sorted(counts.items(), key=lambda item: item[0].value))


def dataset_triples(store: ox.Store, per_graph: list[dict[str, ox.Term]]) -> Iterator[ox.Triple]:
    """The dataset's figures and its class and property partitions (over the union of the graphs)."""
    (counts,) = select(store, COUNTS.sparql)
    found = select(store, ENTITIES.sparql, space=ox.Literal(URI_SPACE))
    properties = distinct_over_graphs(store, per_graph, "property", "triples", PROPERTY_TRIPLES.sparql)
    classes = distinct_over_graphs(
        store, select(store, GRAPH_CLASSES.sparql), "class", "entities", CLASS_ENTITIES.sparql
    )
    yield ox.Triple(DATASET, VOID.triples, integer(sum(properties.values())))
    yield ox.Triple(DATASET, VOID.distinctSubjects, integer(int(counts["subjects"].value)))
    yield ox.Triple(DATASET, VOID.distinctObjects, integer(int(counts["objects"].value)))
    yield ox.Triple(DATASET, VOID.properties, integer(len(properties)))
    yield ox.Triple(DATASET, VOID.classes, integer(len(classes)))
    yield ox.Triple(DATASET, VOID.uriSpace, ox.Literal(URI_SPACE))
    yield ox.Triple(DATASET, VOID.entities, integer(int(found[0]["entities"].value) if found else 0))
    for cls, entities in classes.items():
        partition = ox.NamedNode(NODE + f"class/{slug(cls.value)}")
        yield ox.Triple(DATASET, VOID.classPartition, partition)
        yield ox.Triple(partition, VOID["class"], cls)
        yield ox.Triple(partition, VOID.entities, integer(entities))
    for prop, triples in properties.items():
        partition = ox.NamedNode(NODE + f"property/{slug(prop.value)}")
        yield ox.Triple(DATASET, VOID.propertyPartition, partition)
        yield ox.Triple(partition, VOID.property, prop)
        yield ox.Triple(partition, VOID.triples, integer(triples))


def graph_triples(per_graph: list[dict[str, ox.Term]]) -> Iterator[ox.Triple]:
    """Each named graph as a subset of the dataset, with its triples per property."""
    for row in per_graph:
        graph = row["g"]
        assert isinstance(graph, ox.NamedNode)
        subset = ox.NamedNode(NODE + f"graph/{graph_slug(graph)}")
        partition = ox.NamedNode(NODE + f"graph/{graph_slug(graph)}/property/{slug(row['property'].value)}")
        yield ox.Triple(DATASET, VOID.subset, subset)
        yield ox.Triple(subset, SD.name, graph)
        yield ox.Triple(subset, VOID.propertyPartition, partition)
        yield ox.Triple(partition, VOID.property, row["property"])
        yield ox.Triple(partition, VOID.triples, integer(int(row["triples"].value)))


def graph_slug(graph: ox.NamedNode) -> str:
    """A named graph's path in its subset's IRI: its name under ``kg:``, else a hash of its IRI."""
    name = graph.value.removeprefix(KG.iri)
    if name != graph.value and name and all(c.isalnum() or c in "-_." for c in name):
        return name
    return "iri/" + hashlib.sha256(graph.value.encode()).hexdigest()[:16]


def data_triples(store: ox.Store, per_graph: list[dict[str, ox.Term]]) -> Iterator[ox.Triple]:
    """The data without the ontology: how many resources have each klynge class, with the first (by IRI) as
    an example, and the first subject (by IRI) of each klynge property, for the ontology page."""
    yield ox.Triple(DATASET, VOID.subset, DATA)
    for row in select(store, CLASS_USAGE.sparql):
        partition = ox.NamedNode(NODE + f"data/class/{slug(row['term'].value)}")
        yield ox.Triple(DATA, VOID.classPartition, partition)
        yield ox.Triple(partition, VOID["class"], row["term"])
        yield ox.Triple(partition, VOID.entities, integer(int(row["uses"].value)))
        yield ox.Triple(partition, VOID.exampleResource, ox.NamedNode(row["example"].value))
    used = {row["property"] for row in per_graph if ontology_term(row["property"])}
    for term in sorted(used, key=str):
        found = select(store, PROPERTY_EXAMPLE.sparql, term=term)
        if not found or "first" not in found[0]:
            continue  # used in the ontology's graph only
        (row,) = found
        partition = ox.NamedNode(NODE + f"data/property/{slug(term.value)}")
        yield ox.Triple(DATA, VOID.propertyPartition, partition)
        yield ox.Triple(partition, VOID.property, term)
        yield ox.Triple(partition, VOID.exampleResource, ox.NamedNode(row["first"].value))


def ontology_term(term: ox.Term) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(ONTOLOGY_NAMESPACE)


def statistics_triples(store: ox.Store) -> list[ox.Triple]:
    """The VoID description of every graph of the store but ``kg:void``."""
    per_graph = select(store, GRAPH_PROPERTIES.sparql)
    found = [*dataset_triples(store, per_graph), *graph_triples(per_graph), *data_triples(store, per_graph)]
    return list(dict.fromkeys(found))  # a graph's subset is named once for each of its properties


def described(store: ox.Store) -> list[ox.Quad]:
    """The statistics of the store's graphs but ``kg:void``, as quads in ``kg:void``."""
    return [ox.Quad(t.subject, t.predicate, t.object, STATISTICS_GRAPH) for t in statistics_triples(store)]


def publish(store: ox.Store) -> int:
    """Count the store's graphs anew into ``kg:void`` (replacing what it held); the number of triples written."""
    store.remove_graph(STATISTICS_GRAPH)
    quads = described(store)
    store.extend(quads)
    return len(quads)
