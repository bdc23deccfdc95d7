"""What a second release costs at EU27 synthetic scale: in the repository's record, in the store at rest, and in
memory while an old release is in use.

Release 1 is the EU27 synthetic graph (``klynge synth --countries 27 --seed 1``) as N-Quads in one named graph;
release 2 is release 1 with ``--change`` of its statements replaced (every n-th statement removed, as many new
ones added: a yearly revision of the factsheets touches about that share). Both are recorded as ``klynge
release`` records them (release 1's dump, release 2's RDF Patch, ``release.json``), and release 2 is served from
an on-disk store, as ``klynge serve`` serves a loaded graph. Then, in a fresh process, the service's own
``ReleaseArchive`` and ``ReleaseSwitch`` (``klynge.engines.releases``) are opened on them and measured:

* the store at rest: the served store on disk, and what the archive adds (its indexes, in resident memory);
* the first request for release 2 (the served graph is compared with the releases once; then it answers itself);
* the first request for release 1 (materialised from the record) and the resident memory while it is in use;
* the memory after it is dropped (the idle timeout, here called directly).

Writes the "Releases at EU27 scale" section of bench/RESULTS.md. Run: ``.venv/bin/python bench/releases.py``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from klynge.graph.releases import FIRST_DUMP, PATCH, Release, digest, patch_text, write_release
from results import machine, markers, merge

HERE = Path(__file__).resolve().parent
GRAPH = "https://w3id.org/klynge/graph/synthetic"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
REVISED = 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRENDS(STR(?s), "-revised")) }'


def size(path: Path) -> int:
    """Bytes of a file, or of every file below a folder."""
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def rss(field: str = "VmRSS") -> int:
    """This process's resident memory now (``VmHWM``: its peak since it started), in bytes. Not getrusage's
    ru_maxrss, which Linux carries over from the parent across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def lines_of(synthetic: Path, folder: Path) -> list[str]:
    """The synthetic graph as sorted N-Quads lines in one named graph, as a store holds them (``klynge release``
    records a store's lines: a store keeps some literals in a canonical form, e.g. the datatype of a small
    ``xsd:positiveInteger``)."""
    store = ox.Store(str(folder))
    store.bulk_load(path=str(synthetic), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(GRAPH))
    lines = sorted(set(ox.serialize(store, format=ox.RdfFormat.N_QUADS).decode().splitlines()))
    del store
    return lines


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


def record(root: Path, first: list[str], second: list[str]) -> tuple[int, int]:
    """Record the two releases under ``root/releases`` as ``klynge release`` does; the record's bytes for each."""
    folders = root / "releases" / "0.1.0", root / "releases" / "0.2.0"
    for folder in folders:
        folder.mkdir(parents=True)
    one = Release("0.1.0", datetime(2026, 1, 1, tzinfo=UTC), None, digest(first), len(first), len(first), folders[0])
    two = Release(
        "0.2.0", datetime(2026, 6, 1, tzinfo=UTC), "0.1.0", digest(second), len(second), len(second), folders[1]
    )
    (folders[0] / FIRST_DUMP).write_text("".join(line + "\n" for line in first), encoding="utf-8")
    (folders[1] / PATCH).write_text(patch_text(two, first, second), encoding="utf-8")
    write_release(one)
    write_release(two)
    return size(folders[0]), size(folders[0]) + size(folders[1])


def served_store(folder: Path, lines: list[str]) -> int:
    """Bytes of the on-disk store serving these lines, after optimisation (as ``klynge load`` leaves it)."""
    store = ox.Store(str(folder))
    store.bulk_load("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    del store
    return size(folder)


def opened(root: Path):
    """The service's engines on the bench's record and served store: the switch, the archive, the served engine."""
    from klynge.engines.cache import CachingEngine
    from klynge.engines.releases import ReleaseArchive, ReleaseSwitch
    from klynge.engines.store import EmbeddedEngine
    from klynge.graph.releases import read_history
    from klynge.settings import Limits

    path = root / "served"
    served = CachingEngine(
        EmbeddedEngine(ox.Store.read_only(str(path)), path=path, limits=Limits(workers=1, timeout=600))
    )
    served.graph_counts()
    before = rss()
    archive = ReleaseArchive(read_history(root), Limits(timeout=600, max_results=10, workers=1, cache_mb=16))
    return ReleaseSwitch(served, archive), archive, served, before


def measure_served(root: Path) -> dict[str, object]:
    """In a fresh process: the store at rest, the served graph compared once, then answering for its release."""
    from klynge.engines.releases import SELECTED

    found: dict[str, object] = {}
    switch, archive, served, found["rss_served"] = opened(root)
    found["rss_archive"] = rss()
    started = time.perf_counter()
    found["answering"] = switch.served_match().answering
    found["compare_s"] = time.perf_counter() - started
    token = SELECTED.set("0.2.0")
    try:
        for name in ("latest_first", "latest_again"):
            started = time.perf_counter()
            done = switch.hold("0.2.0")
            value = int(switch.select(REVISED)[0]["n"].value)
            done()
            found[name] = (value, time.perf_counter() - started)
    finally:
        SELECTED.reset(token)
    found["resident_after_latest"] = archive.resident_versions()
    found["peak_rss"] = rss("VmHWM")
    served.close()
    return found


def measure_old(root: Path) -> dict[str, object]:
    """In a fresh process: an old release materialised on its first request, in use, then dropped when idle."""
    found: dict[str, object] = {}
    _, archive, served, _ = opened(root)
    found["rss_before_old"] = rss()
    for name, query in (("old_first", REVISED), ("old_again", COUNT)):
        started = time.perf_counter()
        engine = archive.acquire("0.1.0")
        found[name] = (int(engine.select(query)[0]["n"].value), time.perf_counter() - started)
        found["rss_old_in_use"] = rss()
        archive.release_hold("0.1.0")
        del engine  # the archive's reference is the only one left: dropping the release frees its store
    found["build_s"] = archive.builds["0.1.0"][0]
    found["resident_after_old"] = archive.resident_versions()
    archive.idle_seconds = 0
    archive.drop_idle()
    found["resident_after_drop"] = archive.resident_versions()
    found["rss_dropped"] = rss()
    found["peak_rss"] = rss("VmHWM")
    served.close()
    return found


def mib(value: object) -> str:
    return f"{int(value) / 2**20:,.0f} MiB"  # type: ignore[call-overload]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=Path, help="the EU27 synthetic N-Triples (default: generated)")
    parser.add_argument("--change", type=float, default=0.01, help="share of statements release 2 replaces")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--served", type=Path, help=argparse.SUPPRESS)  # a child's part: measure, print JSON
    parser.add_argument("--old", type=Path, help=argparse.SUPPRESS)  # the other child's part
    args = parser.parse_args()
    if args.served or args.old:
        print(json.dumps(measure_served(args.served) if args.served else measure_old(args.old)))
        return 0
    with tempfile.TemporaryDirectory(dir=HERE / "out" if (HERE / "out").is_dir() else None) as tmp:
        work = Path(tmp)
        synthetic = args.synthetic
        if synthetic is None:
            synthetic = work / "eu27.nt"
            klynge = Path(sys.executable).parent / "klynge"
            subprocess.run(
                [str(klynge), "synth", "--countries", "27", "--seed", "1", "--out", str(synthetic)], check=True
            )
        first = lines_of(synthetic, work / "normalised")
        second = revised(first, max(1, round(1 / args.change)))
        statements, replaced = len(first), len(set(first) - set(second))
        record_one, record_two = record(work, first, second)
        store_one = served_store(work / "served", second)
        del first, second
        gc.collect()
        serving: dict[str, object] = {}
        for part in ("--served", "--old"):
            child = subprocess.run(
                [sys.executable, __file__, part, str(work)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(HERE)},
            )
            measured = json.loads(child.stdout.strip().splitlines()[-1])
            measured[part[2:] + "_peak"] = measured.pop("peak_rss")
            serving.update(measured)
    index = int(serving["rss_archive"]) - int(serving["rss_served"])
    at_rest_two = store_one + max(0, index)
    in_use = int(serving["rss_old_in_use"]) - int(serving["rss_before_old"])
    begin, end = markers("releases")
    block = "\n".join(
        [
            begin,
            "## Releases at EU27 scale (`bench/releases.py`, issue 20)",
            "",
            f"EU27 synthetic graph, {statements:,} statements; release 2 replaces {replaced:,} of them "
            f"({args.change:.0%}), release 2 is served from an on-disk store, and the service's own archive "
            f"(`klynge.engines.releases`) holds both releases. {machine()}.",
            "",
            "| what | one release | two releases | ratio |",
            "|---|---:|---:|---:|",
            f"| record in the repository (dump + RDF Patch) | {record_one:,} | {record_two:,} | "
            f"{record_two / record_one:.3f} |",
            f"| store at rest (served store on disk + the archive's indexes in memory, {index:,} bytes) | "
            f"{store_one:,} | {at_rest_two:,} | {at_rest_two / store_one:.3f} |",
            "",
            "| request (first after start) | result | time |",
            "|---|---|---:|",
            f"| served graph compared with the releases (once) | answers for {serving['answering']} itself | "
            f"{serving['compare_s']:.1f} s |",
            f"| `release=0.2.0` (the served release), first | {serving['latest_first'][0]:,} revised statements; "
            f"resident releases: {serving['resident_after_latest'] or 'none'} | {serving['latest_first'][1]:.2f} s |",
            f"| `release=0.1.0` (old), first: materialised | {serving['old_first'][0]:,} revised statements | "
            f"{serving['old_first'][1]:.1f} s (build {serving['build_s']:.1f} s) |",
            f"| `release=0.1.0` again (resident) | {serving['old_again'][0]:,} statements | "
            f"{serving['old_again'][1]:.2f} s |",
            "",
            f"Resident memory of the service process (fresh processes): {mib(serving['rss_served'])} with the "
            f"served store open, {mib(serving['rss_archive'])} with the archive (at rest); comparing the served "
            f"graph and answering for its release peaks at {mib(serving['served_peak'])}. With an old release: "
            f"{mib(serving['rss_before_old'])} before, {mib(serving['rss_old_in_use'])} while release 0.1.0 is in use "
            f"(+{mib(in_use)}: a resident old release is a full in-memory store), {mib(serving['rss_dropped'])} "
            f"after it is dropped (resident then: {serving['resident_after_drop'] or 'none'}; freed memory is not "
            f"always returned to the system); peak {mib(serving['old_peak'])} (the build holds the rebuilt lines "
            "and the store at once).",
            "",
            f"Verdict: at rest, two releases cost {at_rest_two / store_one:.3f}x one: the goal (at most 1.3x) is "
            + ("met" if at_rest_two / store_one <= 1.3 else "missed")
            + "; the old release lives in the record (its deltas) until asked for. Not met in use: an old release "
            "costs one full store in memory for as long as it stays resident (`releases_resident`, default 1; "
            "dropped after `releases_idle_s`), and its first request waits for the build.",
            end,
        ]
    )
    merge(args.results, "releases", block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
