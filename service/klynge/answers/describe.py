"""What the graph says about one resource: its description as RDF and the facts a page shows.

Every function is a SPARQL query through the engine (the store may be remote or in worker processes), so
nothing here walks the graph in Python. Labels prefer English, then Danish, then an untagged literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from klynge import namespaces
from klynge.engines.base import Engine
from klynge.namespaces import DCTERMS, sparql_prologue

PREFIXES = sparql_prologue(("rdf", "rdfs", "owl", "skos", "dcterms", "prov", "org", "schema", "klynge"))

INFERRED_GRAPH = namespaces.INFERRED_GRAPH.value
RDF_TYPE = namespaces.RDF_TYPE.value
DCTERMS_SOURCE = DCTERMS.source.value


def label_of(var: str, out: str) -> str:
    """A SPARQL fragment binding ``?out`` to the best label of ``?var`` (English, Danish, untagged, …)."""
    return f"""
    OPTIONAL {{ ?{var} rdfs:label ?{out}_en FILTER(LANGMATCHES(LANG(?{out}_en), "en")) }}
    OPTIONAL {{ ?{var} rdfs:label ?{out}_da FILTER(LANGMATCHES(LANG(?{out}_da), "da")) }}
    OPTIONAL {{ ?{var} rdfs:label ?{out}_plain FILTER(LANG(?{out}_plain) = "") }}
    OPTIONAL {{ ?{var} skos:prefLabel ?{out}_pref }}
    OPTIONAL {{ ?{var} dcterms:title ?{out}_title }}
    BIND(COALESCE(?{out}_en, ?{out}_da, ?{out}_plain, ?{out}_pref, ?{out}_title) AS ?{out})"""


def text(term: ox.Term | None) -> str | None:
    """The lexical form of a literal or the IRI of a node; None for nothing."""
    if term is None:
        return None
    return term.value if isinstance(term, ox.Literal | ox.NamedNode | ox.BlankNode) else str(term)


def node_json(term: ox.Term, label: ox.Term | None = None) -> dict[str, str | None]:
    """A resource as JSON: its IRI (a blank node's label where there is no IRI) and its label."""
    return {"iri": term.value, "label": text(label)}


def spelled_out(iri: str) -> str:
    """A property's local name as words: ``…#wasInfluencedBy`` → ``was influenced by``."""
    name = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def predicate_json(term: ox.NamedNode, label: ox.Term | None = None) -> dict[str, str | None]:
    """A property as JSON; one the graph gives no label (``prov:wasInfluencedBy``) gets its name spelled out."""
    return node_json(term, label) if label is not None else {"iri": term.value, "label": spelled_out(term.value)}


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

    def is_a(self, class_iri: str) -> bool:
        """Whether one of the resource's types (asserted or entailed) is ``class_iri``."""
        return any(t.value == class_iri for t, _ in self.types)


DESCRIPTION_QUERY = (
    PREFIXES
    + """
CONSTRUCT {
  ?resource ?p ?o .
  ?b ?bp ?bo .
  ?linked rdfs:label ?linkedLabel .
  ?p rdfs:label ?pLabel .
} WHERE {
  { ?resource ?p ?o }
  UNION { ?resource ?p0 ?b . FILTER(isBlank(?b)) ?b ?bp ?bo }
  UNION { ?resource ?p1 ?linked . FILTER(isIRI(?linked)) ?linked rdfs:label ?linkedLabel }
  UNION { ?resource ?p ?o2 . ?p rdfs:label ?pLabel }
}"""
)

EXISTS_QUERY = "ASK { { ?resource ?p ?o } UNION { ?s ?resource ?o } UNION { ?s ?p ?resource } }"

# The labels of ?other are looked up only where it is no literal, in a subquery of its own: with them on every
# row, Virtuoso 7 leaves ?other unbound in the rows whose object is a literal. Whether a link is entailed is not
# asked here but decided in ``describe`` against STATED_QUERY (why: see there).
LINKS_QUERY = (
    PREFIXES
    + f"""
SELECT DISTINCT ?resource ?direction ?p ?other ?pLabel ?otherLabel WHERE {{
  {{ SELECT ?resource ?p ?other ?direction WHERE {{
    ?resource ?p ?other . FILTER(isLiteral(?other)) BIND("out" AS ?direction)
  }} }}
  UNION
  {{ SELECT ?resource ?p ?other ?direction ?otherLabel WHERE {{
    {{ ?resource ?p ?other . FILTER(!isLiteral(?other)) BIND("out" AS ?direction) }}
    UNION
    {{ ?other ?p ?resource . BIND("in" AS ?direction) FILTER(?p != rdf:type) }}
    {label_of("other", "otherLabel")}
  }} }}
  {label_of("p", "pLabel")}
}}
ORDER BY DESC(?direction) ?pLabel ?p ?otherLabel ?other
LIMIT 2000"""
)

# Every link of the resource with each named graph that holds it. A link is entailed when only the inferred graph
# holds it, which ``describe`` decides in Python. Asked in LINKS_QUERY, as a correlated NOT EXISTS { GRAPH ?g {
# ?resource ?p ?other } … } with ?other bound by the outer pattern, Virtuoso 7 at times (as a freshly loaded
# store planned it) found no graph for language-tagged literal objects (skos:altLabel "DFIR"@en) and the page
# marked them entailed. Here nothing is bound but ?resource, and the graph is compared outside the store.
STATED_QUERY = (
    PREFIXES
    + """
SELECT DISTINCT ?resource ?direction ?p ?other ?g WHERE {
  { GRAPH ?g { ?resource ?p ?other } BIND("out" AS ?direction) }
  UNION
  { GRAPH ?g { ?other ?p ?resource } BIND("in" AS ?direction) FILTER(?p != rdf:type) }
}"""
)


def exists(engine: Engine, iri: ox.NamedNode) -> bool:
    """Whether the graph mentions the IRI at all (as subject, predicate or object)."""
    return engine.ask(EXISTS_QUERY, {"resource": iri})


def description_triples(engine: Engine, iri: ox.NamedNode) -> list[ox.Triple]:
    """The concise bounded description of a resource plus the labels of what it links to.

    A triple two source files both state comes once (the union of the named graphs repeats it).
    """
    return list(dict.fromkeys(engine.construct(DESCRIPTION_QUERY, {"resource": iri})))


def describe(engine: Engine, iri: ox.NamedNode) -> Description:
    """Labels, types, definitions, sources and every link in and out, for the resource's page."""
    rows = engine.select(LINKS_QUERY, {"resource": iri})
    stated = {
        (text(row["direction"]), row["p"], row["other"])
        for row in engine.select(STATED_QUERY, {"resource": iri})
        if row["g"].value != INFERRED_GRAPH
    }
    page = Description(iri=iri, label=None)
    for row in rows:
        predicate, other = row["p"], row.get("other")
        if other is None:
            continue  # a row without its other end (a store's bug): nothing to show or link to
        link = Link(
            predicate=predicate,
            predicate_label=text(row.get("pLabel")),
            other=other,
            other_label=text(row.get("otherLabel")),
            entailed=(text(row["direction"]), predicate, other) not in stated,
        )
        if text(row["direction"]) == "in":
            page.incoming.append(link)
            continue
        page.outgoing.append(link)
        collect(page, link)
    english = [lit for lit in page.labels if lit.language == "en"]
    best = english or page.labels
    page.label = best[0].value if best else None
    return page


LABEL_PREDICATES = {
    "http://www.w3.org/2000/01/rdf-schema#label": "labels",
    "http://www.w3.org/2004/02/skos/core#prefLabel": "labels",
    "http://www.w3.org/2004/02/skos/core#altLabel": "alt_labels",
    "http://www.w3.org/2004/02/skos/core#definition": "definitions",
    "http://purl.org/dc/terms/description": "definitions",
    "http://www.w3.org/2000/01/rdf-schema#comment": "definitions",
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


ONTOLOGY_IRI = namespaces.ONTOLOGY_IRI
ONTOLOGY_GRAPH = namespaces.ONTOLOGY_GRAPH.value
ONTOLOGY_QUERY = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"


def ontology_triples(engine: Engine) -> list[ox.Triple]:
    """The ontology as published: its source file's graph, without the data's entailments."""
    return engine.construct(ONTOLOGY_QUERY, {})


GRAPH_SUBJECTS_QUERY = (
    PREFIXES
    + f"""
SELECT ?graph ?subject ?label WHERE {{
  {{ SELECT DISTINCT ?graph ?subject WHERE {{ GRAPH ?graph {{ ?subject ?p ?o }} FILTER(isIRI(?subject)) }} }}
  {label_of("subject", "label")}
}} ORDER BY LCASE(STR(?label)) ?subject"""
)
GRAPH_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?graph { ?s ?p ?o } }"


def graph_subjects(engine: Engine, graph: ox.NamedNode) -> list[tuple[ox.NamedNode, str | None]]:
    """The resources a named graph (one source file) states something about, with their labels."""
    return [(row["subject"], text(row.get("label"))) for row in engine.select(GRAPH_SUBJECTS_QUERY, {"graph": graph})]


def graph_triples(engine: Engine, graph: ox.NamedNode) -> list[ox.Triple]:
    """Every triple of one named graph."""
    return engine.construct(GRAPH_QUERY, {"graph": graph})
