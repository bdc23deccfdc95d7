"""``RemoteEngine``: the service's engine on a remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB…)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.engines.answer_bytes import TooLarge, limited, solutions_bytes
from klynge.engines.base import (
    N_TRIPLES,
    SERVICE_DATASET,
    SPARQL_JSON,
    Bindings,
    Dataset,
    Engine,
    InspectedQuery,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    Results,
    inspected,
)
from klynge.engines.remote.binding import bind_terms
from klynge.engines.remote.dialect import EXTENSIONS, SPARQL11, UNIONS, Dialect, Sent, detect
from klynge.engines.remote.http import Answer, Endpoint, EndpointError, EndpointRefused, EndpointTimeout
from klynge.engines.remote.standard import Restriction, restricted_dataset
from klynge.rdf.namespaces import PREFIXES

GRAPHS_ACCEPT = f"{N_TRIPLES}, text/turtle;q=0.9"
VERSION_TTL = 60.0
INLINE_ANSWER_BYTES = 256 * 1024  # a larger reply is written in a thread, not on the event loop
GRAPH_COUNTS = internal("graph-counts")
KLYNGE_GRAPHS = internal("klynge-graphs")
GRAPH_HOLDS_TRIPLES = internal("graph-holds-triples")


class RemoteEngine(Engine):
    """The service's engine on a remote SPARQL 1.1 store.

    The dataset is the klynge named graphs found on the store at start-up (or the ``graphs`` given): every
    request gives them as the default graph (their union, as in the embedded store) and as the named graphs,
    which keeps a store's own graphs (Virtuoso's system graphs, other datasets) out of the answers. The
    dialect decides how they travel (``Dialect.restrict``): protocol fields, or ``FROM`` clauses, or, where
    the store holds the dialect's ``union_graph`` and its count agrees with the served graphs', that one
    graph. A protocol request or a query may name its own graphs among those.

    Every query passes the service's guard (no update, SERVICE or LOAD) and the remote one (standard SPARQL
    1.1 only, no store extension) before anything is sent. The time
    limit is the HTTP client's; a store that stops a query at its own limit or cuts an answer at its row limit
    (as its ``dialect`` reads the answer) is reported as a timeout or as too large, never passed on as if
    complete. The store is asked for SPARQL JSON or N-Triples and pyoxigraph writes the format asked for
    (N-Triples asked for, with no term to fix, pass as the store wrote them).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        graphs: Sequence[str] | None = None,
        timeout: float = 10.0,
        max_results: int = 100_000,
        dialect: Dialect | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.max_results = max_results
        self.dialect = dialect
        self.http = Endpoint(endpoint, timeout)
        self._version: tuple[float, str] | None = None
        self._merged: str | None = None  # the dialect's union graph, once the counts showed it usable
        self._merged_checked = False
        try:
            self.graphs = self.check_graphs(graphs) if graphs else self.find_graphs()
        except BaseException:
            self.http.close()
            raise

    def close(self) -> None:
        self.http.close()

    def check_graphs(self, graphs: Sequence[str]) -> list[str]:
        """The graphs given, each asked whether it holds anything, so a misspelt IRI stops the start."""
        for graph in graphs:
            try:
                name = ox.NamedNode(graph)
            except ValueError as error:
                raise EndpointError(f"the graph {graph!r} is not an IRI: {error}") from None
            query = GRAPH_HOLDS_TRIPLES
            if not solutions(self.request(query.sparql, SPARQL_JSON, query.bind(graph=name), restriction=None)):
                raise EndpointError(f"the graph <{graph}> on the SPARQL endpoint {self.endpoint} is empty")
        return list(graphs)

    def find_graphs(self) -> list[str]:
        """The named graphs under the klynge graph base (one per source file, as ``klynge load`` writes them)."""
        answer = self.request(KLYNGE_GRAPHS.sparql, SPARQL_JSON, restriction=None)
        graphs = (row["g"].value for row in self.rows(answer, "g", "the list of graphs"))
        found = [g for g in graphs if g.startswith(PREFIXES["kg"]) and g not in UNIONS]
        if not found:
            raise EndpointError(
                f"the SPARQL endpoint {self.endpoint} holds no graph under {PREFIXES['kg']}: publish the graph "
                f"with 'klynge load --sparql-endpoint {self.endpoint}', or name the graphs to serve with --graph"
            )
        return found

    def restriction(self, query: str, dataset: Dataset) -> Restriction:
        """The dataset to answer from: the request's own graphs, else the query's FROM and FROM NAMED, else the
        klynge graphs; only ever klynge graphs, and only standard SPARQL (see ``klynge.engines.remote.standard``)."""
        inspected(query)  # an update, SERVICE or LOAD is refused as such first
        return restricted_dataset(query, dataset, self.graphs, EXTENSIONS)

    def merged(self, restriction: Restriction) -> str | None:
        """The dialect's union graph, for the whole dataset on a store whose union graph holds as many triples
        as the served graphs together (checked with the graph counts, again whenever they are re-read)."""
        if not restriction.whole or self.dialect is None or self.dialect.union_graph is None:
            return None
        if not self._merged_checked:
            try:
                self.graph_counts()
            except EndpointError:  # the list of graphs still answers right; the counts are read again later
                self._merged_checked = True
        return self._merged

    def request(
        self,
        query: str,
        accept: str,
        bindings: Mapping[str, ox.Term] | None = None,
        *,
        restriction: Restriction | None,
    ) -> Answer:
        """Guard, bind and send a query over the ``restriction``'s dataset as the dialect sends one (with none,
        the store's own: the start-up's questions about its graphs); the remote failures become the service's
        query errors."""
        form, sent, dialect = self.outgoing(query, bindings, restriction)
        with self.failures():
            answer = self.http.send(
                sent.text,
                form=form,
                accept=accept,
                parameters=sent.fields,
                method=sent.method,
                headers=dialect.headers(accept),
            )
        return self.checked(answer)

    async def request_on_loop(self, query: str, accept: str, *, restriction: Restriction) -> Answer:
        """``request``, awaited on the running event loop."""
        form, sent, dialect = self.outgoing(query, None, restriction)
        with self.failures():
            answer = await self.http.send_on_loop(
                sent.text,
                form=form,
                accept=accept,
                parameters=sent.fields,
                method=sent.method,
                headers=dialect.headers(accept),
            )
        return self.checked(answer)

    def outgoing(
        self, query: str, bindings: Mapping[str, ox.Term] | None, restriction: Restriction | None
    ) -> tuple[str, Sent, Dialect]:
        """The query's form, and the text and fields the dialect sends for it."""
        form = inspected(query).form
        try:
            text = bind_terms(query, bindings or {})
        except ValueError as error:
            raise QueryError(str(error)) from None
        dialect = self.dialect or SPARQL11
        sent = Sent(text) if restriction is None else dialect.restrict(text, restriction, self.merged(restriction))
        return form, sent, dialect

    @contextlib.contextmanager
    def failures(self) -> Iterator[None]:
        """The remote failures as the service's query errors."""
        try:
            yield
        except EndpointRefused as error:
            raise QuerySyntaxError(str(error)) from None
        except EndpointTimeout as error:
            raise QueryTimeout(str(error), seconds=self.timeout) from None
        except EndpointError as error:
            if self.dialect_for(error.server).declined(error):
                raise QueryTimeout(f"the store refused to start it: {error}", seconds=self.timeout) from None
            raise

    def checked(self, answer: Answer) -> Answer:
        """The answer, unless the store stopped the query at its own time limit or cut it at its row limit."""
        dialect = self.dialect_for(answer.server)
        if dialect.stopped(answer):
            raise QueryTimeout(f"the SPARQL endpoint {self.endpoint} stopped the query at its own time limit")
        truncated = dialect.truncated(answer)
        if truncated:
            raise QueryTooLarge(f"the SPARQL endpoint {self.endpoint} cut the answer at {truncated} rows")
        return answer

    def dialect_for(self, server: str | None) -> Dialect:
        """The dialect given, else the one the store's Server header names (read once, on its first answer)."""
        if self.dialect is None and server is not None:
            self.dialect = detect(server)
        return self.dialect or detect(server or "")

    def run(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Bindings = None,
        base_iri: str | None = None,
    ) -> Results:
        """Any query's answer in ``result_format``, written by pyoxigraph from the store's JSON or N-Triples
        (Virtuoso's TSV quotes IRIs as strings and its CSV for ASK is not SPARQL's), within the result limit.
        Relative IRIs resolve against the store's own base, not ``base_iri``."""
        query = InspectedQuery.of(query)
        restriction = self.restriction(query.text, dataset)
        accept, written = self.reading(query, result_format)
        return written(self.request(query.text, accept, bindings, restriction=restriction))

    async def answer_on_loop(
        self,
        query: InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> Results | None:
        """``run``'s answer with the store's reply awaited on the loop (a large one written in a thread); None
        while the dialect's union graph is still to be checked (that asks the store for its counts)."""
        restriction = self.restriction(query.text, dataset)
        if restriction.whole and self.dialect is not None and self.dialect.union_graph and not self._merged_checked:
            return None
        accept, written = self.reading(query, result_format)
        answer = await self.request_on_loop(query.text, accept, restriction=restriction)
        if len(answer.body) > INLINE_ANSWER_BYTES:
            return await asyncio.get_running_loop().run_in_executor(None, written, answer)
        return written(answer)

    def reading(self, query: InspectedQuery, result_format: str) -> tuple[str, Callable[[Answer], Results]]:
        """What to ask the store for, and how its answer is written in ``result_format``."""
        if query.inspection.form in ("CONSTRUCT", "DESCRIBE"):
            rdf_format = ox.RdfFormat.from_media_type(result_format)
            if rdf_format is None:
                raise QueryError(f"a graph cannot be given as {result_format}")
            return GRAPHS_ACCEPT, partial(self.graph_bytes, rdf_format=rdf_format)
        results_format = ox.QueryResultsFormat.from_media_type(result_format)
        if results_format is None:
            raise QueryError(f"query results cannot be given as {result_format}")
        return SPARQL_JSON, partial(self.results_bytes, results_format=results_format)

    def graph_bytes(self, answer: Answer, *, rdf_format: ox.RdfFormat) -> Results:
        """The store's triples written in ``rdf_format``. Where the dialect has no term in them to fix: passed
        on as the store wrote them when that is N-Triples, asked for, in fewer lines than the result limit
        (one triple a line; reading and writing 1,000 triples again took 2 ms, a lookup's cost), else read as
        they are (no Python object made per triple). Else through ``triples``."""
        answered = ox.RdfFormat.from_media_type(answer.media_type)
        if answered is None or self.dialect_for(answer.server).terms_to_fix(answer.body):
            graph: Iterable[ox.Triple] = self.triples(answer)
        elif answered == rdf_format == ox.RdfFormat.N_TRIPLES and answer.body.count(b"\n") < self.max_results:
            return answer.body, rdf_format.media_type
        else:
            graph = (quad.triple for quad in ox.parse(answer.body, format=answered))
        try:
            return ox.serialize(limited(graph, self.max_results), format=rdf_format), rdf_format.media_type
        except TooLarge:
            raise QueryTooLarge(f"more than {self.max_results:,} results", limit=self.max_results) from None

    def results_bytes(self, answer: Answer, *, results_format: ox.QueryResultsFormat) -> Results:
        dialect = self.dialect_for(answer.server)
        results = solutions(answer, dialect)
        if isinstance(results, ox.QueryBoolean):
            return results.serialize(format=results_format), results_format.media_type
        again = partial(solutions, answer, dialect)  # the same answer read anew (for long rows), not asked again
        try:
            return solutions_bytes(results, results_format, self.max_results, again), results_format.media_type
        except TooLarge:
            raise QueryTooLarge(f"more than {self.max_results:,} results", limit=self.max_results) from None

    def triples(self, answer: Answer) -> list[ox.Triple]:
        """The triples of an RDF answer in whichever syntax its media type names."""
        rdf_format = ox.RdfFormat.from_media_type(answer.media_type)
        if rdf_format is None:
            raise EndpointError(f"the SPARQL endpoint answered {answer.media_type}, not an RDF syntax")
        dialect = self.dialect_for(answer.server)
        parsed = ox.parse(answer.body, format=rdf_format)
        return [ox.Triple(q.subject, q.predicate, dialect.term(q.object)) for q in parsed]

    def graph_counts(self) -> dict[str, int]:
        """Triples per graph of the dataset; meanwhile, whether the dialect's union graph (counted in the same
        query) holds as many as the served graphs together, which decides whether it stands for them.

        The store counts all its graphs and the served ones are kept here: Virtuoso counts from its graph
        index in 0.5 s at 5 countries, but takes 2.2 s given the list of graphs to count."""
        union = self.dialect.union_graph if self.dialect is not None else None
        answer = self.request(GRAPH_COUNTS.sparql, SPARQL_JSON, restriction=None)
        rows = self.rows(answer, "g n", "the triple counts")
        served = set(self.graphs)
        try:
            every = {row["g"].value: int(row["n"].value) for row in rows}
        except ValueError as error:
            message = f"the SPARQL endpoint {self.endpoint} answered a count that is not a number: {error}"
            raise EndpointError(message) from None
        counts = {graph: n for graph, n in every.items() if graph in served}
        held = every.get(union) if union is not None else None
        self._merged = union if held is not None and held == sum(counts.values()) else None
        self._merged_checked = True
        return counts

    def rows(self, answer: Answer, columns: str, what: str) -> list[ox.QuerySolution]:
        """The rows of the store's answer to one of the service's own queries, each with the columns it must
        have; EndpointError (one line) for an answer of another shape."""
        try:
            rows = list(solutions(answer, self.dialect_for(answer.server)))
        except (SyntaxError, ValueError, TypeError) as error:
            raise EndpointError(
                f"the SPARQL endpoint {self.endpoint} answered {what} with something other than SPARQL JSON "
                f"results: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
            ) from None
        for row in rows:
            missing = [name for name in columns.split() if row[name] is None]
            if missing:
                raise EndpointError(
                    f"the SPARQL endpoint {self.endpoint} answered {what} without the column ?{missing[0]} "
                    "(is it a SPARQL 1.1 store, and is the URL its query endpoint?)"
                )
        return rows

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

    def graph_version_now(self) -> str | None:
        held = self._version
        return held[1] if held is not None and time.monotonic() - held[0] <= VERSION_TTL else None


def solutions(answer: Answer, dialect: Dialect | None = None) -> ox.QuerySolutions | ox.QueryBoolean:
    """A SPARQL JSON answer as pyoxigraph solutions (or a boolean for ASK), its terms read by the dialect."""
    body = dialect.results(answer.body) if dialect is not None else answer.body
    return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
