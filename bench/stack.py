"""Where a request's time goes inside klynge, without the network: the serving stack measured apart.

For each benchmark query (bench/bench_queries.py), on a klynge store (bench/run.py's DK store by default), medians of:
the whole app (``create_app``: middlewares, routing, the SPARQL route) answering from the answer cache, by POST
(form) and by GET; the app with its cache off (the query goes to a worker process and back); the worker's
round trip alone (``answer_on_loop``); and the engine alone in this process (``workers.evaluate``, what the
worker runs). The ASGI app is called directly, so neither uvicorn nor a client is in the figures; the
differences are the stack's own cost: app over the cache, and the hop to the worker over the engine.

    python bench/stack.py [--store DIR] [--rounds N] [--before COMMIT] [--out bench/RESULTS.md]

Writes the ``bench-stack`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import uvloop

from klynge.engines.base import InspectedQuery
from klynge.engines.cache import CachingEngine
from klynge.engines.store import EmbeddedEngine
from klynge.engines.workers import Job, evaluate
from klynge.settings import Limits, Settings
from klynge.web.app import create_app

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import results  # noqa: E402 - bench/RESULTS.md's sections
from bench_queries import QUERIES, BenchQuery  # noqa: E402

BASE = "http://127.0.0.1:8000"


def scope(method: str, query: BenchQuery, form: bytes) -> dict[str, object]:
    """An HTTP request's ASGI scope as uvicorn gives it, for the query by GET or by a POSTed form."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", query.accept.encode())]
    if method == "POST":
        headers += [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"%d" % len(form))]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": "/sparql",
        "raw_path": b"/sparql",
        "query_string": form if method == "GET" else b"",
        "headers": headers,
    }


def asked(app: Callable[..., Awaitable[None]], method: str, query: BenchQuery) -> Callable[[], Awaitable[None]]:
    """One request to the app, checked to be answered with 200."""
    form = urlencode({"query": query.text}).encode()

    async def request() -> None:
        sent: list[dict[str, object]] = []
        body = [{"type": "http.request", "body": form if method == "POST" else b"", "more_body": False}]

        async def receive() -> dict[str, object]:
            if not body:  # the client stays: a disconnect would be waited for, never come
                await asyncio.Event().wait()
            return body.pop()

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        await app({**scope(method, query, form), "state": {}}, receive, send)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"{query.name} by {method}: status {sent[0]['status']}")

    return request


async def medians_ms(steps: list[Callable[[], Awaitable[object]]], rounds: int) -> list[float]:
    """Each step's median time, the steps taking turns round by round (a busy machine slows them alike)."""
    for step in steps:
        await step()  # warm: the answer cached, the worker's pages read
    samples: list[list[float]] = [[] for _ in steps]
    for _ in range(rounds):
        for step, times in zip(steps, samples, strict=True):
            started = time.perf_counter()
            await step()
            times.append(time.perf_counter() - started)
    return [statistics.median(times) * 1000 for times in samples]


async def measure(store_path: Path, rounds: int, version: str) -> list[str]:
    limits = Limits(timeout=600)
    settings = Settings(listen_url=BASE, limits=limits, validate_on_start=False)
    cached = CachingEngine(EmbeddedEngine(ox.Store.read_only(str(store_path)), path=store_path, limits=limits))
    uncached = CachingEngine(
        EmbeddedEngine(ox.Store.read_only(str(store_path)), path=store_path, limits=limits), max_bytes=0
    )
    store = ox.Store.read_only(str(store_path))
    rows = []
    try:
        apps = create_app(cached, settings), create_app(uncached, settings)
        for query in QUERIES:
            inspected = InspectedQuery.of(query.text)
            job = Job(query.text, query.accept, limits.max_results, base_iri=BASE + "/sparql")

            async def hop(query: BenchQuery = query, inspected: InspectedQuery = inspected) -> object:
                return await uncached.answer_on_loop(inspected, query.accept, base_iri=BASE + "/sparql")

            async def engine(job: Job = job) -> object:
                return evaluate(store, job)

            steps = [asked(apps[0], "POST", query), asked(apps[0], "GET", query), asked(apps[1], "POST", query)]
            post, get, app_uncached, worker, alone = await medians_ms([*steps, hop, engine], rounds)
            rows.append(
                f"| `{query.name}` | {version} | {post:.3f} | {get:.3f} | {app_uncached:.2f} | {worker:.2f} "
                f"| {alone:.2f} | {app_uncached - worker:.3f} | {worker - alone:.3f} |"
            )
    finally:
        cached.close()
        uncached.close()
    return rows


def before_rows(commit: str, store: Path, rounds: int) -> list[str]:
    """The rows of klynge as ``commit`` was: this script run again on that commit's package (bench/run.py's
    source tree of it)."""
    from run import source_tree

    tree = source_tree(commit)
    command = [sys.executable, __file__, "--store", str(store), "--rounds", str(rounds), "--rows", commit]
    env = {**os.environ, "PYTHONPATH": str(tree / "service")}
    measured = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=tree)
    return [line for line in measured.stdout.splitlines() if line.startswith("| `")]


def shown(path: Path) -> str:
    """A path as the command was given it: relative to the repository when inside it."""
    return str(path.relative_to(HERE.parent)) if path.is_relative_to(HERE.parent) else str(path)


def section(store: Path, rounds: int, rows: list[str], load: str, before: str | None) -> str:
    begin, end = results.markers("bench-stack")
    return "\n".join(
        [
            begin,
            "## The serving stack apart from the network (bench/stack.py)",
            "",
            f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on `{store.name}`, {rounds} rounds in "
            f"which each figure's step runs once (in turn); {load}. Command: "
            f"`python bench/stack.py --store {shown(store)}{f' --before {before}' if before else ''}`."
            + (
                f" The rows of klynge `{before}` are that commit's code (`--before`), measured after this tree's: "
                "not interleaved with them."
                if before
                else ""
            ),
            "",
            "The ASGI app called directly (no uvicorn, no client); medians in milliseconds. *app, cached*: the whole "
            "app answering from the answer cache; *app, uncached*: by POST with the cache off, the query run by a "
            "worker process; *worker round trip*: that query sent to the worker and its answer read on the event "
            "loop; *engine alone*: what the worker runs, in this process.",
            "",
            "| query | klynge | app, cached, POST | app, cached, GET | app, uncached | worker round trip "
            "| engine alone | app over its worker | hop over the engine |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
            *sorted(rows, key=lambda row: row.split("|")[1]),  # each query's rows together
            end,
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=HERE / "out" / "dk-store", help="a klynge store")
    parser.add_argument("--rounds", type=int, default=500, help="rounds: requests per figure (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="the results file")
    parser.add_argument("--before", metavar="COMMIT", help="measure klynge as COMMIT was too, after this tree")
    parser.add_argument("--rows", metavar="VERSION", help=argparse.SUPPRESS)  # --before's run: print the rows only
    args = parser.parse_args()
    if not (args.store / "klynge-store.json").exists():
        parser.error(f"{args.store} holds no klynge store: run bench/run.py (it loads bench/out/dk-store)")
    store = args.store.resolve()
    if args.rows:
        print("\n".join(uvloop.run(measure(store, args.rounds, args.rows))))
        return 0
    rows = uvloop.run(measure(store, args.rounds, "this tree"))
    load = results.machine()
    if args.before:
        rows += before_rows(args.before, store, args.rounds)
    block = section(store, args.rounds, rows, load, args.before)
    results.merge(args.out, "bench-stack", block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
