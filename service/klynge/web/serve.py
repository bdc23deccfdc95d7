"""``klynge serve``: build (or open) the graph, validate it, and serve it with uvicorn.

The store is built or opened and validated before the query workers are forked from it, and the workers
before uvicorn starts its threads (see ``klynge.engines.workers``). An on-disk store must be complete (see
``klynge.engines.disk_store``) and stays locked against ``klynge load`` while it is served.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from dataclasses import fields
from pathlib import Path
from typing import IO, get_type_hints

import pyoxigraph as ox
import uvicorn

from klynge.engines.base import QueryError
from klynge.engines.cache import CachingEngine
from klynge.engines.disk_store import (
    StoreError,
    interrupted_load,
    is_absent,
    load_store,
    lock_for_serving,
    require_complete,
)
from klynge.engines.remote.dialect import BY_NAME
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import SourceError, build_store
from klynge.rdf.namespaces import PREFIXES
from klynge.settings import DEFAULT_BASE_IRI, Limits, Settings
from klynge.web.hardening import timed_protocol

MAX_CONNECTIONS = 1000  # uvicorn answers 503 past this many open connections or requests in progress
SERVED_STORE_LOCKS: list[IO[str]] = []  # shared locks on served stores, held until the process exits


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge serve``."""
    defaults = Limits()
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="serve an on-disk Oxigraph store (from 'klynge load --store DIR'); a new DIR is filled with the "
        "repository's graph first, one an interrupted load left is refused (default: build the graph in memory)",
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
        f"(repeatable; default: every graph under {PREFIXES['kg']} on the store)",
    )
    parser.add_argument(
        "--dialect",
        choices=sorted(BY_NAME),
        help="with --sparql-endpoint: the kind of store (docs/remote-stores.md; default: read from its Server "
        "header, else plain SPARQL 1.1)",
    )
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="start without checking the graph with the SHACL shapes (a remote store's graph is not checked: "
        "validate the files before 'klynge load --sparql-endpoint')",
    )
    types = get_type_hints(Limits)
    for limit in fields(Limits):  # one option per limit, named as the field is
        if "help" in limit.metadata:
            parser.add_argument(
                "--" + limit.name.replace("_", "-"),
                type=types[limit.name],
                default=getattr(defaults, limit.name),
                metavar=limit.metadata["metavar"],
                help=limit.metadata["help"],
            )
    parser.add_argument(
        "--base-iri",
        default=DEFAULT_BASE_IRI,
        metavar="IRI",
        help="the prefix of the resource IRIs served under /id/ (and of /dataset and /shapes); the named graphs "
        "keep klynge's own IRIs, served under /graph/ (default: %(default)s)",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL clients reach the service at, when behind a proxy (default: the address it listens on; "
        "never the Host header a client sends)",
    )


def limits_given(args: argparse.Namespace) -> Limits:
    """The limits the options set (each option is named as its field; ValueError for an unusable one)."""
    return Limits(**{limit.name: getattr(args, limit.name) for limit in fields(Limits) if "help" in limit.metadata})


class StartError(Exception):
    """Why the service cannot start, for the person who started it."""


def on_disk_store(directory: Path) -> ox.Store:
    """The store in ``directory``, opened read-only and locked against loads; an empty or missing folder is
    loaded first, and an incomplete store is refused."""
    try:
        if interrupted_load(directory):  # not a new folder: the graph meant for it never arrived
            raise StoreError(
                f"{directory} holds no store, but a 'klynge load --store {directory}' was started and did not "
                f"finish (its lock file .{directory.name}.lock is beside it), so serving the repository's graph "
                f"alone would hide that. Run 'klynge load --store {directory} [FILES]' again (or delete the lock "
                "file to serve the repository's graph)"
            )
        if is_absent(directory):
            print(f"klynge serve: loading the repository's graph into {directory}", file=sys.stderr)
            load_store(directory, [])
        require_complete(directory, "serve")
        SERVED_STORE_LOCKS.append(lock_for_serving(directory))
    except StoreError as error:
        raise StartError(str(error)) from None
    try:
        return ox.Store.read_only(str(directory))
    except OSError as error:
        raise StartError(f"cannot open the store in {directory}: {error}") from None


class Ticker:
    """Prints how long a step has been running every ``every`` seconds, in a thread stopped (and joined)
    at the end of the block, before anything forks."""

    def __init__(self, what: str, every: float = 10.0) -> None:
        self.what = what
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def _tick(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(self.every):
            print(f"klynge serve: still {self.what} ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def validation_failure(store: ox.Store, engine: str) -> str | None:
    """The validation report when the graph breaks the shapes, else None; progress on stderr meanwhile."""
    from klynge.validation.validate import ShapesError, validate_store

    how = "the shapes compiled to SPARQL" if engine == "sparql" else "pySHACL"
    print(
        f"klynge serve: validating the graph with the SHACL shapes ({how}); --no-validate skips this",
        file=sys.stderr,
        flush=True,
    )
    started = time.monotonic()
    try:
        with Ticker("validating"):
            result = validate_store(store, engine=engine)
    except (SourceError, ShapesError) as error:
        raise StartError(f"the shapes cannot be used: {error}") from None
    print(f"klynge serve: validated in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return None if result.conforms else result.text


def open_engine(args: argparse.Namespace, settings: Settings) -> CachingEngine:
    """The engine the options ask for, its graph validated unless --no-validate."""
    if (args.graph or args.dialect) and not args.sparql_endpoint:
        raise StartError("--graph and --dialect are about a remote store: use them with --sparql-endpoint")
    if args.sparql_endpoint:
        from klynge.engines.remote import RemoteEngine

        try:  # no answer is kept: a remote store may change under the service
            remote = RemoteEngine(
                args.sparql_endpoint,
                graphs=args.graph,
                timeout=settings.limits.timeout,
                max_results=settings.limits.max_results,
                dialect=BY_NAME[args.dialect] if args.dialect else None,
            )
        except QueryError as error:
            raise StartError(str(error)) from None
        try:
            remote.graph_counts()  # a store that answers its counts strangely stops the start, in one line
        except QueryError as error:
            remote.close()
            raise StartError(str(error)) from None
        return CachingEngine(remote, max_bytes=0)
    try:
        store = build_store() if args.store is None else on_disk_store(args.store)
    except SourceError as error:
        raise StartError(f"the graph cannot be read: {error}") from None
    if settings.validate_on_start:
        # an on-disk store may hold millions of triples: pySHACL would take minutes, the SPARQL engine seconds
        report = validation_failure(store, "pyshacl" if args.store is None else "sparql")
        if report is not None:
            print(report, end="", file=sys.stderr)
            raise StartError("the graph does not conform to the shapes (report above); not starting")
    embedded = EmbeddedEngine(store, path=args.store, limits=settings.limits)
    return CachingEngine(embedded, max_bytes=settings.limits.cache_bytes)


def listen_url(host: str, port: int) -> str:
    """The URL of the address the service listens on (this machine's name when it listens on every one)."""
    if host in ("", "0.0.0.0", "::"):
        host = socket.getfqdn()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def server_options(settings: Settings) -> dict[str, object]:
    """uvicorn's options beyond the address: slow clients cut off after the read timeout, connections
    bounded."""
    return {
        "log_level": "warning",
        "http": timed_protocol(settings.limits.read_timeout),
        "limit_concurrency": MAX_CONNECTIONS,
    }


def port_taken(host: str, port: int) -> str | None:
    """Why the service could not listen on host:port (taken, not an address here), or None when it can: asked
    before the graph is built and validated, so a taken port fails in a second, not after validation."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot listen on {host}: {error.strerror}"
    family, kind, protocol, _, address = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as error:
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def run(args: argparse.Namespace) -> int:
    """Start the service; 1 when the graph is invalid or unreadable, 2 for unusable options."""
    from klynge.web.app import create_app
    from klynge.web.pages import editor_bundle_missing

    try:
        settings = Settings(
            base_iri=args.base_iri,
            public_base_url=args.public_url,
            listen_url=listen_url(args.host, args.port),
            limits=limits_given(args),
            validate_on_start=not args.no_validate,
        )
    except ValueError as error:
        print(f"klynge serve: {error}", file=sys.stderr)
        return 2
    taken = port_taken(args.host, args.port)
    if taken:
        print(f"klynge serve: {taken}; choose another port with --port N (make serve PORT=N)", file=sys.stderr)
        return 2
    if editor_bundle_missing():
        print(
            "klynge serve: this installation has no SPARQL editor script (installed without Node); /query says "
            "how to build it, everything else works",
            file=sys.stderr,
        )
    try:
        try:
            engine = open_engine(args, settings)
        except StartError as error:
            print(f"klynge serve: {error}", file=sys.stderr)
            return 1
        url = f"http://{args.host}:{args.port}"
        print(f"klynge serve: {engine.triple_count()} triples at {url}/ (SPARQL endpoint {url}/sparql)", flush=True)
        try:
            uvicorn.run(create_app(engine, settings), host=args.host, port=args.port, **server_options(settings))
        except KeyboardInterrupt:
            pass  # Ctrl-C is how a server is stopped: uvicorn has shut down, and so a clean exit
        finally:
            engine.close()
    finally:
        while SERVED_STORE_LOCKS:  # the store may be loaded into again
            SERVED_STORE_LOCKS.pop().close()
    return 0
