"""Validation at scale: pySHACL as is against the shapes compiled to SPARQL, on the benchmark's stores.

Run after bench/run.py (which builds bench/out/{scale}-store); writes its section of bench/RESULTS.md between
the validation markers, replacing an earlier one. Each run is a separate process measured by /usr/bin/time, so
the figures are wall time and peak resident memory of exactly that command.

    python bench/validation.py [--scales dk,eu27] [--pyshacl-limit 300]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
KLYNGE = str(Path(sys.executable).parent / "klynge")
BEGIN, END = "<!-- validation: begin -->", "<!-- validation: end -->"
MEMORY_CAP = 20 * 2**30  # pySHACL at EU27 scale could exhaust the machine: cap its address space


@dataclass
class Measured:
    label: str
    seconds: float | None
    peak_gib: float | None
    verdict: str


def timed(label: str, command: list[str], limit_s: float) -> Measured:
    """Run a command under /usr/bin/time -v with a time limit and a memory cap; report what it printed last."""
    wrapped = ["prlimit", f"--as={MEMORY_CAP}", "/usr/bin/time", "-v", *command]
    process = subprocess.Popen(
        wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: time's child would outlive time itself
        process.communicate()
        return Measured(label, None, None, f"did not finish within {limit_s / 60:.0f} minutes")
    done = subprocess.CompletedProcess(wrapped, process.returncode, stdout, stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    seconds = None
    if wall:
        hours, minutes, secs = wall.groups()
        seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode not in (0, 1):
        last = f"exit {done.returncode}: " + (done.stderr.strip().splitlines() or [""])[0][:200]
    return Measured(label, seconds, int(peak.group(1)) / 2**20 if peak else None, last)


def measure(scale: str, pyshacl_limit: float) -> list[Measured]:
    store, synth = OUT / f"{scale}-store", OUT / f"{scale}-synth.nt"
    if not store.is_dir() or not synth.is_file():
        raise SystemExit(f"{store} or {synth} is missing: run bench/run.py --scales {scale} first")
    data = sorted(str(p) for p in (ROOT / "data").glob("*.ttl"))
    return [
        timed(f"{scale}: sparql engine on the loaded store", [KLYNGE, "validate", "--store", str(store)], 900),
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


def section(rows: list[Measured]) -> str:
    lines = [
        BEGIN,
        "## Validation at scale",
        "",
        "`klynge validate` with each engine, one process per row (wall time and peak memory by /usr/bin/time;",
        f"address space capped at {MEMORY_CAP / 2**30:.0f} GiB). Target: EU27 in under 60 s and under 4 GB.",
        "",
        "| run | wall time | peak memory | result |",
        "|---|---|---|---|",
    ]
    for row in rows:
        wall = f"{row.seconds:.1f} s" if row.seconds is not None else "-"
        peak = f"{row.peak_gib:.2f} GiB" if row.peak_gib is not None else "-"
        lines.append(f"| {row.label} | {wall} | {peak} | {row.verdict} |")
    return "\n".join([*lines, "", END]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="dk,eu27")
    parser.add_argument("--pyshacl-limit", type=float, default=300, help="seconds pySHACL may take per scale")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    rows = [row for scale in args.scales.split(",") for row in measure(scale.strip(), args.pyshacl_limit)]
    block = section(rows)
    merge(args.out, block)
    print(block)
    return 0


def merge(path: Path, block: str) -> None:
    """Put the validation section into a results file, replacing the one it had."""
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) + 1 :]
    else:
        text = text + "\n" + block
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
