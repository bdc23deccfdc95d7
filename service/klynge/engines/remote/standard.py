"""Only standard SPARQL 1.1, over klynge's own graphs, reaches a remote store.

A store's extensions are its own attack surface: Virtuoso's ``bif:http_get`` fetches any URL from the store's
host and its ``DEFINE`` pragmas choose graphs and sponging, Jena's ``java:`` functions load classes. The
embedded engine has none of them, so a query that uses one is refused here (400) before anything is sent:

- every bare word must be a keyword or built-in function of the SPARQL 1.1 grammar (``DEFINE``, Virtuoso's
  ``OPTION (TRANSITIVE …)`` and the like are not);
- every prefixed name must use a prefix the query declares, as SPARQL requires (stores predefine prefixes such
  as ``bif:`` and ``sql:``), and none of the prefixes a dialect reserves for its functions;
- no IRI (written out or expanded) may start with a dialect's extension IRIs (``bif:``, ``java:``, …), except
  as a graph's name (checked against the served graphs);
- a function call (an IRI followed by its argument list) may only be an XSD cast, the one kind SPARQL 1.1
  defines.

And the dataset stays klynge's: ``FROM``, ``FROM NAMED``, ``default-graph-uri`` and ``named-graph-uri`` may name
only the served graphs (403 otherwise), and the store is always sent both parts of the dataset (by the dialect:
protocol fields, or clauses in the text), because a store left to fill one in (Virtuoso with
``default-graph-uri`` alone, or a query's ``FROM`` alone) lets ``GRAPH ?g`` range over all its graphs, its
system graphs included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from klynge.engines.base import INSPECTIONS_KEPT_UP_TO, Dataset, QueryRefused, QueryUnsupported
from klynge.rdf.namespaces import KG, PREFIXES
from klynge.rdf.sparql_lexer import Token, tokens

XSD = PREFIXES["xsd"]
# Every keyword and built-in function name of the SPARQL 1.1 query grammar (§19.8), upper-cased; ``a`` too.
SPARQL11_WORDS = frozenset(
    {
        "BASE",
        "PREFIX",
        "SELECT",
        "DISTINCT",
        "REDUCED",
        "AS",
        "CONSTRUCT",
        "WHERE",
        "DESCRIBE",
        "ASK",
        "FROM",
        "NAMED",
        "GROUP",
        "BY",
        "HAVING",
        "ORDER",
        "ASC",
        "DESC",
        "LIMIT",
        "OFFSET",
        "VALUES",
        "UNDEF",
        "OPTIONAL",
        "GRAPH",
        "SERVICE",
        "SILENT",
        "BIND",
        "MINUS",
        "UNION",
        "FILTER",
        "NOT",
        "IN",
        "EXISTS",
        "A",
        "TRUE",
        "FALSE",
        "COUNT",
        "SUM",
        "MIN",
        "MAX",
        "AVG",
        "SAMPLE",
        "GROUP_CONCAT",
        "SEPARATOR",
        "STR",
        "LANG",
        "LANGMATCHES",
        "DATATYPE",
        "BOUND",
        "IRI",
        "URI",
        "BNODE",
        "RAND",
        "ABS",
        "CEIL",
        "FLOOR",
        "ROUND",
        "CONCAT",
        "STRLEN",
        "UCASE",
        "LCASE",
        "ENCODE_FOR_URI",
        "CONTAINS",
        "STRSTARTS",
        "STRENDS",
        "STRBEFORE",
        "STRAFTER",
        "YEAR",
        "MONTH",
        "DAY",
        "HOURS",
        "MINUTES",
        "SECONDS",
        "TIMEZONE",
        "TZ",
        "NOW",
        "UUID",
        "STRUUID",
        "MD5",
        "SHA1",
        "SHA256",
        "SHA384",
        "SHA512",
        "COALESCE",
        "IF",
        "STRLANG",
        "STRDT",
        "SAMETERM",
        "ISIRI",
        "ISURI",
        "ISBLANK",
        "ISLITERAL",
        "ISNUMERIC",
        "REGEX",
        "SUBSTR",
        "REPLACE",
    }
)
# After one of these a name followed by "(" is a predicate before a collection, not a function call.
BEFORE_PREDICATE = frozenset({"var", "iri", "name", "string"})
# A named graph no store holds: sent as the only named graph when the dataset has none, so the named graphs
# are empty, as SPARQL says, instead of every graph of the store.
NO_GRAPH = KG["none#no-named-graphs"].value


@dataclass(frozen=True)
class Extensions:
    """What one store adds to SPARQL and must not be sent: its pragma words, the prefixes it predefines for
    its functions, and the IRI starts of its functions and property functions."""

    store: str
    words: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    iris: tuple[str, ...] = ()


def prefix_table(items: Sequence[Token]) -> tuple[dict[str, str], str | None]:
    """The query's PREFIX declarations (name -> IRI) and its BASE, read from the prologue."""
    prefixes: dict[str, str] = {}
    base: str | None = None
    index = 0
    while index + 1 < len(items):
        keyword = items[index].keyword
        if keyword == "BASE" and items[index + 1].kind == "iri":
            base = items[index + 1].text[1:-1]
            index += 2
        elif keyword == "PREFIX" and index + 2 < len(items) and items[index + 2].kind == "iri":
            prefixes[items[index + 1].text.rstrip(":")] = items[index + 2].text[1:-1]
            index += 3
        else:
            index += 1
    return prefixes, base


def numeric_suffix(items: Sequence[Token], index: int) -> bool:
    """Whether a word is the exponent of a number (``1e10`` reads as "1" then the word "e10")."""
    if index == 0:
        return False
    before = items[index - 1]
    glued = before.start + len(before.text) == items[index].start
    return glued and (before.text.isdigit() or before.text == ".") and items[index].text[:1] in "eE"


def check_standard(query: str, extensions: tuple[Extensions, ...]) -> tuple[tuple[tuple[str, str], ...], bool]:
    """QueryUnsupported when the query uses anything outside SPARQL 1.1; else its FROM and FROM NAMED graphs,
    as ("FROM" | "FROM NAMED", IRI) pairs, and whether it has a ``GRAPH`` pattern (the only way to read the
    named graphs). Kept for short texts, as the service's inspection is: reading the text took a lookup's
    tenth of a millisecond, on every request."""
    if len(query) <= INSPECTIONS_KEPT_UP_TO:
        return kept_check(query, extensions)
    return read_standard(query, extensions)


@lru_cache(maxsize=1024)
def kept_check(query: str, extensions: tuple[Extensions, ...]) -> tuple[tuple[tuple[str, str], ...], bool]:
    return read_standard(query, extensions)


def read_standard(query: str, extensions: tuple[Extensions, ...]) -> tuple[tuple[tuple[str, str], ...], bool]:
    """``check_standard``, reading the text."""
    known = list(extensions)
    items = tokens(query)
    prefixes, base = prefix_table(items)
    declared: set[str] = set()
    dataset: list[tuple[str, str]] = []
    reads_named = False
    for index, token in enumerate(items):
        iri: str | None = None
        if token.kind == "word":
            word = token.keyword
            if word not in SPARQL11_WORDS and not numeric_suffix(items, index):
                owner = next((e.store for e in known if word in e.words), None)
                what = f"a {owner} extension" if owner else "not a SPARQL 1.1 keyword or function"
                raise QueryUnsupported(f"{token.text} is {what}; {SENT_ONLY}")
            reads_named = reads_named or word == "GRAPH"
            if word == "PREFIX" and index + 1 < len(items):
                declared.add(items[index + 1].text.rstrip(":"))
        elif token.kind == "name" and not token.text.startswith("_:"):
            prefix, _, local = token.text.partition(":")
            owner = next((e.store for e in known if prefix.lower() in e.prefixes), None)
            if owner is not None:
                raise QueryUnsupported(f"{prefix}: is {owner}'s prefix for its own functions; {SENT_ONLY}")
            if prefix not in declared and not (index > 0 and items[index - 1].keyword == "PREFIX"):
                raise QueryUnsupported(
                    f"the prefix {prefix}: is not declared (SPARQL needs 'PREFIX {prefix}: <…>' before its use; "
                    "a store's predefined prefixes are not standard)"
                )
            if prefix in prefixes and not (index > 0 and items[index - 1].keyword == "PREFIX"):
                iri = prefixes[prefix] + local
        elif token.kind == "iri":
            iri = urljoin(base, token.text[1:-1]) if base else token.text[1:-1]
        if iri is None:
            continue
        before = items[index - 1] if index else None
        declaring = before is not None and (before.keyword == "BASE" or items[max(0, index - 2)].keyword == "PREFIX")
        a_graph = before is not None and before.keyword in ("FROM", "NAMED", "GRAPH")  # checked as a graph
        owner = next((e.store for e in known if iri.lower().startswith(tuple(s.lower() for s in e.iris))), None)
        if owner is not None and not (a_graph or declaring):
            raise QueryUnsupported(f"<{iri}> is a {owner} extension; {SENT_ONLY}")
        called = index + 1 < len(items) and items[index + 1].text == "("
        a_predicate = before is not None and (before.kind in BEFORE_PREDICATE or before.text in (";", "[", "]", "^"))
        if called and not a_predicate and not iri.startswith(XSD):
            raise QueryUnsupported(
                f"<{iri}> is called as a function, and SPARQL 1.1 defines no function of that name (only the "
                f"XSD casts); {SENT_ONLY}"
            )
        if before is not None and before.keyword == "FROM":
            dataset.append(("FROM", iri))
        elif before is not None and before.keyword == "NAMED" and index > 1 and items[index - 2].keyword == "FROM":
            dataset.append(("FROM NAMED", iri))
    return tuple(dataset), reads_named


SENT_ONLY = "this service sends its store only standard SPARQL 1.1 (vendor extensions are not accepted)"


@dataclass(frozen=True)
class Restriction:
    """The dataset a query is answered from: its default graphs and its named graphs (each list may be
    empty: then that part of the dataset is empty). ``whole`` when it is the service's own (every served
    graph in both), which a dialect may send another way (one merged graph); ``reads_named`` unless the query
    has no ``GRAPH`` pattern, so that its named graphs cannot change its answer."""

    default: tuple[str, ...]
    named: tuple[str, ...]
    whole: bool = False
    reads_named: bool = True


def restricted_dataset(
    query: str, dataset: Dataset, graphs: Sequence[str], extensions: tuple[Extensions, ...]
) -> Restriction:
    """The dataset to send with a query: the request's own graphs, else the query's FROM and FROM NAMED,
    else every served graph; QueryUnsupported for a non-standard query and QueryRefused for a graph that is
    not one of ``graphs``. How it travels is the dialect's (``Dialect.restrict``)."""
    named_in_query, reads_named = check_standard(query, extensions)
    served = set(graphs)
    asked = [("default-graph-uri", g) for g in dataset.default] + [("named-graph-uri", g) for g in dataset.named]
    for field, graph in [*named_in_query, *asked]:
        if graph not in served:
            raise QueryRefused(
                f"{field} <{graph}> is not one of the graphs this service serves; name one of them (the list is "
                "in /dataset) or none, for their union"
            )
    if dataset:
        return Restriction(tuple(dataset.default), tuple(dataset.named), reads_named=reads_named)
    if named_in_query:  # the query's own dataset, sent as the dialect says so the store cannot widen it
        default = tuple(g for field, g in named_in_query if field == "FROM")
        named = tuple(g for field, g in named_in_query if field == "FROM NAMED")
        return Restriction(default, named, reads_named=reads_named)
    return Restriction(tuple(graphs), tuple(graphs), whole=True, reads_named=reads_named)
