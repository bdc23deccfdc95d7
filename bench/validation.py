"""Validation speed: the repository and a changed file in context, and at scale pySHACL as is against the
shapes compiled to SPARQL, on the benchmark's stores.

Run after bench/run.py (which builds bench/out/{scale}-store and {scale}-synth.nt; ``--stores`` reads them from
another folder); writes its rows into the section of bench/RESULTS.md between the validation markers, replacing
the rows of the same name and keeping the others. Each run is a separate process measured by /usr/bin/time, so
the figures are wall time and peak resident memory of exactly that command.

    python bench/validation.py [--scales dk,eu27] [--stores DIR] [--store-only | --files-only] [--pyshacl-limit 300]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import results  # bench/RESULTS.md's sections (bench/ is the script's folder, so on the path)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
KLYNGE = str(Path(sys.executable).parent / "klynge")
BEGIN, END = results.markers("validation")
MEMORY_CAP = 20 * 2**30  # pySHACL at EU27 scale could exhaust the machine: cap its address space


@dataclass
class Measured:
    label: str
    seconds: float | None
    cpu_seconds: float | None
    peak_gib: float | None
    verdict: str
    load: float | None = None  # the machine's 1-minute load average when the command started


def timed(label: str, command: list[str], limit_s: float) -> Measured:
    """Run a command under /usr/bin/time -v with a time limit and a memory cap; report what it printed last."""
    wrapped = ["prlimit", f"--as={MEMORY_CAP}", "/usr/bin/time", "-v", *command]
    load = os.getloadavg()[0]
    process = subprocess.Popen(
        wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: time's child would outlive time itself
        process.communicate()
        return Measured(label, None, None, None, f"did not finish within {limit_s / 60:.0f} minutes", load)
    done = subprocess.CompletedProcess(wrapped, process.returncode, stdout, stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    cpu = [float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr)]
    seconds = None
    if wall:
        hours, minutes, secs = wall.groups()
        seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode not in (0, 1):
        last = f"exit {done.returncode}: " + (done.stderr.strip().splitlines() or [""])[0][:200]
    peak_gib = int(peak.group(1)) / 2**20 if peak else None
    return Measured(label, seconds, sum(cpu) if cpu else None, peak_gib, last, load)


def measure_repository() -> list[Measured]:
    """The maintainer's loop: the whole repository, and one changed data file validated in context."""
    with tempfile.TemporaryDirectory() as folder:
        changed = Path(folder) / "data" / "lineage.ttl"
        changed.parent.mkdir()
        text = (ROOT / "data" / "lineage.ttl").read_text()
        changed.write_text(text.replace('"2021"^^xsd:gYear', '"2022"^^xsd:gYear', 1))
        return [
            timed("repository: klynge validate (pySHACL and the vocabulary check)", [KLYNGE, "validate"], 120),
            timed(
                "repository with one changed file in context: klynge validate data/lineage.ttl",
                [KLYNGE, "validate", str(changed)],
                120,
            ),
        ]


def measure(scale: str, pyshacl_limit: float, stores: Path, store_only: bool, files_only: bool) -> list[Measured]:
    store, synth = stores / f"{scale}-store", stores / f"{scale}-synth.nt"
    if (not files_only and not store.is_dir()) or (not store_only and not synth.is_file()):
        raise SystemExit(f"{store} or {synth} is missing: run bench/run.py --scales {scale} first")
    data = sorted(str(p) for p in (ROOT / "data").glob("*.ttl"))
    on_store = (
        []
        if files_only
        else [timed(f"{scale}: sparql engine on the loaded store", [KLYNGE, "validate", "--store", str(store)], 900)]
    )
    if store_only:
        return on_store
    return [
        *on_store,
        timed(
            f"{scale}: sparql engine from the files (parse, materialise, check)",
            [KLYNGE, "validate", "--engine", "sparql", *data, str(synth)],
            900,
        ),
        timed(
            f"{scale}: pySHACL as is, from the files",
            [KLYNGE, "validate", "--engine", "pyshacl", *data, str(synth)],
            pyshacl_limit,
        ),
    ]


def row_line(row: Measured) -> str:
    wall = f"{row.seconds:.1f} s" if row.seconds is not None else "-"
    cpu = f"{row.cpu_seconds:.1f} s" if row.cpu_seconds is not None else "-"
    peak = f"{row.peak_gib:.2f} GiB" if row.peak_gib is not None else "-"
    load = f"{row.load:.1f}" if row.load is not None else "-"
    return f"| {row.label} | {wall} | {cpu} | {peak} | {load} | {row.verdict} |"


HEADER = "| run | wall time | CPU time | peak memory | load at start | result |"


def section(rows: list[Measured], earlier: str = "") -> str:
    """The section with this run's rows, after the earlier rows of other names (kept as they were)."""
    labels = {row.label for row in rows}
    kept = [  # rows of other names, if written with this table's columns
        line
        for line in earlier.splitlines()
        if line.startswith("| ")
        and line != HEADER
        and line.count(" | ") == HEADER.count(" | ")
        and line.split(" | ")[0][2:] not in labels
    ]
    lines = [
        BEGIN,
        "## Validation",
        "",
        "`klynge validate`, one process per row (wall time and peak memory by /usr/bin/time; address space capped",
        f"at {MEMORY_CAP / 2**30:.0f} GiB), on {os.cpu_count()} cores. Wall time depends on what else runs (the load",
        "average at each command's start is given; above the core count, other work shared the cores). pySHACL is",
        "single-threaded; the sparql engine runs its checks on one thread per core, so its CPU time (user + system)",
        "can exceed its wall time. Targets: the repository, and one changed file in context, under 5 s each;",
        "EU27 from its store in under 60 s and under 4 GB; EU27 from the files under 5 minutes and 4 GiB (issue 23:",
        "files of more than 8 MB in all are built into a temporary store on disk as `klynge load` builds one, then",
        f"checked there). Measured at commit {commit()}.",
        "",
        HEADER,
        "|---|---|---|---|---|---|",
        *kept,
        *map(row_line, rows),
    ]
    return "\n".join([*lines, "", END]) + "\n"


def commit() -> str:
    """The checkout's commit, marked when files other than the results differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return (head.stdout.strip() or "unknown") + (" with uncommitted changes" if changed.stdout.strip() else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="dk,eu27")
    parser.add_argument("--pyshacl-limit", type=float, default=300, help="seconds pySHACL may take per scale")
    parser.add_argument("--stores", type=Path, default=OUT, help="folder of {scale}-store and {scale}-synth.nt")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--store-only", action="store_true", help="at scale, measure only the loaded store")
    only.add_argument("--files-only", action="store_true", help="at scale, measure only the runs from the files")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    rows = measure_repository()
    for scale in filter(None, (s.strip() for s in args.scales.split(","))):
        rows += measure(scale, args.pyshacl_limit, args.stores, args.store_only, args.files_only)
    block = merge(args.out, rows)
    print(block)
    return 0


def merge(path: Path, rows: list[Measured]) -> str:
    """Put the validation section into a results file, replacing its rows of the same name; return it."""
    block = section(rows, results.current(path, "validation"))
    results.merge(path, "validation", block)
    return block


if __name__ == "__main__":
    sys.exit(main())
