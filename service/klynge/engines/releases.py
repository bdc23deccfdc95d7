"""Every recorded release queryable beside the served graph, and the engine that answers a request from the
release it names (``release=VERSION``) or from the served graph.

Storage grows with the deltas. A release is kept as its record (the first release's dump, then RDF patches:
``klynge.graph.releases``) and a few cheap indexes: what each patch changed, per subject, and what replaced a
retired IRI. Which releases describe an IRI, and what each said of it, come from the sorted first dump (a
binary search) and the patches, never from a store. A store exists only for a release that is asked for:

* the release the served graph *is* (the same N-Quads lines, blank-node labels included, so the same answer
  bytes) is answered by the served engine itself: no second copy;
* any other release is materialised on its first request, with its logical graph names (one per source file,
  ``…/graph/inferred``, ``…/graph/ontology``), into an in-memory store with an engine of its own. At most
  ``resident`` such releases are kept (least recently used first out), and one nobody asked for in
  ``idle_seconds`` is dropped. A release in use by a request (``ReleaseArchive.acquire``) is never dropped;
  two requests for a release not yet resident build it once (a lock per release), and a store is handed out
  only when it is whole.

Why one store per release and not one shared store: every distinct quad once, in a graph named by its source
graph and the run of releases holding it, is small (two releases of the real graph: 1.02x one) but wrong: a
resource's statements end up split over several run graphs, so ``GRAPH ?g { … }`` patterns (the ontology
header, a page's stated/entailed split, path steps, VoID subsets), ``GRAPH <…/graph/ontology>`` and a query's
own FROM / FROM NAMED stop matching; SPARQL cannot make one named graph the union of several physical ones.

Selection. ``ReleaseSwitch`` is the engine the routes hold; a request's ``release=`` (set by the web layer in
``SELECTED`` for the duration of the request) sends its queries to that release's engine, so every route,
answer and named query time-travels without knowing it. The release's recorded SHA-256 is its
``graph_version``, so its ETags and cached answers are the same after restarts and later releases.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from klynge.engines.base import (
    SERVICE_DATASET,
    Bindings,
    Dataset,
    Engine,
    Forwarding,
    InspectedQuery,
    QueryError,
    Results,
)
from klynge.engines.cache import CachingEngine
from klynge.engines.store import EmbeddedEngine
from klynge.engines.text_index import TextIndex
from klynge.graph.releases import History, Release, canonical_lines, digest, iter_subject_iris, read_history
from klynge.rdf.namespaces import PREFIXES
from klynge.settings import Limits

# The release a request asked for (None: the served graph); set by the web layer around each request.
SELECTED: ContextVar[str | None] = ContextVar("klynge_release", default=None)
IS_REPLACED_BY = PREFIXES["dcterms"] + "isReplacedBy"
LARGEST_CANONICALISED = 200_000  # quads: a larger served graph is compared line by line, without blank nodes
SET_HASH_MODULUS = 1 << 128
# One long-query slot (and the short one) per release, and a small cache: old releases are asked for now and then.
ARCHIVE_LIMITS = Limits(workers=1, cache_mb=16)


def line_hash(line: str | bytes) -> int:
    """One N-Quads line's share of a set hash (the sum of the lines' hashes: order-free, updated by patches)."""
    data = line.encode() if isinstance(line, str) else line
    return int.from_bytes(hashlib.blake2b(data, digest_size=16).digest(), "big")


def set_hash(lines: Iterable[str]) -> int:
    return sum(line_hash(line) for line in lines) % SET_HASH_MODULUS


def replaced_by(line: str) -> tuple[str, str] | None:
    """(old, new) when an N-Quads line states ``<old> dcterms:isReplacedBy <new>``."""
    if not line.startswith("<") or f"> <{IS_REPLACED_BY}> <" not in line:
        return None
    subject, _, rest = line[1:].partition("> ")
    return subject, rest.split("> <", 1)[1].split(">", 1)[0]


@dataclass
class Resident:
    """A release materialised in a store of its own, and who is using it."""

    engine: CachingEngine
    users: int = 0
    last_used: float = field(default_factory=time.monotonic)


class ReleaseArchive:
    """The recorded releases: the record and cheap indexes, with stores only for releases in use (see the
    module's docstring). ``resident``: old releases kept materialised at once; ``idle_seconds``: how long one
    stays after its last use."""

    def __init__(
        self,
        history: History,
        limits: Limits = ARCHIVE_LIMITS,
        *,
        resident: int = 1,
        idle_seconds: float = 600.0,
    ) -> None:
        self.history = history
        self.limits = limits
        self.resident, self.idle_seconds = max(1, resident), idle_seconds
        self._residents: OrderedDict[str, Resident] = OrderedDict()
        self._lock = threading.Lock()  # the table of residents
        # The idle timer's drop and a caller's run one after the other, so each returns with its releases freed.
        self._dropping_idle = threading.Lock()
        self._building = {version: threading.Lock() for version in history.versions}  # one build per release
        self._timer: threading.Timer | None = None
        self.builds: dict[str, list[float]] = {}  # seconds each materialisation of a release took
        # What each patch deleted and added, per subject: the index grows with the deltas.
        self._changed: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
        self._replaced: dict[str, str] = {}
        for release in history.releases[1:]:
            deleted, added = history.patch_lines(release.version)
            by_subject: dict[str, tuple[list[str], list[str]]] = {}
            for lines, slot in ((deleted, 0), (added, 1)):
                for line in lines:
                    if line.startswith("<"):
                        by_subject.setdefault(line[1 : line.index(">")], ([], []))[slot].append(line)
            self._changed[release.version] = by_subject
        for release in history.releases:
            self._replaced.update(release.renamed)
        self._first_scan: tuple[int, dict[str, str]] | None = None
        self._scan_lock = threading.Lock()  # apart from the table's: a long first scan does not hold up requests

    @property
    def versions(self) -> list[str]:
        return self.history.versions

    def release(self, version: str) -> Release:
        return self.history.get(version)

    # -- Stores for releases in use ---------------------------------------------------------------------------

    def acquire(self, version: str) -> CachingEngine:
        """The engine of ``version``, materialised if it is not resident, held until ``release_hold``."""
        self.history.get(version)  # ReleaseError for an unknown release
        with self._building[version]:
            with self._lock:
                held = self._residents.get(version)
                if held is not None:
                    held.users += 1
                    held.last_used = time.monotonic()
                    self._residents.move_to_end(version)
                    return held.engine
            engine = self._materialise(version)
            with self._lock:
                self._residents[version] = Resident(engine, users=1)
                dropped = self._droppable(keep=version)
        self._drop(dropped)
        return engine

    def release_hold(self, version: str) -> None:
        """One user less of ``version``; the least recently used beyond ``resident`` go, and idle ones later."""
        with self._lock:
            held = self._residents.get(version)
            if held is not None:
                held.users = max(0, held.users - 1)
                held.last_used = time.monotonic()
            dropped = self._droppable()
            self._schedule()
        self._drop(dropped)

    def engine(self, version: str) -> CachingEngine:
        """The engine answering for ``version`` (ReleaseError for an unknown one); a caller outside a request
        that keeps using it holds it with ``acquire`` / ``release_hold`` instead."""
        engine = self.acquire(version)
        self.release_hold(version)
        return engine

    def resident_versions(self) -> list[str]:
        """The releases materialised now, least recently used first."""
        with self._lock:
            return list(self._residents)

    def drop_idle(self) -> None:
        """Drop the releases nobody used for ``idle_seconds`` (a timer calls it); on return they are freed, those
        the timer was dropping meanwhile included."""
        with self._dropping_idle:
            with self._lock:
                dropped = self._droppable(idle=True)
                self._schedule()
            self._drop(dropped)

    def _materialise(self, version: str) -> CachingEngine:
        started = time.perf_counter()
        store = ox.Store()
        store.bulk_extend(ox.parse(self.history.nquads(version), format=ox.RdfFormat.N_QUADS))  # labels kept
        engine = CachingEngine(EmbeddedEngine(store, limits=self.limits), max_bytes=self.limits.cache_bytes)
        self.builds.setdefault(version, []).append(time.perf_counter() - started)
        return engine

    def _droppable(self, keep: str | None = None, idle: bool = False) -> list[Resident]:
        """Residents to drop now (the caller holds the table lock): unused ones beyond ``resident``, oldest use
        first, and with ``idle`` those unused for ``idle_seconds``."""
        unused = [v for v, held in self._residents.items() if held.users == 0 and v != keep]
        excess = len(self._residents) - self.resident
        going = unused[: max(0, excess)]
        if idle:
            now = time.monotonic()
            going += [v for v in unused if v not in going and now - self._residents[v].last_used >= self.idle_seconds]
        return [self._residents.pop(v) for v in going]

    def _schedule(self) -> None:
        """A timer to drop idle releases, while some unused one is resident (the caller holds the table lock)."""
        if self._timer is not None or not any(held.users == 0 for held in self._residents.values()):
            return

        def fire() -> None:
            with self._lock:
                self._timer = None
            self.drop_idle()

        self._timer = threading.Timer(self.idle_seconds, fire)
        self._timer.daemon = True
        self._timer.start()

    @staticmethod
    def _drop(dropped: list[Resident]) -> None:
        if not dropped:
            return
        while dropped:  # emptied as closed: then nothing here refers to the engines any more
            dropped.pop().engine.close()
        gc.collect()  # the engine and its pool refer to each other: free the store now, not at some later GC
        trim_heap()

    # -- What the releases said, from the record ----------------------------------------------------------------

    def statements_of(self, iri: str) -> list[tuple[Release, frozenset[str]]]:
        """What each release states about ``iri`` as subject (N-Quads lines with their graph), oldest first."""
        prefix = f"<{iri}> "
        now = set(self.history.first_lines_with(prefix)) if self.history.releases else set()
        found = [(self.history.releases[0], frozenset(now))] if self.history.releases else []
        for release in self.history.releases[1:]:
            deleted, added = self._changed[release.version].get(iri, ([], []))
            now = (now - set(deleted)) | set(added)
            found.append((release, frozenset(now)))
        return found

    def described_iris(self) -> list[str]:
        """Every IRI some release describes (is the subject of a statement in); streams the first dump."""
        found = set(iter_subject_iris(self.history.iter_first_lines())) if self.history.releases else set()
        for changed in self._changed.values():
            found.update(subject for subject, (_, added) in changed.items() if added)
        return sorted(found)

    def releases_with(self, iri: str) -> list[Release]:
        """The releases in which ``iri`` is described (is the subject of a statement), oldest first."""
        return [release for release, lines in self.statements_of(iri) if lines]

    def last_release_with(self, iri: str) -> Release | None:
        held = self.releases_with(iri)
        return held[-1] if held else None

    def replacement(self, iri: str) -> str | None:
        """What replaced ``iri``: the end of its chain of renames and ``dcterms:isReplacedBy`` (None if none)."""
        replaced = {**self._scan()[1], **self._replaced}
        seen = {iri}
        while iri in replaced and replaced[iri] not in seen:
            iri = replaced[iri]
            seen.add(iri)
        return None if len(seen) == 1 else iri

    def changes_of(self, iri: str) -> list[tuple[Release, list[str], list[str]]]:
        """For each release that changed what ``iri`` states: the statements removed and added (N-Quads lines
        with their graph, entailments included)."""
        found = []
        before: frozenset[str] = frozenset()
        for release, now in self.statements_of(iri):
            if now != before:
                found.append((release, sorted(before - now), sorted(now - before)))
            before = now
        return found

    def set_hashes(self) -> dict[str, int]:
        """Each release's set hash (``set_hash`` of its lines), from one pass over the first dump and the patches."""
        total = self._scan()[0]
        hashes = {}
        for release in self.history.releases:
            if release.previous is not None:
                deleted, added = self.history.patch_lines(release.version)
                total = (total - set_hash(deleted) + set_hash(added)) % SET_HASH_MODULUS
            hashes[release.version] = total
        return hashes

    def _scan(self) -> tuple[int, dict[str, str]]:
        """One pass over the first dump, done once: its set hash and the replacements every release states."""
        with self._scan_lock:
            if self._first_scan is None:
                total, replaced = 0, {}
                marker = IS_REPLACED_BY.encode()
                for raw in self.history.iter_first_raw_lines():
                    total += line_hash(raw)
                    pair = replaced_by(raw.decode("utf-8")) if marker in raw else None
                    if pair:
                        replaced.setdefault(*pair)
                for release in self.history.releases[1:]:
                    for line in self.history.patch_lines(release.version)[1]:
                        pair = replaced_by(line)
                        if pair:
                            replaced.setdefault(*pair)
                self._first_scan = (total % SET_HASH_MODULUS, replaced)
            return self._first_scan

    def close(self) -> None:
        with self._lock:
            dropped = list(self._residents.values())
            self._residents.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._drop(dropped)


def trim_heap() -> None:
    """Give the memory a dropped store freed back to the system (glibc keeps it otherwise); elsewhere, nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@cache
def repository_archive(
    root: Path | None = None,
    *,
    limits: Limits = ARCHIVE_LIMITS,
    resident: int = 1,
    idle_seconds: float = 600.0,
) -> ReleaseArchive | None:
    """The archive of the releases recorded in the repository (None when none was cut), built once."""
    history = read_history(root)
    if not history.releases:
        return None
    return ReleaseArchive(history, limits, resident=resident, idle_seconds=idle_seconds)


@dataclass(frozen=True)
class ServedMatch:
    """What the served graph is, compared with the releases: ``labelled`` the release it is (blank nodes
    relabelled canonically), ``answering`` the release whose exact lines it holds (so it answers for it)."""

    labelled: str | None = None
    answering: str | None = None


class ReleaseSwitch(Forwarding):
    """The engine the routes hold: the served graph (``inner``), or the release the current request selected."""

    def __init__(self, current: Engine, archive: ReleaseArchive | None) -> None:
        super().__init__(current)
        self.archive = archive
        self._match: ServedMatch | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        """What else the served engine offers (its cache, its workers), as if unwrapped."""
        if name in ("inner", "archive"):
            raise AttributeError(name)
        return getattr(self.inner, name)

    def selected(self) -> str | None:
        return SELECTED.get()

    def _archive(self) -> ReleaseArchive:
        if self.archive is None:
            raise QueryError("this service holds no releases")
        return self.archive

    def target(self) -> Engine:
        """The engine for the selected release: the served one when it holds that release, else the release's."""
        version = self.selected()
        if version is None or self.served_match().answering == version:
            return self.inner
        return self._archive().engine(version)

    def hold(self, version: str) -> Callable[[], None]:
        """Make ``version`` ready to answer (materialised, if the served graph is not it) for one request, and
        keep it so until the returned function is called; blocking (the web layer calls it in a thread)."""
        archive = self._archive()
        archive.release(version)
        if self.served_match().answering == version:
            return lambda: None
        archive.acquire(version)
        return lambda: archive.release_hold(version)

    async def answer_on_loop(
        self,
        query: InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> Results | None:
        """The served graph's answer on the loop; a recorded release's is left to a thread (its store may
        still be compared or built)."""
        if self.selected() is not None:
            return None
        return await self.inner.answer_on_loop(query, result_format, dataset=dataset, base_iri=base_iri)

    # The served engine may answer these itself (a test double, a remote dialect): asked through, not via run.
    def select(self, query: str, bindings: Bindings = None) -> list[dict[str, ox.Term]]:
        return self.target().select(query, bindings)

    def ask(self, query: str, bindings: Bindings = None) -> bool:
        return self.target().ask(query, bindings)

    def construct(self, query: str, bindings: Bindings = None) -> list[ox.Triple]:
        return self.target().construct(query, bindings)

    def triple_count(self) -> int:
        return self.target().triple_count()

    def text_index(self) -> TextIndex | None:
        """The selected release's full-text index: the served graph's (built before the service answers), or a
        recorded release's, built by its own engine on its first search."""
        return self.target().text_index()

    def graph_version(self) -> str:
        version = self.selected()
        if version is None:
            return self.inner.graph_version()
        return "release-" + self._archive().release(version).sha256[:16]

    def graph_version_now(self) -> str | None:
        return self.inner.graph_version_now() if self.selected() is None else None

    def served_match_known(self) -> bool:
        """Whether the served graph has been compared with the releases (``served_release`` answers at once)."""
        return self._match is not None

    def served_release(self) -> Release | None:
        """The release the served graph is (the same quads), if any: computed once."""
        version = self.served_match().labelled
        return None if version is None else self._archive().release(version)

    def served_match(self) -> ServedMatch:
        """The served graph compared with the releases, once (at EU27 scale, a pass over the store and the first
        dump: the first request that needs it waits for it)."""
        with self._lock:
            if self._match is None:
                self._match = self._compare()
            return self._match

    def _compare(self) -> ServedMatch:
        store = self.inner.local_store()
        if self.archive is None or store is None:
            return ServedMatch()
        size = len(store)
        candidates = [release for release in self.archive.history.releases if release.quads == size]
        if not candidates:
            return ServedMatch()
        if size <= LARGEST_CANONICALISED:
            canonical = digest(canonical_lines(store))
            exact = digest(sorted(set(ox.serialize(store, format=ox.RdfFormat.N_QUADS).decode().splitlines())))
            return ServedMatch(
                labelled=next((r.version for r in candidates if r.sha256 == canonical), None),
                answering=next((r.version for r in candidates if r.sha256 == exact), None),
            )
        served = exact_set_hash(store)  # without blank nodes, the exact lines are the canonical ones
        if served is None:
            return ServedMatch()
        hashes = self.archive.set_hashes()
        version = next((r.version for r in candidates if hashes[r.version] == served), None)
        return ServedMatch(labelled=version, answering=version)


def exact_set_hash(store: ox.Store) -> int | None:
    """The set hash of a large store's N-Quads lines, streamed through a temporary file; None when it holds blank
    nodes (their labels are the parser's, so no recorded release has the same lines)."""
    total = 0
    with tempfile.TemporaryFile() as file:
        store.dump(file, format=ox.RdfFormat.N_QUADS)
        file.seek(0)
        for raw in file:
            if b"_:" in raw:
                return None
            total += line_hash(raw.rstrip(b"\n"))
    return total % SET_HASH_MODULUS
