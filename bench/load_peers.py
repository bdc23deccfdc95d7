"""Loading against the engines' own bulk loaders: `klynge load` beside `oxigraph load` (PyPI ``oxigraph``, the
same engine's loader) and Virtuoso's bulk loader (Debian ``virtuoso-opensource``), on the same quads.

For each scale, ``klynge synth`` writes the synthetic countries, ``klynge load`` loads them (with the
repository graph and the materialised entailments), ``oxigraph dump`` writes that store's quads as N-Quads, and
each peer loads exactly those quads. Every figure is of one process, measured by the kernel: CPU (user + sys
of the process and its threads), wall, peak resident memory; then the store's size on disk. CPU is the figure
to steer by on a shared machine (wall grows with the load average, which is recorded beside each run).
Writes the ``load-peers`` section of bench/RESULTS.md with the ratios and a verdict per target (klynge at most
2x the CPU of ``oxigraph load``, its store at most 1.3x the size; at EU27, 27 countries, also under 4 minutes
wall and 3 GiB peak). One load runs at a time; Virtuoso loads the smaller scales only (``--virtuoso-up-to``).

    python bench/load_peers.py [--countries 1,5,27] [--no-virtuoso] [--virtuoso-up-to 5] [--out DIR]
        [--results FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import results  # bench/RESULTS.md's sections (bench/ is the script's folder, so on the path)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
KLYNGE, OXIGRAPH = str(BIN / "klynge"), str(BIN / "oxigraph")
CPU_TARGET, SIZE_TARGET = 2.0, 1.3
EU27, WALL_TARGET_S, PEAK_TARGET_MIB = 27, 240.0, 3 * 1024.0
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    """One engine's load of one scale."""

    engine: str
    version: str
    cpu: float
    wall: float
    peak_mib: float
    store_mib: float
    quads: int
    load_average: float


def directory_mib(directory: Path) -> float:
    """MiB on disk under a folder (or one file)."""
    files = [directory] if directory.is_file() else [f for f in directory.rglob("*") if f.is_file()]
    return sum(f.stat().st_size for f in files) / 2**20


def measured(command: list[str]) -> tuple[float, float, float]:
    """Run a command to its end; its CPU seconds (user + sys, threads included), wall seconds and peak MiB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode(errors='replace')[-2000:]}")
    process.stderr.close()
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def version(command: list[str]) -> str:
    """What a program says its version is (first line)."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "unknown"


def klynge_version() -> str:
    from importlib.metadata import version as installed

    return f"klynge {installed('klynge')} (pyoxigraph {installed('pyoxigraph')})"


def load_klynge(synth: Path, store: Path) -> Load:
    shutil.rmtree(store, ignore_errors=True)
    average = os.getloadavg()[0]
    cpu, wall, peak = measured([KLYNGE, "load", "--store", str(store), str(synth)])
    quads = int(json.loads((store / "klynge-store.json").read_text())["quads"])
    return Load("klynge load", klynge_version(), cpu, wall, peak, directory_mib(store), quads, average)


def load_oxigraph(nquads: Path, store: Path, quads: int) -> Load:
    shutil.rmtree(store, ignore_errors=True)
    average = os.getloadavg()[0]
    cpu, wall, peak = measured([OXIGRAPH, "load", "--location", str(store), "--file", str(nquads)])
    name = version([OXIGRAPH, "--version"])
    return Load("oxigraph load", name, cpu, wall, peak, directory_mib(store), quads, average)


def proc_cpu(pid: int) -> float:
    """CPU seconds a running process has used so far (user + sys, its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def virtuoso_harness() -> ModuleType:
    """The tests' throw-away Virtuoso (config, free ports, clean shutdown: tests/virtuoso.py), with the buffers
    its bulk loader advises for the data (the tests' server keeps a small default); bench/run.py serves with it."""
    sys.path.insert(0, str(ROOT / "tests"))
    import virtuoso

    virtuoso.CONFIG = virtuoso.CONFIG.replace("NumberOfBuffers = 10000", "NumberOfBuffers = 170000").replace(
        "MaxDirtyBuffers = 6000", "MaxDirtyBuffers = 130000"
    )
    return virtuoso


def load_virtuoso(nquads: Path, folder: Path, quads: int) -> Load | str:
    """Virtuoso's bulk loader (ld_dir, rdf_loader_run, checkpoint) in a fresh server; the server's CPU and
    peak memory over the load (its start-up excluded); or why it could not run."""
    virtuoso = virtuoso_harness()
    if (reason := virtuoso.missing_reason()) is not None:
        return reason
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(nquads, folder / nquads.name)  # the loader reads only folders in DirsAllowed
    server = virtuoso.Virtuoso(folder, virtuoso.free_port(), virtuoso.free_port())
    server.start()
    try:
        assert server.process is not None
        pid = server.process.pid
        average, cpu_before, started = os.getloadavg()[0], proc_cpu(pid), time.perf_counter()
        statement = f"ld_dir('{folder}', '{nquads.name}', 'urn:default'); rdf_loader_run(); checkpoint;"
        done = subprocess.run(
            [virtuoso.ISQL, f"127.0.0.1:{server.sql_port}", "dba", "dba", f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        wall, cpu, peak = time.perf_counter() - started, proc_cpu(pid) - cpu_before, proc_peak_mib(pid)
        if done.returncode != 0 or "*** Error" in done.stdout:
            return f"the bulk loader failed: {done.stdout[-500:]}{done.stderr[-500:]}"
        count = server.isql(  # klynge's graphs, not Virtuoso's own (virtrdf:, its ontologies)
            "SPARQL SELECT COUNT(*) WHERE { GRAPH ?g { ?s ?p ?o } "
            'FILTER(STRSTARTS(STR(?g), "https://w3id.org/klynge/")) };'
        )
        held = max((int(token) for token in count.split() if token.isdigit()), default=0)
        size = directory_mib(folder / "virtuoso.db")
    finally:
        server.stop()
    return Load("Virtuoso bulk loader", virtuoso_version(), cpu, wall, peak, size, held, average)


def virtuoso_version() -> str:
    done = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True, check=False)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if "Version" in line]
    return lines[0].strip() if lines else "Virtuoso (version unknown)"


def verdict(value: float, target: float) -> str:
    return f"{'meets' if value <= target else 'misses'} (target at most {target:g}x)"


def section(rows: dict[int, list[Load | str]]) -> str:
    begin, end = results.markers("load-peers")
    lines = [
        begin,
        "## Loading against the engines' own bulk loaders (bench/load_peers.py)",
        "",
        f"Machine: {results.machine()}. CPU is user + sys of the loading process (threads included) from the "
        "kernel; wall grows with the load average, recorded per run. Each peer loads the N-Quads `oxigraph dump` "
        "wrote from klynge's store: the same quads, entailments included (klynge derives them while loading).",
        "",
        "| countries | engine | version | quads | CPU s | wall s | peak MiB | store MiB | load avg |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for countries, loads in sorted(rows.items()):
        found = [load for load in loads if isinstance(load, Load)]
        for load in found:
            lines.append(
                f"| {countries} | {load.engine} | {load.version} | {load.quads:,} | {load.cpu:.1f} | {load.wall:.1f} "
                f"| {load.peak_mib:,.0f} | {load.store_mib:,.0f} | {load.load_average:.1f} |"
            )
        for note in (load for load in loads if isinstance(load, str)):
            lines.append(f"| {countries} | Virtuoso bulk loader | – | – | – | – | – | – | {note} |")
        klynge, oxigraph = found[0], found[1]
        cpu, size = klynge.cpu / oxigraph.cpu, klynge.store_mib / oxigraph.store_mib
        peak = klynge.peak_mib / oxigraph.peak_mib
        verdicts.append(
            f"- {countries} countries: klynge load uses {cpu:.2f}x the CPU of `oxigraph load`: "
            f"{verdict(cpu, CPU_TARGET)}; its store is {size:.2f}x the size: {verdict(size, SIZE_TARGET)}; "
            f"peak memory {peak:.2f}x."
        )
        if countries == EU27:
            fast, small = klynge.wall <= WALL_TARGET_S, klynge.peak_mib <= PEAK_TARGET_MIB
            verdicts.append(
                f"  EU27: klynge load took {klynge.wall:.0f} s wall ({'meets' if fast else 'misses'} the target of "
                f"under {WALL_TARGET_S / 60:.0f} minutes, at load average {klynge.load_average:.1f}) and peaked at "
                f"{klynge.peak_mib / 1024:.2f} GiB ({'meets' if small else 'misses'} the target of under "
                f"{PEAK_TARGET_MIB / 1024:.0f} GiB)."
            )
        virtuoso = next((load for load in found if load.engine.startswith("Virtuoso")), None)
        if virtuoso is not None:
            verdicts.append(
                f"  Virtuoso's loader: klynge uses {klynge.cpu / virtuoso.cpu:.2f}x its CPU, "
                f"{klynge.wall / virtuoso.wall:.2f}x its wall time (for reference, no target)."
            )
    return "\n".join([*lines, "", *verdicts, end]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", default="1,5,27", help="comma-separated synthetic country counts (27 = EU27)")
    parser.add_argument("--no-virtuoso", action="store_true", help="leave out Virtuoso's bulk loader")
    parser.add_argument(
        "--virtuoso-up-to", type=int, default=5, metavar="N", help="Virtuoso loads the scales of at most N countries"
    )
    parser.add_argument("--out", type=Path, default=HERE / "out" / "load-peers", help="work folder")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="results file to write into")
    args = parser.parse_args()
    try:
        scales = [int(value) for value in args.countries.split(",")]
    except ValueError:
        parser.error(f"--countries {args.countries!r} is not a comma-separated list of whole numbers")
    if not Path(OXIGRAPH).exists():
        parser.error(f"{OXIGRAPH} not found: install the bench extra (pip install -e '.[bench]'), which pins oxigraph")
    args.out.mkdir(parents=True, exist_ok=True)
    rows: dict[int, list[Load | str]] = {}
    for countries in scales:
        synth = args.out / f"synth-{countries}.nt"
        if not synth.exists():
            subprocess.run([KLYNGE, "synth", "--countries", str(countries), "--out", str(synth)], check=True)
        klynge = load_klynge(synth, args.out / f"klynge-{countries}")
        nquads = args.out / f"quads-{countries}.nq"
        subprocess.run(
            [OXIGRAPH, "dump", "--location", str(args.out / f"klynge-{countries}"), "--file", str(nquads)], check=True
        )
        loads: list[Load | str] = [klynge, load_oxigraph(nquads, args.out / f"oxigraph-{countries}", klynge.quads)]
        if not args.no_virtuoso and countries <= args.virtuoso_up_to:
            loads.append(load_virtuoso(nquads, args.out / f"virtuoso-{countries}", klynge.quads))
        rows[countries] = loads
        for load in loads:
            print(load if isinstance(load, str) else f"{countries}: {load}", flush=True)
        block = section(rows)  # after each scale: a run cut short keeps what it measured
        results.merge(args.results, "load-peers", block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
