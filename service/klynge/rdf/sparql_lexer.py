"""Decide what a SPARQL request is before any engine sees it: its query form, and whether to refuse it.

The service is read-only and never makes an outbound request on a query's behalf. pyoxigraph follows
``SERVICE`` to any host, and an update sent to ``Store.query`` only fails as a syntax error, so the text is
tokenised here (strings, IRIs and comments kept whole, as the SPARQL grammar reads them) and refused when
it is an update or uses ``SERVICE`` or ``LOAD``. A word inside a string literal, an IRI, a prefixed name, a
variable, a language tag or a comment is not a keyword: ``"service"``, ``?service`` or ``"x"@en-load`` still
run. Anything the tokeniser reads differently from the grammar is not a valid query, and the engine's parser
rejects it afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Character classes of the SPARQL 1.1 grammar (§19.8), the non-ASCII ranges taken broadly: a character the
# grammar does not allow there makes the query a syntax error anyway.
_ESCAPE = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_PN_CHARS_BASE = "A-Za-z\u00c0-\ufffd"
_PN_CHARS_U = f"[{_PN_CHARS_BASE}_]"
_PN_CHARS = f"[{_PN_CHARS_BASE}_0-9\\-\u00b7\u0300-\u036f\u203f-\u2040]"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:(?:{_PN_CHARS}|\\.)*{_PN_CHARS})?"
# A local name neither starts nor ends with a dot: in ``ex:a.`` or ``ex:.x`` the dot is the parser's too.
_PN_LOCAL = f"(?:{_PN_CHARS_U}|:|[0-9]|{_PLX})(?:(?:{_PN_CHARS}|\\.|:|{_PLX})*(?:{_PN_CHARS}|:|{_PLX}))?"
_BLANK_NODE_LABEL = f"_:(?:{_PN_CHARS_U}|[0-9])(?:(?:{_PN_CHARS}|\\.)*{_PN_CHARS})?"
TOKEN = re.compile(
    rf"""(?P<space>\s+)
    |(?P<comment>\#[^\n\r]*)
    |(?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_ESCAPE})*>)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
        |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
    |(?P<var>[?$](?:{_PN_CHARS_U}|[0-9])(?:{_PN_CHARS_U}|[0-9\u00B7\u0300-\u036F\u203F-\u2040])*)
    |(?P<name>{_BLANK_NODE_LABEL}|(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
    |(?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_OPERATIONS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
OUTBOUND = frozenset({"SERVICE", "LOAD"})
VOLATILE = frozenset({"NOW", "RAND", "UUID", "STRUUID"})
PROLOGUE = frozenset({"BASE", "PREFIX"})
# pyoxigraph's parser and evaluator recurse once per level of { ( [ and crash (SIGSEGV) a few thousand deep;
# no hand-written query comes near this.
MAX_DEPTH = 100
OPENING, CLOSING = frozenset("{(["), frozenset("})]")


class Refused(ValueError):
    """A request the service will not run: an update, or a query that would reach out to another host."""


class TooDeep(ValueError):
    """A query nesting brackets deeper than MAX_DEPTH; ``line`` and ``column`` point at the bracket too many."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Token:
    """One lexical unit of a query: its kind (a group name of TOKEN), its text and where it starts."""

    kind: str
    text: str
    start: int

    @property
    def keyword(self) -> str:
        """The upper-cased word, or '' for anything that is not a bare word."""
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class Inspection:
    """What the engine needs to know about a query it may run."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE; '' when the text is none of those (the parser says why)
    names_dataset: bool  # FROM or FROM NAMED: the query chooses its own graphs
    volatile: bool  # NOW(), RAND(), UUID() or STRUUID(): two runs may answer differently


def tokens(query: str) -> list[Token]:
    """The significant tokens of a query: comments and white space dropped, IRIs and strings kept whole.

    >>> [token.text for token in tokens('ASK { ?s <http://example.org/p> "a } b" } # a comment')]
    ['ASK', '{', '?s', '<http://example.org/p>', '"a } b"', '}']
    """
    found = (Token(m.lastgroup or "other", m.group(), m.start()) for m in TOKEN.finditer(query))
    return [t for t in found if t.kind not in ("space", "comment")]


def operation(items: list[Token]) -> str:
    """The first keyword after the prologue: SELECT, ASK, CONSTRUCT, DESCRIBE, an update's verb, or ''.

    >>> operation(tokens("PREFIX ex: <http://example.org/> ask {}")), operation(tokens("# only a comment"))
    ('ASK', '')
    """
    for token in items:
        if token.keyword in ("BASE", "PREFIX") or token.kind in ("iri", "name"):
            continue
        return token.keyword
    return ""


def inspect(query: str) -> Inspection:
    """The query's form and dataset; Refused for an update, SERVICE or LOAD, TooDeep past MAX_DEPTH.

    One pass over the matches, without a Token per match: a query may be a megabyte long.

    >>> inspect("SELECT * FROM <http://example.org/g> { ?s ?p ?o }")
    Inspection(form='SELECT', names_dataset=True, volatile=False)
    >>> inspect("INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }")
    Traceback (most recent call last):
    klynge.rdf.sparql_lexer.Refused: this endpoint is read-only: INSERT is a SPARQL update, and updates are not accepted
    """
    form: str | None = None  # the first keyword after the prologue, once seen
    keywords: set[str] = set()
    depth = 0
    for match in TOKEN.finditer(query):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        text = match.group()
        if kind == "word":
            keyword = text.upper()
            keywords.add(keyword)
            if form is None and keyword not in PROLOGUE:
                form = keyword
        elif kind == "other":
            if form is None:
                form = ""
            if text in OPENING:
                depth += 1
                if depth > MAX_DEPTH:
                    start = match.start()
                    raise TooDeep(
                        f"brackets are nested more than {MAX_DEPTH} deep here; no query needs that many levels",
                        query.count("\n", 0, start) + 1,
                        start - query.rfind("\n", 0, start),
                    )
            elif text in CLOSING:
                depth -= 1
        elif form is None and kind not in ("iri", "name"):
            form = ""
    form = form or ""
    if form in UPDATE_OPERATIONS:
        raise Refused(f"this endpoint is read-only: {form} is a SPARQL update, and updates are not accepted")
    outbound = sorted(keywords & OUTBOUND)
    if outbound:
        raise Refused(
            f"{outbound[0]} is not accepted: this endpoint never fetches data from other hosts on a "
            "query's behalf (query them directly, or load their data into the graph)"
        )
    return Inspection(form if form in QUERY_FORMS else "", "FROM" in keywords, bool(keywords & VOLATILE))
