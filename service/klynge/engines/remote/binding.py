"""Bound terms in a query's text, for a remote store (which has no ``substitutions`` of its own).

Bindings never paste user text into a query. A bound value is a pyoxigraph term that passed the catalogue's
checks, written in pyoxigraph's own N-Triples escaping and checked to read back as exactly one SPARQL term
(an IRI pyoxigraph accepted holds no ``>``, space or quote; a literal's quotes and backslashes are escaped).
``bind_terms`` reads the query with the service's tokeniser (strings, IRIs and comments kept whole) and puts
that term where the variable's token stands in each graph pattern of its scope, plus a ``BIND(term AS ?var)``
opening the scope's outermost group so the answers still carry the variable. That is the substitution
Oxigraph's ``substitutions`` perform (SPARQL-dev SEP-0007): a subquery that does not project the variable
keeps its own, a FILTER in a nested group or an EXISTS sees the value. The tests check the two agree on every
named query and every query of the service's answers. One deliberate difference: ``BOUND(?var)`` of a bound
variable is true here, where pyoxigraph's BOUND does not see its own substitutions.

Why not a ``VALUES`` block: docs/remote-stores.md, "How the service talks to a store".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from klynge.rdf.sparql_lexer import TOKEN, Token, tokens

TERM_SUFFIX = re.compile(r"(?:@[A-Za-z0-9-]+|\^\^<[^<>\"{}|^`\\\x00-\x20]*>)?")


def sparql_term(term: ox.Term) -> str:
    """The SPARQL form of an IRI or a literal, in pyoxigraph's own escaping, checked to be one term only.

    Blank nodes are refused: a remote store's blank node labels do not survive from one request to the next.
    """
    if not isinstance(term, ox.NamedNode | ox.Literal):
        raise ValueError(f"cannot bind {term} on a remote store: a blank node's label does not outlive a request")
    text = str(term)
    first = TOKEN.match(text)
    if first is None or first.lastgroup not in ("iri", "string") or not TERM_SUFFIX.fullmatch(text, first.end()):
        raise ValueError(f"{text!r} does not read back as one SPARQL term")
    return text


@dataclass
class Edit:
    """Replace ``query[start:end]`` with ``text``."""

    start: int
    end: int
    text: str


def opening_binds(bindings: Mapping[str, ox.Term], names: frozenset[str]) -> str:
    """``BIND(<x> AS ?a)`` for each variable, so the answers still carry the values the pattern now holds.

    At the very start of the group nothing precedes it, so the BIND is legal even where a subquery in the
    group projects the same variable (and joins on the same value).
    """
    return "".join(f" BIND({sparql_term(bindings[name])} AS ?{name})" for name in sorted(names))


def projection(items: list[Token], scope: frozenset[str]) -> frozenset[str]:
    """Which bound variables a subquery's SELECT clause passes through: ``*``, or the plain projected variables."""
    depth, projected = 0, set()
    for token in items:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0 and token.text == "*":
            return scope
        elif depth == 0 and token.kind == "var":
            projected.add(token.text[1:])
    return scope & frozenset(projected)


def substitution_edits(items: list[Token], bindings: Mapping[str, ox.Term]) -> Iterator[Edit]:
    """The edits that put each bound term where its variable stands in a graph pattern of its scope.

    Left alone: SELECT clauses, solution modifiers and a CONSTRUCT template (a BIND that opens the scope's
    outermost group gives them the value), VALUES data, and subqueries that do not project the variable
    (theirs is another variable of the same name). ``BOUND(?x)`` of a bound variable becomes ``true``.
    A malformed query is scanned to its end and left for the store's parser to reject.
    """
    # One entry per open brace: "root" (a query's or subquery's WHERE group), "group" (nested) or "wrapper"
    # (the braces around a subquery, where its SELECT clause and modifiers stand), with the scope inside it.
    stack: list[tuple[str, frozenset[str]]] = []
    next_root: frozenset[str] | None = frozenset(bindings)
    pending, short_construct = "", False
    index = 0
    while index < len(items):
        token = items[index]
        if token.keyword == "VALUES":
            pending = "data"
        elif token.keyword == "CONSTRUCT":
            pending = "template"
        elif token.keyword == "WHERE" and pending == "template":
            pending, short_construct = "", True  # CONSTRUCT WHERE { … }: the template is the pattern
        elif token.keyword == "SELECT" and stack:
            end = next(
                (i for i in range(index + 1, len(items)) if items[i].keyword == "WHERE" or items[i].text == "{"),
                len(items),
            )
            next_root = projection(items[index + 1 : end], stack[-1][1])
            index = end - 1
        elif token.text == "{" and pending:
            index = next((i for i in range(index, len(items)) if items[i].text == "}"), len(items))
            pending = ""
        elif token.text == "{":
            if index + 1 < len(items) and items[index + 1].keyword == "SELECT":
                stack.append(("wrapper", stack[-1][1] if stack else frozenset()))
            elif next_root is not None:
                stack.append(("root", next_root))
                if next_root and not short_construct:
                    yield Edit(token.start + 1, token.start + 1, opening_binds(bindings, next_root))
                next_root = None
            else:
                stack.append(("group", stack[-1][1]))
        elif token.text == "}" and stack:
            stack.pop()
        elif token.kind == "var" and stack and stack[-1][0] != "wrapper" and token.text[1:] in stack[-1][1]:
            if pending == "data":
                raise ValueError(f"cannot bind {token.text}: the query gives it values with VALUES")
            yield substitute(items, index, bindings)
        index += 1


def substitute(items: list[Token], index: int, bindings: Mapping[str, ox.Term]) -> Edit:
    """The edit for one bound variable inside a pattern: the term, or ``true`` for ``BOUND(?x)``."""
    token, name = items[index], items[index].text[1:]
    before = [t.keyword or t.text for t in items[max(0, index - 2) : index]]
    if before == ["BOUND", "("] and index + 1 < len(items) and items[index + 1].text == ")":
        closing = items[index + 1]
        return Edit(items[index - 2].start, closing.start + 1, "true")
    if before[-1:] == ["AS"]:
        raise ValueError(f"cannot bind ?{name}: the query assigns it with AS")
    return Edit(token.start, token.start + len(token.text), sparql_term(bindings[name]))


def describe_targets(items: list[Token], bindings: Mapping[str, ox.Term]) -> Iterator[Edit]:
    """For ``DESCRIBE ?x`` with no WHERE group: the bound targets replaced by their terms."""
    if not any(t.keyword == "DESCRIBE" for t in items) or any(t.text == "{" for t in items):
        return
    for token in items:
        if token.kind == "var" and token.text[1:] in bindings:
            yield Edit(token.start, token.start + len(token.text), sparql_term(bindings[token.text[1:]]))


def bind_terms(query: str, bindings: Mapping[str, ox.Term]) -> str:
    """The query with each bound variable replaced by its term in the patterns of its scope (see module doc)."""
    if not bindings:
        return query
    items = tokens(query)
    edits = sorted([*substitution_edits(items, bindings), *describe_targets(items, bindings)], key=lambda e: e.start)
    pieces, last = [], 0
    for edit in edits:
        pieces += [query[last : edit.start], edit.text]
        last = edit.end
    return "".join(pieces) + query[last:]
