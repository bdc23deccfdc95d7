"""The embedded engine: the graph in a pyoxigraph store, every query evaluated in a worker process.

``EmbeddedEngine`` evaluates every query in a worker process (``klynge.engines.workers``) so that a query past
its time limit can be stopped, not merely abandoned. Queries see the union of the named graphs as their default
graph unless the caller names a dataset. The interface it implements is ``klynge.engines.base.Engine``; its
answers are cached by wrapping it in ``klynge.engines.cache.CachingEngine``.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox

from klynge.catalogue import internal, with_candidates
from klynge.engines import text_index
from klynge.engines.base import (
    CLIENT,
    SERVICE_DATASET,
    Bindings,
    Dataset,
    Engine,
    InspectedQuery,
    QueryBusy,
    QueryError,
    QueryOutOfMemory,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    Results,
)
from klynge.engines.text_index import TextIndex
from klynge.engines.workers import Done, Failed, Job, PoolBusy, WorkerLost, WorkerOutOfMemory, WorkerPool
from klynge.graph import tables
from klynge.rdf import dumps
from klynge.rdf.namespaces import KLYNGE
from klynge.settings import DEFAULT_LIMITS, Limits

GRAPH_COUNTS = internal("graph-counts")
DISPLAY_LABEL = KLYNGE.displayLabel


class EmbeddedEngine(Engine):
    """The graph in a pyoxigraph store, queried in worker processes.

    In memory, the workers share ``store`` copy-on-write; on disk (``path``, with ``store`` opened read-only
    on it), each worker opens the folder read-only itself. ``store`` stays usable in this process for
    whole-graph jobs (``export``, ``export_tables``) and is read here for the graph counts, the full-text
    index and display labels; the queries that requests send never run on it here. ``limits`` bound each query
    (``timeout``, ``max_results``, ``worker_memory_mb`` beyond the store) and the pool: ``workers`` queries
    may run long (past ``long_after`` seconds) at once, and one worker more is kept for short ones.
    """

    def __init__(self, store: ox.Store, *, path: Path | None = None, limits: Limits = DEFAULT_LIMITS) -> None:
        self.store = store
        self.path = path
        self.limits = limits
        self._lock = threading.Lock()  # this process's own queries on the store; held too while a zygote forks
        self._pool = WorkerPool(self._worker_store, limits, fork_lock=self._lock)
        self._closer = weakref.finalize(self, self._pool.close)
        self._counts: dict[str, int] | None = None
        self._version: str | None = None
        self._text_index: TextIndex | None = None
        self._text_index_lock = threading.Lock()
        self._exports: dict[str, bytes] = {}  # the dumps and the tables, by format, once written
        self._export_lock = threading.Lock()

    def _worker_store(self) -> ox.Store:
        """The store as a worker sees it: the forked in-memory copy, or its own read-only handle."""
        return ox.Store.read_only(str(self.path)) if self.path is not None else self.store

    def close(self) -> None:
        """Stop the worker processes (also done when the engine is garbage-collected or at exit)."""
        self._closer()

    def worker_pids(self) -> list[int]:
        """The process ids of the query workers (to watch them from tests and monitoring)."""
        return self._pool.worker_pids()

    def health(self) -> dict[str, object]:
        """The query pool's state (a dead worker factory is replaced first); ``ok`` is the verdict."""
        return self._pool.health()

    def local_store(self) -> ox.Store:
        return self.store

    def can_export(self) -> bool:
        return True

    def export(self, fmt: str) -> bytes:
        return self._exported(fmt, lambda: dumps.export_bytes(self.store, fmt))

    def export_tables(self) -> bytes:
        return self._exported("tables", lambda: tables.package_zip(self.store))

    def _exported(self, key: str, write: Callable[[], bytes]) -> bytes:
        """A whole-graph file, written on first use and kept: the graph is read-only while served."""
        with self._export_lock:
            if key not in self._exports:
                self._exports[key] = write()
            return self._exports[key]

    def display_labels(self, iris: Iterable[str]) -> dict[str, str]:
        """Read from the store in this process (one index lookup per IRI, no query)."""
        labels = {}
        for iri in set(iris):
            for quad in self.store.quads_for_pattern(ox.NamedNode(iri), DISPLAY_LABEL, None):
                labels[iri] = quad.object.value
                break
        return labels

    def text_index(self) -> TextIndex:
        with self._text_index_lock:
            if self._text_index is None:
                self._text_index = text_index.build(self.store)
            return self._text_index

    def run(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Bindings = None,
        base_iri: str | None = None,
    ) -> Results:
        job = self._job(
            self._listing_candidates(InspectedQuery.of(query), bindings), result_format, dataset, bindings, base_iri
        )
        try:
            answer = self._pool.run(job, self.limits.timeout, client=CLIENT.get())
        except (TimeoutError, PoolBusy, WorkerLost) as error:
            raise self._failure(error) from None
        return self._results(answer)

    def _listing_candidates(self, query: InspectedQuery, bindings: Bindings) -> InspectedQuery:
        """A named query that declares ``candidates`` (``klynge.catalogue``), with the names the text index finds
        for its bound text listed in it: the same rows, from a few names instead of every name in the graph."""
        named = with_candidates().get(query.text)
        if named is None or not bindings:
            return query
        return InspectedQuery(self.text_index().listing_candidates(named, bindings), query.inspection)

    async def answer_on_loop(
        self,
        query: InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> Results | None:
        job = self._job(query, result_format, dataset, None, base_iri)
        try:
            answer = await self._pool.run_on_loop(job, self.limits.timeout, client=CLIENT.get())
        except (TimeoutError, PoolBusy, WorkerLost) as error:
            raise self._failure(error) from None
        return None if answer is None else self._results(answer)

    def _job(
        self, query: InspectedQuery, result_format: str, dataset: Dataset, bindings: Bindings, base_iri: str | None
    ) -> Job:
        return Job(
            query.text,
            result_format,
            self.limits.max_results,
            dataset.default,
            dataset.named,
            dict(bindings or {}),
            union_default_graph=not query.inspection.names_dataset,
            base_iri=base_iri,
        )

    def _failure(self, error: Exception) -> QueryError:
        """The query error for how the pool failed a job."""
        if isinstance(error, TimeoutError):
            return QueryTimeout(str(error), seconds=self.limits.timeout)
        if isinstance(error, PoolBusy):
            return QueryBusy(str(error), error.retry_after)
        if isinstance(error, WorkerOutOfMemory):
            return QueryOutOfMemory(str(error))
        return QueryError(str(error))

    def _results(self, answer: Done | Failed) -> Results:
        """A worker's answer, or the query error its refusal stands for."""
        if isinstance(answer, Done):
            return answer.body, answer.media_type
        if answer.kind == "syntax":
            raise QuerySyntaxError(answer.message, answer.line, answer.column)
        if answer.kind == "too-large":
            raise QueryTooLarge(answer.message, limit=self.limits.max_results)
        if answer.kind == "memory":
            raise QueryOutOfMemory(answer.message)
        raise QueryError(answer.message)

    def graph_counts(self) -> dict[str, int]:
        with self._lock:
            if self._counts is None:
                rows = self.store.query(GRAPH_COUNTS.sparql)
                self._counts = {row["g"].value: int(row["n"].value) for row in rows}
            return dict(self._counts)

    def graph_version(self) -> str:
        with self._lock:
            if self._version is None:
                self._version = self._fingerprint()
            return self._version

    def graph_version_now(self) -> str | None:
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
