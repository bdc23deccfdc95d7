"""The one interface every route queries the graph through, and its embedded implementation on pyoxigraph.

``QueryEngine`` speaks pyoxigraph terms in and out but nothing else of pyoxigraph, so a remote SPARQL store
(``klynge.engines.remote.RemoteEngine``) implements it too. ``EmbeddedEngine`` evaluates every query in a worker
process (``klynge.engines.workers``) so that a query past its time limit can be stopped, not merely abandoned.
Queries see the union of the named graphs as their default graph unless the caller names a dataset.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from klynge.engines import sparql_guard
from klynge.engines.workers import Done, Job, PoolBusy, WorkerLost, WorkerPool

SPARQL_JSON = "application/sparql-results+json"
SPARQL_TSV = "text/tab-separated-values"
N_TRIPLES = "application/n-triples"


class QueryError(Exception):
    """A query that could not be answered; ``message`` says why in words for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QuerySyntaxError(QueryError):
    """The parser's complaint, with the line and column it points at where known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}, column {self.column}: {self.message}"


class QueryRefused(QueryError):
    """A request this read-only service will not run: an update, SERVICE or LOAD."""


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""

    def __init__(self, message: str, seconds: float | None = None) -> None:
        super().__init__(message)
        self.seconds = seconds


class QueryBusy(QueryError):
    """Every query worker stayed busy: the query did not start, and may well run if sent again later."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryTooLarge(QueryError):
    """The answer has more results (rows or triples) than the limit."""

    def __init__(self, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class QueryEngine(Protocol):
    """How the routes query the graph. Bindings are RDF terms bound to variables, never pasted into text."""

    def select(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[dict[str, ox.Term]]:
        """The rows of a SELECT; a variable left unbound in a row is absent from its dict."""
        ...

    def ask(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> bool:
        """The answer of an ASK."""
        ...

    def construct(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE."""
        ...

    def run(
        self,
        query: str,
        result_format: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        bindings: Mapping[str, ox.Term] | None = None,
        base_iri: str | None = None,
    ) -> tuple[bytes, str]:
        """Any query's results serialised in ``result_format`` (a media type that suits the query form), with
        the media type of the bytes. Naming graphs replaces the default dataset, as the SPARQL Protocol's
        ``default-graph-uri``/``named-graph-uri`` do; relative IRIs resolve against ``base_iri``."""
        ...

    def cached(
        self,
        query: str,
        result_format: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        base_iri: str | None = None,
    ) -> tuple[bytes, str] | None:
        """What ``run`` would return, if it is at hand in memory without running anything; else None. Lets a
        route answer a repeated request without handing it to a thread."""
        ...

    def triple_count(self) -> int:
        """Triples in all graphs (counted per graph, as VoID does)."""
        ...

    def graph_counts(self) -> dict[str, int]:
        """Triples per named graph."""
        ...

    def graph_version(self) -> str:
        """A short key that changes when the data does (for ETags and caches)."""
        ...


@lru_cache(maxsize=1024)
def inspected(query: str) -> sparql_guard.Inspection:
    """What a query the service may run is (cached: named queries repeat); QueryRefused otherwise."""
    try:
        return sparql_guard.inspect(query)
    except sparql_guard.Refused as error:
        raise QueryRefused(str(error)) from None


def checked_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE ('' if none: the parser will say why); QueryRefused for an update,
    SERVICE or LOAD."""
    return inspected(query).form


class AnswerCache:
    """Serialised answers by request within a byte budget, the least recently used dropped first.

    The graph is read-only while served, so the same request always has the same answer, except for a
    query calling NOW(), RAND(), UUID() or STRUUID(), which is never cached.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[bytes, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, *, count_miss: bool = True) -> tuple[bytes, str] | None:
        """The answer under ``key``; a look that is followed by a run (which looks again) passes
        ``count_miss=False``, so one request counts one miss."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += count_miss
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: Hashable, entry: tuple[bytes, str]) -> None:
        """Keep an answer unless it would take more than an eighth of the budget (or the cache is off)."""
        size = len(entry[0])
        if self.max_bytes == 0 or size > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = entry
            self._size += size
            while self._size > self.max_bytes:
                _, (body, _) = self._entries.popitem(last=False)
                self._size -= len(body)


class EmbeddedEngine:
    """The graph in a pyoxigraph store, queried in worker processes.

    In memory, the workers share ``store`` copy-on-write; on disk (``path``, with ``store`` opened read-only
    on it), each worker opens the folder read-only itself. ``store`` stays usable in this process for
    whole-graph jobs (exports); queries never run on it here. Answers are cached in ``answers`` (up to
    ``cache_bytes``; 0 turns the cache off).
    """

    def __init__(
        self,
        store: ox.Store,
        *,
        path: Path | None = None,
        timeout: float = 10.0,
        max_results: int = 100_000,
        workers: int = 2,
        cache_bytes: int = 64 * 2**20,
    ) -> None:
        self.store = store
        self.path = path
        self.timeout = timeout
        self.max_results = max_results
        self.answers = AnswerCache(cache_bytes)
        self._pool = WorkerPool(self._worker_store, workers)
        self._closer = weakref.finalize(self, self._pool.close)
        self._lock = threading.Lock()
        self._counts: dict[str, int] | None = None
        self._version: str | None = None

    def _worker_store(self) -> ox.Store:
        """The store as a worker sees it: the forked in-memory copy, or its own read-only handle."""
        return ox.Store.read_only(str(self.path)) if self.path is not None else self.store

    def close(self) -> None:
        """Stop the worker processes (also done when the engine is garbage-collected or at exit)."""
        self._closer()

    def worker_pids(self) -> list[int]:
        """The process ids of the query workers (to watch them from tests and monitoring)."""
        return self._pool.worker_pids()

    def run(
        self,
        query: str,
        result_format: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        bindings: Mapping[str, ox.Term] | None = None,
        base_iri: str | None = None,
    ) -> tuple[bytes, str]:
        job, key = self._job(query, result_format, default_graph_uris, named_graph_uris, bindings, base_iri)
        cached = None if key is None else self.answers.get(key)
        if cached is not None:
            return cached
        try:
            answer = self._pool.run(job, self.timeout)
        except PoolBusy as error:
            raise QueryBusy(str(error), retry_after=max(1, round(self.timeout / 2))) from None
        except TimeoutError as error:
            raise QueryTimeout(str(error), seconds=self.timeout) from None
        except WorkerLost as error:
            raise QueryError(str(error)) from None
        if isinstance(answer, Done):
            if key is not None:
                self.answers.put(key, (answer.body, answer.media_type))
            return answer.body, answer.media_type
        if answer.kind == "syntax":
            raise QuerySyntaxError(answer.message, answer.line, answer.column)
        if answer.kind == "too-large":
            raise QueryTooLarge(answer.message, limit=self.max_results)
        raise QueryError(answer.message)

    def cached(
        self,
        query: str,
        result_format: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        base_iri: str | None = None,
    ) -> tuple[bytes, str] | None:
        _, key = self._job(query, result_format, default_graph_uris, named_graph_uris, None, base_iri)
        return None if key is None else self.answers.get(key, count_miss=False)

    def _job(
        self,
        query: str,
        result_format: str,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
        bindings: Mapping[str, ox.Term] | None,
        base_iri: str | None = None,
    ) -> tuple[Job, Hashable | None]:
        """The worker job for a request, and its cache key (None for a query whose answer may change)."""
        inspection = inspected(query)
        job = Job(
            query,
            result_format,
            self.max_results,
            tuple(default_graph_uris),
            tuple(named_graph_uris),
            dict(bindings or {}),
            union_default_graph=not inspection.names_dataset,
            base_iri=base_iri,
        )
        if inspection.volatile:
            return job, None
        bound = frozenset(job.bindings.items())
        return job, (query, result_format, job.default_graphs, job.named_graphs, bound, base_iri)

    def _expect(self, query: str, forms: tuple[str, ...]) -> None:
        """A programming error, said plainly, when a method gets a query of another form."""
        form = checked_form(query)
        if form and form not in forms:
            raise QueryError(f"expected a {' or '.join(forms)} query, got {form}")

    def select(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[dict[str, ox.Term]]:
        self._expect(query, ("SELECT",))
        body, _ = self.run(query, SPARQL_TSV, bindings=bindings)
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
        names = [variable.value for variable in results.variables]
        return [{name: term for name, term in zip(names, row, strict=True) if term is not None} for row in results]

    def ask(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> bool:
        self._expect(query, ("ASK",))
        body, _ = self.run(query, SPARQL_JSON, bindings=bindings)
        return bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))

    def construct(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[ox.Triple]:
        self._expect(query, ("CONSTRUCT", "DESCRIBE"))
        body, _ = self.run(query, N_TRIPLES, bindings=bindings)
        return [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]

    def graph_counts(self) -> dict[str, int]:
        with self._lock:
            if self._counts is None:
                rows = self.store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
                self._counts = {row["g"].value: int(row["n"].value) for row in rows}
            return dict(self._counts)

    def triple_count(self) -> int:
        return sum(self.graph_counts().values())

    def graph_version(self) -> str:
        with self._lock:
            if self._version is None:
                self._version = self._fingerprint()
            return self._version

    def _fingerprint(self) -> str:
        """A hash of the data, the same in every process serving the same data.

        In memory: of every quad, in any order (a sum of per-quad hashes), after canonical blank-node labels
        (the parser labels blank nodes at random). On disk: of the store's immutable files (names and sizes),
        which change exactly when the data is rewritten.
        """
        digest = hashlib.sha256()
        if self.path is not None:
            for file in sorted(self.path.iterdir()):
                if file.is_file() and not file.name.startswith(("LOG", "LOCK")):
                    digest.update(f"{file.name}:{file.stat().st_size}\n".encode())
            return digest.hexdigest()[:16]
        dataset = ox.Dataset(self.store)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        total = 0
        for quad in dataset:
            total += int.from_bytes(hashlib.blake2b(str(quad).encode(), digest_size=16).digest(), "big")
        digest.update(str(total % (1 << 128)).encode())
        return digest.hexdigest()[:16]
