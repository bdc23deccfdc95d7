"""Pages at scale: every kind of /id/ page, /api/lineage, /api/path, /api/search and /as-of, timed over HTTP.

``klynge serve --store DIR --no-validate --cache-mb 0`` (the answer cache off, so every request runs its
queries) on a loaded store; each URL is asked once cold, then repeatedly, one request at a time. Target: median
under 300 ms for each. The section "Pages at scale" of bench/RESULTS.md is replaced by the new figures.

    python bench/pages.py --store /work/bench-data/eu27-store-with-display-labels [--runs 15] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyoxigraph as ox

from klynge.web.page_kinds import PAGE_KINDS

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import results  # noqa: E402 - bench/RESULTS.md's sections
from run import server  # noqa: E402 - the benchmarks' one way to run a server until it answers

BIN = Path(sys.executable).parent
BEGIN, END = results.markers("pages")
TARGET_MS = 300
# (what it is, URL path): the pages of each kind timed at scale (klynge.web.page_kinds), the busiest included.
URLS = [page for kind in PAGE_KINDS for page in kind.at_scale]


@contextlib.contextmanager
def serving(store: Path, port: int) -> Iterator[str]:
    """``klynge serve`` on the store with the answer cache off; yields its base URL, stops it afterwards."""
    command = [str(BIN / "klynge"), "serve", "--store", str(store), "--no-validate", "--cache-mb", "0"]
    base = f"http://127.0.0.1:{port}"
    with server([*command, "--port", str(port)], base + "/sparql", wait_s=300):
        yield base


def timed(client: httpx.Client, url: str, runs: int) -> tuple[int, int, float, list[float]]:
    """The worst status, the size, the cold time and every repeated run's time (ms) of one URL."""
    started = time.perf_counter()
    answer = client.get(url)
    cold = (time.perf_counter() - started) * 1000
    statuses, samples = [answer.status_code], []
    for _ in range(runs):
        started = time.perf_counter()
        statuses.append(client.get(url).status_code)
        samples.append((time.perf_counter() - started) * 1000)
    return max(statuses), len(answer.content), cold, samples


def section(
    store: Path,
    quads: str,
    rows: list[tuple[str, str, int, int, float, list[float]]],
    runs: int,
    load: tuple[float, float],
) -> str:
    """The results as a Markdown section between the markers."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        "## Pages at scale",
        "",
        f"`bench/pages.py`, {stamp}: `klynge serve --store {store} --no-validate --cache-mb 0` ({quads}), one request",
        f"at a time over HTTP on 127.0.0.1, each URL once cold then {runs} times, on {os.cpu_count()} cores.",
        f"Load average (1 min) on the machine: {load[0]:.1f} before the run, {load[1]:.1f} at its end (above the",
        "core count, other work shared the cores and the figures are upper bounds). Target: median under 300 ms.",
        "The full-text index /api/search answers from is built before the service answers (bench/search.py).",
        "",
        "| what | URL | status | bytes | cold | median | p90 | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for what, url, status, size, cold, samples in rows:
        median = statistics.median(samples)
        p90 = sorted(samples)[max(0, int(len(samples) * 0.9) - 1)]
        verdict = "meets" if status == 200 and median < TARGET_MS else "**misses**"
        lines.append(
            f"| {what} | `{url}` | {status} | {size:,} | {cold:.0f} ms | {median:.0f} ms | {p90:.0f} ms | {verdict} |"
        )
    return "\n".join([*lines, "", END]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a store loaded by klynge load")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    rows = []
    load_before = os.getloadavg()[0]
    quads = f"{len(ox.Store.read_only(str(args.store))):,} quads"
    with serving(args.store, args.port) as base, httpx.Client(base_url=base, timeout=60) as client:
        for what, url in URLS:
            status, size, cold, samples = timed(client, url, args.runs)
            rows.append((what, url, status, size, cold, samples))
            print(f"{what}: {status} median {statistics.median(samples):.0f} ms (cold {cold:.0f} ms)", flush=True)
    block = section(args.store, quads, rows, args.runs, (load_before, os.getloadavg()[0]))
    results.merge(args.out, "pages", block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
