"""The on-disk store ``klynge load`` fills and ``klynge serve`` / ``validate --store`` open: built beside its
folder and swapped in when complete, locked while it is served.

A store is never half-loaded where it is served: it is built in a folder beside DIR, a completion marker
(``klynge-store.json``) is written into it last, and only then does it take DIR's place by renames. An
interrupted load leaves DIR as it was (or absent), and ``serve``/``validate`` refuse a folder without the
marker. A served store is locked: ``klynge serve`` holds a shared lock on its marker, and a load, which
needs it exclusively, is refused while any server runs on the store.

Loading into a complete store extends it, the graphs the load writes (each source file's) replacing their
earlier selves, and the derived graphs (statistics, entailments, labels) derived again from all it then
holds: loading the same files again gives the same store, and extending a store gives the store a fresh load
of all its files gives.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

import pyoxigraph as ox

from klynge.graph import statistics
from klynge.graph.aggregates import AGGREGATES_GRAPH
from klynge.graph.build import Source, default_sources, file_source, graph_name, load_published, sources
from klynge.graph.statistics import STATISTICS_GRAPH
from klynge.rdf.namespaces import INFERRED_GRAPH

MARKER = "klynge-store.json"
T = TypeVar("T")
DERIVED_GRAPHS: set[ox.NamedNode | ox.BlankNode] = {INFERRED_GRAPH, AGGREGATES_GRAPH, STATISTICS_GRAPH}


class StoreError(Exception):
    """A store folder that cannot be used as asked; the message says why and what to do."""


def is_complete(directory: Path) -> bool:
    """Whether ``directory`` holds a store whose load finished (its marker is written last)."""
    return (directory / MARKER).is_file()


def is_absent(directory: Path) -> bool:
    """Whether there is nothing at ``directory`` yet (no folder, or an empty one)."""
    return not directory.exists() or (directory.is_dir() and not any(directory.iterdir()))


def interrupted_load(directory: Path) -> bool:
    """Whether a ``klynge load`` into ``directory`` began and left no store: the folder is absent or empty but
    the load's lock file (or its staging folder) is beside it."""
    lock = directory.with_name(f".{directory.name}.lock")
    staging = directory.parent.glob(f".{directory.name}.loading-*")
    return is_absent(directory) and (lock.exists() or any(staging))


def require_complete(directory: Path, command: str) -> None:
    """StoreError unless ``directory`` holds a complete store, saying how to rebuild it."""
    if directory.exists() and not directory.is_dir():
        raise StoreError(f"--store {directory} exists and is not a folder")
    if is_absent(directory):
        raise StoreError(f"{directory} holds no store; build one with 'klynge load --store {directory} [FILES]'")
    if not is_complete(directory):
        raise StoreError(
            f"{directory} holds no complete klynge store: its completion marker {MARKER} is missing, so a "
            f"'klynge load' was interrupted or the folder was made otherwise; 'klynge {command}' will not use it. "
            f"Rebuild it: remove the folder, then run 'klynge load --store {directory} [FILES]'"
        )


def lock_for_serving(directory: Path) -> IO[str]:
    """A shared lock on a complete store, held while the returned file stays open (for the process's life):
    a ``klynge load`` into the store is refused meanwhile."""
    marker = (directory / MARKER).open()
    try:
        fcntl.flock(marker, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        marker.close()
        raise StoreError(
            f"{directory} is being replaced by a 'klynge load'; start again when it has finished"
        ) from None
    return marker


class Exclusive:
    """An exclusive lock on ``path`` (created if need be) for a ``with`` block; StoreError(``busy``) if another
    process holds it. (A class, not a generator: SourceError, a frozen dataclass, must pass through intact.)"""

    def __init__(self, path: Path, busy: str) -> None:
        self.path = path
        self.busy = busy
        self._handle: IO[str] | None = None

    def __enter__(self) -> None:
        self._handle = self.path.open("a")
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            raise StoreError(self.busy) from None

    def __exit__(self, *_: object) -> None:
        if self._handle is not None:
            self._handle.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(directory: Path) -> None:
    """Remove what interrupted loads into ``directory`` left beside it (their process has gone)."""
    for leftover in directory.parent.glob(f".{directory.name}.*-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if leftover.is_dir() and pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def recorded_quads(directory: Path) -> int:
    """The quads a complete store holds, as its marker records them (counting them again takes seconds)."""
    return int(json.loads((directory / MARKER).read_text())["quads"])


def write_marker(staging: Path, quads: int, files: list[Path]) -> None:
    """The completion marker, written last and flushed to disk before the store takes its place."""
    record = {"quads": quads, "files": [str(path) for path in files], "loaded": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    with (staging / MARKER).open("w") as handle:
        json.dump(record, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())


def build(staging: Path, files: list[Path], previous: Path | None = None) -> tuple[int, int]:
    """Build a complete store in the folder ``staging`` (created; it must not hold a store) from the repository
    graph and ``files``, with the graphs of ``previous`` (a store being extended) that the files do not write
    again: the published graph as a fresh load of all of them would make it. Quads in the store, and quads
    derived (the participation statistics and the inferred graph).

    One bulk write, as the engine's own loader makes (``graph.build.load_published``): the sources stream past
    three times (large files are read from the file each time), so memory holds what the derivation keeps, not
    the data. A store being extended gives its kept graphs as one N-Quads file written beside ``staging``; its
    statistics, labels and entailments are derived again with the new files', never kept.
    """
    with tempfile.TemporaryDirectory(prefix=f".{staging.name}.scratch-", dir=staging.parent) as scratch:
        kept: list[Source] = []
        if previous is not None:
            dumped = Path(scratch) / "kept.nq"
            older = kept_quads(ox.Store.read_only(str(previous)), written_graphs(default_sources() + files))
            ox.serialize(older, output=str(dumped), format=ox.RdfFormat.N_QUADS)
            kept.append(file_source(dumped, "k", None))
        read = kept + sources(default_sources() + files, Path(scratch))
        noted = statistics.Noted()
        writing(staging, lambda store: load_published(store, read, noted.noting))
    # The VoID statistics are counted on a read-only handle: while a read-write one is open, RocksDB compacts
    # the files the bulk write left, and its compacted files are larger (an EU27 store of 1.9 GiB grew to 3.8
    # while the counts ran). Only their few quads are written afterwards. The counts per graph give the quads
    # stored and derived, which counting again would cost seconds at EU27.
    frozen = ox.Store.read_only(str(staging))
    description = statistics.described(frozen, noted)
    unnamed = sum(1 for _ in frozen.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    del frozen
    counted = description.quads
    writing(staging, lambda store: store.extend(counted))
    sizes = description.graph_sizes
    derived = sum(sizes.get(graph, 0) for graph in DERIVED_GRAPHS if isinstance(graph, ox.NamedNode))
    return sum(sizes.values()) + unnamed + len(counted), derived + len(counted)


def writing(folder: Path, write: Callable[[ox.Store], T]) -> T:
    """``write`` on the store in ``folder`` opened read-write, then flushed and closed (RocksDB writes its last
    files and stops compacting); what ``write`` returned."""
    store = ox.Store(str(folder))
    result = write(store)
    store.flush()
    del store
    gc.collect()  # closes the read-write handle
    return result


def written_graphs(files: list[Path]) -> set[ox.NamedNode | ox.BlankNode]:
    """The named graphs a load of ``files`` writes (one per file), and those derived from all of them."""
    return {graph_name(path) for path in files} | DERIVED_GRAPHS


def kept_quads(previous: ox.Store, written: set[ox.NamedNode | ox.BlankNode]) -> Iterator[ox.Quad]:
    """What a store being extended keeps: every graph the new load does not write again. A graph it writes
    (a source file's, the repository's every time) is replaced, not added to, so loading the same files twice
    gives the same store: their blank nodes, parsed afresh with new labels, would otherwise be doubled. The
    derived graphs (statistics, inferred) are derived again from what is kept and what is loaded."""
    for graph in [ox.DefaultGraph(), *previous.named_graphs()]:
        if graph not in written:
            yield from previous.quads_for_pattern(None, None, None, graph)


def load_store(directory: Path, files: list[Path]) -> tuple[ox.Store, int]:
    """Load the repository graph and ``files`` into the store in ``directory`` (created, or extended when it
    holds a complete store), atomically; the store opened read-only, and the materialised triples added.

    StoreError when ``directory`` is served, being loaded by another process, or holds something else.
    """
    directory = directory.absolute()
    if directory.exists() and not directory.is_dir():
        raise StoreError(f"--store {directory} exists and is not a folder")
    extend = is_complete(directory)
    if not extend and not is_absent(directory):
        raise StoreError(
            f"{directory} is not empty but holds no complete klynge store (no {MARKER}); loading would "
            "discard what it holds: remove it, or choose another folder"
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}.loading-{os.getpid()}")
    with contextlib.ExitStack() as locks:
        locks.enter_context(
            Exclusive(
                directory.with_name(f".{directory.name}.lock"),
                f"another 'klynge load' is writing {directory}; wait for it to finish",
            )
        )
        if extend:
            locks.enter_context(
                Exclusive(
                    directory / MARKER,
                    f"{directory} is being served by 'klynge serve'; stop the server first, or load into another "
                    "folder and serve that",
                )
            )
        remove_stale(directory)
        try:
            quads, added = build(staging, files, directory if extend else None)
            write_marker(staging, quads, files)
            replace(directory, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return ox.Store.read_only(str(directory)), added


def replace(directory: Path, staging: Path) -> None:
    """Put the finished store in ``staging`` in ``directory``'s place: a rename each, so at every moment
    ``directory`` is the old store, absent, or the new store, never a part of one."""
    retired = directory.with_name(f".{directory.name}.old-{os.getpid()}")
    if directory.exists():
        os.rename(directory, retired)
    os.rename(staging, directory)
    shutil.rmtree(retired, ignore_errors=True)
