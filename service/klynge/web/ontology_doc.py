"""The ontology's documentation, as pyLODE or Widoco lay it out, for /ontology and the static publication.

Each of klynge's own terms (those ``rdfs:isDefinedBy`` the ontology) gets its label, definition, super- and
sub-terms, domain and range, inverse, where it is used (the properties whose domain or range a class is, and how
often the data states it) and one example statement from the data. The standard terms ``klynge.ttl`` declares
(so that the ontology is OWL 2 DL and tools know each term's kind) are listed apart as *reused*, with the
vocabulary they come from and the klynge terms that build on them, never as klynge's own.

The structure is read from the ontology's triples and the usage from the data, both through the engine, so the
same document is built from an embedded or a remote store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from klynge.answers import statistics
from klynge.answers.describe import ONTOLOGY_IRI, Engine, ontology_triples
from klynge.rdf.namespaces import PREFIXES

KLYNGE = ONTOLOGY_IRI + "#"
RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
OWL = PREFIXES["owl"]
SKOS = PREFIXES["skos"]
KINDS = {
    OWL + "Class": "Classes",
    OWL + "ObjectProperty": "Object properties",
    OWL + "DatatypeProperty": "Datatype properties",
    OWL + "AnnotationProperty": "Annotation properties",
    OWL + "NamedIndividual": "Individuals",
}
SINGULAR = {
    "Classes": "class",
    "Object properties": "object property",
    "Datatype properties": "datatype property",
    "Annotation properties": "annotation property",
    "Individuals": "individual",
}
# The vocabularies klynge reuses, by prefix (namespaces.PREFIXES holds their IRIs): the name a reader knows.
VOCABULARY_NAMES = {
    "org": "W3C Organization Ontology",
    "rov": "Registered Organization Vocabulary",
    "prov": "PROV-O",
    "schema": "schema.org",
    "skos": "SKOS",
    "dcterms": "DCMI Metadata Terms",
    "foaf": "FOAF",
    "qb": "RDF Data Cube",
    "sdmx-dimension": "SDMX dimensions",
    "sdmx-measure": "SDMX measures",
    "sdmx-attribute": "SDMX attributes",
    "dcat": "DCAT",
    "vann": "VANN",
    "rdfs": "RDF Schema",
    "rdf": "RDF",
    "owl": "OWL 2",
    "xsd": "XML Schema datatypes",
    "klynge": "klynge",
}
# By namespace: (prefix, name).
VOCABULARIES = {PREFIXES[prefix]: (prefix, name) for prefix, name in VOCABULARY_NAMES.items()}
# (predicate, heading from the term, heading from the other end); a None heading is not shown from that end.
DCTERMS = PREFIXES["dcterms"]
VANN = PREFIXES["vann"]
# The ontology's own metadata, in reading order, by the names a reader knows (not ``preferredNamespacePrefix``);
# the title heads the page and the description opens it, so neither is a row; rdf:type owl:Ontology says nothing.
HEADER_ROWS = {
    OWL + "versionInfo": "Version",
    OWL + "versionIRI": "This version",
    DCTERMS + "created": "Created",
    DCTERMS + "modified": "Last modified",
    DCTERMS + "creator": "Creator",
    DCTERMS + "license": "Licence",
    VANN + "preferredNamespacePrefix": "Prefix",
    VANN + "preferredNamespaceUri": "Namespace",
    RDFS + "seeAlso": "See also",
}
NOT_ROWS = {DCTERMS + "title", DCTERMS + "description", RDF + "type"}
# Licences by the names people know them by.
LICENCE_NAMES = {
    "https://creativecommons.org/licenses/by/4.0/": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "http://creativecommons.org/licenses/by/4.0/": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0 1.0 Universal (public domain dedication)",
}


@dataclass(frozen=True)
class HeaderValue:
    """One value of a metadata row: its text, and where it links (None for a literal)."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class HeaderRow:
    """One row of the ontology's metadata: a readable name and every value of that property."""

    label: str
    values: tuple[HeaderValue, ...]


RELATIONS = (
    (RDFS + "subClassOf", "Subclass of", "Superclass of"),
    (RDFS + "subPropertyOf", "Subproperty of", "Has subproperties"),
    (OWL + "equivalentClass", "Equivalent to", "Equivalent to"),
    (OWL + "equivalentProperty", "Equivalent to", "Equivalent to"),
    (OWL + "inverseOf", "Inverse of", "Inverse of"),
    (OWL + "disjointWith", "Disjoint with", "Disjoint with"),
    (RDFS + "domain", "Domain", "In domain of"),
    (RDFS + "range", "Range", "In range of"),
    (RDF + "type", "Instance of", "Individuals"),
    (SKOS + "exactMatch", "Exact match", None),
    (SKOS + "closeMatch", "Close match", None),
)


@dataclass(frozen=True)
class Ref:
    """A term as one line of the documentation links it: inside this page when it is klynge's, else out."""

    iri: str
    label: str
    ours: bool

    @property
    def anchor(self) -> str:
        return self.iri.rsplit("#", 1)[-1]


@dataclass
class TermDoc:
    """One of klynge's own terms, documented."""

    ref: Ref
    kind: str
    definition: str | None = None
    notes: list[str] = field(default_factory=list)
    relations: dict[str, list[Ref]] = field(default_factory=dict)
    uses: int = 0
    example: tuple[str, str, ox.Term] | None = None  # (subject IRI, property IRI, object) from the data

    @property
    def kind_name(self) -> str:
        return SINGULAR[self.kind]

    @property
    def is_class(self) -> bool:
        return self.kind == "Classes"


@dataclass
class Reused:
    """A standard term the ontology declares and builds on; it is the standard's, not klynge's."""

    ref: Ref
    kind: str
    vocabulary: str
    used_by: list[Ref] = field(default_factory=list)

    @property
    def kind_name(self) -> str:
        return SINGULAR[self.kind]


@dataclass
class OntologyDoc:
    """The whole document: the ontology's metadata, its own terms by kind, and the reused standard terms."""

    header: list[tuple[ox.NamedNode, ox.Term]]
    groups: dict[str, list[TermDoc]]
    reused: dict[str, list[Reused]]

    @property
    def title(self) -> str | None:
        return next((value.value for predicate, value in self.header if predicate.value == DCTERMS + "title"), None)

    @property
    def description(self) -> str | None:
        found = (value.value for predicate, value in self.header if predicate.value == DCTERMS + "description")
        return next(found, None)

    @property
    def rows(self) -> list[HeaderRow]:
        """The metadata as rows with readable names, each property once with all its values."""
        values: dict[str, list[HeaderValue]] = {}
        for predicate, value in self.header:
            if predicate.value not in NOT_ROWS:
                values.setdefault(predicate.value, []).append(header_value(value))
        order = list(HEADER_ROWS)
        ranked = sorted(values, key=lambda p: (order.index(p) if p in order else len(order), p))
        return [HeaderRow(HEADER_ROWS.get(p) or spelled_name(p), tuple(values[p])) for p in ranked]

    @property
    def term_count(self) -> int:
        return sum(len(terms) for terms in self.groups.values())

    @property
    def reused_count(self) -> int:
        return sum(len(terms) for terms in self.reused.values())


def header_value(term: ox.Term) -> HeaderValue:
    """A metadata value: an IRI as a link (a licence by its name), a literal as its text."""
    if isinstance(term, ox.NamedNode):
        return HeaderValue(LICENCE_NAMES.get(term.value, term.value), term.value)
    return HeaderValue(term.value)


def spelled_name(iri: str) -> str:
    """A property's local name as a row name: ``…#bibliographicCitation`` → ``Bibliographic citation``."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", re.split(r"[#/]", iri.rstrip("/#"))[-1]).lower()
    return words[:1].upper() + words[1:]


def prefixed(iri: str) -> str:
    """``org:Organization`` for a term of a known vocabulary; the full IRI otherwise."""
    for namespace, (prefix, _) in VOCABULARIES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def vocabulary_of(iri: str) -> str:
    """The name of the vocabulary a term comes from."""
    for namespace, (_, name) in VOCABULARIES.items():
        if iri.startswith(namespace):
            return name
    return "other vocabularies"


class OntologyGraph:
    """The ontology's triples, indexed for the few look-ups the documentation needs."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.store = ox.Store()
        self.store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)

    def objects(self, subject: str, predicate: str) -> list[ox.Term]:
        return [q.object for q in self.store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)]

    def subjects(self, predicate: str, obj: str) -> list[ox.NamedNode]:
        pattern = self.store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(obj))
        return [q.subject for q in pattern if isinstance(q.subject, ox.NamedNode)]

    def english(self, subject: str, predicate: str) -> str | None:
        """The English (else any) literal value, for labels and definitions."""
        values = [o for o in self.objects(subject, predicate) if isinstance(o, ox.Literal)]
        chosen = next((v for v in values if (v.language or "").startswith("en")), values[0] if values else None)
        return chosen.value if chosen is not None else None

    def declared(self) -> list[tuple[str, str]]:
        """Every IRI the ontology types as a class, property or individual, with its kind."""
        found: dict[str, str] = {}
        for kind_iri, kind in KINDS.items():
            for subject in self.subjects(RDF + "type", kind_iri):
                found.setdefault(subject.value, kind)
        return sorted(found.items())

    def ref(self, iri: str) -> Ref:
        ours = bool(self.objects(iri, RDFS + "isDefinedBy")) and iri.startswith(KLYNGE)
        label = self.english(iri, RDFS + "label") if ours else None
        return Ref(iri, label or prefixed(iri), ours)


def document(engine: Engine) -> OntologyDoc:
    """The documentation of the ontology the engine serves."""
    triples = ontology_triples(engine)
    graph = OntologyGraph(triples)
    own: dict[str, TermDoc] = {}
    reused: dict[str, Reused] = {}
    for iri, kind in graph.declared():
        ref = graph.ref(iri)
        if ref.ours:
            definition = graph.english(iri, SKOS + "definition") or graph.english(iri, RDFS + "comment")
            own[iri] = TermDoc(ref, kind, definition)
            own[iri].notes = [n for p in ("scopeNote", "note", "example") if (n := graph.english(iri, SKOS + p))]
        elif not iri.startswith(KLYNGE):
            reused[iri] = Reused(ref, kind, vocabulary_of(iri))
    for term in own.values():
        add_relations(graph, term)
        for others in term.relations.values():
            for other in others:
                if other.iri in reused and term.ref not in reused[other.iri].used_by:
                    reused[other.iri].used_by.append(term.ref)
    add_usage(engine, own)
    header = sorted(
        ((t.predicate, t.object) for t in triples if t.subject.value == ONTOLOGY_IRI),
        key=lambda pair: (pair[0].value, str(pair[1])),
    )
    return OntologyDoc(header, group(own.values()), by_vocabulary(reused.values()))


def add_relations(graph: OntologyGraph, term: TermDoc) -> None:
    """Super- and sub-terms, equivalents, inverses, disjoints, domain and range, from both ends."""
    iri = term.ref.iri
    for predicate, outward, inward in RELATIONS:
        others = [
            graph.ref(o.value)
            for o in graph.objects(iri, predicate)
            if isinstance(o, ox.NamedNode) and o.value not in KINDS  # owl:Class etc. is the kind, shown apart
        ]
        if others:
            term.relations.setdefault(outward, []).extend(others)
        if inward is not None:
            back = [graph.ref(s.value) for s in graph.subjects(predicate, iri) if s.value != iri]
            if back:
                listed = term.relations.setdefault(inward, [])
                listed.extend(ref for ref in back if ref not in listed)
    for refs in term.relations.values():
        refs.sort(key=lambda ref: (not ref.ours, ref.label.lower()))


def add_usage(engine: Engine, terms: dict[str, TermDoc]) -> None:
    """How often the data uses each term, and one example statement or instance of it."""
    for row in statistics.property_usage(engine):
        term = terms.get(row["term"].value)
        if term is not None and term.example is None:
            term.uses = int(row["uses"].value)
            term.example = (row["subject"].value, row["term"].value, row["object"])
    for row in statistics.class_usage(engine):
        term = terms.get(row["term"].value)
        if term is not None:
            term.uses = int(row["uses"].value)
            if "example" in row:  # none where every resource of the class is a blank node
                term.example = (row["example"].value, RDF + "type", ox.NamedNode(term.ref.iri))


def group(terms: Iterable[TermDoc]) -> dict[str, list[TermDoc]]:
    """The terms by kind, in the order of KINDS, each kind sorted by label."""
    grouped: dict[str, list[TermDoc]] = {kind: [] for kind in KINDS.values()}
    for term in terms:
        grouped[term.kind].append(term)
    return {kind: sorted(ts, key=lambda t: t.ref.label.lower()) for kind, ts in grouped.items() if ts}


def by_vocabulary(terms: Iterable[Reused]) -> dict[str, list[Reused]]:
    """The reused terms by vocabulary, vocabularies and terms in alphabetical order."""
    grouped: dict[str, list[Reused]] = {}
    for term in sorted(terms, key=lambda t: t.ref.label.lower()):
        grouped.setdefault(term.vocabulary, []).append(term)
    return dict(sorted(grouped.items()))
