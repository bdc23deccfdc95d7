"""Answers to repeated requests kept in memory, around any engine.

The graph is read-only while served, so the same request always has the same answer, except for a query
calling NOW(), RAND(), UUID() or STRUUID(), which is never cached. Caching is a wrapper, not a duty of each
backend: ``CachingEngine(EmbeddedEngine(...), max_bytes)``; a budget of 0 keeps nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping

import pyoxigraph as ox

from klynge.engines.base import SERVICE_DATASET, Bindings, Dataset, Engine, Forwarding, InspectedQuery, Results

ENTRY_OVERHEAD = 256  # bytes an entry costs beyond its key's and answer's own (objects, the index)


def footprint(value: object) -> int:
    """Roughly the bytes a cache key or answer holds: its strings and bytes, however nested."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, tuple | frozenset | list):
        return sum(footprint(item) for item in value)
    if isinstance(value, Dataset):
        return footprint(value.default) + footprint(value.named)
    return len(str(value))


class AnswerCache:
    """Serialised answers by request within a byte budget, the least recently used dropped first. The budget
    counts everything an entry holds: the answer, its key (the query text may be a megabyte) and overhead.

    ``hits`` and ``misses`` are counted for the tests and for anyone sizing the budget; nothing serves them.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[tuple[bytes, str], int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes held now, by the same count as the budget."""
        return self._size

    def get(self, key: Hashable, *, count_miss: bool = True) -> tuple[bytes, str] | None:
        """The answer under ``key``; a look that is followed by a run (which looks again) passes
        ``count_miss=False``, so one request counts one miss."""
        with self._lock:
            held = self._entries.get(key)
            if held is None:
                self.misses += count_miss
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return held[0]

    def put(self, key: Hashable, entry: tuple[bytes, str], *, missed: bool = False) -> None:
        """Keep an answer unless it would take more than an eighth of the budget (or the cache is off);
        ``missed``: it was looked for without counting a miss, which counts now."""
        if missed:
            with self._lock:
                self.misses += 1
        if self.max_bytes == 0:
            return
        size = footprint(key) + footprint(entry) + ENTRY_OVERHEAD
        if size > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (entry, size)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped


def cache_key(
    query: InspectedQuery,
    result_format: str,
    dataset: Dataset,
    bindings: Mapping[str, ox.Term] | None,
    base_iri: str | None = None,
) -> Hashable | None:
    """What identifies a request's answer; None for a query whose answer may change from run to run."""
    if query.inspection.volatile:
        return None
    return (query.text, result_format, dataset, frozenset((bindings or {}).items()), base_iri)


class CachingEngine(Forwarding):
    """Any engine, with its serialised answers kept in an ``AnswerCache`` of ``max_bytes``.

    Everything but ``run``, ``cached`` and ``answer_on_loop`` is the wrapped engine's own.
    """

    def __init__(self, inner: Engine, max_bytes: int = 64 * 2**20) -> None:
        super().__init__(inner)
        self.answers = AnswerCache(max_bytes)

    def run(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Bindings = None,
        base_iri: str | None = None,
    ) -> Results:
        query = InspectedQuery.of(query)
        key = cache_key(query, result_format, dataset, bindings, base_iri)
        hit = None if key is None else self.answers.get(key)
        if hit is not None:
            return hit
        answer = self.inner.run(query, result_format, dataset=dataset, bindings=bindings, base_iri=base_iri)
        if key is not None:
            self.answers.put(key, answer)
        return answer

    def cached(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> Results | None:
        key = cache_key(InspectedQuery.of(query), result_format, dataset, None, base_iri)
        return None if key is None else self.answers.get(key, count_miss=False)

    async def answer_on_loop(
        self,
        query: InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> Results | None:
        key = cache_key(query, result_format, dataset, None, base_iri)
        hit = None if key is None else self.answers.get(key, count_miss=False)
        if hit is not None:
            return hit
        answer = await self.inner.answer_on_loop(query, result_format, dataset=dataset, base_iri=base_iri)
        if answer is not None and key is not None:  # else ``run`` in a thread counts the miss
            self.answers.put(key, answer, missed=True)
        return answer
