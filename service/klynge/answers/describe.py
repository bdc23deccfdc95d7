"""What the graph says about one resource: its description as RDF and the facts a page shows.

Every function runs one of the service's SPARQL files (``klynge/sparql/*.rq``) through the engine (the store
may be remote or in worker processes), so nothing here walks the graph in Python. Names are the display labels
the graph build chose (``klynge:displayLabel``), so no query chooses a label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.engines.base import Engine
from klynge.rdf import namespaces
from klynge.rdf.namespaces import DCTERMS, RDFS, SKOS

RDF_TYPE = namespaces.RDF_TYPE.value
DCTERMS_SOURCE = DCTERMS.source.value
DISPLAY_LABEL = namespaces.KLYNGE.displayLabel.value
INCOMING_SHOWN = 200  # resource-links.rq fetches one more, to tell that there are more


def select(engine: Engine, name: str, **terms: ox.Term) -> list[dict[str, ox.Term]]:
    """The rows of the service query ``sparql/{name}.rq`` with the given terms bound to its parameters."""
    query = internal(name)
    return engine.select(query.sparql, query.bind(**terms))


def construct(engine: Engine, name: str, **terms: ox.Term) -> list[ox.Triple]:
    """The triples of the service query ``sparql/{name}.rq`` with the given terms bound to its parameters."""
    query = internal(name)
    return engine.construct(query.sparql, query.bind(**terms))


def text(term: ox.Term | None) -> str | None:
    """The lexical form of a literal or the IRI of a node; None for nothing."""
    if term is None:
        return None
    return term.value if isinstance(term, ox.Literal | ox.NamedNode | ox.BlankNode) else str(term)


def spelled_out(iri: str) -> str:
    """A property's local name as words: ``…#wasInfluencedBy`` → ``was influenced by``."""
    name = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


@dataclass
class Link:
    """One triple seen from a resource's page: the predicate, the other end and whether it was entailed."""

    predicate: ox.NamedNode
    predicate_label: str | None
    other: ox.Term
    other_label: str | None
    entailed: bool


@dataclass
class Description:
    """The facts a resource page shows."""

    iri: ox.NamedNode
    label: str | None
    labels: list[ox.Literal] = field(default_factory=list)
    alt_labels: list[ox.Literal] = field(default_factory=list)
    definitions: list[ox.Literal] = field(default_factory=list)
    types: list[tuple[ox.NamedNode, str | None]] = field(default_factory=list)
    outgoing: list[Link] = field(default_factory=list)
    incoming: list[Link] = field(default_factory=list)
    sources: list[tuple[ox.NamedNode, str | None]] = field(default_factory=list)
    more_incoming: bool = False

    def is_a(self, class_iri: str) -> bool:
        """Whether one of the resource's types (asserted or entailed) is ``class_iri``."""
        return any(t.value == class_iri for t, _ in self.types)


def exists(engine: Engine, iri: ox.NamedNode) -> bool:
    """Whether the graph mentions the IRI at all (as subject, predicate or object)."""
    return bool(select(engine, "resource-exists", resource=iri))


def description_triples(engine: Engine, iri: ox.NamedNode) -> list[ox.Triple]:
    """The concise bounded description of a resource plus the labels of what it links to.

    A triple two source files both state comes once (the union of the named graphs repeats it).
    """
    return list(dict.fromkeys(construct(engine, "resource-description", resource=iri)))


def describe(engine: Engine, iri: ox.NamedNode) -> Description:
    """Labels, types, definitions, sources and every link in and out, for the resource's page (one query)."""
    page = Description(iri=iri, label=None)
    for row in select(engine, "resource-links", resource=iri):
        predicate, other = row["p"], row.get("other")
        if other is None:
            continue  # a row without its other end (a store's bug): nothing to show or link to
        link = Link(
            predicate=predicate,
            predicate_label=text(row.get("pLabel")),
            other=other,
            other_label=text(row.get("otherLabel")),
            entailed=text(row["stated"]) in ("0", "false"),
        )
        if text(row["direction"]) == "in":
            page.incoming.append(link)
            continue
        page.outgoing.append(link)
        collect(page, link)
    page.more_incoming = len(page.incoming) > INCOMING_SHOWN
    del page.incoming[INCOMING_SHOWN:]
    return page


LABEL_PREDICATES = {
    RDFS.label.value: "labels",
    SKOS.prefLabel.value: "labels",
    SKOS.altLabel.value: "alt_labels",
    SKOS.definition.value: "definitions",
    DCTERMS.description.value: "definitions",
    RDFS.comment.value: "definitions",
}


def collect(page: Description, link: Link) -> None:
    """Sort an outgoing link into the page's headline facts (labels, definitions, types, sources)."""
    key = link.predicate.value
    if key in LABEL_PREDICATES and isinstance(link.other, ox.Literal):
        getattr(page, LABEL_PREDICATES[key]).append(link.other)
    elif key == RDF_TYPE and isinstance(link.other, ox.NamedNode):
        page.types.append((link.other, link.other_label))
    elif key == DCTERMS_SOURCE and isinstance(link.other, ox.NamedNode):
        page.sources.append((link.other, link.other_label))
    elif key == DISPLAY_LABEL and isinstance(link.other, ox.Literal):
        page.label = link.other.value


ONTOLOGY_IRI = namespaces.ONTOLOGY_IRI


def ontology_triples(engine: Engine) -> list[ox.Triple]:
    """The ontology as published: its source file's graph, without the data's entailments."""
    return construct(engine, "ontology-triples")


def graph_subjects(engine: Engine, graph: ox.NamedNode) -> list[tuple[ox.NamedNode, str | None]]:
    """The resources a named graph (one source file) states something about, with their labels (the first
    1001: the page says when there are more)."""
    return [(row["subject"], text(row.get("label"))) for row in select(engine, "graph-subjects", graph=graph)]


def graph_triples(engine: Engine, graph: ox.NamedNode) -> list[ox.Triple]:
    """Every triple of one named graph."""
    return construct(engine, "graph-triples", graph=graph)
