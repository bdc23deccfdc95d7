"""Every recorded release queryable at once, in one store that grows with the deltas, and the engine that
answers a request from the release it names (``release=VERSION``) or from the served graph.

Storage. Each distinct quad of any release is kept once, in a graph named by the source graph it was in and
the run of consecutive releases that hold it: ``<https://w3id.org/klynge/graph/policy/releases/0.1.0..0.2.0>``.
Release R is then the dataset whose default graph is the union of the graphs whose run contains R, and whose
named graphs are the same (pyoxigraph's ``default_graph``/``named_graphs`` lists): nothing is copied per
release, so a release that changes 1% of the statements adds about 1% to the store (``bench/releases.py``
measures it). Why not the same in the served store: its named graphs are one per source file, which queries,
VoID subsets and dumps name; splitting them by release would rename the graphs every user sees. The served
graph stays as it was, and the releases live beside it in this archive.

Selection. ``ReleaseSwitch`` is the engine the routes hold; a request's ``release=`` (set by the web layer in
``SELECTED`` for the duration of the request) sends its queries to the archive, restricted to that release's
graphs, so every route, answer and named query time-travels without knowing it. The release's recorded
SHA-256 is its ``graph_version``, so its ETags and cached answers are the same after restarts and later
releases. In a release's dataset ``GRAPH ?g`` names the run graphs above (documented in docs/releases.md).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from klynge.engines.base import SERVICE_DATASET, Bindings, Dataset, Engine, QueryError, Results
from klynge.engines.cache import CachingEngine
from klynge.engines.store import EmbeddedEngine
from klynge.graph.releases import (
    History,
    Release,
    canonical_lines,
    digest,
    iter_subject_iris,
    quads_of,
    read_history,
)
from klynge.namespaces import PREFIXES

# The release a request asked for (None: the served graph); set by the web layer around each request.
SELECTED: ContextVar[str | None] = ContextVar("klynge_release", default=None)
IS_REPLACED_BY = PREFIXES["dcterms"] + "isReplacedBy"
LARGEST_COMPARED = 200_000  # quads: a served graph larger than this is not compared with the releases


def run_graph(graph: str, first: str, last: str) -> str:
    """The archive graph of the statements ``graph`` held from release ``first`` to ``last``."""
    return f"{graph}/releases/{first}..{last}"


def runs_of(history: History) -> Iterator[tuple[str, int, int]]:
    """Each line of every release with the first and last release (by index) of its run of consecutive
    releases (a line left out and taken back later has two runs)."""
    opened: dict[str, int] = {}
    previous: set[str] = set()
    versions: list[str | None] = [*history.versions, None]
    for index, version in enumerate(versions):
        current = set(history.lines(version)) if version is not None else set()
        for line in sorted(previous - current):
            yield line, opened.pop(line), index - 1
        for line in current - previous:
            opened[line] = index
        previous = current


class ReleaseArchive:
    """The recorded releases in one store (see the module's docstring), queried by an embedded engine."""

    def __init__(self, history: History, *, workers: int = 1, timeout: float = 10.0, max_results: int = 100_000,
                 cache_mb: float = 16) -> None:
        self.history = history
        versions = history.versions
        self.store = ox.Store()
        self._graphs: dict[str, list[str]] = {version: [] for version in versions}
        self._counts: dict[str, Counter[str]] = {version: Counter() for version in versions}
        collected = list(runs_of(history))
        quads = quads_of(line for line, _, _ in collected)  # one parse: a blank-node label is one node
        made: set[str] = set()
        stored = []
        for quad, (_, first, last) in zip(quads, collected, strict=True):
            source = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
            graph = run_graph(source, versions[first], versions[last])
            stored.append(ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(graph)))
            if graph not in made:
                made.add(graph)
                for version in versions[first:last + 1]:
                    self._graphs[version].append(graph)
            for version in versions[first:last + 1]:
                self._counts[version][source] += 1
        self.store.extend(stored)
        self._subjects: dict[str, list[str]] = {}
        self._replaced: dict[str, str] = {}
        for release in history.releases:
            for iri in {iri for iri in iter_subject_iris(history.lines(release.version))}:
                self._subjects.setdefault(iri, []).append(release.version)
            self._replaced.update(release.renamed)
            for line in history.lines(release.version):
                if f"> <{IS_REPLACED_BY}> <" in line and line.startswith("<"):
                    subject, _, rest = line[1:].partition("> ")
                    self._replaced.setdefault(subject, rest.split("> <", 1)[1].split(">", 1)[0])
        self._stores: dict[str, ox.Store] = {}
        self._lock = threading.Lock()
        self.engine = CachingEngine(
            EmbeddedEngine(self.store, timeout=timeout, max_results=max_results, workers=workers),
            max_bytes=int(cache_mb * 2**20),
        )

    @property
    def versions(self) -> list[str]:
        return self.history.versions

    def release(self, version: str) -> Release:
        return self.history.get(version)

    def graphs(self, version: str) -> list[str]:
        """The archive graphs that make up ``version``."""
        self.history.get(version)
        return sorted(self._graphs[version])

    def dataset(self, version: str, asked: Dataset = SERVICE_DATASET) -> Dataset:
        """The dataset of ``version``; graphs a request names (source graphs) become their runs in it."""
        graphs = self.graphs(version)
        if not asked:
            return Dataset.of(graphs, graphs)

        def runs(names: tuple[str, ...]) -> list[str]:
            return [graph for graph in graphs if graph.rsplit("/releases/", 1)[0] in names]

        return Dataset.of(runs(asked.default) or ["urn:klynge:no-such-graph"], runs(asked.named))

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

    def graph_counts(self, version: str) -> dict[str, int]:
        return dict(self._counts[version])

    def store_of(self, version: str) -> ox.Store:
        """The release as a store of its own (for dumps), built when first asked for."""
        with self._lock:
            if version not in self._stores:
                store = ox.Store()
                store.extend(quads_of(self.history.lines(version)))
                self._stores[version] = store
            return self._stores[version]

    def close(self) -> None:
        self.engine.close()


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
        self, query: str, result_format: str, *, dataset: Dataset = SERVICE_DATASET, bindings: Bindings = None,
        base_iri: str | None = None,
    ) -> Results:
        version = self.selected()
        if version is None:
            return self.current.run(query, result_format, dataset=dataset, bindings=bindings, base_iri=base_iri)
        archive = self._archive()
        return archive.engine.run(query, result_format, dataset=archive.dataset(version, dataset),
                                  bindings=bindings, base_iri=base_iri)

    def cached(self, query: str, result_format: str, *, dataset: Dataset = SERVICE_DATASET,
               base_iri: str | None = None) -> tuple[bytes, str] | None:
        version = self.selected()
        if version is None:
            held = getattr(self.current, "cached", None)
            return held(query, result_format, dataset=dataset, base_iri=base_iri) if held else None
        archive = self._archive()
        return archive.engine.cached(query, result_format, dataset=archive.dataset(version, dataset),
                                     base_iri=base_iri)

    def graph_counts(self) -> dict[str, int]:
        version = self.selected()
        return self.current.graph_counts() if version is None else self._archive().graph_counts(version)

    def graph_version(self) -> str:
        version = self.selected()
        if version is None:
            return self.current.graph_version()
        return "release-" + self._archive().release(version).sha256[:16]

    def local_store(self) -> ox.Store | None:
        version = self.selected()
        return self.current.local_store() if version is None else self._archive().store_of(version)

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
