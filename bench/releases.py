"""What a second release costs at EU27 synthetic scale: in the repository's record, and in the stores served.

Release 1 is the EU27 synthetic graph (``klynge synth --countries 27 --seed 1``) as N-Quads in one named graph;
release 2 is release 1 with ``--change`` of its statements replaced (every n-th statement removed, as many new
ones added: a yearly revision of the factsheets touches about that share). Three sizes are measured:

* the record (``releases/``): release 1's dump, then release 2's RDF Patch (``klynge.graph.releases``);
* the stores served for ``release=`` (``klynge.engines.releases``): one on-disk Oxigraph store per release;
* for comparison, the store the interval design would have used (each distinct quad once, in a graph named by
  its run of releases), rejected because it breaks ``GRAPH ?g`` queries (see ``klynge.engines.releases``).

Writes the "Releases at EU27 scale" section of bench/RESULTS.md. Run: ``.venv/bin/python bench/releases.py``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from klynge.graph.releases import Release, patch_text
from results import machine, markers, merge

HERE = Path(__file__).resolve().parent
GRAPH = "https://w3id.org/klynge/graph/synthetic"


def size(path: Path) -> int:
    """Bytes of a file, or of every file below a folder."""
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def lines_of(synthetic: Path) -> list[str]:
    """The synthetic graph as sorted N-Quads lines in one named graph."""
    graph = ox.NamedNode(GRAPH)
    quads = (
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(path=str(synthetic), format=ox.RdfFormat.N_TRIPLES)
    )
    return sorted(set(ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode().splitlines()))


def revised(lines: list[str], every: int) -> list[str]:
    """Every ``every``-th statement replaced by a new one (its subject IRI marked as revised)."""
    out = []
    for index, line in enumerate(lines):
        if index % every == 0 and line.startswith("<"):
            end = line.index(">")
            out.append(line[:end] + "-revised" + line[end:])
        else:
            out.append(line)
    return sorted(set(out))


def store_size(folder: Path, lines_by_graph: dict[str, list[str]]) -> int:
    """Bytes of an on-disk Oxigraph store holding these lines (each graph name given), after optimisation."""
    store = ox.Store(str(folder))
    for graph, lines in lines_by_graph.items():
        nquads = "\n".join(lines).encode()
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS, to_graph=ox.NamedNode(graph) if graph else None)
    store.optimize()
    store.flush()
    del store
    return size(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=Path, help="the EU27 synthetic N-Triples (default: generated)")
    parser.add_argument("--change", type=float, default=0.01, help="share of statements release 2 replaces")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        synthetic = args.synthetic
        if synthetic is None:
            synthetic = work / "eu27.nt"
            klynge = Path(sys.executable).parent / "klynge"
            subprocess.run(
                [str(klynge), "synth", "--countries", "27", "--seed", "1", "--out", str(synthetic)], check=True
            )
        first = lines_of(synthetic)
        second = revised(first, max(1, round(1 / args.change)))
        release = Release("0.2.0", datetime.now(UTC), "0.1.0", "", 0, 0, work)
        dump = work / "klynge.nq"
        dump.write_text("".join(line + "\n" for line in first))
        patch = work / "patch.rdfp"
        patch.write_text(patch_text(release, first, second))
        record_one, record_two = size(dump), size(dump) + size(patch)
        one = store_size(work / "one", {"": first})
        two = one + store_size(work / "two", {"": second})
        old, new = set(first), set(second)
        runs = {
            f"{GRAPH}/both": sorted(old & new),
            f"{GRAPH}/first": sorted(old - new),
            f"{GRAPH}/second": sorted(new - old),
        }
        interval = store_size(work / "interval", {name: lines for name, lines in runs.items() if lines})
    begin, end = markers("releases")
    block = "\n".join(
        [
            begin,
            "## Releases at EU27 scale (`bench/releases.py`, issue 20)",
            "",
            f"EU27 synthetic graph, {len(first):,} statements; release 2 replaces {len(old - new):,} of them "
            f"({args.change:.0%}). Sizes in bytes; ratio = two releases / one. {machine()}.",
            "",
            "| what | one release | two releases | ratio |",
            "|---|---:|---:|---:|",
            f"| record in the repository (dump + RDF Patch) | {record_one:,} | {record_two:,} | "
            f"{record_two / record_one:.3f} |",
            f"| stores served for `release=` (one per release, on disk) | {one:,} | {two:,} | {two / one:.3f} |",
            f"| rejected: one store, quads once in run graphs | {one:,} | {interval:,} | {interval / one:.3f} |",
            "",
            "The record grows with the delta and meets the goal (at most 1.3x). The stores served do not: each release "
            "keeps the named graphs its queries name (`GRAPH ?g`, `GRAPH <…/graph/ontology>`), which the shared "
            "run-graph store would break (`klynge.engines.releases` says why); it would meet the goal.",
            end,
        ]
    )
    merge(args.results, "releases", block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
