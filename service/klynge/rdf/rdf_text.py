"""RDF written for people: Turtle without escaped local names, and JSON-LD compacted with the prefixes.

pyoxigraph writes ``kid:policy\\/innovationskraft-2021-2024`` for an IRI whose local part has a slash: valid
Turtle, but nobody writes or reads it that way, and a name copied from it into SPARQL must keep the escape.
Such IRIs are written whole here instead (the prefix that would need the escape is not used). Its JSON-LD is
expanded (full IRIs, a list of nodes); ``compact_jsonld`` writes the same graph with an ``@context`` of the
prefixes it uses, ``"kid:policy/…"`` compact IRIs and ``@type``, as people and JSON-LD tools expect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import cast

import pyoxigraph as ox

from klynge.rdf.namespaces import RDF, XSD, Term

RDF_TYPE = RDF.type.value
XSD_STRING = XSD.string.value
RDF_LANG_STRING = RDF.langString.value
PRETTY_NODES = 2000  # up to this many subjects, JSON-LD is indented for reading

_PREFIX_LINE = re.compile(rb"@prefix (?:[A-Za-z][A-Za-z0-9_.\-]*)?: <[^>]*> \.\n")
# A prefixed name as pyoxigraph writes it, and whether its local part starts an escape (``kid:policy\/x``);
# possessive, so the scan is linear. Text in a string can look like one too, which at worst keeps or drops a
# prefix that did not need it.
_PREFIXED_NAME = re.compile(
    rb"(?<![A-Za-z0-9_.\-\x80-\xff])([A-Za-z][A-Za-z0-9_.\-\x80-\xff]*+)?:[A-Za-z0-9_\-:%.\x80-\xff]*+(\\)?"
)

Statements = Iterable[ox.Triple] | Iterable[ox.Quad]


def grouped(statements: Statements) -> Statements:
    """The statements with each graph's, each subject's and, within it, each predicate's together, in the order
    they first appear: pyoxigraph writes a subject or predicate again wherever its statements are apart (a
    resource's types came as four separate ``a`` lines, C7)."""
    rows: list[ox.Triple | ox.Quad] = [*statements]
    first: dict[tuple[object, ...], int] = {}

    def key(statement: ox.Triple | ox.Quad) -> tuple[int, ...]:
        graph = statement.graph_name if isinstance(statement, ox.Quad) else None
        parts = ((graph,), (graph, statement.subject), (graph, statement.subject, statement.predicate))
        return tuple(first.setdefault(part, len(first)) for part in parts)

    return cast(Statements, sorted(rows, key=key))  # all triples or all quads, as they came


def turtle(statements: Statements, prefixes: Mapping[str, str], trig: bool = False) -> bytes:
    """Turtle (TriG for quads) declaring only the prefixes it uses, none whose names would need an escape.

    pyoxigraph declares every prefix it is given and escapes what a local name cannot hold, so the text is
    written once to see which prefixes are used and which escape, then again with only the used ones that do
    not: an IRI under a dropped prefix is written whole, ``<https://w3id.org/klynge/id/policy/x>``.
    """
    statements = grouped(statements)
    fmt = ox.RdfFormat.TRIG if trig else ox.RdfFormat.TURTLE
    text = written(statements, fmt, dict(prefixes))
    body = 0
    while (line := _PREFIX_LINE.match(text, body)) is not None:
        body = line.end()
    names = _PREFIXED_NAME.findall(text, body)
    used = {prefix.decode() for prefix, _ in names}
    escaping = {prefix.decode() for prefix, escape in names if escape}
    kept = {prefix: iri for prefix, iri in prefixes.items() if prefix in used and prefix not in escaping}
    if kept.keys() == prefixes.keys():
        return text
    return written(statements, fmt, kept)


def written(statements: Statements, fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None) -> bytes:
    """pyoxigraph's own writer; it hands the bytes back when given no output file."""
    text = ox.serialize(statements, format=fmt, prefixes=prefixes)
    if text is None:  # only when an output file is given, which is never done here
        raise RuntimeError("pyoxigraph wrote no bytes")
    return text


class Compactor:
    """IRIs as compact IRIs (``kid:policy/x``) where a prefix fits, remembering the prefixes it used."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        # The longest namespace first, so ``kid:`` is not chosen where a narrower prefix fits.
        self.prefixes = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self.used: dict[str, str] = {}
        self._by_namespace: dict[str, tuple[str, str] | None] = {}  # an IRI's own namespace -> its prefix

    def iri(self, iri: str) -> str:
        own = iri[: max(iri.rfind("/"), iri.rfind("#")) + 1]
        if own not in self._by_namespace:
            found = (pair for pair in self.prefixes if own.startswith(pair[1]))
            self._by_namespace[own] = next(found, None)
        match = self._by_namespace[own]
        if match is None:
            return iri
        prefix, namespace = match
        rest = iri[len(namespace) :]
        if not rest or rest.startswith("//"):
            return iri
        self.used[prefix] = namespace
        return f"{prefix}:{rest}"

    def node(self, term: Term) -> str:
        if isinstance(term, ox.Triple):
            raise ValueError("JSON-LD 1.1 cannot write a triple term")
        return "_:" + term.value if isinstance(term, ox.BlankNode) else self.iri(term.value)

    def value(self, term: Term) -> object:
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
    if len(graph) <= PRETTY_NODES:
        return json.dumps({"@context": context, "@graph": graph}, ensure_ascii=False, indent=2).encode()
    # A large graph (a dump): one node per line, written by the C encoder (indenting takes the slow one).
    lines = ",\n".join(json.dumps(node, ensure_ascii=False) for node in graph)
    return f'{{"@context": {json.dumps(context)},\n"@graph": [\n{lines}\n]}}\n'.encode()


def serialize(statements: Statements, fmt: ox.RdfFormat, prefixes: Mapping[str, str]) -> bytes:
    """Triples (quads for TriG and N-Quads) in an RDF syntax, written for people where the syntax allows."""
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return turtle(statements, prefixes, trig=fmt == ox.RdfFormat.TRIG)
    if fmt == ox.RdfFormat.JSON_LD:
        return compact_jsonld(statements, prefixes)  # type: ignore[arg-type]
    if fmt == ox.RdfFormat.RDF_XML:
        return written(statements, fmt, dict(prefixes))
    return written(statements, fmt)
