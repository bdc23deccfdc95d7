"""Every representation the service gives, in one registry, and the one way a route chooses among them.

Each entry is derived from pyoxigraph's own ``RdfFormat`` or ``QueryResultsFormat`` (its name, media type,
file extension and W3C format IRI), plus what clients call it: the ``format`` parameter's keys and the
other media types ``Accept`` may use (``application/json`` for JSON-LD or SPARQL JSON, ``text/plain`` for
N-Triples, ``text/n3`` for Turtle, which is N3 too). ``/sparql``, ``/id``, ``/graph``, the named queries and
the dumps all take their formats from here, so a new format is one entry: with pyoxigraph's serialiser, or with
its own ``write`` of a ``Table`` (XLSX: ``klynge.rdf.xlsx``) where pyoxigraph has none.

``choose`` reads the ``format`` parameter first (a key or a media type; SPARQLWrapper sends several), then
``Accept`` with its q-values. A ``format`` value no offer knows falls back to ``Accept`` where ``Accept``
can be served: SPARQLWrapper asks for N3 with ``format=n3`` beside an Accept header listing Turtle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

from klynge.rdf import xlsx
from klynge.rdf.namespaces import PREFIXES, Term

W3C_FORMATS = PREFIXES["formats"]


# ---------------------------------------------------------------------------------------------------------
# Accept (RFC 9110 §12.5.1): the offer the client weights highest, the earlier offer on a tie
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaRange:
    """One element of an Accept header: ``type/subtype`` (either may be ``*``) and its weight."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How closely this range names a media type: 2 exactly, 1 by ``type/*``, 0 by ``*/*``, -1 not at all."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0 if self.subtype == "*" else -1
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def essence(media_type: str) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``.

    >>> essence("Text/CSV; charset=utf-8")
    'text/csv'
    """
    return media_type.split(";", 1)[0].strip().lower()


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed elements are skipped, a malformed q counts as 0.

    >>> parse_accept("text/turtle;q=0.5, nonsense, */*;q=x")
    [MediaRange(type='text', subtype='turtle', q=0.5), MediaRange(type='*', subtype='*', q=0.0)]
    """
    ranges = []
    for element in header.split(","):
        media_type, *parameters = element.split(";")
        kind, slash, sub = essence(media_type).partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges


def quality(ranges: list[MediaRange], media_type: str) -> float:
    """The weight the client gives a media type: that of the most specific range naming it, else 0."""
    best = max(((r.specificity(media_type), r.q) for r in ranges), default=(-1, 0.0))
    return best[1] if best[0] >= 0 else 0.0


def best_match(accept: str | None, offers: list[str]) -> str | None:
    """The offer the client weights highest (the earlier offer on a tie); None when it accepts none of them.

    A missing or empty Accept header accepts anything.

    >>> best_match("text/turtle;q=0.5, application/ld+json", ["text/turtle", "application/ld+json"])
    'application/ld+json'
    >>> best_match(None, ["text/turtle"]), best_match("image/png", ["text/turtle"])
    ('text/turtle', None)
    """
    if not offers:
        return None
    if accept is None or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    weighted = [(quality(ranges, essence(offer)), -index, offer) for index, offer in enumerate(offers)]
    q, _, offer = max(weighted)
    return offer if q > 0 else None


# ---------------------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A tabular answer as a table writer gets it: the columns, the rows of terms (a column a row leaves
    unbound is absent from its dict), and the display labels of the IRIs in it (for a writer that asks)."""

    columns: Sequence[str]
    rows: Sequence[Mapping[str, Term]]
    labels: Mapping[str, str]


TableWriter = Callable[[Table], bytes]
LabelLookup = Callable[[Iterable[str]], Mapping[str, str]]
XML_RESULTS = "application/sparql-results+xml"


@dataclass(frozen=True)
class Format:
    """One representation: the ``format`` key it is asked for by (also its file extension), its media type,
    the other keys and media types that name it, and the writer behind it: pyoxigraph's serialiser (``rdf``,
    ``results``), or for a results format pyoxigraph does not write, a ``write`` function of a ``Table``
    (given the IRIs' display labels when ``labelled``)."""

    key: str
    name: str
    media_type: str
    keys: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    w3c: str | None = None  # its IRI under http://www.w3.org/ns/formats/, for service descriptions
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None
    write: TableWriter | None = None
    labelled: bool = False

    @property
    def content_type(self) -> str:
        """The Content-Type header: text types say they are UTF-8."""
        return self.media_type + "; charset=utf-8" if self.media_type.startswith("text/") else self.media_type

    @property
    def engine_media_type(self) -> str:
        """What to ask an engine for: this format if pyoxigraph writes it, else SPARQL XML to write it from."""
        return XML_RESULTS if self.write is not None else self.media_type

    def from_engine(self, body: bytes, labels: LabelLookup) -> bytes:
        """An engine's answer in ``engine_media_type`` as this format's bytes (the same bytes when pyoxigraph
        wrote them already)."""
        if self.write is None:
            return body
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)
        if isinstance(results, ox.QueryBoolean):
            return self.table(["answer"], [{"answer": ox.Literal(bool(results))}], labels)
        columns = [variable.value for variable in results.variables]
        rows = [{c: term for c, term in zip(columns, row, strict=True) if term is not None} for row in results]
        return self.table(columns, rows, labels)

    def table(self, columns: Sequence[str], rows: Sequence[Mapping[str, Term]], labels: LabelLookup) -> bytes:
        """A table of terms in this format (a format pyoxigraph writes, or one with its own writer)."""
        if self.write is None:
            return table_bytes(columns, rows, self)
        iris = {term.value for row in rows for term in row.values() if isinstance(term, ox.NamedNode)}
        return self.write(Table(columns, rows, labels(iris) if self.labelled and iris else {}))

    def named_by(self, value: str) -> bool:
        """Whether a ``format`` value (a key or a media type, any case) names this format."""
        value = value.strip().lower()
        return value == self.key or value in self.keys or essence(value) in (self.media_type, *self.aliases)


def rdf_format(rdf: ox.RdfFormat, keys: tuple[str, ...] = (), aliases: tuple[str, ...] = (), w3c: str = "") -> Format:
    """An RDF syntax as pyoxigraph names it (its IRI corrected where pyoxigraph's is not the W3C one)."""
    iri = W3C_FORMATS + w3c if w3c else rdf.iri
    return Format(rdf.file_extension, rdf.name, essence(rdf.media_type), keys, aliases, iri, rdf=rdf)


def results_format(
    results: ox.QueryResultsFormat, name: str, keys: tuple[str, ...], aliases: tuple[str, ...] = ()
) -> Format:
    """A SPARQL results syntax as pyoxigraph names it."""
    return Format(
        results.file_extension, name, essence(results.media_type), keys, aliases, results.iri, results=results
    )


TURTLE = rdf_format(
    ox.RdfFormat.TURTLE,
    ("turtle", "n3"),
    ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3", "application/n3"),
)
JSON_LD = rdf_format(
    ox.RdfFormat.JSON_LD, ("json-ld", "json"), ("application/json", "application/x-json+ld"), w3c="JSON-LD"
)
N_TRIPLES = rdf_format(ox.RdfFormat.N_TRIPLES, ("ntriples", "n-triples"), ("text/plain",))
RDF_XML = rdf_format(ox.RdfFormat.RDF_XML, ("rdfxml", "xml"), ("application/xml", "text/xml"))
TRIG = rdf_format(ox.RdfFormat.TRIG)
N_QUADS = rdf_format(ox.RdfFormat.N_QUADS, ("nquads", "n-quads"))

SPARQL_JSON = results_format(ox.QueryResultsFormat.JSON, "SPARQL JSON", ("json",), ("application/json",))
SPARQL_XML = results_format(ox.QueryResultsFormat.XML, "SPARQL XML", ("xml",), ("application/xml", "text/xml"))
SPARQL_CSV = results_format(ox.QueryResultsFormat.CSV, "CSV", ())
SPARQL_TSV = results_format(ox.QueryResultsFormat.TSV, "TSV", ())
XLSX = Format(
    "xlsx",
    "XLSX (spreadsheet)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    keys=("excel",),
    write=xlsx.write,
    labelled=True,
)

HTML = Format("html", "HTML", "text/html", aliases=("application/xhtml+xml",))
API_JSON = Format("json", "JSON", "application/json")  # the named queries' own compact table

# What each kind of answer offers, the default first (it answers */* and a missing Accept).
GRAPH = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML)
DATASET = (TRIG, N_QUADS)
RESULTS = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV, XLSX)
PAGE = (HTML, *GRAPH)
TABLE = (API_JSON, SPARQL_CSV, SPARQL_TSV, XLSX)


class NotAcceptable(Exception):
    """None of the offers is what the request asks for (406); the message lists what there is."""


def listed(offers: Sequence[Format]) -> str:
    """The offers, for messages: ``ttl (text/turtle), jsonld (application/ld+json), …``."""
    return ", ".join(f"{offer.key} ({offer.media_type})" for offer in offers)


def by_accept(accept: str | None, offers: Sequence[Format]) -> Format | None:
    """The offer Accept weights highest: proper media types first, so an alias (``text/xml``) wins only
    where the client names it; None when Accept takes none. Remembered for the few Accept headers clients
    send again and again (the offers are this module's tuples)."""
    if isinstance(offers, tuple) and (accept is None or len(accept) <= MEMO_ACCEPT_CHARS):
        return _by_accept(accept, offers)
    return _by_accept.__wrapped__(accept, offers)


MEMO_ACCEPT_CHARS = 512  # a longer Accept header is weighed anew each time (the memo stays small)


@lru_cache(maxsize=256)
def _by_accept(accept: str | None, offers: Sequence[Format]) -> Format | None:
    by_type = {offer.media_type: offer for offer in offers}
    by_type.update((alias, offer) for offer in offers for alias in offer.aliases if alias not in by_type)
    chosen = best_match(accept, list(by_type))
    return None if chosen is None else by_type[chosen]


def choose(wanted: Sequence[str], accept: str | None, offers: Sequence[Format], what: str = "this") -> Format:
    """The first offer a ``format`` value names, else the best for ``Accept``; NotAcceptable when neither
    gives one.

    >>> choose(["ttl"], "application/ld+json", GRAPH).name, choose([], "application/n-triples", GRAPH).key
    ('Turtle', 'nt')
    >>> choose(["nope"], "image/png", GRAPH, "the graph")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    klynge.rdf.formats.NotAcceptable: cannot give the graph as format=nope asks; available: ttl (text/turtle), ...
    """
    for value in wanted:
        for offer in offers:
            if offer.named_by(value):
                return offer
    chosen = by_accept(accept, offers)
    if chosen is not None:
        return chosen
    asked = f"format={','.join(wanted)}" if wanted else f"Accept: {accept}"
    raise NotAcceptable(f"cannot give {what} as {asked} asks; available: {listed(offers)}")


def by_key(key: str, offers: Sequence[Format]) -> Format:
    """The offer a key (or file extension) names; KeyError listing the keys otherwise.

    >>> by_key("csv", RESULTS).media_type
    'text/csv'
    """
    for offer in offers:
        if offer.named_by(key):
            return offer
    raise KeyError(f"unknown format {key!r}; use one of {', '.join(offer.key for offer in offers)}")


def table_bytes(columns: Sequence[str], rows: Sequence[Mapping[str, Term]], fmt: Format) -> bytes:
    """A table of terms in a SPARQL results format, written by pyoxigraph's serialiser as ``/sparql``'s
    answers are: the rows go in as TSV (one term per cell, in N-Triples syntax), then out in ``fmt``."""
    assert fmt.results is not None, f"{fmt.name} is not a SPARQL results format"
    lines = ["\t".join("?" + column for column in columns)]
    lines += ["\t".join(str(row[column]) if column in row else "" for column in columns) for row in rows]
    tsv = ("\n".join(lines) + "\n").encode()
    written = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=fmt.results)
    if written is None:  # only when an output file is given, which is never done here
        raise RuntimeError("pyoxigraph wrote no bytes")
    return written
