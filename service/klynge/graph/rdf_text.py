"""RDF written for people: Turtle without escaped local names, and JSON-LD compacted with the prefixes.

pyoxigraph writes ``kid:policy\\/innovationskraft-2021-2024`` for an IRI whose local part has a slash: valid
Turtle, but nobody writes or reads it that way, and a name copied from it into SPARQL must keep the escape.
Such a name is written here as the full IRI instead. Its JSON-LD is expanded (full IRIs, a list of nodes);
``compact_jsonld`` writes the same graph with an ``@context`` of the prefixes it uses, ``"kid:policy/…"``
compact IRIs and ``@type``, as people and JSON-LD tools expect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# A Turtle document as pyoxigraph writes it, token by token as far as it matters here: strings and IRIs whole
# (a backslash or colon inside them is theirs), then prefixed names, whose local part may hold escapes.
_TURTLE_TOKEN = re.compile(
    rb'"(?:[^"\\]|\\.)*"'
    rb"|<[^>]*>"
    rb"|(?P<prefix>[A-Za-z][A-Za-z0-9_.\-\x80-\xff]*)?:"
    rb"(?P<local>(?:[A-Za-z0-9_\-:%\x80-\xff]|\\[_~.\-!$&'()*+,;=/?#@%]|\.(?=[A-Za-z0-9_\-:%\x80-\xff\\]))*)"
)
_ESCAPE = re.compile(rb"\\(.)")


def readable_turtle(turtle: bytes, prefixes: Mapping[str, str]) -> bytes:
    """Turtle (or TriG) with every prefixed name that needs an escape written as its full IRI."""
    namespaces = {prefix.encode(): iri.encode() for prefix, iri in prefixes.items()}

    def rewrite(match: re.Match[bytes]) -> bytes:
        local = match.group("local")
        if local is None or b"\\" not in local:
            return match.group()
        namespace = namespaces.get(match.group("prefix") or b"")
        if namespace is None:  # a prefix we did not declare: leave the text as the serialiser wrote it
            return match.group()
        return b"<" + namespace + _ESCAPE.sub(rb"\1", local) + b">"

    return _TURTLE_TOKEN.sub(rewrite, turtle)


Statements = Iterable[ox.Triple] | Iterable[ox.Quad]


def turtle(statements: Statements, prefixes: Mapping[str, str], trig: bool = False) -> bytes:
    """Turtle (TriG for quads) with the prefixes, and no escaped local names."""
    fmt = ox.RdfFormat.TRIG if trig else ox.RdfFormat.TURTLE
    return readable_turtle(ox.serialize(statements, format=fmt, prefixes=dict(prefixes)), prefixes)


class Compactor:
    """IRIs as compact IRIs (``kid:policy/x``) where a prefix fits, remembering the prefixes it used."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        # The longest namespace first, so ``kid:`` is not chosen where a narrower prefix fits.
        self.prefixes = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self.used: dict[str, str] = {}

    def iri(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            rest = iri[len(namespace) :]
            if iri.startswith(namespace) and rest and not rest.startswith("//"):
                self.used[prefix] = namespace
                return f"{prefix}:{rest}"
        return iri

    def node(self, term: ox.Term) -> str:
        return "_:" + term.value if isinstance(term, ox.BlankNode) else self.iri(term.value)

    def value(self, term: ox.Term) -> object:
        if isinstance(term, ox.Literal):
            if term.language:
                return {"@value": term.value, "@language": term.language}
            if term.datatype.value in (XSD_STRING, RDF_LANG_STRING):
                return term.value
            return {"@value": term.value, "@type": self.iri(term.datatype.value)}
        if isinstance(term, ox.Triple):
            raise ValueError("JSON-LD 1.1 cannot write a triple term")
        return {"@id": self.node(term)}


def compact_jsonld(triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> bytes:
    """A graph as compacted JSON-LD: ``{"@context": {…prefixes used…}, "@graph": [one object per subject]}``;
    a property with one value has it bare, with several a list (as JSON-LD compaction writes them)."""
    compactor = Compactor(prefixes)
    nodes: dict[str, dict[str, list[object]]] = {}
    for triple in triples:
        node = nodes.setdefault(compactor.node(triple.subject), {})
        if triple.predicate.value == RDF_TYPE and not isinstance(triple.object, ox.Literal):
            node.setdefault("@type", []).append(compactor.node(triple.object))
        else:
            node.setdefault(compactor.iri(triple.predicate.value), []).append(compactor.value(triple.object))
    graph = [
        {"@id": subject, **{key: values[0] if len(values) == 1 else values for key, values in node.items()}}
        for subject, node in nodes.items()
    ]
    context = dict(sorted(compactor.used.items()))
    document = {"@context": context, "@graph": graph}
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def used(statements: list[ox.Triple] | list[ox.Quad], prefixes: Mapping[str, str]) -> dict[str, str]:
    """The prefixes some IRI of the statements starts with (the serialisers declare every prefix given)."""
    namespaces: set[str] = set()
    for statement in statements:
        for term in (statement.subject, statement.predicate, statement.object, getattr(statement, "graph_name", None)):
            iri = term.datatype.value if isinstance(term, ox.Literal) else getattr(term, "value", "")
            if isinstance(term, ox.NamedNode | ox.Literal):
                namespaces.add(iri[: max(iri.rfind("/"), iri.rfind("#")) + 1])
    return {
        prefix: namespace
        for prefix, namespace in prefixes.items()
        if any(candidate.startswith(namespace) for candidate in namespaces)
    }


def serialize(statements: Statements, fmt: ox.RdfFormat, prefixes: Mapping[str, str]) -> bytes:
    """Triples (quads for TriG and N-Quads) in an RDF syntax, written for people where the syntax allows."""
    statements = list(statements)
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        prefixes = used(statements, prefixes)
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return turtle(statements, prefixes, trig=fmt == ox.RdfFormat.TRIG)
    if fmt == ox.RdfFormat.JSON_LD:
        return compact_jsonld(statements, prefixes)  # type: ignore[arg-type]
    if fmt == ox.RdfFormat.RDF_XML:
        return ox.serialize(statements, format=fmt, prefixes=dict(prefixes))
    return ox.serialize(statements, format=fmt)
