"""The SHACL shapes as a document: the shapes are not part of the published graph, so they are read from
their Turtle files, once, into a small store of their own and listed by a SPARQL query over it
(``klynge/sparql/shapes.rq``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.graph.build import parse_file
from klynge.resources import asset_files
from klynge.validation.shacl_sparql import SHOWN

SHAPES_QUERY = internal("shapes")


@dataclass
class PropertyRule:
    """One property shape: the path it constrains, its constraints and the message a violation shows."""

    path: ox.Term | None
    message: str | None
    constraints: dict[str, list[ox.Term]] = field(default_factory=dict)


@dataclass
class Shape:
    """One node shape: what it targets, its own message and its property rules."""

    iri: ox.NamedNode | ox.BlankNode
    targets: list[ox.Term] = field(default_factory=list)
    message: str | None = None
    rules: dict[ox.Term, PropertyRule] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        """The fragment of the shape's IRI, so ``/shapes#ClusterShape`` scrolls to it."""
        return self.iri.value.rsplit("#", 1)[-1]


@cache
def shapes_store() -> ox.Store:
    """Every shapes file, parsed once."""
    store = ox.Store()
    store.extend(quad for path in asset_files("shapes") for quad in parse_file(path))
    return store


def shapes_triples() -> list[ox.Triple]:
    """The shapes as triples, for the RDF representations of /shapes."""
    return [ox.Triple(q.subject, q.predicate, q.object) for q in shapes_store()]


def shapes() -> list[Shape]:
    """Every node shape with its targets and property rules."""
    found: dict[ox.Term, Shape] = {}
    for row in shapes_store().query(SHAPES_QUERY.sparql, use_default_graph_as_union=True):
        shape = found.setdefault(row["shape"], Shape(row["shape"]))
        if row["target"] is not None and row["target"] not in shape.targets:
            shape.targets.append(row["target"])
        if row["message"] is not None:
            shape.message = row["message"].value
        if row["property"] is None:
            continue
        message = row["propertyMessage"].value if row["propertyMessage"] is not None else None
        rule = shape.rules.setdefault(row["property"], PropertyRule(row["path"], message))
        name = row["constraint"].value.rsplit("#", 1)[-1] if row["constraint"] is not None else None
        if name in SHOWN:
            values = rule.constraints.setdefault(name, [])
            if row["value"] not in values:
                values.append(row["value"])
    return list(found.values())
