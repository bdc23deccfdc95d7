"""Search at scale: how long the full-text index takes to build when a store is loaded, and how fast searches
answer from it (no SPARQL), in Danish and English, common words and rare ones.

The store is one ``klynge load`` made (``bench/out/<scale>-store``, made by bench/run.py's ``prepare`` when
missing: the repository graph plus ``klynge synth``'s synthetic countries). The engine is opened on it as
``klynge serve --store`` opens it, the index is built as the service builds it before it answers, then each
search runs once cold and repeatedly (``answers.search.search``: the index, the hits' labels and kinds).
Target: p95 under 50 ms for every search. The section "Search at scale" of bench/RESULTS.md is replaced.

    python bench/search.py [--scale eu27] [--store DIR] [--runs 30] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import results  # noqa: E402 - bench/RESULTS.md's sections
from klynge.answers.search import search  # noqa: E402
from klynge.engines.store import EmbeddedEngine  # noqa: E402
from klynge.settings import Limits  # noqa: E402
from run import prepare  # noqa: E402 - the benchmarks' one way to make a scale's store

BEGIN, END = results.markers("search")
TARGET_MS = 50.0
LIMIT = 20  # what /api/search answers by default

# (what it shows, the text): the and the newcomer report's words, then words with many hits at scale.
SEARCHES = [
    ("Danish plural, definite", "klyngerne"),
    ("Danish plural", "klynger"),
    ("Danish compound, plural", "klyngeprogrammer"),
    ("English inflection", "clustering"),
    ("diacritics left out", "vaekstforum"),
    ("Danish diacritics", "Vækstforum"),
    ("Danish word, English stem", "energi"),
    ("in definitions and locators", "recommendation"),
    ("a figure as the brief writes it", "11.050"),
    ("two words", "energy cluster"),
    ("no hit (not in the sources)", "Erhvervsstyrelsen"),
    ("common word", "innovation"),
    ("in every synthetic cluster's name", "cluster"),
    ("in every synthetic company's name", "company"),
    ("a synthetic name", "DK plan 07"),
]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)]


def measure(engine: EmbeddedEngine, text: str, runs: int) -> tuple[int, float, list[float], list[float]]:
    """The number of hits, the cold time, and every repeated run's wall-clock and CPU time (ms) of one search
    (on a shared machine the CPU time is the work; the wall-clock time adds the waits for a core)."""
    started = time.perf_counter()
    hits = search(engine, text, LIMIT)
    cold = (time.perf_counter() - started) * 1000
    samples, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        search(engine, text, LIMIT)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return len(hits), cold, samples, cpu


def section(store: Path, quads: int, entries: int, build: tuple[float, float], rows: list, runs: int) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    every = [sample for *_, samples, _ in rows for sample in samples]
    every_cpu = [sample for *_, cpu in rows for sample in cpu]
    lines = [
        BEGIN,
        "## Search at scale",
        "",
        f"`bench/search.py`, {stamp}: the store `{store}` ({quads:,} quads), opened as `klynge serve --store`",
        f"opens it. Machine: {results.machine()}. The full-text index (SQLite FTS5, Danish and English Snowball",
        f"stems) was built in **{build[0]:.1f} s** ({build[1]:.1f} s of CPU) when the engine was opened, before any",
        f"search: {entries:,}",
        "texts (names, alternative names, titles, definitions, descriptions, notes, locators). Each search runs",
        f"in process (`answers.search.search`, {LIMIT} hits with labels and kinds, no SPARQL) once cold, then {runs}",
        f"times. Target: p95 under {TARGET_MS:.0f} ms (wall clock). Over all {len(every)} timed searches: median",
        f"{statistics.median(every):.1f} ms, p95 {p95(every):.1f} ms; CPU time median",
        f"{statistics.median(every_cpu):.1f} ms, p95 {p95(every_cpu):.1f} ms.",
        "",
        "| what | text | hits | cold | median | p95 | CPU median / p95 | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for what, text, hits, cold, samples, cpu in rows:
        verdict = "meets" if p95(samples) < TARGET_MS else "**misses**"
        lines.append(
            f"| {what} | `{text}` | {hits} | {cold:.1f} ms | {statistics.median(samples):.1f} ms "
            f"| {p95(samples):.1f} ms | {statistics.median(cpu):.1f} / {p95(cpu):.1f} ms | {verdict} |"
        )
    return "\n".join([*lines, "", END]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["dk", "eu27"], default="eu27", help="the synthetic scale")
    parser.add_argument("--store", type=Path, help="a store klynge load made (default: the scale's, made if missing)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each search after the cold one")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="the results file to update")
    args = parser.parse_args()
    store_dir = args.store or prepare(args.scale)[0]
    store = ox.Store.read_only(str(store_dir))
    quads = len(store)
    engine = EmbeddedEngine(store, path=store_dir, limits=Limits(workers=1))
    try:
        started, started_cpu = time.perf_counter(), time.process_time()
        index = engine.text_index()
        build_s, build_cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
        rows = []
        for what, text in SEARCHES:
            hits, cold, samples, cpu = measure(engine, text, args.runs)
            rows.append((what, text, hits, cold, samples, cpu))
            print(f"{text!r}: {hits} hits, p95 {p95(samples):.1f} ms", file=sys.stderr)
        block = section(store_dir, quads, len(index), (build_s, build_cpu_s), rows, args.runs)
    finally:
        engine.close()
    results.merge(args.out, "search", block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
