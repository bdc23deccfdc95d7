"""A bounded load scenario against `klynge serve` on loopback: does the service stay up under mixed and
runaway load?

Starts `klynge serve` (the repository graph in memory, default limits) on a free 127.0.0.1 port, then runs
each scenario for a fixed time with asyncio + httpx clients, each client sending one request after another:

- mixed8, mixed16, mixed32: that many clients, each request drawn as 55% cheap, 30% named, 12% aggregate and
  3% runaway;
- cheap8+2runaway: 8 clients sending cheap queries while 2 more send runaway queries without pause;
- with ``--fairness``: cheap8+2runaway, cheap8+8runaway and cheap8+32runaway, ``--runs`` times each (default 3
  runs of 20 s: about 3.5 minutes in all), their section of bench/RESULTS.md written with the median of the
  runs' cheap p95 and the load average before and after each run.

Every client sends from its own loopback address (127.0.x.y), as distinct clients do, since the service shares
its workers fairly among client addresses.

Kinds: *cheap* is an ASK with a nonce (no cache can answer it: each needs a worker); *named* a named query
with its example parameters (/api/queries/NAME); *aggregate* a GROUP BY over the whole graph with a nonce;
*runaway* a 3-way cross product COUNT with a nonce, which runs into the time limit. Reports requests per
second, p50/p95/p99 per kind, statuses per kind and the peak RSS of the server and its workers, as Markdown
(and JSON with --json). Usage: ``python bench/load.py [--seconds 30] [--json FILE]`` or
``python bench/load.py --fairness [--runs 3] [--seconds 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import httpx

import results  # bench/RESULTS.md's sections (bench/ is the script's folder, so on the path)

MIX = (("cheap", 55), ("named", 30), ("aggregate", 12), ("runaway", 3))
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
AGGREGATE = "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    rss: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        children[int(fields[1])].append(child)
        rss[child] = int(fields[21]) * 4096
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo += children.get(current, [])
    return total


class Sampler(threading.Thread):
    """The peak RSS of the server's process tree, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.peak = max(self.peak, tree_rss(self.pid))


def named_requests(base: str) -> list[tuple[str, dict[str, str]]]:
    """Every GET named query with its example (or default) parameters."""
    listing = httpx.get(base + "/api/queries", timeout=30).json()["queries"]
    found = []
    for query in listing:
        if query.get("method", "GET") != "GET":
            continue
        params = {}
        for parameter in query.get("parameters", []):
            value = parameter.get("example") or parameter.get("default")
            if value is not None:
                params[parameter["name"]] = str(value)
        found.append((f"/api/queries/{query['name']}", params))
    return found


def request_for(kind: str, named: list[tuple[str, dict[str, str]]]) -> tuple[str, dict[str, str]]:
    nonce = f" # {uuid.uuid4()}"
    if kind == "cheap":
        return "/sparql", {"query": "ASK { ?s a ?type }" + nonce}
    if kind == "aggregate":
        return "/sparql", {"query": AGGREGATE + nonce}
    if kind == "runaway":
        return "/sparql", {"query": RUNAWAY + nonce}
    return random.choice(named)


async def client(base: str, address: str, kinds: list[str], weights: list[int], until: float, named, record) -> None:
    """One client, from its own loopback address (the service shares its workers fairly among addresses),
    sending one request after another; a runaway client resubmits at once whatever it is told."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base, timeout=60, transport=transport) as http:
        while time.monotonic() < until:
            kind = random.choices(kinds, weights)[0]
            path, params = request_for(kind, named)
            started = time.monotonic()
            try:
                response = await http.get(path, params=params)
                status = str(response.status_code)
            except httpx.HTTPError as error:
                status = type(error).__name__
            record(kind, status, time.monotonic() - started)


def address(number: int) -> str:
    """The loopback address of client ``number`` (127.0.1.1, 127.0.1.2, …; all of 127/8 is loopback)."""
    return f"127.0.{1 + number // 250}.{1 + number % 250}"


async def scenario(base: str, clients: int, runaway_clients: int, seconds: float, named) -> dict:
    timings: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter] = defaultdict(Counter)

    def record(kind: str, status: str, elapsed: float) -> None:
        timings[kind].append(elapsed)
        statuses[kind][status] += 1

    until = time.monotonic() + seconds
    kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
    if runaway_clients:
        kinds, weights = ["cheap"], [1]
    tasks = [client(base, address(n), kinds, weights, until, named, record) for n in range(clients)]
    tasks += [
        client(base, address(clients + n), ["runaway"], [1], until, named, record) for n in range(runaway_clients)
    ]
    started = time.monotonic()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    total = sum(len(values) for values in timings.values())
    return {
        "requests": total,
        "rate": total / elapsed,
        "kinds": {
            kind: {
                "n": len(values),
                **{f"p{q}": percentile(values, q) * 1000 for q in (50, 95, 99)},
                "statuses": dict(statuses[kind]),
            }
            for kind, values in sorted(timings.items())
        },
    }


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def markdown(results: dict, started: str, seconds: float) -> str:
    lines = [
        f"Run {started}, {seconds:g} s per scenario; `klynge serve --no-validate` (repository graph in memory, default "
        "limits: 2 long slots + 1 worker kept for short queries, 10 s time limit, 64 MB cache) on 127.0.0.1. "
        "**The machine (2 cores) was shared with about eight other helpers' builds and tests**, so absolute "
        "figures are noisy; the ratios between scenarios are what to read.",
        "",
        "| Scenario | req/s | kind: n, p50 / p95 / p99 ms, statuses | peak RSS (server + workers) |",
        "|---|---|---|---|",
    ]
    for name, result in results.items():
        kinds = "<br>".join(
            f"{kind}: {k['n']}, {k['p50']:.0f} / {k['p95']:.0f} / {k['p99']:.0f}, "
            + ", ".join(f"{count}×{status}" for status, count in sorted(k["statuses"].items()))
            for kind, k in result["kinds"].items()
        )
        lines.append(f"| {name} | {result['rate']:.1f} | {kinds} | {result['peak_rss'] / 2**20:.0f} MiB |")
    return "\n".join(lines) + "\n"


FAIRNESS = (("cheap8+2runaway", 8, 2), ("cheap8+8runaway", 8, 8), ("cheap8+32runaway", 8, 32))
P95_TARGET_MS = 250.0
RESULTS = Path(__file__).with_name("RESULTS.md")


def fairness(base: str, server_pid: int, seconds: float, runs: int, named) -> dict[str, list[dict]]:
    """Each fairness scenario ``runs`` times, with the load average before and after each run."""
    found: dict[str, list[dict]] = {}
    for name, clients, runaways in FAIRNESS:
        for run in range(runs):
            before = os.getloadavg()[0]
            sampler = Sampler(server_pid)
            sampler.start()
            result = asyncio.run(scenario(base, clients, runaways, seconds, named))
            sampler.stop.set()
            sampler.join()
            result.update(peak_rss=sampler.peak, load_before=before, load_after=os.getloadavg()[0])
            found.setdefault(name, []).append(result)
            cheap = result["kinds"].get("cheap", {})
            print(
                f"{name} run {run + 1}: cheap p95 {cheap.get('p95', 0):.0f} ms, n {cheap.get('n', 0)}, "
                f"load {before:.1f} -> {result['load_after']:.1f}",
                file=sys.stderr,
                flush=True,
            )
    return found


def fairness_section(found: dict[str, list[dict]], started: str, seconds: float, wall: float) -> str:
    """The RESULTS.md section of a fairness run: per scenario the median of the runs' cheap p95, each run's
    figures and load averages, and the verdict against the target."""
    lines = [
        *results.markers("fairness")[:1],
        "## Cheap queries under runaway clients (`bench/load.py --fairness`, issue 22)",
        "",
        f"Run {started}, {len(next(iter(found.values())))} runs of {seconds:g} s per scenario, {wall / 60:.1f} "
        f"minutes in all; at its end: {results.machine()}. `klynge serve --no-validate` (repository graph in memory, "
        "default limits: 2 long slots + 1 worker kept for short queries, 10 s time limit) on 127.0.0.1. Every "
        "client sends from its own loopback address (127.0.x.y), one request after another: 8 clients send "
        "cheap uncached ASKs (`ASK { ?s a ?type }` plus a nonce comment, so no answer cache can answer), the "
        "runaway clients a 3-way cross-product COUNT with a nonce, resubmitted at once whatever the answer. "
        f"Target: cheap p95 under {P95_TARGET_MS:.0f} ms (median of the runs).",
        "",
        "| Scenario | cheap p95, median of runs | runs: cheap n, p50 / p95 ms, statuses; load avg before → after | "
        "runaway statuses (all runs) | verdict |",
        "|---|---|---|---|---|",
    ]
    for name, runs in found.items():
        p95s = [run["kinds"].get("cheap", {}).get("p95", float("inf")) for run in runs]
        median = statistics.median(p95s)
        per_run = "<br>".join(
            f"{run['kinds']['cheap']['n']}, {run['kinds']['cheap']['p50']:.0f} / {run['kinds']['cheap']['p95']:.0f}, "
            + ", ".join(f"{count}×{status}" for status, count in sorted(run["kinds"]["cheap"]["statuses"].items()))
            + f"; {run['load_before']:.1f} → {run['load_after']:.1f}"
            for run in runs
        )
        runaway: Counter = Counter()
        for run in runs:
            runaway.update(run["kinds"].get("runaway", {}).get("statuses", {}))
        statuses = ", ".join(f"{count}×{status}" for status, count in sorted(runaway.items()))
        verdict = "meets" if median < P95_TARGET_MS else "**misses**"
        lines.append(f"| {name} | **{median:.0f} ms** | {per_run} | {statuses} | {verdict} |")
    lines += [
        "",
        "A load average above the core count means other work shared the cores during the run: the figures are "
        "then upper bounds. Re-run on a quiet machine with `python bench/load.py --fairness` (about "
        f"{len(FAIRNESS) * len(next(iter(found.values()))) * (seconds + 2) / 60 + 0.5:.0f} minutes).",
        results.markers("fairness")[1],
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None, help="per scenario run (default 30; 20 with --fairness)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", nargs="*", metavar="SCENARIO", help="run only these scenarios")
    parser.add_argument(
        "--fairness",
        action="store_true",
        help="run the runaway-client scenarios (8 cheap clients with 2, 8 and 32 runaway ones) --runs times each "
        "and write their section of bench/RESULTS.md",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario with --fairness (default 3)")
    parser.add_argument(
        "--ready-path", default="/healthz", help="path polled until the server answers (/sparql for old versions)"
    )
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "klynge.cli", "serve", "--no-validate", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + args.ready_path, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                print(f"the server did not start: {server.stderr.read() if server.stderr else ''}", file=sys.stderr)
                return 1
            time.sleep(0.2)
        named = named_requests(base)
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        if args.fairness:
            began = time.monotonic()
            seconds = args.seconds or 20.0
            found = fairness(base, server.pid, seconds, args.runs, named)
            section = fairness_section(found, started, seconds, time.monotonic() - began)
            results.merge(RESULTS, "fairness", section)
            print(section)
            if args.json:
                args.json.write_text(json.dumps(found, indent=1))
            return 0
        args.seconds = args.seconds or 30.0
        outcome = {}
        for name, clients, runaways in (
            ("mixed8", 8, 0),
            ("mixed16", 16, 0),
            ("mixed32", 32, 0),
            ("cheap8+2runaway", 8, 2),
        ):
            if args.only and name not in args.only:
                continue
            sampler = Sampler(server.pid)
            sampler.start()
            outcome[name] = asyncio.run(scenario(base, clients, runaways, args.seconds, named))
            sampler.stop.set()
            sampler.join()
            outcome[name]["peak_rss"] = sampler.peak
            print(f"{name}: {outcome[name]['rate']:.1f} req/s", file=sys.stderr, flush=True)
        outcome["health_after"] = {"kinds": {}, "rate": 0.0, "peak_rss": tree_rss(server.pid)}
        health = httpx.get(base + "/healthz", timeout=10).text
    finally:
        server.terminate()
        server.wait(timeout=60)
    del outcome["health_after"]
    print(markdown(outcome, started, args.seconds))
    print(f"/healthz after the runs: {health}")
    if args.json:
        args.json.write_text(json.dumps(outcome, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
