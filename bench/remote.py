"""Remote mode against its store: the same queries sent to Virtuoso directly and through `klynge serve
--sparql-endpoint`, interleaved in one run, medians.

The quads are those `klynge load` stores for the synthetic countries (entailments included). Two Virtuoso
servers hold them, each loaded by Virtuoso's bulk loader (bench/load_peers.py, with the tests' throw-away
server, tests/virtuoso.py): "Virtuoso alone" exactly those quads, as a user of Virtuoso alone would load
them and query them with no dataset; "for klynge" the file `klynge load --nquads --dialect virtuoso` writes
(``Dialect.stored_quads``: the same quads plus the union graph the Virtuoso dialect sends as the default
graph). `klynge serve` serves the second over HTTP; beside it, klynge's ``RemoteEngine`` runs each query in
this process twice: with the Virtuoso dialect (klynge's cost without its HTTP serving) and with the served
graphs sent as a list (how klynge restricted the dataset before); and what that engine sends is sent
directly to its Virtuoso, the store's own time for klynge's request. Every HTTP request is keep-alive (the
standard library's client, the leanest: ``Client``), SPARQL JSON (N-Triples for DESCRIBE), and the answers
are checked to agree (bench/bench_queries.answer_key). Queries: bench/remote-queries/*.rq, by class (the
file name's first word: lookup, join or aggregate), and two of the named queries (bench/bench_queries.py).

``measure()`` returns the rows (for `make bench`'s side-by-side table); run as a script it writes the
``remote`` section of bench/RESULTS.md with Virtuoso's version, the load average and a verdict per class
(klynge at most 1.5x Virtuoso alone, medians).

    python bench/remote.py [--countries 5] [--out DIR] [--results FILE] [--seconds S]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pyoxigraph as ox

import load_peers  # the bulk loads (bench/ is the script's folder, so on the path)
import results
from bench_queries import JSON, QUERIES, answer_key

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
import virtuoso  # noqa: E402 (the tests' throw-away Virtuoso: config, free ports, clean shutdown)
from klynge.engines.base import Dataset  # noqa: E402
from klynge.engines.remote import RemoteEngine  # noqa: E402
from klynge.engines.remote.bulk import write_nquads  # noqa: E402
from klynge.engines.remote.dialect import VIRTUOSO  # noqa: E402

TARGET = 1.5
KINDS = ("lookup", "join", "aggregate")


class VirtuosoWithoutUnion(type(VIRTUOSO)):  # type: ignore[misc]
    """The Virtuoso dialect as it was before the union graph: the served graphs sent as a list."""

    union_graph = None


@dataclass(frozen=True)
class Query:
    name: str
    kind: str
    text: str
    accept: str


@dataclass
class Row:
    """One query's medians (ms) in this run: Virtuoso alone, klynge on Virtuoso, the store klynge uses asked
    directly, klynge's engine in process."""

    query: str
    kind: str
    direct_ms: float
    klynge_ms: float
    store_ms: float  # what klynge's engine sends, sent as it is to the Virtuoso loaded for klynge
    listed_ms: float  # klynge's remote engine in process, the graphs sent as a list (as before)
    engine_ms: float  # klynge's remote engine in the bench's process: klynge without its HTTP serving
    runs: int
    differ: list[str]  # which of "direct", "store", "engine" and "listed" answered otherwise than klynge

    @property
    def answers(self) -> str:
        if not self.differ:
            return "same"
        if self.differ == ["direct"] and self.query == "aggregate-classes":
            return "same, but for Virtuoso's own classes (alone)"
        return "**differ** from klynge: " + ", ".join(self.differ)

    @property
    def ratio(self) -> float:
        return self.klynge_ms / self.direct_ms


def queries() -> list[Query]:
    """The bench's own queries (bench/remote-queries) and the named ones that run on every engine."""
    found = [
        Query(path.stem, path.stem.split("-")[0], path.read_text(), JSON)
        for path in sorted((HERE / "remote-queries").glob("*.rq"))
    ]
    named = {"describe-resource": "lookup", "cluster-relations": "aggregate"}
    found += [Query(q.name, named[q.name], q.text, q.accept) for q in QUERIES if q.name in named]
    return found


def quads_file(countries: int, out: Path) -> tuple[Path, int]:
    """The N-Quads of klynge's store for the synthetic countries (synthesised and loaded when missing)."""
    synth, store, nquads = out / f"synth-{countries}.nt", out / f"store-{countries}", out / f"quads-{countries}.nq"
    if not synth.exists():
        subprocess.run([load_peers.KLYNGE, "synth", "--countries", str(countries), "--out", str(synth)], check=True)
    if not (store / "klynge-store.json").exists():
        subprocess.run([load_peers.KLYNGE, "load", "--store", str(store), str(synth)], check=True)
    quads = ox.Store.read_only(str(store))
    if not nquads.exists():
        quads.dump(str(nquads), format=ox.RdfFormat.N_QUADS)
    return nquads, len(quads)


def klynge_file(nquads: Path, out: Path) -> Path:
    """The same quads as the Virtuoso dialect's store must hold them (what `klynge load --nquads` writes)."""
    path = out / f"{nquads.stem}-for-virtuoso.nq"
    if not path.exists():
        write_nquads(list(ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)), path, VIRTUOSO)
    return path


@contextmanager
def served_virtuoso(nquads: Path, folder: Path, quads: int) -> Iterator[virtuoso.Virtuoso]:
    """A Virtuoso holding the file's quads (bulk-loaded once into ``folder``), stopped afterwards."""
    if not (folder / "virtuoso.db").exists():
        loaded = load_peers.load_virtuoso(nquads, folder, quads)
        if isinstance(loaded, str):
            raise SystemExit(loaded)
        print(f"loaded {nquads.name}: {loaded}", flush=True)
    server = virtuoso.Virtuoso(folder.resolve(), virtuoso.free_port(), virtuoso.free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def klynge_serving(endpoint: str, dialect: str) -> Iterator[str]:
    """`klynge serve --sparql-endpoint` in its own process, as deployed; its /sparql URL."""
    port = virtuoso.free_port()
    command = [load_peers.KLYNGE, "serve", "--sparql-endpoint", endpoint, "--dialect", dialect]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--timeout", "120"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"klynge serve stopped: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/sparql"
    finally:
        process.terminate()
        process.wait(timeout=30)


class Client:
    """Kept-alive HTTP/1.1 connections, one per server, from the standard library with nothing held back
    (TCP_NODELAY): the leanest client Python has, so that no side's figure carries a client's own cost
    (httpx added 0.4 ms to a 1 ms lookup, to Virtuoso alone and to klynge alike, flattering the ratio)."""

    def __init__(self) -> None:
        self.connections: dict[str, http.client.HTTPConnection] = {}

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        """Status, body and content type; once more on a new connection if the server closed an idle one."""
        parts = urllib.parse.urlsplit(url)
        for attempt in (1, 2):
            connection = self.connections.get(parts.netloc)
            if connection is None:
                connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=300)
                connection.connect()
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.connections[parts.netloc] = connection
            try:
                connection.request("POST", parts.path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read(), response.getheader("content-type", "")
            except (ConnectionError, http.client.BadStatusLine):
                connection.close()
                del self.connections[parts.netloc]
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


def timed(client: Client, url: str, query: Query, fields: Sequence[tuple[str, str]] = ()) -> tuple[float, bytes, str]:
    """One request (the query and ``fields``): milliseconds, body and media type."""
    body = urllib.parse.urlencode([("query", query.text), *fields]).encode()
    headers = {"Accept": query.accept, "Content-Type": "application/x-www-form-urlencoded"}
    started = time.perf_counter()
    status, content, media_type = client.post(url, body, headers)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise SystemExit(f"{url} answered {query.name} with {status}: {content[:500]!r}")
    return elapsed, content, media_type


def as_engine_sends(client: Client, engine: RemoteEngine, query: Query) -> tuple[float, bytes, str]:
    """The query sent to the engine's store as the engine sends it (its dataset), by this bench's client: the
    store's own time for klynge's request, so that klynge's cost is the rest."""
    _, sent, _ = engine.outgoing(query.text, None, engine.restriction(query.text, Dataset()))
    return timed(client, engine.endpoint, Query(query.name, query.kind, sent.text, query.accept), sent.fields)


def in_process(engine: RemoteEngine, query: Query) -> tuple[float, bytes, str]:
    """The query run by klynge's remote engine in this process: milliseconds, body and media type."""
    started = time.perf_counter()
    body, media_type = engine.run(query.text, query.accept)
    return (time.perf_counter() - started) * 1000, body, media_type


Runner = Callable[[Query], tuple[float, bytes, str]]


def compare(query: Query, runners: dict[str, Runner], seconds: float) -> Row:
    """The query asked of each runner in turn (the order rotating each round) for about ``seconds`` (3 to 50
    rounds) after one warm-up each; the medians, and which answers differ from klynge's."""

    def run(name: str) -> tuple[float, bytes, str]:
        return runners[name](query)

    names = list(runners)
    keys, times = {}, {name: [] for name in names}
    for name in names:
        _, body, media_type = run(name)
        if name == "direct" and media_type.startswith(JSON):
            body = VIRTUOSO.results(body)  # its stored booleans as "1"/"0", read as the dialect reads them
        keys[name] = answer_key(query, body, media_type)
    started, rounds = time.monotonic(), 0
    while rounds < 3 or (rounds < 50 and time.monotonic() - started < seconds):
        for name in names[rounds % len(names) :] + names[: rounds % len(names)]:
            times[name].append(run(name)[0])
        rounds += 1
    medians = {name: statistics.median(values) for name, values in times.items()}
    differ = [name for name in ("direct", "store", "listed", "engine") if keys[name] != keys["klynge"]]
    direct, klynge, store, listed, engine = (medians[n] for n in ("direct", "klynge", "store", "listed", "engine"))
    return Row(query.name, query.kind, direct, klynge, store, listed, engine, rounds, differ)


def measure(countries: int = 5, out: Path = HERE / "out" / "remote", seconds: float = 10.0) -> list[Row]:
    """The rows of one run: two Virtuosos and two klynge servers up, every query compared, all stopped."""
    out.mkdir(parents=True, exist_ok=True)
    nquads, count = quads_file(countries, out)
    for_klynge = klynge_file(nquads, out)
    client = Client()
    with ExitStack() as stack:
        stack.callback(client.close)
        alone = stack.enter_context(served_virtuoso(nquads, out / f"virtuoso-{countries}", count))
        loaded = stack.enter_context(served_virtuoso(for_klynge, out / f"virtuoso-{countries}-klynge", count))
        served = stack.enter_context(klynge_serving(loaded.sparql_url, "virtuoso"))
        engine = RemoteEngine(loaded.sparql_url, timeout=300, dialect=VIRTUOSO)
        listed = RemoteEngine(loaded.sparql_url, timeout=300, dialect=VirtuosoWithoutUnion())
        stack.callback(engine.close)
        stack.callback(listed.close)
        runners: dict[str, Runner] = {
            "direct": partial(timed, client, alone.sparql_url),
            "klynge": partial(timed, client, served),
            "store": partial(as_engine_sends, client, engine),
            "engine": partial(in_process, engine),
            "listed": partial(in_process, listed),
        }
        rows = []
        for query in queries():
            rows.append(compare(query, runners, seconds))
            print(rows[-1], flush=True)
    return rows


def section(rows: list[Row], countries: int, load_average: tuple[float, float]) -> str:
    begin, end = results.markers("remote")
    lines = [
        begin,
        "## Remote mode on Virtuoso against Virtuoso alone (bench/remote.py)",
        "",
        f"{countries} synthetic countries (klynge's published quads, entailments included). "
        f"{load_peers.virtuoso_version()}. Machine: {results.machine()}; load average {load_average[0]:.1f} at "
        f"the start, {load_average[1]:.1f} at the end. Medians in ms, the five interleaved in each round, "
        "HTTP keep-alive, from the standard library's client (as lean as Python gets, so neither side carries "
        "a client's own cost). *Virtuoso alone*: the query sent to a Virtuoso holding exactly the quads, "
        "with no dataset (its default graph is every graph, its own system graphs included, so `aggregate-"
        "classes` also counts their classes). *klynge*: `klynge serve --sparql-endpoint` on a Virtuoso loaded "
        "as `klynge load --nquads --dialect virtuoso` writes (the quads and their union graph, which the "
        "Virtuoso dialect sends as the one default graph). *klynge engine in process*: the same query run by "
        "klynge's `RemoteEngine` (Virtuoso dialect) in the bench's own process, the answer written as served: "
        "klynge's cost without its HTTP serving (uvicorn, FastAPI, middleware, the hop to a thread). *graph "
        "list*: that engine with the served graphs sent as `default-graph-uri`/`named-graph-uri` lists, as "
        "klynge restricted the dataset before. *klynge's store asked directly*: the text and dataset fields "
        "klynge's engine sends, sent by this bench's client to the Virtuoso loaded for klynge: the store's own "
        "time for klynge's request (the union graph doubles the quads it holds), so that engine / its store is "
        "klynge's own cost.",
        "",
        "| query | class | Virtuoso alone | klynge | klynge / alone | klynge's store asked directly (/ alone) "
        "| klynge engine in process (/ alone, / its store) | graph list, in process | graph list / alone "
        "| rounds | answers |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| `{row.query}` | {row.kind} | {row.direct_ms:.1f} | {row.klynge_ms:.1f} | {row.ratio:.2f}x "
            f"| {row.store_ms:.1f} ({row.store_ms / row.direct_ms:.2f}x) "
            f"| {row.engine_ms:.1f} ({row.engine_ms / row.direct_ms:.2f}x, {row.engine_ms / row.store_ms:.2f}x) "
            f"| {row.listed_ms:.1f} | {row.listed_ms / row.direct_ms:.2f}x | {row.runs} "
            f"| {row.answers} |"
        )
    lines += ["", f"Verdicts (klynge at most {TARGET:g}x Virtuoso alone, per query):", ""]
    for kind in KINDS:
        ratios = [row.ratio for row in rows if row.kind == kind]
        if ratios:
            worst = max(ratios)
            verdict = "met" if worst <= TARGET else "**missed**"
            median = statistics.median(ratios)
            line = f"- {kind}s: {len(ratios)} queries, worst {worst:.2f}x, median {median:.2f}x: {verdict}"
            if worst > TARGET:  # where the engine and the store it asks stand
                of_kind = [row for row in rows if row.kind == kind]
                engine = max(row.engine_ms / row.direct_ms for row in of_kind)
                own = max(row.engine_ms / row.store_ms for row in of_kind)
                store = max(row.store_ms / row.direct_ms for row in of_kind)
                line += (
                    f" (klynge's engine in process: worst {engine:.2f}x Virtuoso alone, {own:.2f}x the store it asks; "
                    f"that store asked directly: worst {store:.2f}x Virtuoso alone)"
                )
            lines.append(line)
    return "\n".join([*lines, end]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=5, help="synthetic countries (default 5)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "remote", help="work folder (kept for reruns)")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="results file to write into")
    parser.add_argument("--seconds", type=float, default=10.0, help="time spent on each query (default 10)")
    args = parser.parse_args()
    if (reason := virtuoso.missing_reason()) is not None:
        parser.error(reason)
    before = os.getloadavg()[0]
    rows = measure(args.countries, args.out, args.seconds)
    block = section(rows, args.countries, (before, os.getloadavg()[0]))
    results.merge(args.results, "remote", block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
