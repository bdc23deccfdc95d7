"""How much the readable serialisers cost: pyoxigraph's own Turtle and JSON-LD against klynge.rdf.rdf_text's
(Turtle with escaped names written whole, JSON-LD compacted with an @context), on a dump of a synthetic store.

    python bench/serialize.py [--store /work/bench-data/dk-store] [--out bench/RESULTS.md]

Writes its section of bench/RESULTS.md between its markers (bench/run.py keeps it). Each figure is the best of
three runs, so a noisy, shared machine inflates it less.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import pyoxigraph as ox

import results  # bench/RESULTS.md's sections (bench/ is the script's folder, so on the path)
from klynge.rdf.dumps import canonical_quads
from klynge.rdf.namespaces import PREFIXES
from klynge.rdf.rdf_text import serialize

HERE = Path(__file__).resolve().parent
BEGIN, END = results.markers("serialize")


def best_of(runs: int, job) -> tuple[float, int]:
    """The fastest of ``runs`` runs in seconds, and the size of what it wrote."""
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        size = len(job())
        times.append(time.perf_counter() - started)
    return min(times), size


def measure(store_path: Path) -> list[str]:
    store = ox.Store.read_only(str(store_path))
    triples = sorted({quad.triple for quad in canonical_quads(store)}, key=str)
    rows = []
    for name, fmt in (("Turtle", ox.RdfFormat.TURTLE), ("JSON-LD", ox.RdfFormat.JSON_LD)):
        plain, plain_size = best_of(3, lambda fmt=fmt: ox.serialize(triples, format=fmt, prefixes=PREFIXES))
        ours, our_size = best_of(3, lambda fmt=fmt: serialize(triples, fmt, PREFIXES))
        rows.append(
            f"| {name} | {plain:.2f} s, {plain_size / 2**20:.1f} MiB | {ours:.2f} s, {our_size / 2**20:.1f} MiB "
            f"| {ours / plain:.2f}x |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    return [
        BEGIN,
        "## Readable serialisation (dumps, pages, /sparql graphs)",
        "",
        f"Store: `{store_path.name}`, {len(triples):,} distinct triples; best of 3; {results.machine()}.",
        "",
        "| syntax | pyoxigraph | klynge.rdf.rdf_text | ratio |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Peak memory of the whole run: {peak:.0f} MiB.",
        "",
        END,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/work/bench-data/dk-store"))
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    block = "\n".join(measure(args.store)) + "\n"
    results.merge(args.out, "serialize", block)
    print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
