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
_PN_CHARS_BASE = "A-Za-z\u00C0-\uFFFD"
_PN_CHARS_U = f"[{_PN_CHARS_BASE}_]"
_PN_CHARS = f"[{_PN_CHARS_BASE}_0-9\\-\u00B7\u0300-\u036F\u203F-\u2040]"
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


class Refused(ValueError):
    """A request the service will not run: an update, or a query that would reach out to another host."""


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
    """The significant tokens of a query: comments and white space dropped, IRIs and strings kept whole."""
    found = (Token(m.lastgroup or "other", m.group(), m.start()) for m in TOKEN.finditer(query))
    return [t for t in found if t.kind not in ("space", "comment")]


def operation(items: list[Token]) -> str:
    """The first keyword after the prologue: SELECT, ASK, CONSTRUCT, DESCRIBE, an update's verb, or ''."""
    for token in items:
        if token.keyword in ("BASE", "PREFIX") or token.kind in ("iri", "name"):
            continue
        return token.keyword
    return ""


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; '' when the text is none of those (the parser then says why)."""
    form = operation(tokens(query))
    return form if form in QUERY_FORMS else ""


def inspect(query: str) -> Inspection:
    """The query's form and dataset; Refused for an update, SERVICE or LOAD."""
    items = tokens(query)
    form = operation(items)
    if form in UPDATE_OPERATIONS:
        raise Refused(f"this endpoint is read-only: {form} is a SPARQL update, and updates are not accepted")
    keywords = {token.keyword for token in items} - {""}
    outbound = sorted(keywords & OUTBOUND)
    if outbound:
        raise Refused(
            f"{outbound[0]} is not accepted: this endpoint never fetches data from other hosts on a "
            "query's behalf (query them directly, or load their data into the graph)"
        )
    return Inspection(form if form in QUERY_FORMS else "", "FROM" in keywords, bool(keywords & VOLATILE))
