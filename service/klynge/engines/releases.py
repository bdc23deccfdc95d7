"""Every recorded release queryable beside the served graph, and the engine that answers a request from the
release it names (``release=VERSION``) or from the served graph.

Storage. Each release is served from a store of its own, loaded from the record (``klynge.graph.releases``),
with the same named graphs as the served graph: one per source file, ``…/graph/inferred``, ``…/graph/ontology``.
Sharing quads between releases was tried first: every distinct quad once, in a graph named by its source graph
and the run of releases holding it, a release being the dataset of the graphs whose run contains it. It is
small (two releases of the real graph: 1.02x one) but wrong: a resource's statements end up split over several
run graphs, so every ``GRAPH ?g { … }`` pattern of the service's own queries (the ontology header, a page's
stated/entailed split, path steps, VoID subsets) stops matching, and ``GRAPH <…/graph/ontology>`` matches
nothing. Time travel has to answer what the release answered, so each release keeps the graph names its queries
rely on; what grows with the deltas is the repository's record (one dump, then patches), while memory grows
with the releases served (``bench/releases.py`` measures both).

Selection. ``ReleaseSwitch`` is the engine the routes hold; a request's ``release=`` (set by the web layer in
``SELECTED`` for the duration of the request) sends its queries to that release's engine, so every route,
answer and named query time-travels without knowing it. The release's recorded SHA-256 is its
``graph_version``, so its ETags and cached answers are the same after restarts and later releases.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from klynge.engines.base import SERVICE_DATASET, Bindings, Dataset, Engine, InspectedQuery, QueryError, Results
from klynge.engines.cache import CachingEngine
from klynge.engines.store import EmbeddedEngine
from klynge.engines.text_index import TextIndex
from klynge.graph.releases import (
    History,
    Release,
    canonical_lines,
    digest,
    iter_subject_iris,
    quads_of,
    read_history,
)
from klynge.rdf.namespaces import PREFIXES
from klynge.settings import Limits

# The release a request asked for (None: the served graph); set by the web layer around each request.
SELECTED: ContextVar[str | None] = ContextVar("klynge_release", default=None)
IS_REPLACED_BY = PREFIXES["dcterms"] + "isReplacedBy"
# One long-query slot (and the short one) per release, and a small cache: old releases are asked for now and then.
ARCHIVE_LIMITS = Limits(workers=1, cache_mb=16)
LARGEST_COMPARED = 200_000  # quads: a served graph larger than this is not compared with the releases


class ReleaseArchive:
    """The recorded releases, each in a store of its own with an embedded engine (see the module's docstring)."""

    def __init__(self, history: History, limits: Limits = ARCHIVE_LIMITS) -> None:
        self.history = history
        self.stores: dict[str, ox.Store] = {}
        self.engines: dict[str, CachingEngine] = {}
        self._subjects: dict[str, list[str]] = {}
        self._replaced: dict[str, str] = {}
        for release in history.releases:
            lines = history.lines(release.version)
            store = ox.Store()
            store.extend(quads_of(lines))
            self.stores[release.version] = store
            self.engines[release.version] = CachingEngine(
                EmbeddedEngine(store, limits=limits), max_bytes=limits.cache_bytes
            )
            for iri in set(iter_subject_iris(lines)):
                self._subjects.setdefault(iri, []).append(release.version)
            self._replaced.update(release.renamed)
            for line in lines:
                if f"> <{IS_REPLACED_BY}> <" in line and line.startswith("<"):
                    subject, _, rest = line[1:].partition("> ")
                    self._replaced.setdefault(subject, rest.split("> <", 1)[1].split(">", 1)[0])

    @property
    def versions(self) -> list[str]:
        return self.history.versions

    def release(self, version: str) -> Release:
        return self.history.get(version)

    def engine(self, version: str) -> CachingEngine:
        """The engine answering for ``version`` (ReleaseError for an unknown one)."""
        self.history.get(version)
        return self.engines[version]

    def described_iris(self) -> list[str]:
        """Every IRI some release describes (is the subject of a statement in)."""
        return sorted(self._subjects)

    def releases_with(self, iri: str) -> list[Release]:
        """The releases in which ``iri`` is described (is the subject of a statement), oldest first."""
        return [self.history.get(version) for version in self._subjects.get(iri, [])]

    def last_release_with(self, iri: str) -> Release | None:
        held = self.releases_with(iri)
        return held[-1] if held else None

    def replacement(self, iri: str) -> str | None:
        """What replaced ``iri``: the end of its chain of renames and ``dcterms:isReplacedBy`` (None if none)."""
        seen = {iri}
        while iri in self._replaced and self._replaced[iri] not in seen:
            iri = self._replaced[iri]
            seen.add(iri)
        return None if len(seen) == 1 else iri

    def changes_of(self, iri: str) -> list[tuple[Release, list[str], list[str]]]:
        """For each release that changed what ``iri`` states: the statements removed and added (N-Quads lines
        with their graph, entailments included)."""
        prefix = f"<{iri}> "
        found = []
        before: set[str] = set()
        for release in self.history.releases:
            now = {line for line in self.history.lines(release.version) if line.startswith(prefix)}
            if now != before:
                found.append((release, sorted(before - now), sorted(now - before)))
            before = now
        return found

    def close(self) -> None:
        for engine in self.engines.values():
            engine.close()


@cache
def repository_archive(root: Path | None = None) -> ReleaseArchive | None:
    """The archive of the releases recorded in the repository (None when none was cut), built once."""
    history = read_history(root)
    return ReleaseArchive(history) if history.releases else None


class ReleaseSwitch(Engine):
    """The engine the routes hold: the served graph, or the release the current request selected."""

    def __init__(self, current: Engine, archive: ReleaseArchive | None) -> None:
        self.current = current
        self.archive = archive
        self._matching: list[str | None] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        """What else the served engine offers (its cache, its workers), as if unwrapped."""
        if name in ("current", "archive"):
            raise AttributeError(name)
        return getattr(self.current, name)

    def selected(self) -> str | None:
        return SELECTED.get()

    def _archive(self) -> ReleaseArchive:
        if self.archive is None:
            raise QueryError("this service holds no releases")
        return self.archive

    def run(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Bindings = None,
        base_iri: str | None = None,
    ) -> Results:
        version = self.selected()
        if version is None:
            return self.current.run(query, result_format, dataset=dataset, bindings=bindings, base_iri=base_iri)
        return (
            self._archive()
            .engine(version)
            .run(query, result_format, dataset=dataset, bindings=bindings, base_iri=base_iri)
        )

    def cached(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> tuple[bytes, str] | None:
        version = self.selected()
        if version is None:
            return self.current.cached(query, result_format, dataset=dataset, base_iri=base_iri)
        return self._archive().engine(version).cached(query, result_format, dataset=dataset, base_iri=base_iri)

    def _answering(self) -> Engine:
        version = self.selected()
        return self.current if version is None else self._archive().engine(version)

    # The served engine may answer these itself (a test double, a remote dialect): asked through, not via run.
    def select(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[dict[str, ox.Term]]:
        return self._answering().select(query, bindings)

    def ask(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> bool:
        return self._answering().ask(query, bindings)

    def construct(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[ox.Triple]:
        return self._answering().construct(query, bindings)

    def triple_count(self) -> int:
        return self._answering().triple_count()

    def graph_counts(self) -> dict[str, int]:
        version = self.selected()
        return self.current.graph_counts() if version is None else self._archive().engine(version).graph_counts()

    def graph_version(self) -> str:
        version = self.selected()
        if version is None:
            return self.current.graph_version()
        return "release-" + self._archive().release(version).sha256[:16]

    def local_store(self) -> ox.Store | None:
        version = self.selected()
        return self.current.local_store() if version is None else self._archive().stores[version]

    def can_export(self) -> bool:
        return self._answering().can_export()

    def export(self, fmt: str) -> bytes:
        return self._answering().export(fmt)

    def export_tables(self) -> bytes:
        return self._answering().export_tables()

    def text_index(self) -> TextIndex | None:
        """The selected release's full-text index: the served graph's (built before the service answers), or a
        recorded release's, built by its own engine on its first search."""
        return self._answering().text_index()

    def health(self) -> dict[str, object]:
        return self.current.health()

    def close(self) -> None:
        self.current.close()

    def served_release(self) -> Release | None:
        """The release the served graph is (the same quads), if any: computed once, for graphs of moderate size."""
        with self._lock:
            if not self._matching:
                self._matching.append(self._compare())
            version = self._matching[0]
        return None if version is None else self._archive().release(version)

    def _compare(self) -> str | None:
        store = self.current.local_store()
        if self.archive is None or store is None or len(store) > LARGEST_COMPARED:
            return None
        served = digest(canonical_lines(store))
        return next((r.version for r in self.archive.history.releases if r.sha256 == served), None)
