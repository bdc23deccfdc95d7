"""``klynge load``: bulk-load the repository graph plus extra RDF files into an on-disk Oxigraph store, or
publish it to a remote SPARQL store.

The store then holds the published graph (sources plus materialised entailments), so
``klynge serve --store DIR`` opens it without reloading. ``--sparql-endpoint`` sends the same graph to a
remote store by SPARQL Update, in batches (``publish``).

How the store is built, swapped in and locked is ``klynge.engines.disk_store``'s; this module is the command.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.engines.base import SPARQL_JSON
from klynge.engines.disk_store import StoreError, load_store, recorded_quads
from klynge.engines.remote.bulk import bulk_file
from klynge.engines.remote.dialect import BY_NAME, SPARQL11, Dialect, detect
from klynge.engines.remote.engine import solutions
from klynge.engines.remote.http import Endpoint, EndpointError, EndpointRefused
from klynge.graph.build import SourceError, build_store, default_sources, published_quads, published_triples


def fail(message: str, code: int) -> int:
    """Say what stopped ``klynge load`` and return its exit code."""
    print(f"klynge load: {message}", file=sys.stderr)
    return code


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
    dialect: Dialect | None = None,
) -> int:
    """Build the published graph, clear its target graphs on the remote store and insert it; the exit code.

    Updates go to ``update_endpoint`` where the store has a separate one (Fuseki); afterwards the query
    endpoint is asked how many triples each graph holds, so a store that dropped some is caught. Prints one
    line per graph and a total. A bad source file or IRI exits 2, a failing or short-changing endpoint 1.
    The store's dialect (given, else read from its answer to the first update) says which quads it must hold
    (``Dialect.stored_quads``: Virtuoso's union graph too) and whether it loads by SPARQL Update at all.
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
    if dialect is not None and not dialect.loads_by_update:
        return fail(f"{dialect.name} does not load by SPARQL Update: write the file its loader reads with --nquads", 2)
    updates, queries = Endpoint(target, UPDATE_TIMEOUT), Endpoint(endpoint, UPDATE_TIMEOUT)
    try:
        if dialect is None:
            dialect = detect(updates.send(drop(quads[0].graph_name.value), form="UPDATE", accept="*/*").server)
        quads = list(dialect.stored_quads(quads, one_graph=graph_iri is not None))
        counts: dict[str, int] = {}
        for quad in quads:
            counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
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
    target.add_argument(
        "--nquads",
        type=Path,
        metavar="FILE",
        help="write the graph as the --dialect's store must hold it, for that store's own bulk loader (the "
        "command is printed); the road for a large graph, and for QLever, which takes no SPARQL Update",
    )
    parser.add_argument(
        "--dialect",
        choices=sorted(BY_NAME),
        help="with --sparql-endpoint or --nquads: the kind of store (default: read from the store's answer; "
        "with --nquads, plain SPARQL 1.1)",
    )
    parser.add_argument("--graph", metavar="IRI", help="with --sparql-endpoint: the named graph to load into")
    parser.add_argument(
        "--update-endpoint", metavar="URL", help="with --sparql-endpoint: where updates go, if not there (Fuseki)"
    )


def run(args: argparse.Namespace) -> int:
    """Load, then report the time taken, the triple count and the store's size on disk."""
    dialect = BY_NAME[args.dialect] if args.dialect else None
    if args.store and args.dialect:
        return fail("--dialect names the kind of a remote store: use it with --sparql-endpoint or --nquads", 2)
    if args.nquads and (args.graph or args.update_endpoint):
        return fail("--graph and --update-endpoint are for --sparql-endpoint; --nquads keeps each file's graph", 2)
    if args.nquads:
        try:
            print(bulk_file(args.files, args.nquads, dialect or SPARQL11))
        except SourceError as error:
            return fail(str(error), 2)
        except OSError as error:
            return fail(f"cannot write {args.nquads}: {error}", 2)
        return 0
    if args.sparql_endpoint:
        return publish(
            args.sparql_endpoint, args.files, args.graph, update_endpoint=args.update_endpoint, dialect=dialect
        )
    started = time.perf_counter()
    try:
        store, added = load_store(args.store, args.files)
    except (SourceError, StoreError) as error:
        return fail(str(error), 2)
    except OSError as error:
        return fail(f"cannot write the store in {args.store}: {error}", 2)
    seconds = time.perf_counter() - started
    del store
    quads = recorded_quads(args.store)
    size = directory_size(args.store) / 2**20
    print(
        f"loaded {quads:,} quads ({added:,} materialised) into {args.store} in {seconds:.1f} s; {size:,.0f} MiB on disk"
    )
    return 0
