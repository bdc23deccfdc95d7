"""A remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB…) as the service's engine, and publishing to one.

``RemoteEngine`` answers the service's queries through SPARQLWrapper; ``publish`` is ``klynge load
--sparql-endpoint``: it builds the published graph and sends it by SPARQL Update, in batches.

Bindings never paste user text into a query. The terms are pyoxigraph terms that passed the catalogue's checks
(an IRI pyoxigraph accepted cannot hold ``>``, a space or a quote; a literal's serialisation escapes its quotes
and backslashes), and they enter the query only as a ``VALUES`` block, never as query syntax. Oxigraph binds
by substitution (SPARQL-dev SEP-0007): every graph pattern inside the variable's scope is joined with the
bound value. ``bind_values`` does the same in the text: a ``VALUES`` block opens every group graph pattern in
the variable's scope (a subquery passes on only the variables it projects), so a FILTER or BIND in a nested
group, an OPTIONAL or a subquery sees the value exactly where Oxigraph's substitution would put it.
"""

from __future__ import annotations

import ast
import http.client
import re
import sys
import time
import urllib.error
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from SPARQLWrapper import INSERT, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from klynge.graph import SourceError, build_store, default_sources, published_quads, published_triples

# ---------------------------------------------------------------------------------------------------------
# Bindings as VALUES blocks
# ---------------------------------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<comment>\#[^\n]*)
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
        |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
    |(?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
    |(?P<punct>[{}()*])
    |(?P<name>(?:[A-Za-z_][\w\-.]*)?:[^\s{}()<>"'\#,;|/^*+?!=]*)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
SOLUTION_MODIFIERS = {"GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"}


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


def tokens(query: str) -> list[Token]:
    """The significant tokens of a query: comments and white space dropped, IRIs and strings kept whole."""
    found = (Token(m.lastgroup or "other", m.group(), m.start()) for m in TOKEN.finditer(query))
    return [t for t in found if t.kind not in ("space", "comment")]


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first query-form keyword outside IRIs, strings and comments."""
    return next((t.keyword for t in tokens(query) if t.keyword in QUERY_FORMS), "")


def sparql_term(term: ox.Term) -> str:
    """The SPARQL form of a term a VALUES block can hold (an IRI or a literal, in pyoxigraph's own escaping)."""
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term)
    raise ValueError(f"cannot bind {term} on a remote store: only IRIs and literals survive between requests")


def values_block(bindings: Mapping[str, ox.Term], names: frozenset[str]) -> str:
    """``VALUES (?a ?b) { (<x> "y") }`` for the given variables, in name order."""
    ordered = sorted(names)
    variables = " ".join(f"?{name}" for name in ordered)
    row = " ".join(sparql_term(bindings[name]) for name in ordered)
    return f" VALUES ({variables}) {{ ({row}) }} "


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


def group_openings(query: str, bound: frozenset[str]) -> Iterator[tuple[int, frozenset[str]]]:
    """Where each group graph pattern opens (the offset after its ``{``) and which bound variables it sees.

    Not groups: a CONSTRUCT template, a VALUES data block, and the braces around a subquery (its SELECT must
    stand alone there; its own WHERE group is a group and sees what the subquery projects).
    """
    items = tokens(query)
    scopes: list[frozenset[str] | None] = []  # per open brace: the scope it restores when it closes
    scope, pending = bound, None
    index = 0
    while index < len(items):
        token = items[index]
        if token.keyword == "VALUES":
            pending = "data"
        elif token.keyword == "CONSTRUCT":
            following = items[index + 1] if index + 1 < len(items) else None
            if following is not None and following.keyword == "WHERE":
                raise ValueError("bindings need the CONSTRUCT {template} WHERE {pattern} form, not CONSTRUCT WHERE")
            pending = "template"
        elif token.keyword == "SELECT" and scopes:
            end = next(i for i in range(index + 1, len(items)) if items[i].keyword == "WHERE" or items[i].text == "{")
            scope = projection(items[index + 1 : end], scope)
        elif token.text == "{":
            if pending in ("data", "template"):
                index = next(i for i in range(index, len(items)) if items[i].text == "}")
                pending = None
            else:
                scopes.append(scope)
                is_subquery = index + 1 < len(items) and items[index + 1].keyword == "SELECT"
                if not is_subquery and scope:
                    yield token.start + 1, scope
        elif token.text == "}" and scopes:
            scope = scopes.pop()
        index += 1


def describe_without_where(query: str) -> int | None:
    """For ``DESCRIBE ?x`` with no WHERE group: the offset where one belongs (before any solution modifier)."""
    items = tokens(query)
    if query_form(query) != "DESCRIBE" or any(t.text == "{" for t in items):
        return None
    return next((t.start for t in items if t.keyword in SOLUTION_MODIFIERS), len(query))


def bind_values(query: str, bindings: Mapping[str, ox.Term]) -> str:
    """The query with each bound variable fixed by VALUES blocks in every group of its scope (see module doc)."""
    if not bindings:
        return query
    bound = frozenset(bindings)
    where = describe_without_where(query)
    if where is not None:
        return f"{query[:where]} WHERE {{{values_block(bindings, bound)}}} {query[where:]}"
    pieces, last = [], 0
    for offset, scope in group_openings(query, bound):
        pieces += [query[last:offset], values_block(bindings, scope)]
        last = offset
    return "".join(pieces) + query[last:]


# ---------------------------------------------------------------------------------------------------------
# Talking to the endpoint
# ---------------------------------------------------------------------------------------------------------


class EndpointError(RuntimeError):
    """The remote store could not be reached or failed: which endpoint, and what went wrong."""


class EndpointRefused(EndpointError):
    """The remote store refused the request as malformed (HTTP 400): its own message, without the echo."""


class EndpointTimeout(EndpointError):
    """No answer within the time limit, or the store stopped the query at its own limit."""


@dataclass(frozen=True)
class Answer:
    """A remote store's reply: the body, its media type, and Virtuoso's X-SQL-State when it set one."""

    body: bytes
    media_type: str
    sql_state: str | None


def server_message(error: Exception) -> str:
    """What the server said, from a SPARQLWrapper exception (it keeps only a repr of the body) or an HTTPError."""
    if isinstance(error, urllib.error.HTTPError):
        body = error.read()
    else:
        text = str(error)
        _, found, raw = text.partition("Response:\n")
        try:
            body = ast.literal_eval(raw) if found else text.encode()
        except (ValueError, SyntaxError):
            body = raw.encode()
    message = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    # Virtuoso echoes the whole query after the error; the first paragraph is the message.
    return message.split("\n\nSPARQL query:", 1)[0].strip() or "(no message)"


def send(
    endpoint: str,
    text: str,
    *,
    form: str,
    accept: str,
    timeout: float,
    parameters: Sequence[tuple[str, str]] = (),
) -> Answer:
    """POST one query (``form`` SELECT/ASK/CONSTRUCT/DESCRIBE) or update (``form`` UPDATE) to the endpoint.

    The form is set explicitly rather than guessed by SPARQLWrapper from the text, so a query is never sent as
    an ``update=`` request whatever words it contains.
    """
    wrapper = SPARQLWrapper(endpoint)
    wrapper.setMethod(POST)
    wrapper.setRequestMethod(URLENCODED)
    wrapper.setOnlyConneg(True)
    wrapper.setTimeout(timeout)
    wrapper.setQuery(text)
    wrapper.queryType = INSERT if form == "UPDATE" else form
    wrapper.addCustomHttpHeader("Accept", accept)
    for name, value in parameters:
        wrapper.addParameter(name, value)
    try:
        response = wrapper.query().response
        body = response.read()
    except QueryBadFormed as error:
        raise EndpointRefused(server_message(error)) from None
    except (SPARQLWrapperException, urllib.error.HTTPError) as error:
        status = getattr(error, "code", None) or type(error).__name__
        raise EndpointError(f"the SPARQL endpoint {endpoint} answered {status}: {server_message(error)}") from None
    except TimeoutError:
        raise EndpointTimeout(f"the SPARQL endpoint {endpoint} gave no answer within {timeout:g} s") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise EndpointTimeout(f"the SPARQL endpoint {endpoint} gave no answer within {timeout:g} s") from None
        raise EndpointError(f"cannot reach the SPARQL endpoint {endpoint}: {error.reason}") from None
    except (OSError, http.client.HTTPException) as error:
        raise EndpointError(f"cannot reach the SPARQL endpoint {endpoint}: {error}") from None
    media_type = response.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
    return Answer(body, media_type, response.headers.get("X-SQL-State"))


# ---------------------------------------------------------------------------------------------------------
# Publishing: klynge load --sparql-endpoint
# ---------------------------------------------------------------------------------------------------------

BATCH_SIZE = 1000
UPDATE_TIMEOUT = 300.0


def molecules(quads: Iterable[ox.Quad]) -> list[list[ox.Quad]]:
    """The quads in groups that must travel in one request: those joined through a shared blank node.

    A blank node label means the same node only within one update request, so splitting a group across two
    requests would turn one node into two.
    """
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    quads = list(quads)
    for quad in quads:
        blanks = [t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        for blank in blanks[1:]:
            parent[root(blank)] = root(blanks[0])
    groups: dict[ox.BlankNode, list[ox.Quad]] = {}
    alone: list[list[ox.Quad]] = []
    for quad in quads:
        blank = next((t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)), None)
        if blank is None:
            alone.append([quad])
        else:
            groups.setdefault(root(blank), []).append(quad)
    return alone + list(groups.values())


def batches(quads: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    """Runs of about ``size`` quads; a blank-node group is never split (one larger than ``size`` goes alone)."""
    batch: list[ox.Quad] = []
    for group in molecules(quads):
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def insert(quads: Iterable[ox.Quad]) -> str:
    """An update adding the quads, every term in N-Triples form, grouped by graph.

    ``INSERT DATA`` where there are no blank nodes; otherwise ``INSERT {…} WHERE {}``, which means the same
    (one empty solution, fresh blank nodes) and which Virtuoso accepts: it refuses blank nodes in INSERT DATA.
    """
    by_graph: dict[str, list[str]] = {}
    blank = False
    for quad in quads:
        blank = blank or isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)
        by_graph.setdefault(str(quad.graph_name), []).append(f"{quad.subject} {quad.predicate} {quad.object} .")
    graphs = "\n".join(f"GRAPH {graph} {{\n" + "\n".join(lines) + "\n}" for graph, lines in by_graph.items())
    return f"INSERT {{\n{graphs}\n}} WHERE {{}}" if blank else f"INSERT DATA {{\n{graphs}\n}}"


def target_quads(store: ox.Store, graph_iri: str | None) -> list[ox.Quad]:
    """The quads to send: each in its source file's named graph, or all in ``graph_iri`` when one is given."""
    if graph_iri is None:
        return published_quads(store)
    graph = ox.NamedNode(graph_iri)
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in published_triples(store)]


def publish(
    endpoint: str,
    files: Sequence[Path],
    graph_iri: str | None = None,
    *,
    update_endpoint: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Build the published graph, clear its target graphs on the remote store and insert it; the exit code.

    Prints one line per graph and a total. A bad source file or IRI exits 2, a failing endpoint 1.
    """
    target = update_endpoint or endpoint
    started = time.perf_counter()
    try:
        if graph_iri is not None:
            ox.NamedNode(graph_iri)
        quads = target_quads(build_store(default_sources() + list(files)), graph_iri)
    except SourceError as error:
        print(f"klynge load: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"klynge load: --graph {graph_iri!r} is not an IRI: {error}", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for quad in quads:
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    try:
        for graph in counts:
            send(target, f"DROP SILENT GRAPH <{graph}>", form="UPDATE", accept="*/*", timeout=UPDATE_TIMEOUT)
        for batch in batches(quads, batch_size):
            send(target, insert(batch), form="UPDATE", accept="*/*", timeout=UPDATE_TIMEOUT)
    except EndpointRefused as error:
        print(f"klynge load: the SPARQL endpoint {target} refused an update: {error}", file=sys.stderr)
        return 1
    except EndpointError as error:
        print(f"klynge load: {error}", file=sys.stderr)
        return 1
    for graph, count in counts.items():
        print(f"  {count:>8,} triples  <{graph}>")
    seconds = time.perf_counter() - started
    print(f"published {len(quads):,} triples in {len(counts)} graphs to {target} in {seconds:.1f} s")
    return 0
