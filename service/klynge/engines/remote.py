"""A remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB…) as the service's engine, and publishing to one.

``RemoteEngine`` answers the service's queries through SPARQLWrapper; ``publish`` is ``klynge load
--sparql-endpoint``: it builds the published graph and sends it by SPARQL Update, in batches.

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

Why not a ``VALUES`` block at the start of the WHERE group: it is not the same where a FILTER in a nested group
or a subquery uses the variable (they are evaluated before the join), and Virtuoso 7 plans VALUES blocks
badly (cost estimates of days, and an SQ142 internal error), while constants in the pattern it plans well.
"""

from __future__ import annotations

import ast
import hashlib
import http.client
import re
import sys
import time
import urllib.error
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from SPARQLWrapper import INSERT, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from klynge.engines.sparql_guard import TOKEN, Token, tokens
from klynge.engines.store import (
    N_TRIPLES,
    SPARQL_JSON,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    inspected,
)
from klynge.engines.workers import TooLarge, solutions_bytes
from klynge.graph.build import GRAPH_BASE, SourceError, build_store, default_sources, published_quads, published_triples
from klynge.namespaces import XSD_BOOLEAN

# ---------------------------------------------------------------------------------------------------------
# Bound terms in the query text
# ---------------------------------------------------------------------------------------------------------

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
            end = next((i for i in range(index + 1, len(items)) if items[i].keyword == "WHERE" or items[i].text == "{"),
                       len(items))
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


# ---------------------------------------------------------------------------------------------------------
# Talking to the endpoint
# ---------------------------------------------------------------------------------------------------------


class EndpointError(QueryError):
    """The remote store could not be reached or failed: which endpoint, and what went wrong."""


class EndpointRefused(EndpointError):
    """The remote store refused the request as malformed (HTTP 400): its own message, without the echo."""


class EndpointTimeout(EndpointError):
    """No answer within the time limit, or the store stopped the query at its own limit."""


@dataclass(frozen=True)
class Answer:
    """A remote store's reply: the body, its media type, and Virtuoso's signs of an incomplete answer.

    ``sql_state`` is X-SQL-State (S1TAT: stopped at the time limit, partial results); ``truncated`` is
    X-SPARQL-MaxRows, set when the answer was cut at the store's row limit.
    """

    body: bytes
    media_type: str
    sql_state: str | None = None
    truncated: str | None = None


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
    wrapper.timeout = timeout  # setTimeout() would round it down to whole seconds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its guess at the form, replaced on the next line
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
    return Answer(body, media_type, response.headers.get("X-SQL-State"), response.headers.get("X-SPARQL-MaxRows"))


# ---------------------------------------------------------------------------------------------------------
# Publishing: klynge load --sparql-endpoint
# ---------------------------------------------------------------------------------------------------------

BATCH_SIZE = 1000
UPDATE_TIMEOUT = 300.0
COUNTS_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def graph_counts(answer: Answer) -> dict[str, int]:
    """Triples per graph, from the answer to COUNTS_QUERY."""
    return {row["g"].value: int(row["n"].value) for row in solutions(answer)}


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

    Updates go to ``update_endpoint`` where the store has a separate one (Fuseki); afterwards the query
    endpoint is asked how many triples each graph holds, so a store that dropped some is caught. Prints one
    line per graph and a total. A bad source file or IRI exits 2, a failing or short-changing endpoint 1.
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
        dataset = [("named-graph-uri", graph) for graph in counts]
        held = graph_counts(send(endpoint, COUNTS_QUERY, form="SELECT", accept=SPARQL_JSON,
                                 timeout=UPDATE_TIMEOUT, parameters=dataset))
    except EndpointRefused as error:
        print(f"klynge load: the SPARQL endpoint refused a request: {error}", file=sys.stderr)
        return 1
    except EndpointError as error:
        print(f"klynge load: {error}", file=sys.stderr)
        return 1
    for graph, count in counts.items():
        print(f"  {count:>8,} triples  <{graph}>")
    seconds = time.perf_counter() - started
    print(f"published {len(quads):,} triples in {len(counts)} graphs to {target} in {seconds:.1f} s")
    missing = {graph: count for graph, count in counts.items() if held.get(graph, 0) != count}
    for graph, count in missing.items():
        print(f"klynge load: {endpoint} holds {held.get(graph, 0):,} triples in <{graph}>, not the {count:,} sent",
              file=sys.stderr)
    return 1 if missing else 0


# ---------------------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------------------

GRAPHS_ACCEPT = f"{N_TRIPLES}, text/turtle;q=0.9"
VERSION_TTL = 60.0
KLYNGE_GRAPHS_QUERY = f"""SELECT DISTINCT ?g WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}"))
}} ORDER BY ?g"""
# Virtuoso's ways of saying that a query hit its limits while answering 200 or 500.
VIRTUOSO_INCOMPLETE = "S1TAT"
VIRTUOSO_ESTIMATE = "estimated execution time"


class RemoteEngine:
    """The service's engine (``klynge.engines.store.QueryEngine``) on a remote SPARQL 1.1 store.

    The dataset is the klynge named graphs found on the store at start-up (or the ``graphs`` given): every
    request names them as both ``default-graph-uri`` and ``named-graph-uri``, which makes the remote default
    graph their union, as the embedded store's is, and keeps a store's own graphs (Virtuoso's system graphs,
    other datasets) out of the answers. A protocol request that names its own graphs keeps them.

    Every query passes the service's guard (no update, SERVICE or LOAD) before anything is sent. The time
    limit is the HTTP client's; a store that stops a query at its own limit (Virtuoso's anytime answers,
    its cost estimate) or cuts an answer at its row limit is reported as a timeout or as too large, never
    passed on as if complete.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        graphs: Sequence[str] | None = None,
        timeout: float = 10.0,
        max_results: int = 100_000,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.max_results = max_results
        self.graphs = self.check_graphs(graphs) if graphs else self.find_graphs()
        self._version: tuple[float, str] | None = None

    def check_graphs(self, graphs: Sequence[str]) -> list[str]:
        """The graphs given, each asked whether it holds anything, so a misspelt IRI stops the start."""
        for graph in graphs:
            try:
                name = ox.NamedNode(graph)
            except ValueError as error:
                raise EndpointError(f"the graph {graph!r} is not an IRI: {error}") from None
            if not self.ask("ASK { GRAPH ?g { ?s ?p ?o } }", {"g": name}, dataset=()):
                raise EndpointError(f"the graph <{graph}> on the SPARQL endpoint {self.endpoint} is empty")
        return list(graphs)

    def find_graphs(self) -> list[str]:
        """The named graphs under the klynge graph base (one per source file, as ``klynge load`` writes them)."""
        found = [row["g"].value for row in solutions(self.request(KLYNGE_GRAPHS_QUERY, SPARQL_JSON, dataset=()))]
        if not found:
            raise EndpointError(
                f"the SPARQL endpoint {self.endpoint} holds no graph under {GRAPH_BASE}: publish the graph with "
                f"'klynge load --sparql-endpoint {self.endpoint}', or name the graphs to serve with --graph"
            )
        return found

    def dataset(self) -> list[tuple[str, str]]:
        """The protocol parameters that make the klynge graphs the query's dataset."""
        return [(name, graph) for name in ("default-graph-uri", "named-graph-uri") for graph in self.graphs]

    def request(
        self,
        query: str,
        accept: str,
        *,
        dataset: Sequence[tuple[str, str]] | None = None,
        bindings: Mapping[str, ox.Term] | None = None,
    ) -> Answer:
        """Guard, bind and send a query; the remote failures become the service's query errors.

        ``dataset`` None means the klynge graphs, unless the query chooses its own with FROM or FROM NAMED
        (the protocol's parameters would override those).
        """
        inspection = inspected(query)
        if dataset is None:
            dataset = () if inspection.names_dataset else self.dataset()
        try:
            text = bind_terms(query, bindings or {})
        except ValueError as error:
            raise QueryError(str(error)) from None
        try:
            answer = send(
                self.endpoint, text, form=inspection.form, accept=accept, timeout=self.timeout, parameters=dataset
            )
        except EndpointRefused as error:
            raise QuerySyntaxError(str(error)) from None
        except EndpointTimeout as error:
            raise QueryTimeout(str(error), seconds=self.timeout) from None
        except EndpointError as error:
            if VIRTUOSO_ESTIMATE in str(error):
                raise QueryTimeout(f"the store refused to start it: {error}", seconds=self.timeout) from None
            raise
        if answer.sql_state == VIRTUOSO_INCOMPLETE:
            raise QueryTimeout(f"the SPARQL endpoint {self.endpoint} stopped the query at its own time limit")
        if answer.truncated:
            raise QueryTooLarge(f"the SPARQL endpoint {self.endpoint} cut the answer at {answer.truncated} rows")
        return answer

    def limited(self, results: list) -> list:
        """The results, or QueryTooLarge past the service's result-size limit."""
        if len(results) > self.max_results:
            raise QueryTooLarge(f"more than {self.max_results:,} results", limit=self.max_results)
        return results

    def select(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[dict[str, ox.Term]]:
        """Rows of a SELECT, unbound variables left out, as the embedded engine gives them."""
        results = solutions(self.request(query, SPARQL_JSON, bindings=bindings))
        names = [(variable, variable.value) for variable in results.variables]
        rows = [
            {name: canonical(row[variable]) for variable, name in names if row[variable] is not None}
            for row in results
        ]
        return self.limited(rows)

    def ask(
        self,
        query: str,
        bindings: Mapping[str, ox.Term] | None = None,
        *,
        dataset: Sequence[tuple[str, str]] | None = None,
    ) -> bool:
        """The answer of an ASK (over the klynge graphs unless ``dataset`` gives the protocol's parameters)."""
        return bool(solutions(self.request(query, SPARQL_JSON, bindings=bindings, dataset=dataset)))

    def construct(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE, read from N-Triples (or Turtle if that is what comes back)."""
        return self.limited(triples(self.request(query, GRAPHS_ACCEPT, bindings=bindings)))

    def run(
        self,
        query: str,
        result_format: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        bindings: Mapping[str, ox.Term] | None = None,
    ) -> tuple[bytes, str]:
        """A protocol request: its dataset passed through, its answer in ``result_format``.

        The store is asked for SPARQL JSON or N-Triples and pyoxigraph writes the format asked for, rather
        than passing the store's own bytes on: Virtuoso's TSV quotes IRIs as strings and its CSV for ASK is
        not SPARQL's, and this way the result-size limit holds here too, as on the embedded engine.
        """
        own = [("default-graph-uri", graph) for graph in default_graph_uris]
        own += [("named-graph-uri", graph) for graph in named_graph_uris]
        dataset = own or None
        if inspected(query).form in ("CONSTRUCT", "DESCRIBE"):
            rdf_format = ox.RdfFormat.from_media_type(result_format)
            if rdf_format is None:
                raise QueryError(f"a graph cannot be given as {result_format}")
            graph = self.limited(triples(self.request(query, GRAPHS_ACCEPT, dataset=dataset, bindings=bindings)))
            return ox.serialize(graph, format=rdf_format), rdf_format.media_type
        results_format = ox.QueryResultsFormat.from_media_type(result_format)
        if results_format is None:
            raise QueryError(f"query results cannot be given as {result_format}")
        results = solutions(self.request(query, SPARQL_JSON, dataset=dataset, bindings=bindings))
        if isinstance(results, ox.QueryBoolean):
            return results.serialize(format=results_format), results_format.media_type
        try:
            return solutions_bytes(results, results_format, self.max_results), results_format.media_type
        except TooLarge:
            raise QueryTooLarge(f"more than {self.max_results:,} results", limit=self.max_results) from None

    def cached(
        self,
        query: str,
        result_format: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> tuple[bytes, str] | None:
        """Never: a remote store may change under the service, so its answers are not kept here."""
        return None

    def graph_counts(self) -> dict[str, int]:
        """Triples per graph of the dataset."""
        return graph_counts(self.request(COUNTS_QUERY, SPARQL_JSON))

    def triple_count(self) -> int:
        """Triples in the dataset's graphs, counted per graph."""
        return sum(self.graph_counts().values())

    def graph_version(self) -> str:
        """A key that changes when the graphs do: a hash of the per-graph counts, asked at most once a minute.

        A remote store can change under the service, and asking on every request would add a query to each;
        a change that keeps every count equal is seen only after a restart.
        """
        now = time.monotonic()
        if self._version is None or now - self._version[0] > VERSION_TTL:
            counts = ",".join(f"{graph}={count}" for graph, count in sorted(self.graph_counts().items()))
            self._version = (now, hashlib.sha256(counts.encode()).hexdigest()[:16])
        return self._version[1]


def solutions(answer: Answer) -> ox.QuerySolutions | ox.QueryBoolean:
    """A SPARQL JSON answer as pyoxigraph solutions (or a boolean for ASK)."""
    return ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)


def triples(answer: Answer) -> list[ox.Triple]:
    """The triples of an RDF answer in whichever syntax its media type names."""
    rdf_format = ox.RdfFormat.from_media_type(answer.media_type)
    if rdf_format is None:
        raise EndpointError(f"the SPARQL endpoint answered {answer.media_type}, not an RDF syntax")
    parsed = ox.parse(answer.body, format=rdf_format)
    return [ox.Triple(q.subject, q.predicate, canonical(q.object)) for q in parsed]


def canonical(term: ox.Term) -> ox.Term:
    """A boolean in its canonical form: Virtuoso writes stored booleans as "0"/"1", the same values as
    "false"/"true" but unequal to them as terms."""
    if isinstance(term, ox.Literal) and term.datatype == XSD_BOOLEAN and term.value in ("0", "1"):
        return ox.Literal(term.value == "1")
    return term
