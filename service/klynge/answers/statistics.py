"""The whole-graph figures the pages show, read from the statistics counted at load, else counted by a scan.

``klynge.graph.statistics`` counts the graph when it is built and writes the figures into ``kg:void``; each
function here reads them (``sparql/void-*.rq``) and adds what ``kg:void`` itself holds, so it answers what
the scan (``sparql/dataset-*.rq``, ``ontology-*-usage.rq``, ``browse-classes.rq``) gives on the whole store,
which tests/test_statistics.py checks. A store built before the statistics existed (or a remote store loaded
from one) has no ``kg:void``: then the scan runs, as slow as it ever was, and ``klynge load`` of the store
again writes the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from klynge.engines.base import Engine
from klynge.sparql import query


@dataclass(frozen=True)
class DatasetCounts:
    """VoID's figures of the whole dataset."""

    triples: int
    subjects: int
    objects: int
    properties: int
    entities: int


def number(term: ox.Term) -> int:
    return int(term.value)


def counted(engine: Engine) -> bool:
    """Whether the store holds the statistics counted at load."""
    return bool(engine.select(query("void-dataset"), {}))


def dataset_counts(engine: Engine, space: str) -> DatasetCounts:
    """Distinct triples, subjects, objects and properties of the dataset, and its entities in ``space``."""
    stored = engine.select(query("void-dataset"), {})
    if not stored:
        return scanned_counts(engine, space)
    (row,) = stored
    partitions = property_partition(engine)
    (objects,) = engine.select(query("void-own-objects"), {})
    own = engine.select(query("void-own-subjects"), {"space": ox.Literal(space)})
    own_subjects, own_entities = (number(own[0]["subjects"]), number(own[0]["entities"])) if own else (0, 0)
    if row["space"].value == space:
        entities = number(row["entities"]) + own_entities
    else:  # counted for another URI space than the one the site serves
        entities = scanned_entities(engine, space)
    return DatasetCounts(
        triples=sum(triples for _, triples in partitions),
        subjects=number(row["subjects"]) + own_subjects,
        objects=number(row["objects"]) + number(objects["objects"]),
        properties=len(partitions),
        entities=entities,
    )


def scanned_counts(engine: Engine, space: str) -> DatasetCounts:
    """The dataset's figures counted by scanning every quad (a store without statistics)."""
    (counts,) = engine.select(query("dataset-counts"), {})
    (triples,) = engine.select(query("dataset-triples"), {})
    return DatasetCounts(
        triples=number(triples["triples"]),
        subjects=number(counts["subjects"]),
        objects=number(counts["objects"]),
        properties=number(counts["properties"]),
        entities=scanned_entities(engine, space),
    )


def scanned_entities(engine: Engine, space: str) -> int:
    rows = engine.select(query("dataset-entities"), {"space": ox.Literal(space)})
    return number(rows[0]["entities"]) if rows else 0


def class_partition(engine: Engine) -> list[tuple[ox.NamedNode, int]]:
    """Each class with how many distinct resources have it, by class IRI."""
    name = "void-class-partition" if counted(engine) else "dataset-class-partition"
    return [(row["class"], number(row["entities"])) for row in engine.select(query(name), {})]  # type: ignore[misc]


def property_partition(engine: Engine) -> list[tuple[ox.NamedNode, int]]:
    """Each property with its distinct triples, by property IRI."""
    name = "void-property-partition" if counted(engine) else "dataset-property-partition"
    return [(row["property"], number(row["triples"])) for row in engine.select(query(name), {})]  # type: ignore[misc]


def property_usage(engine: Engine) -> list[dict[str, ox.Term]]:
    """How often the data (every graph but the ontology's) states each klynge property, with the statements of
    its first subject (rows of ontology-property-usage.rq)."""
    return engine.select(query("void-property-usage" if counted(engine) else "ontology-property-usage"), {})


def class_usage(engine: Engine) -> list[dict[str, ox.Term]]:
    """How many resources of the data have each klynge class, with the first (rows of ontology-class-usage.rq)."""
    return engine.select(query("void-class-usage" if counted(engine) else "ontology-class-usage"), {})


def browse_classes(engine: Engine) -> list[dict[str, ox.Term]]:
    """The ontology's classes with instances, how many, and their labels (rows of browse-classes.rq)."""
    return engine.select(query("void-browse-classes" if counted(engine) else "browse-classes"), {})
