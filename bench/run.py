"""One command, one run: klynge against its peers on the same data, at DK and EU27 scale.

Engines: (a) klynge over HTTP, (b) rdflib-endpoint over HTTP on the same published graph, (c) rdflib in process,
(d) pyoxigraph in process (the engine floor), (e) a bare ASGI endpoint on the same store (the framework floor).
Every engine gets the same query text; the answers are compared before any time is reported. Engines run one
after another, so none competes with another for the two cores. Results go to bench/RESULTS.md.

    python bench/run.py [--scales dk,eu27] [--seconds 20] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
SCALES = {"dk": 1, "eu27": 27}
RDFLIB_LIMIT_S = 600
CLIENTS = 8
MAX_RUNS = 500  # enough samples for a steady median of a 1 ms lookup
JSON = "application/sparql-results+json"
UNCACHED = "klynge HTTP, cache off"
SECTION = re.compile(r"<!-- (?P<name>[\w-]+): begin -->.*?<!-- (?P=name): end -->", re.DOTALL)
ENGINE = "klynge engine in process, cache off"
sys.path.insert(0, str(HERE))

from bench_queries import QUERIES, BenchQuery, answer_key  # noqa: E402


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    error: str | None = None
    first: float = math.nan  # the first, uncached run, in seconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples) * 1000 if self.samples else math.nan

    @property
    def p95(self) -> float:
        if not self.samples:
            return math.nan
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] * 1000


@dataclass
class EngineRun:
    name: str
    timings: dict[str, Timing] = field(default_factory=dict)
    answers: dict[str, object] = field(default_factory=dict)
    throughput: dict[str, tuple[float, int, int]] = field(default_factory=dict)
    note: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(run_once: Callable[[], object], seconds: float) -> tuple[Timing, object]:
    """Time one first (cold) run, then repeated runs until ``seconds`` pass (at least 3, at most MAX_RUNS). A query
    whose first run took the whole budget is repeated once: the repeat, not the warm-up, is its sample."""
    started = time.perf_counter()
    answer = run_once()
    timing = Timing(first=time.perf_counter() - started)
    least = 1 if timing.first > seconds else 3
    deadline = time.perf_counter() + seconds
    while len(timing.samples) < MAX_RUNS and (len(timing.samples) < least or time.perf_counter() < deadline):
        started = time.perf_counter()
        run_once()
        timing.samples.append(time.perf_counter() - started)
    return timing, answer


# -- data --


def prepare(scale: str) -> tuple[Path, Path, str]:
    """Synthetic data for a scale, loaded into an on-disk store and exported as the published N-Triples."""
    OUT.mkdir(exist_ok=True)
    synth, store_dir, published = (
        OUT / f"{scale}-synth.nt",
        OUT / f"{scale}-store",
        OUT / f"{scale}-published.nt",
    )
    klynge = str(BIN / "klynge")
    if not synth.exists():
        subprocess.run(
            [klynge, "synth", "--countries", str(SCALES[scale]), "--seed", "1", "--out", str(synth)],
            check=True,
        )
    load_line = ""
    if not store_dir.exists():
        done = subprocess.run(
            [klynge, "load", "--store", str(store_dir), str(synth)],
            check=True,
            capture_output=True,
            text=True,
        )
        load_line = done.stdout.strip()
    if not published.exists():
        store = ox.Store.read_only(str(store_dir))
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in store}
        ox.serialize(triples, str(published), format=ox.RdfFormat.N_TRIPLES)
        del store, triples
    return store_dir, published, load_line


# -- engines --


@contextlib.contextmanager
def server(command: list[str], url: str, env: dict[str, str] | None = None, wait_s: float = 900) -> Iterator[None]:
    """Run a server subprocess until it answers ``url``; stop it afterwards."""
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + wait_s
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited: {process.stderr.read().decode()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code < 500:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not answer {url} within {wait_s:.0f} s")
            time.sleep(0.5)
        yield
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def http_engine(name: str, endpoint: str, seconds: float, throughput: bool) -> EngineRun:
    """Time every query over HTTP (POST form, SPARQL JSON) and, optionally, throughput with 8 clients."""
    run = EngineRun(name)
    with httpx.Client(timeout=600) as client:
        for query in QUERIES:

            def once(q: BenchQuery = query) -> object:
                response = client.post(endpoint, data={"query": q.text}, headers={"Accept": q.accept})
                response.raise_for_status()
                return response.content, response.headers.get("content-type", q.accept)

            try:
                timing, (body, media_type) = measure(once, seconds)
                run.timings[query.name] = timing
                run.answers[query.name] = answer_key(query, body, media_type)
            except (httpx.HTTPError, ValueError) as error:
                run.timings[query.name] = Timing(error=str(error)[:200])
    if throughput:
        # Lookups first: a server that answers one query at a time is still busy with queued aggregates after
        # their 20 s, and would charge that to the lookups.
        for kind in ("lookup", "aggregate"):
            run.throughput[kind] = concurrent_load(endpoint, [q for q in QUERIES if q.kind == kind], seconds)
    return run


def concurrent_load(endpoint: str, queries: list[BenchQuery], seconds: float) -> tuple[float, int, int]:
    """Requests per second with CLIENTS concurrent clients over a bounded time, and the error count."""
    counts, errors = [0] * CLIENTS, [0] * CLIENTS
    deadline = time.monotonic() + seconds

    def client(slot: int) -> None:
        with httpx.Client(timeout=120) as http:
            n = 0
            while time.monotonic() < deadline:
                query = queries[(slot + n) % len(queries)]
                n += 1
                try:
                    response = http.post(endpoint, data={"query": query.text}, headers={"Accept": query.accept})
                    if response.status_code == 200:
                        counts[slot] += 1
                    else:
                        errors[slot] += 1
                except httpx.HTTPError:
                    errors[slot] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), sum(counts), sum(errors)


def in_process(name: str, answer: Callable[[BenchQuery], bytes], seconds: float) -> EngineRun:
    """Time every query answered by a function in this process."""
    run = EngineRun(name)
    for query in QUERIES:
        timing, body = measure(lambda q=query: answer(q), seconds)
        run.timings[query.name] = timing
        run.answers[query.name] = answer_key(query, body, query.accept)
    return run


def pyoxigraph_engine(store_dir: Path, seconds: float) -> EngineRun:
    store = ox.Store.read_only(str(store_dir))

    def answer(query: BenchQuery) -> bytes:
        result = store.query(query.text, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            return ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
        return result.serialize(format=ox.QueryResultsFormat.JSON)

    return in_process("pyoxigraph in process", answer, seconds)


def klynge_engine(store_dir: Path, seconds: float) -> EngineRun:
    """klynge's query engine without HTTP and with its cache off: pyoxigraph plus the round trip to the worker
    process that makes a query killable at its time limit."""
    from klynge.engines.store import EmbeddedEngine
    from klynge.settings import Limits

    engine = EmbeddedEngine(ox.Store.read_only(str(store_dir)), path=store_dir, limits=Limits(timeout=600))
    try:
        return in_process(ENGINE, lambda query: engine.run(query.text, query.accept)[0], seconds)
    finally:
        engine.close()


def _rdflib_child(published: str, seconds: float, pipe) -> None:  # noqa: ANN001 - a multiprocessing connection
    import rdflib

    graph = rdflib.Graph()
    started = time.perf_counter()
    graph.parse(published, format="nt")
    pipe.send(("loaded", time.perf_counter() - started))
    for query in QUERIES:

        def once(q: BenchQuery = query) -> object:
            result = graph.query(q.text)
            return result.serialize(format="json" if q.accept == JSON else "nt")

        timing, body = measure(once, seconds)
        pipe.send(("query", query.name, timing.samples, answer_key(query, body, query.accept)))
    pipe.send(("done",))


def rdflib_engine(published: Path, seconds: float) -> EngineRun:
    """rdflib in a child process, given RDFLIB_LIMIT_S to parse and answer; what it did not finish is noted."""
    run = EngineRun("rdflib in process")
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_rdflib_child, args=(str(published), seconds, child))
    process.start()
    deadline = time.monotonic() + RDFLIB_LIMIT_S
    while time.monotonic() < deadline and parent.poll(max(0.0, deadline - time.monotonic())):
        message = parent.recv()
        if message[0] == "loaded":
            run.note = f"parsed in {message[1]:.0f} s"
        elif message[0] == "query":
            run.timings[message[1]] = Timing(samples=message[2])
            run.answers[message[1]] = message[3]
        else:
            break
    else:
        run.note += f"; stopped after {RDFLIB_LIMIT_S // 60} minutes"
    process.kill()
    process.join()
    return run


def klynge_command(store_dir: Path, port: int, *options: str) -> list[str]:
    """``klynge serve`` on a loaded store. The service's default 10 s query limit is a policy, not a speed: the
    benchmark lifts it to time the EU27 participation aggregate to the end, as every other engine does."""
    serve = ["serve", "--store", str(store_dir), "--no-validate", "--port", str(port), "--timeout", "600"]
    return [str(BIN / "klynge"), *serve, *options]


def run_scale(scale: str, seconds: float) -> tuple[list[EngineRun], str]:
    store_dir, published, load_line = prepare(scale)
    runs: list[EngineRun] = []
    port = free_port()
    with server(klynge_command(store_dir, port), f"http://127.0.0.1:{port}/sparql"):
        runs.append(http_engine("klynge HTTP", f"http://127.0.0.1:{port}/sparql", seconds, throughput=True))
    # The same service with its answer cache off runs every query afresh: this is the one to hold against the
    # floor for klynge's own overhead (routing, checks, worker processes, serialisation).
    port = free_port()
    with server(klynge_command(store_dir, port, "--cache-mb", "0"), f"http://127.0.0.1:{port}/sparql"):
        runs.append(http_engine(UNCACHED, f"http://127.0.0.1:{port}/sparql", seconds, throughput=False))
    port = free_port()
    floor = [
        str(BIN / "uvicorn"),
        "--app-dir",
        str(HERE),
        "floor_app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with server(floor, f"http://127.0.0.1:{port}/", env={"FLOOR_STORE": str(store_dir)}):
        runs.append(http_engine("bare ASGI floor", f"http://127.0.0.1:{port}/", seconds, throughput=True))
    runs.append(klynge_engine(store_dir, seconds))
    runs.append(pyoxigraph_engine(store_dir, seconds))
    runs.append(rdflib_engine(published, seconds))
    port = free_port()
    peer = [str(BIN / "rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port", str(port), str(published)]
    try:
        with server(peer, f"http://127.0.0.1:{port}/", wait_s=RDFLIB_LIMIT_S):
            runs.append(http_engine("rdflib-endpoint HTTP", f"http://127.0.0.1:{port}/", seconds, throughput=True))
    except RuntimeError as error:
        runs.append(EngineRun("rdflib-endpoint HTTP", note=str(error)[:300]))
    return runs, load_line


# -- report --


def machine_line() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = (
        int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        / 2**20
    )
    import rdflib

    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; Python {platform.python_version()}, "
        f"pyoxigraph {ox.__version__ if hasattr(ox, '__version__') else '?'}, rdflib {rdflib.__version__}"
    )


def agreement(runs: list[EngineRun]) -> list[str]:
    """For each query, which engines' answers differ from pyoxigraph's (the reference)."""
    reference = next(r for r in runs if r.name.startswith("pyoxigraph"))
    lines = []
    for query in QUERIES:
        expected = reference.answers.get(query.name)
        differing = [r.name for r in runs if query.name in r.answers and r.answers[query.name] != expected]
        missing = [r.name for r in runs if query.name not in r.answers]
        state = "same answers" if not differing else f"DIFFERENT answers from {', '.join(differing)}"
        if missing:
            state += f" (no answer from {', '.join(missing)})"
        lines.append(f"- `{query.name}`: {state}")
    return lines


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator and not math.isnan(numerator / denominator) else "n/a"


def median(run: EngineRun, query: str) -> float:
    timing = run.timings.get(query)
    return math.nan if timing is None or timing.error else timing.median


def verdict(value: float, target: float, at_most: bool = False) -> str:
    if math.isnan(value):
        return "not measured"
    return "met" if (value <= target if at_most else value >= target) else "**missed**"


def target_rows(scale: str, klynge: EngineRun, uncached: EngineRun, floor: EngineRun, peer: EngineRun) -> list[str]:
    """One row per target of issue 4 that applies at this scale: the measured ratio and whether it is met."""
    rows = []
    if scale == "dk":
        for query in QUERIES:
            measured = median(uncached, query.name) / median(floor, query.name)
            rows.append(
                f"| klynge, cache off, at most 1.5x the framework floor: `{query.name}` | {measured:.2f}x "
                f"(cached: {ratio(median(klynge, query.name), median(floor, query.name))}) "
                f"| {verdict(measured, 1.5, at_most=True)} |"
            )
    if scale == "eu27":
        for query in QUERIES:
            target = 20 if query.kind == "aggregate" else 3
            measured = median(peer, query.name) / median(klynge, query.name)
            rows.append(
                f"| at least {target}x faster than rdflib-endpoint ({query.kind}): `{query.name}` | {measured:.2f}x "
                f"(cache off: {ratio(median(peer, query.name), median(uncached, query.name))}) "
                f"| {verdict(measured, target)} |"
            )
    for kind, target in (("aggregate", 10), ("lookup", 3)):
        ours, theirs = klynge.throughput.get(kind), peer.throughput.get(kind)
        if ours is None or theirs is None:
            continue
        if theirs[0] > 0:
            measured, shown = ours[0] / theirs[0], f"{ours[0] / theirs[0]:.1f}x"
        else:
            measured, shown = math.inf, f"{ours[0]:.1f} req/s; rdflib-endpoint completed none"
        rows.append(
            f"| throughput with {CLIENTS} clients at least {target}x rdflib-endpoint's ({kind}) | {shown} "
            f"| {verdict(measured, target)} |"
        )
        rows.append(f"| no errors under load ({kind}) | {ours[2]} errors | {'met' if ours[2] == 0 else '**missed**'} |")
    return rows


def report(results: dict[str, tuple[list[EngineRun], str]], seconds: float) -> str:
    lines = [
        "# klynge benchmark results",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; do not edit by hand.",
        "",
        f"Machine: {machine_line()}",
        f"Each query: one warm-up, then repeated for up to {seconds:.0f} s (3 to {MAX_RUNS} runs; once, for a query "
        f"whose warm-up took longer). Throughput: {CLIENTS} concurrent clients for {seconds:.0f} s on loopback. "
        "Times in milliseconds.",
        "",
    ]
    for scale, (runs, load_line) in results.items():
        by_name = {r.name: r for r in runs}
        lines += [
            f"## {scale.upper()} scale",
            "",
            f"Load: {load_line or 'store reused from an earlier run'}",
            "",
        ]
        header = "| query | " + " | ".join(f"{r.name} median / p95" for r in runs) + " |"
        lines += [header, "|---" * (len(runs) + 1) + "|"]
        for query in QUERIES:
            cells = []
            for run in runs:
                timing = run.timings.get(query.name)
                cells.append("n/a" if timing is None or timing.error else f"{timing.median:.1f} / {timing.p95:.1f}")
            lines.append(f"| `{query.name}` ({query.kind}) | " + " | ".join(cells) + " |")
        lines += ["", "Answers, checked against pyoxigraph in process:", *agreement(runs), ""]
        klynge, uncached, floor = by_name["klynge HTTP"], by_name[UNCACHED], by_name["bare ASGI floor"]
        peer = by_name.get("rdflib-endpoint HTTP", EngineRun("rdflib-endpoint HTTP"))
        lines += [
            "klynge as served answers a repeated query from its cache (the graph is read-only); with the cache off",
            "it runs every query afresh, which is what the floor does.",
            "",
            "| query | klynge, cache off / floor | klynge / floor | rdflib-endpoint / klynge "
            "| rdflib-endpoint / klynge, cache off |",
            "|---|---|---|---|---|",
        ]
        for query in QUERIES:
            k, u, f, p = (median(run, query.name) for run in (klynge, uncached, floor, peer))
            lines.append(f"| `{query.name}` | {ratio(u, f)} | {ratio(k, f)} | {ratio(p, k)} | {ratio(p, u)} |")
        lines += ["", "Targets (ratios within this run):", "", "| target | measured | verdict |", "|---|---|---|"]
        lines += target_rows(scale, klynge, uncached, floor, peer)
        lines += [
            "",
            "klynge's overhead over the floor on a query it runs afresh is the difference between "
            f"`{ENGINE}` and `pyoxigraph in process`",
            "(the round trip to the worker process that lets a query be killed at its time limit) plus the hop from",
            "the event loop to a thread that waits for the worker, so that the loop never blocks; the floor runs",
            "each query on its event loop, where one slow query holds up every other request.",
        ]
        lines += [
            "",
            "| throughput (req/s, errors) | " + " | ".join(r.name for r in runs if r.throughput) + " |",
            "|---" * (1 + sum(1 for r in runs if r.throughput)) + "|",
        ]
        for kind in ("aggregate", "lookup"):
            cells = [f"{r.throughput[kind][0]:.1f} ({r.throughput[kind][2]} errors)" for r in runs if r.throughput]
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        notes = [f"- {r.name}: {r.note}" for r in runs if r.note]
        lines += ["", *(["Notes:", *notes] if notes else []), ""]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="dk,eu27", help="comma-separated: dk, eu27")
    parser.add_argument("--seconds", type=float, default=20, help="time budget per query and per throughput run")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        parser.error(f"unknown scale(s) {', '.join(unknown)}; use dk and/or eu27")
    results = {scale: run_scale(scale, args.seconds) for scale in scales}
    text = report(results, args.seconds)
    previous = args.out.read_text() if args.out.exists() else ""
    # the sections other scripts write (bench/validation.py, bench/serialize.py, …) stay until remeasured
    for section in SECTION.finditer(previous):
        text += "\n" + section.group() + "\n"
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
