"""``klynge load``: bulk-load the repository graph plus extra RDF files into an on-disk Oxigraph store.

The store then holds the published graph (sources plus materialised entailments), so
``klynge serve --store DIR`` opens it without reloading. ``--sparql-endpoint`` loads a remote store instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from klynge.graph.build import SourceError, bulk_load, default_sources, materialise


def load_store(directory: Path, files: list[Path]) -> tuple[ox.Store, int]:
    """Load the repository graph and ``files`` into the store in ``directory``, with their entailments.

    The entailment rules scan the whole graph several times, which is an order of magnitude faster in memory
    than on disk, so the graph is built in memory and then copied to disk in one bulk write.
    """
    memory = ox.Store()
    bulk_load(memory, default_sources() + files)
    added = materialise(memory)
    store = ox.Store(str(directory))
    store.bulk_extend(memory)
    store.optimize()
    return store, added


def directory_size(directory: Path) -> int:
    """Bytes on disk under a folder."""
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``klynge load``."""
    parser.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="extra RDF files (klynge synth output)"
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--store", type=Path, metavar="DIR", help="on-disk store to create or extend")
    target.add_argument("--sparql-endpoint", metavar="URL", help="remote SPARQL 1.1 store to publish to")
    parser.add_argument("--graph", metavar="IRI", help="with --sparql-endpoint: the named graph to load into")
    parser.add_argument(
        "--update-endpoint", metavar="URL", help="with --sparql-endpoint: where updates go, if not there (Fuseki)"
    )


def run(args: argparse.Namespace) -> int:
    """Load, then report the time taken, the triple count and the store's size on disk."""
    if args.sparql_endpoint:
        from klynge.engines.remote import publish

        return publish(args.sparql_endpoint, args.files, args.graph, update_endpoint=args.update_endpoint)
    if args.store.exists() and not args.store.is_dir():
        print(f"klynge load: --store {args.store} exists and is not a folder", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        store, added = load_store(args.store, args.files)
    except SourceError as error:
        print(f"klynge load: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"klynge load: cannot open the store in {args.store}: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    quads = len(store)
    del store
    size = directory_size(args.store) / 2**20
    print(
        f"loaded {quads:,} quads ({added:,} materialised) into {args.store} "
        f"in {seconds:.1f} s; {size:,.0f} MiB on disk"
    )
    return 0
