"""One command, one run: klynge beside the servers a user would pick instead, on the same quads.

For each scale: klynge's store (``klynge load``), its quads dumped as N-Quads, and those quads loaded into
Oxigraph's own server (PyPI ``oxigraph``: ``oxigraph load``, then ``oxigraph serve-read-only``) and into
Virtuoso 7 (Debian ``virtuoso-opensource``, by its bulk loader: bench/load_peers.py). Then every contract query
(bench/bench_queries.py) goes to every server over HTTP: klynge as served, klynge with its answer cache off,
Oxigraph's server, Virtuoso, a bare ASGI endpoint on klynge's store (the framework floor) and, at DK scale,
rdflib-endpoint (the floor of the Python SPARQL servers). The servers take turns request by request (the order
rotating each round), so a busy machine slows them alike and the ratios stay fair. Answers are compared before
any time is reported. Each scale writes its own section of bench/RESULTS.md (``bench-dk``, ``bench-eu5``,
``bench-eu27``): load time, store size, peer versions, each query's median, the ratios and a verdict per target
(klynge uncached at most 1.5x ``oxigraph serve-read-only`` on lookups and 1.1x on scans), with the load average.

    python bench/run.py [--scales dk,eu5,eu27] [--seconds 10] [--eu27-store DIR] [--eu27-load-log FILE]
                        [--no-virtuoso] [--no-rdflib-endpoint] [--reload] [--out bench/RESULTS.md]

Peers' stores are kept under bench/out/ with a record of their load, and reused by the next run unless
``--reload`` (or klynge's store is newer). At DK scale with ``--seconds 10`` a run takes about 4 minutes
(the first one 1 more, to load); EU27 adds the EU27 store's dump and the peers' loads (about 10 minutes, once)
and about 10 minutes of queries.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed
from pathlib import Path

import httpx
import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
OXIGRAPH = str(BIN / "oxigraph")
SCALES = {"dk": 1, "eu5": 5, "eu27": 27}  # countries of the synthetic graph
MAX_RUNS = 300  # rounds per query: enough for a steady median of a 1 ms lookup
CORES = os.cpu_count() or 1
PEER_LIMIT_S = 600  # a server (or a query) given this long to answer before it counts as failed
LOOKUP_TARGET, SCAN_TARGET = 1.5, 1.1  # klynge uncached over `oxigraph serve-read-only`, at most
KLYNGE, UNCACHED, OXIGRAPH_SERVER, OXIGRAPH_OWN, VIRTUOSO, FLOOR, RDFLIB = (
    "klynge",
    "klynge, cache off",
    "oxigraph serve-read-only",  # on klynge's store: the same store, as the serving targets say
    "oxigraph serve-read-only, own load",  # on the store `oxigraph load` made of the same quads
    "Virtuoso",
    "bare ASGI floor",
    "rdflib-endpoint",
)
BEFORE = "klynge before, cache off"  # --before COMMIT: klynge as that commit was, for a before/after in one run
sys.path.insert(0, str(HERE))

import load_peers  # noqa: E402 - the peers' bulk loads (bench/ is the script's folder, so on the path)
import results  # noqa: E402 - bench/RESULTS.md's sections
from bench_queries import QUERIES, BenchQuery, answer_key  # noqa: E402


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    error: str | None = None
    first: float = math.nan  # the first run (a cold one), in seconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples) * 1000 if self.samples else math.nan


@dataclass
class Peer:
    """A running server and what it answered."""

    name: str
    endpoint: str
    version: str
    timings: dict[str, Timing] = field(default_factory=dict)
    answers: dict[str, object] = field(default_factory=dict)


@dataclass
class Scale:
    """One scale's run: the loads, the servers and the machine's load average over it."""

    name: str
    loads: list[load_peers.Load | str] = field(default_factory=list)
    peers: list[Peer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_averages: list[float] = field(default_factory=list)
    seconds: float = 0.0


# -- stores and loads --


def record_path(store: Path) -> Path:
    return store.parent / f"{store.name}.load.json"


def remembered(store: Path, newer_than: Path | None) -> load_peers.Load | None:
    """The record of an earlier load into ``store``, if the store is still there (and newer than its source)."""
    record = record_path(store)
    if not record.exists() or not store.exists():
        return None
    if newer_than is not None and newer_than.stat().st_mtime > record.stat().st_mtime:
        return None
    return load_peers.Load(**json.loads(record.read_text()))


def remember(store: Path, load: load_peers.Load) -> load_peers.Load:
    record_path(store).write_text(json.dumps(dataclasses.asdict(load), indent=1))
    return load


def gnu_time_load(log: Path, store: Path) -> load_peers.Load | str:
    """A load's figures from the ``/usr/bin/time -v`` summary at the end of its log."""
    text = log.read_text(errors="replace") if log.exists() else ""

    def figure(label: str) -> str | None:
        found = re.search(rf"^\s*{re.escape(label)}[^:]*: (.+)$", text, re.MULTILINE)
        return found.group(1).strip() if found else None

    user, system, wall = (
        figure("User time"),
        figure("System time"),
        figure("Elapsed (wall clock) time (h:mm:ss or m:ss)"),
    )
    peak = figure("Maximum resident set size")
    if None in (user, system, wall, peak):
        return f"klynge load: figures not found in {log} (a `time -v` summary); store reused as it is"
    seconds = sum(float(part) * 60**i for i, part in enumerate(reversed(str(wall).split(":"))))
    return load_peers.Load(
        "klynge load",
        load_peers.klynge_version() + f", measured by /usr/bin/time -v ({log.name})",
        float(str(user)) + float(str(system)),
        seconds,
        int(str(peak)) / 1024,
        load_peers.directory_mib(store),
        quads(store),
        math.nan,
    )


def quads(store: Path) -> int:
    return int(json.loads((store / "klynge-store.json").read_text())["quads"])


def klynge_store(scale: str, args: argparse.Namespace) -> tuple[Path, load_peers.Load | str]:
    """klynge's store for a scale and how its load went: given (EU27: --eu27-store) or loaded here."""
    given = args.eu27_store if scale == "eu27" else None
    if given is not None:
        if not (given / "klynge-store.json").exists():
            raise SystemExit(f"--eu27-store {given} holds no complete klynge store (no klynge-store.json)")
        if args.eu27_load_log is not None:
            return given, gnu_time_load(args.eu27_load_log, given)
        return given, "klynge load: store given with --eu27-store, its load not measured here"
    synth, store = OUT / f"{scale}-synth.nt", OUT / f"{scale}-store"
    if not synth.exists():
        countries = str(SCALES[scale])
        subprocess.run([load_peers.KLYNGE, "synth", "--countries", countries, "--seed", "1", "--out", str(synth)])
    known = None if args.reload else remembered(store, synth)
    return store, known or remember(store, load_peers.load_klynge(synth, store))


def nquads_of(store: Path, scale: str) -> Path:
    """klynge's quads as N-Quads (the store opened read-only: it may be shared), written once per store."""
    path = OUT / f"{scale}-quads.nq"
    if not path.exists() or path.stat().st_mtime < (store / "klynge-store.json").stat().st_mtime:
        partial = path.with_suffix(".partial")
        ox.Store.read_only(str(store)).dump(str(partial), format=ox.RdfFormat.N_QUADS)
        partial.replace(path)
    return path


def peer_loads(scale: str, nquads: Path, count: int, args: argparse.Namespace) -> list[load_peers.Load | str]:
    """Oxigraph's and Virtuoso's bulk loads of the same quads (reused from an earlier run when recorded)."""
    store = OUT / f"{scale}-oxigraph"
    found: list[load_peers.Load | str] = [
        (None if args.reload else remembered(store, nquads))
        or remember(store, load_peers.load_oxigraph(nquads, store, count))
    ]
    if not args.no_virtuoso:
        folder = OUT / f"{scale}-virtuoso"
        virtuoso = (None if args.reload else remembered(folder, nquads)) or load_peers.load_virtuoso(
            nquads, folder, count
        )
        found.append(remember(folder, virtuoso) if isinstance(virtuoso, load_peers.Load) else virtuoso)
    return found


# -- servers --


def answers(url: str, timeout: float) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.post(url, data={"query": "ASK {}"}, timeout=timeout).status_code < 500
    return False


@contextlib.contextmanager
def server(command: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[None]:
    """Run a server subprocess until it answers ``url``; stop it (by its own pid) afterwards."""
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + PEER_LIMIT_S
    try:
        while not answers(url, 5):
            if process.poll() is not None:
                assert process.stderr is not None
                raise RuntimeError(f"{command[0]} exited: {process.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not answer {url} within {PEER_LIMIT_S} s")
            time.sleep(0.5)
        yield
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def virtuoso_server(folder: Path) -> Iterator[str]:
    """The tests' Virtuoso (tests/virtuoso.py, with load_peers' buffers) on a database the bulk loader filled."""
    virtuoso = load_peers.virtuoso_harness()
    served = virtuoso.Virtuoso(folder, virtuoso.free_port(), virtuoso.free_port())
    served.start()
    try:
        yield served.sparql_url
    finally:
        served.stop()


def klynge_command(store: Path, port: int, *options: str) -> list[str]:
    """``klynge serve`` on a loaded store. The service's default 10 s query limit is a policy, not a speed: the
    benchmark lifts it to time the EU27 aggregates to the end, as every other server does."""
    serve = ["serve", "--store", str(store), "--no-validate", "--port", str(port), "--timeout", str(PEER_LIMIT_S)]
    return [load_peers.KLYNGE, *serve, *options]


def peer_version(package: str) -> str:
    try:
        return f"{package} {installed(package)}"
    except PackageNotFoundError:
        return f"{package} (not installed)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def servers(
    scale: str,
    store: Path,
    with_rdflib: bool,
    with_floor: bool,
    virtuoso_folder: Path | None,
    before: str | None = None,
    own_load: bool = True,
) -> Iterator[list[Peer]]:
    """Every server of a scale, running together; each is asked one request at a time."""
    with contextlib.ExitStack() as stack:
        peers: list[Peer] = []

        def start(name: str, command: Callable[[int], list[str]], path: str, version: str, **env: str) -> None:
            port = free_port()
            url = f"http://127.0.0.1:{port}{path}"
            stack.enter_context(server(command(port), url, env))
            peers.append(Peer(name, url, version))

        version = load_peers.klynge_version()
        start(KLYNGE, lambda port: klynge_command(store, port), "/sparql", version)
        start(UNCACHED, lambda port: klynge_command(store, port, "--cache-mb", "0"), "/sparql", version)
        if before is not None:
            tree = source_tree(before)
            command = [sys.executable, "-c", "import sys; from klynge.cli import main; sys.exit(main())"]
            start(
                BEFORE,
                lambda port: [*command, *klynge_command(store, port, "--cache-mb", "0")[1:]],
                "/sparql",
                f"klynge at commit {before}",
                PYTHONPATH=str(tree / "service"),
            )
        oxigraph = load_peers.version([OXIGRAPH, "--version"])
        locations = [(OXIGRAPH_SERVER, store), *([(OXIGRAPH_OWN, OUT / f"{scale}-oxigraph")] if own_load else [])]
        for name, location in locations:
            serve = [OXIGRAPH, "serve-read-only", "--location", str(location), "--union-default-graph", "--bind"]
            start(name, lambda port, serve=serve: [*serve, f"127.0.0.1:{port}"], "/query", oxigraph)
        if virtuoso_folder is not None:
            peers.append(
                Peer(VIRTUOSO, stack.enter_context(virtuoso_server(virtuoso_folder)), load_peers.virtuoso_version())
            )
        if with_floor:
            floor = [str(BIN / "uvicorn"), "--app-dir", str(HERE), "floor_app:app", "--log-level", "warning", "--port"]
            start(
                FLOOR, lambda port: [*floor, str(port)], "/", "uvicorn " + installed("uvicorn"), FLOOR_STORE=str(store)
            )
        if with_rdflib:
            rdflib = [str(BIN / "rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port"]
            published = str(published_triples(scale, store))
            start(RDFLIB, lambda port: [*rdflib, str(port), published], "/", peer_version("rdflib-endpoint"))
        yield peers


def source_tree(commit: str) -> Path:
    """The repository as it was at ``commit`` (``git archive``), under bench/out/, for ``--before``."""
    tree = OUT / f"before-{commit}"
    if not tree.exists():
        partial = OUT / f"before-{commit}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        archive = subprocess.run(["git", "archive", commit], cwd=HERE.parent, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(partial)], input=archive.stdout, check=True)
        partial.rename(tree)
    return tree


def published_triples(scale: str, store: Path) -> Path:
    """The store's triples (its graphs merged) as N-Triples, for rdflib-endpoint, which reads files."""
    path = OUT / f"{scale}-published.nt"
    if not path.exists() or path.stat().st_mtime < (store / "klynge-store.json").stat().st_mtime:
        held = ox.Store.read_only(str(store))
        triples = {ox.Triple(quad.subject, quad.predicate, quad.object) for quad in held}
        ox.serialize(triples, str(path), format=ox.RdfFormat.N_TRIPLES)
    return path


# -- timing, the servers taking turns --


class Refused(Exception):
    """A server's error status, with what it said."""


def ask(client: httpx.Client, peer: Peer, query: BenchQuery) -> tuple[bytes, str]:
    response = client.post(peer.endpoint, data={"query": query.text}, headers={"Accept": query.accept})
    if response.status_code != 200:
        raise Refused(f"{response.status_code}: {' '.join(response.text.split())[:300]}")
    return response.content, response.headers.get("content-type", query.accept)


def size(answer: object) -> str:
    """How big an answer is, to say how two differ."""
    if isinstance(answer, Counter):
        return f"{sum(answer.values())} rows"
    return f"{len(answer)} triples" if isinstance(answer, frozenset) else str(answer)


def difference(answer: object, expected: object) -> str:
    """How an answer differs from the reference: a graph holding all of it and more (Virtuoso's DESCRIBE adds
    the triples that point at the resource), or how many rows or triples either has that the other lacks."""
    if isinstance(answer, frozenset) and isinstance(expected, frozenset) and expected < answer:
        return f"all {len(expected)} of its triples and {len(answer - expected)} more"
    if isinstance(answer, Counter) and isinstance(expected, Counter):
        return f"{sum((answer - expected).values())} of {size(answer)} not in its {size(expected)}"
    if isinstance(answer, frozenset) and isinstance(expected, frozenset):
        return f"{len(answer - expected)} of {size(answer)} not in its {size(expected)}"
    return f"{size(answer)} against {size(expected)}"


def interleaved(peers: list[Peer], clients: dict[str, httpx.Client], query: BenchQuery, seconds: float) -> None:
    """One cold run on each server, then rounds in which every server answers once, the order rotating each
    round, until ``seconds`` have passed (at least 3 rounds, or 1 when the cold runs alone took the time)."""
    running = []
    for peer in peers:
        started = time.perf_counter()
        try:
            body, media_type = ask(clients[peer.name], peer, query)
            peer.timings[query.name] = Timing(first=time.perf_counter() - started)
            peer.answers[query.name] = answer_key(query, body, media_type)
            running.append(peer)
        except (httpx.HTTPError, Refused, ValueError, SyntaxError) as error:
            peer.timings[query.name] = Timing(error=f"{type(error).__name__}: {str(error)[:200]}")
    cold = sum(peer.timings[query.name].first for peer in running if not slow(peer, running, query))
    least = 1 if cold * 3 > seconds else 3
    deadline = time.perf_counter() + seconds
    for turn in range(MAX_RUNS):
        if turn >= least and time.perf_counter() > deadline:
            break
        for peer in running[turn % len(running) :] + running[: turn % len(running)]:
            timing = peer.timings[query.name]
            if timing.error is not None or (len(timing.samples) >= 3 and slow(peer, running, query)):
                continue
            started = time.perf_counter()
            try:
                ask(clients[peer.name], peer, query)
            except (httpx.HTTPError, Refused) as error:
                timing.error = f"{type(error).__name__}: {str(error)[:200]}"
                continue
            timing.samples.append(time.perf_counter() - started)
            if slow(peer, running, query):  # its time is not taken from the others' rounds
                deadline += timing.samples[-1]


SLOW_PEER = 10  # times the fastest server's time: a peer that slow (the rdflib-endpoint floor) stops at 3 runs


def slow(peer: Peer, running: list[Peer], query: BenchQuery) -> bool:
    """Whether ``peer`` takes over ``SLOW_PEER`` times as long as the fastest server that runs the query (by its
    cold run, then its median): it is timed 3 times, not in every round, so that it does not leave the others 3
    rounds of the time they were given. klynge answering from its cache runs nothing: were it the measure, every
    server would stop at 3 runs of an EU27 scan."""

    def took(server: Peer) -> float:
        timing = server.timings[query.name]
        return statistics.median(timing.samples) if timing.samples else timing.first

    fastest = min((took(server) for server in running if server.name != KLYNGE), default=math.inf)
    return peer.name != KLYNGE and took(peer) > SLOW_PEER * fastest


def run_scale(scale: str, args: argparse.Namespace) -> Scale:
    started = time.monotonic()
    run = Scale(scale)
    store, klynge_load = klynge_store(scale, args)
    count = quads(store)
    if args.no_peer_loads:  # the peers serve klynge's own store only: no dump, no load of theirs
        run.loads = [klynge_load]
    else:
        run.loads = [klynge_load, *peer_loads(scale, nquads_of(store, scale), count, args)]
    unloaded = args.no_virtuoso or args.no_peer_loads or isinstance(run.loads[-1], str)
    virtuoso = None if unloaded else OUT / f"{scale}-virtuoso"
    with_rdflib = scale == "dk" and not args.no_rdflib_endpoint
    with servers(
        scale, store, with_rdflib, not args.no_floor, virtuoso, args.before, own_load=not args.no_peer_loads
    ) as peers:
        run.peers = peers
        clients = {peer.name: httpx.Client(timeout=PEER_LIMIT_S) for peer in peers}
        try:
            for query in QUERIES:
                run.load_averages.append(os.getloadavg()[0])
                interleaved(peers, clients, query, args.seconds)
                print(f"{scale} {query.name}: " + ", ".join(f"{p.name} {median(p, query.name):.1f} ms" for p in peers))
            run.load_averages.append(os.getloadavg()[0])
        finally:
            for client in clients.values():
                client.close()
    run.seconds = time.monotonic() - started
    return run


# -- report --


def median(peer: Peer | None, query: str) -> float:
    timing = None if peer is None else peer.timings.get(query)
    return math.nan if timing is None or timing.error else timing.median


def ratio(numerator: float, denominator: float) -> str:
    value = numerator / denominator if denominator else math.nan
    return "n/a" if math.isnan(value) else f"{value:.2f}x"


def agreement(peers: list[Peer]) -> list[str]:
    """For each query, which servers' answers differ from Oxigraph's server's (the reference: the same engine)."""
    reference = next(peer for peer in peers if peer.name == OXIGRAPH_SERVER)
    lines = []
    for query in QUERIES:
        expected = reference.answers.get(query.name)
        differing = [
            f"{p.name} ({difference(p.answers[query.name], expected)})"
            for p in peers
            if query.name in p.answers and p.answers[query.name] != expected
        ]
        failed = [f"{p.name} ({p.timings[query.name].error})" for p in peers if query.name not in p.answers]
        state = "same answers" if not differing else f"DIFFERENT answers from {', '.join(differing)}"
        if failed:
            state += f"; no answer from {', '.join(failed)}"
        lines.append(f"- `{query.name}`: {state}")
    return lines


def load_rows(loads: list[load_peers.Load | str]) -> list[str]:
    lines = [
        "| loader | version | quads | CPU s | wall s | peak MiB | store MiB | load avg |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for load in loads:
        if isinstance(load, str):
            lines.append(f"| {load} | | | | | | | |")
            continue
        average = "–" if math.isnan(load.load_average) else f"{load.load_average:.1f}"
        lines.append(
            f"| {load.engine} | {load.version} | {load.quads:,} | {load.cpu:.1f} | {load.wall:.1f} "
            f"| {load.peak_mib:,.0f} | {load.store_mib:,.0f} | {average} |"
        )
    return lines


def verdicts(run: Scale) -> list[str]:
    """klynge with its cache off against Oxigraph's server, per query: lookups within 1.5x, scans within 1.1x."""
    by_name = {peer.name: peer for peer in run.peers}
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    for query in QUERIES:
        target = LOOKUP_TARGET if query.kind == "lookup" else SCAN_TARGET
        measured = median(by_name.get(UNCACHED), query.name) / median(by_name.get(OXIGRAPH_SERVER), query.name)
        verdict = "not measured" if math.isnan(measured) else "met" if measured <= target else "**missed**"
        kind = "lookup" if query.kind == "lookup" else "scan"
        lines.append(
            f"| klynge uncached at most {target:g}x `oxigraph serve-read-only` ({kind}): `{query.name}` "
            f"| {measured:.2f}x | {verdict} |"
        )
    return lines


def section(run: Scale, seconds: float) -> str:
    begin, end = results.markers(f"bench-{run.name}")
    by_name = {peer.name: peer for peer in run.peers}
    before = BEFORE in by_name
    averages = run.load_averages or [math.nan]
    busy = "; above the cores: the times are upper bounds, the ratios fair" if max(averages) > CORES else ""
    lines = [
        begin,
        f"## {run.name.upper()} scale: klynge beside Oxigraph's server and Virtuoso (bench/run.py)",
        "",
        f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {run.seconds / 60:.0f} minutes. "
        f"Machine: {machine_line()}; load average (1 minute) {min(averages):.1f} to {max(averages):.1f} over "
        f"the queries{busy}.",
        "",
        "Loading the same quads (each peer loads the N-Quads of klynge's store, entailments included):",
        "",
        *load_rows(run.loads),
        "",
        f"`{OXIGRAPH_SERVER}` serves klynge's own store (the targets' same store); `{OXIGRAPH_OWN}` serves "
        "the store `oxigraph load` made of the same quads: the two differ only by how the store was written.",
        "",
        "Servers: " + "; ".join(f"{peer.name}: {peer.version}" for peer in run.peers) + ".",
        *(
            [
                "",
                f"`{BEFORE}` is klynge as an earlier commit was (`--before`), served the same way: before and "
                "after in one run.",
            ]
            if before
            else []
        ),
        "",
        f"Each query: one cold run per server, then rounds in which every server answers it once (the order "
        f"rotating), for {seconds:g} s (3 to {MAX_RUNS} rounds; 1 when the cold runs took the time; a server "
        f"over {SLOW_PEER}x slower than the fastest, cached klynge aside, stops at 3). Medians in milliseconds; "
        "ratios are klynge's over the peer's (below 1: klynge is faster).",
        "",
        "| query | " + " | ".join(peer.name for peer in run.peers) + " | runs "
        f"| {UNCACHED} / {OXIGRAPH_SERVER} | {KLYNGE} / {OXIGRAPH_SERVER} | {UNCACHED} / {OXIGRAPH_OWN} "
        f"| {UNCACHED} / {VIRTUOSO} |" + (f" {UNCACHED} / {BEFORE} |" if before else ""),
        "|---" * (len(run.peers) + 6 + before) + "|",
    ]
    for query in QUERIES:
        cells = [("n/a" if math.isnan(m := median(peer, query.name)) else f"{m:.1f}") for peer in run.peers]
        timings = [p.timings[query.name] for p in run.peers if query.name in p.timings]
        runs = max((len(timing.samples) for timing in timings if timing.error is None), default=0)
        uncached, oxigraph = median(by_name.get(UNCACHED), query.name), median(by_name.get(OXIGRAPH_SERVER), query.name)
        lines.append(
            f"| `{query.name}` ({query.kind}) | " + " | ".join(cells) + f" | {runs} | {ratio(uncached, oxigraph)} "
            f"| {ratio(median(by_name.get(KLYNGE), query.name), oxigraph)} "
            f"| {ratio(uncached, median(by_name.get(OXIGRAPH_OWN), query.name))} "
            f"| {ratio(uncached, median(by_name.get(VIRTUOSO), query.name))} |"
            + (f" {ratio(uncached, median(by_name[BEFORE], query.name))} |" if before else "")
        )
    lines += ["", "Answers, checked against Oxigraph's server:", *agreement(run.peers), ""]
    lines += ["Targets (klynge with its cache off against Oxigraph's server, in this run):", "", *verdicts(run)]
    lines += [
        "",
        "Where klynge's time goes beyond the engine's (profiled at DK scale, 2026-12-08): the app itself (uvicorn's",
        "protocol aside: middlewares for the security headers, HEAD and Vary, release selection and the",
        "Repr-Digest, CORS; routing; the SPARQL route) takes 0.14-0.16 ms of Python on a cached answer, by POST or",
        "GET; the answer leaves in one write. An uncached request is sent from the event loop to a worker process",
        "(the one the time limit kills) and its answer read there as it arrives: 0.1 ms for `ASK {}`, 0.3-0.4 ms",
        "for these queries, nearly all of it two process switches (the worker has the job 0.2 ms after it was",
        "sent), which wait for a core when the load average is above the cores, so a lookup's ratio grows with the",
        "load. Oxigraph's server answers on the thread that read the request. `klynge` (cached) shows the serving",
        "stack alone: no worker. A query still running after 0.5 s yields the CPU (niced; its worker is replaced",
        "after), so short queries stay quick: on a busy machine that slows klynge's long scans against a peer at",
        "full priority. The bare ASGI floor runs pyoxigraph on its event loop in one process: what an endpoint",
        "costs with no framework and no worker.",
    ]
    lines += [*([""] + [f"- {note}" for note in run.notes] if run.notes else []), end]
    return "\n".join(lines) + "\n"


def machine_line() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}"


HEAD = """# klynge benchmark results

Written by the benchmarks under bench/ (`make bench`); do not edit by hand. Each section is one script's latest
run, with the machine's load average.
"""


def write(path: Path, block: str, name: str) -> None:
    """Put a scale's section into the results file; the head (before the first section) is this script's."""
    text = path.read_text() if path.exists() else ""
    first = text.find("<!-- ")
    path.write_text(HEAD + "\n" + (text[first:] if first >= 0 else ""))
    results.merge(path, name, block)


def main() -> int:
    global QUERIES  # --queries narrows the run (and its section) to some of them
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="dk", help="comma-separated: dk, eu5 (5 countries), eu27 (default: dk)")
    parser.add_argument("--seconds", type=float, default=10, help="time per query for the rounds (default: 10)")
    parser.add_argument("--eu27-store", type=Path, help="a klynge store of the EU27 synthetic graph to reuse")
    parser.add_argument("--eu27-load-log", type=Path, help="the `/usr/bin/time -v` log of that store's load")
    parser.add_argument("--no-virtuoso", action="store_true", help="leave Virtuoso out")
    parser.add_argument(
        "--no-peer-loads",
        action="store_true",
        help="no dump, no peer loads: Oxigraph's server on klynge's store only, no Virtuoso (EU27 in minutes)",
    )
    parser.add_argument("--no-rdflib-endpoint", action="store_true", help="leave the rdflib-endpoint floor out")
    parser.add_argument("--no-floor", action="store_true", help="leave the bare ASGI floor out (saves a heavy run)")
    names = ", ".join(query.name for query in QUERIES)
    parser.add_argument("--queries", help=f"comma-separated, of: {names} (default: all)")
    parser.add_argument("--reload", action="store_true", help="load every store again, none reused")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="the results file")
    parser.add_argument(
        "--before",
        metavar="COMMIT",
        help=f"serve klynge as COMMIT was too ('{BEFORE}'), on the same store: a before/after in one run",
    )
    args = parser.parse_args()
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown or not scales:
        parser.error(f"unknown scale(s) {', '.join(unknown) or '(none)'}; use dk, eu5 and/or eu27")
    if args.queries:
        asked = [name.strip() for name in args.queries.split(",") if name.strip()]
        if unknown := [name for name in asked if name not in {query.name for query in QUERIES}]:
            parser.error(f"unknown queries {', '.join(unknown)}; choose of {names}")
        QUERIES = [query for query in QUERIES if query.name in asked]
    if args.seconds <= 0:
        parser.error("--seconds must be above 0")
    if not Path(OXIGRAPH).exists():
        parser.error(f"{OXIGRAPH} not found: install the bench extra (make bench does: requirements-bench.lock)")
    if not args.no_virtuoso and shutil.which("virtuoso-t") is None:
        parser.error("virtuoso-t not found: install Debian's virtuoso-opensource, or leave it out: --no-virtuoso")
    OUT.mkdir(exist_ok=True)
    for scale in scales:
        run = run_scale(scale, args)
        block = section(run, args.seconds)
        write(args.out, block, f"bench-{scale}")
        print(block)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
