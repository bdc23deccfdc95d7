"""``klynge serve``: build (or open) the graph, validate it, and serve it with uvicorn.

The store is built or opened and validated before the query workers are forked from it, and the workers
before uvicorn starts its threads (see ``klynge.engines.workers``).
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

import pyoxigraph as ox

from klynge.engines.cache import CachingEngine
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import SourceError, build_store
from klynge.settings import DEFAULT_BASE_IRI, Settings


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge serve``."""
    defaults = Settings()
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="serve an on-disk Oxigraph store (from 'klynge load --store DIR'); an empty or new DIR is "
        "filled with the repository's graph first (default: build the graph in memory)",
    )
    source.add_argument(
        "--sparql-endpoint",
        metavar="URL",
        help="answer from a remote SPARQL 1.1 store holding the graph ('klynge load --sparql-endpoint URL'); "
        "its data is not validated here",
    )
    parser.add_argument(
        "--graph",
        action="append",
        metavar="IRI",
        help="with --sparql-endpoint: a named graph to serve, as loaded with 'klynge load --graph IRI' "
        "(repeatable; default: every graph under https://w3id.org/klynge/graph/ on the store)",
    )
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="start without checking the graph with the SHACL shapes (a remote store's graph is not checked: "
        "validate the files before 'klynge load --sparql-endpoint')",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=defaults.query_timeout,
        metavar="S",
        help="time limit of each query in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--max-results",
        type=int,
        default=defaults.max_results,
        metavar="N",
        help="most rows or triples one answer may have (default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        metavar="N",
        help="query worker processes, the number of queries evaluated at once (default: %(default)s)",
    )
    parser.add_argument(
        "--cache-mb",
        type=float,
        default=defaults.cache_mb,
        metavar="MB",
        help="memory kept for the answers of repeated queries, which the read-only graph lets the service "
        "give again without running them; 0 turns the cache off (default: %(default)s)",
    )
    parser.add_argument(
        "--base-iri",
        default=DEFAULT_BASE_IRI,
        metavar="IRI",
        help="the IRI prefix served under this service's paths (default: %(default)s)",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL clients reach the service at, when behind a proxy (default: each request's own URL)",
    )


class StartError(Exception):
    """Why the service cannot start, for the person who started it."""


def on_disk_store(directory: Path) -> ox.Store:
    """The store in ``directory``, opened read-only; an empty or missing folder is loaded first."""
    if directory.exists() and not directory.is_dir():
        raise StartError(f"--store {directory} exists and is not a folder")
    if not directory.exists() or not any(directory.iterdir()):
        from klynge.engines.load import load_store

        print(f"klynge serve: loading the repository's graph into {directory}", file=sys.stderr)
        writable, _ = load_store(directory, [])
        writable.flush()
        del writable
        gc.collect()  # closes the read-write handle before the read-only ones open
    try:
        return ox.Store.read_only(str(directory))
    except OSError as error:
        raise StartError(f"cannot open the store in {directory}: {error}") from None


def validation_failure(store: ox.Store) -> str | None:
    """The validation report when the graph breaks the shapes, else None."""
    from klynge.validation.validate import ShapesError, validate_store

    try:
        result = validate_store(store)
    except (SourceError, ShapesError) as error:
        raise StartError(f"the shapes cannot be used: {error}") from None
    return None if result.conforms else result.text


def open_engine(args: argparse.Namespace, settings: Settings) -> CachingEngine:
    """The engine the options ask for, its graph validated unless --no-validate."""
    if args.graph and not args.sparql_endpoint:
        raise StartError("--graph names the graphs of a remote store: use it with --sparql-endpoint")
    if args.sparql_endpoint:
        from klynge.engines.remote import EndpointError, RemoteEngine

        try:  # no answer is kept: a remote store may change under the service
            remote = RemoteEngine(
                args.sparql_endpoint,
                graphs=args.graph,
                timeout=settings.query_timeout,
                max_results=settings.max_results,
            )
            return CachingEngine(remote, max_bytes=0)
        except EndpointError as error:
            raise StartError(str(error)) from None
    try:
        store = build_store() if args.store is None else on_disk_store(args.store)
    except SourceError as error:
        raise StartError(f"the graph cannot be read: {error}") from None
    if settings.validate_on_start:
        report = validation_failure(store)
        if report is not None:
            print(report, end="", file=sys.stderr)
            raise StartError("the graph does not conform to the shapes (report above); not starting")
    limits = {
        "timeout": settings.query_timeout,
        "max_results": settings.max_results,
        "workers": settings.workers,
    }
    embedded = EmbeddedEngine(store, path=args.store, **limits)
    return CachingEngine(embedded, max_bytes=int(settings.cache_mb * 2**20))


def run(args: argparse.Namespace) -> int:
    """Start the service; 1 when the graph is invalid or unreadable, 2 for unusable options."""
    import uvicorn

    from klynge.web.app import create_app

    try:
        settings = Settings(
            base_iri=args.base_iri,
            public_base_url=args.public_url,
            query_timeout=args.timeout,
            max_results=args.max_results,
            workers=args.workers,
            validate_on_start=not args.no_validate,
            cache_mb=args.cache_mb,
        )
    except ValueError as error:
        print(f"klynge serve: {error}", file=sys.stderr)
        return 2
    try:
        engine = open_engine(args, settings)
    except StartError as error:
        print(f"klynge serve: {error}", file=sys.stderr)
        return 1
    url = f"http://{args.host}:{args.port}"
    print(f"klynge serve: {engine.triple_count()} triples at {url}/ (SPARQL endpoint {url}/sparql)", flush=True)
    try:
        uvicorn.run(create_app(engine, settings), host=args.host, port=args.port, log_level="warning")
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a server is stopped: uvicorn has shut down, and so a clean exit
    finally:
        engine.close()
    return 0
