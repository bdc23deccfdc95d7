"""``klynge load``: bulk-load the repository graph plus extra RDF files into an on-disk Oxigraph store, or
publish it to a remote SPARQL store.

The store then holds the published graph (sources plus materialised entailments), so
``klynge serve --store DIR`` opens it without reloading. ``--sparql-endpoint`` sends the same graph to a
remote store by SPARQL Update, in batches (``publish``).

Loading into a complete store extends it, the graphs the load writes (each source file's) replacing their
earlier selves: loading the same files again gives the same store.

A store is never half-loaded where it is served: it is built in a folder beside DIR, a completion marker
(``klynge-store.json``) is written into it last, and only then does it take DIR's place by renames. An
interrupted load leaves DIR as it was (or absent), and ``serve``/``validate`` refuse a folder without the
marker. A served store is locked: ``klynge serve`` holds a shared lock on its marker, and a load, which
needs it exclusively, is refused while any server runs on the store.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gc
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.engines.base import SPARQL_JSON
from klynge.engines.remote.engine import solutions
from klynge.engines.remote.http import Endpoint, EndpointError, EndpointRefused
from klynge.graph.build import (
    SourceError,
    add_sources,
    build_store,
    default_sources,
    graph_name,
    materialise,
    published_quads,
    published_triples,
)
from klynge.rdf.namespaces import INFERRED_GRAPH


def fail(message: str, code: int) -> int:
    """Say what stopped ``klynge load`` and return its exit code."""
    print(f"klynge load: {message}", file=sys.stderr)
    return code


MARKER = "klynge-store.json"


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


def write_marker(staging: Path, quads: int, files: list[Path]) -> None:
    """The completion marker, written last and flushed to disk before the store takes its place."""
    record = {"quads": quads, "files": [str(path) for path in files], "loaded": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    with (staging / MARKER).open("w") as handle:
        json.dump(record, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())


def build(staging: Path, files: list[Path], previous: Path | None) -> tuple[int, int]:
    """Fill a new store in ``staging``: the quads of ``previous`` (a store being extended), the repository
    graph and ``files`` with their entailments. Quads and materialised triples added.

    Everything streams into the store on disk, so memory stays flat however large the files: the engine's bulk
    loader reads the large files itself, the entailment passes read the store and write what they derive to a
    file beside it, which the loader reads in one go (add_sources, materialise).
    """
    store = ox.Store(str(staging))
    if previous is not None:
        store.bulk_extend(kept_quads(ox.Store.read_only(str(previous)), written_graphs(default_sources() + files)))
    add_sources(store, default_sources() + files)
    added = materialise(store, scratch=staging.parent)
    quads = len(store)
    store.flush()
    del store
    gc.collect()  # closes the read-write handle: RocksDB writes its last files
    return quads, added


def written_graphs(files: list[Path]) -> set[ox.NamedNode | ox.BlankNode]:
    """The named graphs a load of ``files`` writes (one per file)."""
    return {graph_name(path) for path in files}


def kept_quads(previous: ox.Store, written: set[ox.NamedNode | ox.BlankNode]) -> Iterator[ox.Quad]:
    """What a store being extended keeps: every graph the new load does not write again. A graph it writes
    (a source file's, the repository's every time) is replaced, not added to, so loading the same files twice
    gives the same store: their blank nodes, parsed afresh with new labels, would otherwise be doubled. The
    inferred graph is kept but for its blank-node quads, which the new load derives again."""
    for graph in [ox.DefaultGraph(), *previous.named_graphs()]:
        if graph == INFERRED_GRAPH:
            for quad in previous.quads_for_pattern(None, None, None, graph):
                if not isinstance(quad.subject, ox.BlankNode) and not isinstance(quad.object, ox.BlankNode):
                    yield quad
        elif graph not in written:
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


# ---------------------------------------------------------------------------------------------------------
# Publishing: klynge load --sparql-endpoint
# ---------------------------------------------------------------------------------------------------------

BATCH_SIZE = 1000
UPDATE_TIMEOUT = 300.0
GRAPH_COUNTS = internal("graph-counts")


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


def drop(graph: str) -> str:
    """The update that empties one target graph before it is loaded again (generated, like ``insert``)."""
    return f"DROP SILENT GRAPH {ox.NamedNode(graph)}"


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
        return fail(str(error), 2)
    except ValueError as error:
        return fail(f"--graph {graph_iri!r} is not an IRI: {error}", 2)
    counts: dict[str, int] = {}
    for quad in quads:
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    updates, queries = Endpoint(target, UPDATE_TIMEOUT), Endpoint(endpoint, UPDATE_TIMEOUT)
    try:
        for graph in counts:
            updates.send(drop(graph), form="UPDATE", accept="*/*")
        for batch in batches(quads, batch_size):
            updates.send(insert(batch), form="UPDATE", accept="*/*")
        dataset = [("named-graph-uri", graph) for graph in counts]
        answer = queries.send(GRAPH_COUNTS.sparql, form="SELECT", accept=SPARQL_JSON, parameters=dataset)
    except EndpointRefused as error:
        return fail(f"the SPARQL endpoint refused a request: {error}", 1)
    except EndpointError as error:
        return fail(str(error), 1)
    finally:
        updates.close()
        queries.close()
    held = {row["g"].value: int(row["n"].value) for row in solutions(answer)}
    for graph, count in counts.items():
        print(f"  {count:>8,} triples  <{graph}>")
    seconds = time.perf_counter() - started
    print(f"published {len(quads):,} triples in {len(counts)} graphs to {target} in {seconds:.1f} s")
    missing = {graph: count for graph, count in counts.items() if held.get(graph, 0) != count}
    for graph, count in missing.items():
        print(
            f"klynge load: {endpoint} holds {held.get(graph, 0):,} triples in <{graph}>, not the {count:,} sent",
            file=sys.stderr,
        )
    return 1 if missing else 0


def directory_size(directory: Path) -> int:
    """Bytes on disk under a folder."""
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``klynge load``."""
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="extra RDF files (klynge synth output)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="on-disk store to create or extend (built beside DIR and swapped in when complete; refused while "
        "'klynge serve' runs on it)",
    )
    target.add_argument("--sparql-endpoint", metavar="URL", help="remote SPARQL 1.1 store to publish to")
    parser.add_argument("--graph", metavar="IRI", help="with --sparql-endpoint: the named graph to load into")
    parser.add_argument(
        "--update-endpoint", metavar="URL", help="with --sparql-endpoint: where updates go, if not there (Fuseki)"
    )


def run(args: argparse.Namespace) -> int:
    """Load, then report the time taken, the triple count and the store's size on disk."""
    if args.sparql_endpoint:
        return publish(args.sparql_endpoint, args.files, args.graph, update_endpoint=args.update_endpoint)
    started = time.perf_counter()
    try:
        store, added = load_store(args.store, args.files)
    except (SourceError, StoreError) as error:
        return fail(str(error), 2)
    except OSError as error:
        return fail(f"cannot write the store in {args.store}: {error}", 2)
    seconds = time.perf_counter() - started
    quads = len(store)
    del store
    size = directory_size(args.store) / 2**20
    print(
        f"loaded {quads:,} quads ({added:,} materialised) into {args.store} in {seconds:.1f} s; {size:,.0f} MiB on disk"
    )
    return 0
