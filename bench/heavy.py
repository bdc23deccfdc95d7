"""Every named query and every page query, uncached, at scale: each under 1 s (issue 23).

The service is built in process on a loaded store (``create_app`` over the embedded engine, its workers as
served, the answer cache off) and every GET route of its routers is requested: the routes are read from
``klynge.web.app.ROUTERS``, their path parameters filled from the graph (every class with instances for
``/browse/{key}``, an instance of each class for ``/id/{path}``, the named graphs, the recorded releases…) and
every named query asked at ``/api/queries/NAME`` with its defaults (its examples for required parameters). A
route the bench cannot fill stops it, so a new page joins the bench or says why not (``EXCLUDED``).

An engine between the app and the workers records each query the pages run (its file name from the catalogue,
its bindings) and times it as the workers answer it, uncached. A query that several pages run with the same
bindings is timed the first time and answered from the bench's memo afterwards. The verdict is per query:
its slowest run under 1 s. The section between ``<!-- heavy: begin/end -->`` in bench/RESULTS.md is replaced.

    python bench/heavy.py --store /work/bench-data/eu27-store [--json bench/out/heavy-after.json]
        [--before bench/out/heavy-before.json] [--out bench/RESULTS.md]
    python bench/heavy.py --from-json bench/out/heavy-after.json --before bench/out/heavy-before.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import results  # noqa: E402 - bench/RESULTS.md's sections
from klynge.answers.browse import YEAR_CLASSES  # noqa: E402
from klynge.catalogue import catalogue, internal, internal_catalogue  # noqa: E402
from klynge.engines.base import (  # noqa: E402
    SERVICE_DATASET,
    Bindings,
    Dataset,
    Forwarding,
    InspectedQuery,
    QueryError,
    Results,
)
from klynge.engines.releases import repository_archive  # noqa: E402
from klynge.engines.store import EmbeddedEngine  # noqa: E402
from klynge.engines.text_index import TextIndex  # noqa: E402
from klynge.rdf.namespaces import KLYNGE, RDF_TYPE, curie  # noqa: E402
from klynge.settings import Limits, Settings  # noqa: E402
from klynge.web.app import ROUTERS, create_app  # noqa: E402
from pages import URLS as PAGE_URLS  # noqa: E402 - the busiest pages of each kind, chosen by hand

TARGET_MS = 1000
PAGED = re.compile(r"LIMIT \d+ OFFSET \d+")
AMONG = re.compile(r"\n  VALUES \?item \{[^}]*\}")
NAME = "heavy"
BEGIN, END = results.markers(NAME)
BASE = "https://w3id.org/klynge/"
IK = BASE + "id/policy/innovationskraft-2021-2024"

# Routes that run no query of the graph a page shows, with the reason; every other GET route is requested.
EXCLUDED = {
    "/sparql": "the protocol endpoint runs what its client sends (bench/run.py times it)",
    "/api/queries/{name}": "the answer for a name that is no query",
    "/dumps/klynge.{extension}": "a download of the whole graph, written once per graph version, not a query",
    "/dumps/klynge-tables.zip": "a download of the whole graph, written once per graph version, not a query",
    "/releases/{version}/{name}": "a recorded release's file, read from the archive",
}
# Query-string values of routes that need them (path parameters come from the graph: ``path_values``).
QUERY_VALUES: dict[str, list[dict[str, str]]] = {
    "/api/lineage": [{"iri": IK}],
    "/api/path": [{"from": IK, "to": BASE + "id/org/dfir"}],
    "/api/search": [{"q": "innovation"}, {"q": "cluster"}],
    "/search": [{"q": "cluster"}],
}


@dataclass
class Run:
    """One query a page ran: which, with what, how long uncached, and how it ended."""

    page: str
    name: str
    bindings: str
    ms: float
    size: int
    error: str | None = None


def names_by_text() -> dict[str, str]:
    """Each catalogue query's text -> its name (``sparql/x.rq`` as ``x``, a named query as ``queries/x``)."""
    named = {query.sparql: f"queries/{name}" for name, query in catalogue().items()}
    return named | {query.sparql: name for name, query in internal_catalogue().items()}


def short(term: ox.Term) -> str:
    text = term.value if isinstance(term, ox.NamedNode) else str(term)
    return text.removeprefix(BASE)


class Recorder(Forwarding):
    """The engine the app sees: runs each query on ``inner`` (uncached), times it and records it for ``page``."""

    def __init__(self, inner: EmbeddedEngine) -> None:
        super().__init__(inner)
        self.page = ""
        self.runs: list[Run] = []
        self.memo: dict[tuple, Results] = {}
        self.names = names_by_text()
        self.with_text_index = True

    def run(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Bindings = None,
        base_iri: str | None = None,
    ) -> Results:
        text = query.text if isinstance(query, InspectedQuery) else query
        bound = tuple(sorted((k, str(v)) for k, v in (bindings or {}).items()))
        key = (text, result_format, dataset, bound, base_iri)
        if key in self.memo:
            return self.memo[key]
        # a page of browse-items-page.rq is that query; a year's members written in (VALUES) leave the file's
        unpaged = AMONG.sub("", PAGED.sub("LIMIT 50 OFFSET 0", text))
        name = self.names.get(text) or self.names.get(unpaged, "ad hoc: " + " ".join(text.split())[:60])
        shown = ", ".join(f"{k.strip('_')}={short(v)}" for k, v in sorted((bindings or {}).items()))
        started = time.perf_counter()
        try:
            answer = self.inner.run(query, result_format, dataset=dataset, bindings=bindings, base_iri=base_iri)
        except QueryError as error:
            ms = (time.perf_counter() - started) * 1000
            self.runs.append(Run(self.page, name, shown, ms, 0, f"{type(error).__name__}: {error}"[:120]))
            raise
        ms = (time.perf_counter() - started) * 1000
        self.runs.append(Run(self.page, name, shown, ms, len(answer[0])))
        self.memo[key] = answer
        return answer

    def text_index(self) -> TextIndex | None:
        return self.inner.text_index() if self.with_text_index else None


def get_routes() -> Iterator[APIRoute]:
    """Every GET route of the service's routers, in the order the app includes them."""
    for module in ROUTERS:
        for route in module.router.routes:
            if isinstance(route, APIRoute) and "GET" in (route.methods or ()):
                yield route


def instances(store: ox.Store, classes: Iterable[str]) -> dict[str, str]:
    """One instance of each class (the first the store's index gives)."""
    found = {}
    for iri in classes:
        for quad in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(iri)):
            if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(BASE + "id/"):
                found[iri] = quad.subject.value
                break
    return found


def path_values(store: ox.Store, archive_versions: list[str], graphs: list[str]) -> dict:
    """The values each path parameter takes in this run, from the graph (read here, with no time limit: the
    pages' own queries are what is timed) and the archive."""
    counted = store.query(internal("void-browse-classes").sparql, use_default_graph_as_union=True)
    rows = list(counted) or store.query(internal("browse-classes").sparql, use_default_graph_as_union=True)
    classes = [row["class"].value for row in rows]
    keys = [curie(iri) for iri in classes]
    sample = instances(store, classes)
    hand_picked = [url.split("?")[0].removeprefix("/id/") for _, url in PAGE_URLS if url.startswith("/id/")]
    paths = list(dict.fromkeys([*hand_picked, *(iri.removeprefix(BASE + "id/") for iri in sample.values())]))
    policies = [IK.removeprefix(BASE + "id/")]
    if KLYNGE.Policy.value in sample:
        policies.append(sample[KLYNGE.Policy.value].removeprefix(BASE + "id/"))
    clusters = ["cluster/censec"]
    if KLYNGE.ClusterOrganisation.value in sample:
        clusters.append(sample[KLYNGE.ClusterOrganisation.value].removeprefix(BASE + "id/"))
    return {
        "key": keys,
        "year": ["2022", "2025"],
        "path": paths,
        "id": list(dict.fromkeys(policies)),
        "cluster": list(dict.fromkeys(clusters)),
        "version": archive_versions[-1:],
        "name": [g.rsplit("/", 1)[-1] for g in graphs],
    }


def named_query_urls() -> list[str]:
    """Every named query with its defaults, and its examples for the required parameters without one."""
    urls = []
    for name, query in catalogue().items():
        values = {p.name: p.default if p.default is not None else p.example for p in query.parameters if p.required}
        urls.append(f"/api/queries/{name}" + ("?" + urlencode(values) if values else ""))
    return urls


def route_urls(route: APIRoute, values: Mapping[str, list[str]]) -> list[str]:
    """The URLs of one route: each path parameter's values in turn (the others at their first), with the
    route's query-string values."""
    params = [p.name for p in route.dependant.path_params]
    if route.path.startswith("/api/queries/") and not params:
        return []  # the named queries are asked with their parameters (named_query_urls)
    missing = [p for p in params if not values.get(p)]
    if missing:
        raise SystemExit(f"bench/heavy.py: no value for {', '.join(missing)} of {route.path}: add it to path_values")
    combos = [{p: values[p][0] for p in params}]
    for p in params:
        combos += [{**combos[0], p: v} for v in values[p][1:]]
    urls = []
    for combo in combos:
        path = route.path
        for p, v in combo.items():
            path = path.replace("{" + p + ":path}", quote(v)).replace("{" + p + "}", quote(v, safe=""))
        for query in QUERY_VALUES.get(route.path, [{}]):
            urls.append(path + ("?" + urlencode(query) if query else ""))
    return list(dict.fromkeys(urls))


@dataclass
class Page:
    url: str
    status: int
    ms: float
    queries: int
    slowest: str = ""


@dataclass
class Outcome:
    stamp: str
    store: str
    quads: int
    load: tuple[float, float]
    pages: list[Page] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    never_run: list[str] = field(default_factory=list)


def measure(store_dir: Path, timeout: float, only: list[str] | None = None) -> Outcome:
    load_before = os.getloadavg()[0]
    store = ox.Store.read_only(str(store_dir))
    limits = Limits(timeout=timeout, max_results=1_000_000, cache_mb=0)
    embedded = EmbeddedEngine(store, path=store_dir, limits=limits)
    recorder = Recorder(embedded)
    recorder.with_text_index = not only  # a partial run leaves search out, and the index it would wait for
    archive = repository_archive()
    print("bench/heavy.py: building the app (the full-text index first)", flush=True)
    app = create_app(recorder, Settings(limits=limits, validate_on_start=False), archive)
    outcome = Outcome(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), str(store_dir), len(store), (0.0, 0.0))
    with TestClient(app, raise_server_exceptions=False) as client:
        versions = list(archive.versions) if archive is not None else []
        values = path_values(store, versions, sorted(embedded.graph_counts()))
        recorder.runs.clear()
        recorder.memo.clear()
        urls: list[str] = named_query_urls()
        for route in get_routes():
            if route.path not in EXCLUDED:
                urls += route_urls(route, values)
        urls += [url for _, url in PAGE_URLS]
        # the classes the year facet applies to, in one year (as /browse/{key}?year= links them)
        urls += [f"/browse/{quote(curie(iri), safe='')}?year=2022" for iri in YEAR_CLASSES]
        if only:
            urls = [url for url in urls if url.startswith(tuple(only)) and "search" not in url]
        for url in dict.fromkeys(urls):
            recorder.page = url
            before = len(recorder.runs)
            started = time.perf_counter()
            answer = client.get(url, follow_redirects=False, headers={"Accept": "text/html,*/*;q=0.8"})
            ms = (time.perf_counter() - started) * 1000
            ran = recorder.runs[before:]
            slowest = max(ran, key=lambda r: r.ms, default=None)
            page = Page(url, answer.status_code, ms, len(ran), f"{slowest.name} {slowest.ms:.0f} ms" if slowest else "")
            outcome.pages.append(page)
            print(f"{page.status} {ms:8.0f} ms {len(ran):3d} queries {url}  [{page.slowest}]", flush=True)
    embedded.close()
    outcome.runs = recorder.runs
    names = {run.name for run in recorder.runs}
    outcome.never_run = sorted(n for n in internal_catalogue() if n not in names)
    outcome.load = (load_before, os.getloadavg()[0])
    return outcome


def worst_by_query(runs: list[Run]) -> dict[str, tuple[Run, int]]:
    """Each query's slowest run and how many distinct runs it had; named queries first, then by name."""
    worst: dict[str, tuple[Run, int]] = {}
    for run in runs:
        held = worst.get(run.name)
        if held is None:
            worst[run.name] = (run, 1)
            continue
        slower = bool(run.error) or (not held[0].error and run.ms > held[0].ms)
        worst[run.name] = (run if slower else held[0], held[1] + 1)
    return dict(sorted(worst.items(), key=lambda item: (not item[0].startswith("queries/"), item[0])))


def verdict(run: Run) -> str:
    return "meets" if run.error is None and run.ms < TARGET_MS else "**misses**"


def cell(run: Run | None) -> str:
    if run is None:
        return "-"
    return f"{run.ms:,.0f} ms" + (" (failed)" if run.error else "")


def section(outcome: Outcome, before: Outcome | None, notes: Iterable[str] = ()) -> str:
    worst = worst_by_query(outcome.runs)
    earlier = worst_by_query(before.runs) if before else {}
    misses = [name for name, (run, _) in worst.items() if verdict(run) != "meets"]
    cores = os.cpu_count()
    lines = [
        BEGIN,
        "## Every named and page query, uncached (issue 23)",
        "",
        f"`bench/heavy.py`, {outcome.stamp}: the app in process on `{outcome.store}` ({outcome.quads:,} quads),",
        "its queries run by the embedded engine's workers with the answer cache off; every GET route of the",
        "service's routers is requested (path parameters from the graph: every class for `/browse/{key}`, the year",
        "classes in 2022, an",
        "instance of each class and the busiest pages of bench/pages.py for `/id/{path}`, every named graph) and",
        "every named query with its defaults. Each query is timed the first time a page runs it with its",
        f"bindings (one run, cold: an upper bound). On {cores} cores; load average (1 min) {outcome.load[0]:.1f}",
        f"before the run, {outcome.load[1]:.1f} at its end (above {cores}, other work shared the cores).",
        f"Target: every query under {TARGET_MS} ms. {len(worst) - len(misses)} of {len(worst)} queries meet it"
        + (f"; missing: {', '.join(f'`{m}`' for m in misses)}." if misses else "."),
        "",
    ]
    if before:
        lines += [
            f"Before: the same bench on {before.stamp} ({before.quads:,} quads, load average "
            f"{before.load[0]:.1f} / {before.load[1]:.1f}), before this change.",
            "",
            "| query | runs | before (slowest) | now (slowest) | slowest with | verdict |",
            "|---|---|---|---|---|---|",
        ]
    else:
        lines += ["| query | runs | slowest | slowest with | verdict |", "|---|---|---|---|---|"]
    for name, (run, count) in worst.items():
        with_what = f"`{run.page}`" + (f" ({run.bindings})" if run.bindings else "")
        if run.error:
            with_what += f": {run.error}"
        old = cell(earlier[name][0]) if name in earlier else "-"
        middle = f"{old} | {cell(run)}" if before else cell(run)
        lines.append(f"| `{name}` | {count} | {middle} | {with_what.replace('|', '/')} | {verdict(run)} |")
    if notes := list(notes):
        lines += ["", "Notes:", *(f"- {note}" for note in notes)]
    gone = sorted(set(earlier) - set(worst))
    if gone:
        lines += ["", "Queries the pages ran before and no longer run: " + ", ".join(f"`{g}`" for g in gone) + "."]
    lines += [
        "",
        "Service queries no page ran in this run (load-time entailment, validation, tables and dumps, or the",
        "remote engine's): " + ", ".join(f"`{n}`" for n in outcome.never_run) + ".",
        "",
        "Routes not requested: " + "; ".join(f"`{path}` ({why})" for path, why in EXCLUDED.items()) + ".",
        "",
        "<details><summary>Every page requested: status, wall time (queries a page shares with an earlier one",
        "are answered from the bench's memo), queries run, the slowest</summary>",
        "",
        "| URL | status | time | queries | slowest |",
        "|---|---|---|---|---|",
    ]
    for page in outcome.pages:
        lines.append(f"| `{page.url}` | {page.status} | {page.ms:,.0f} ms | {page.queries} | {page.slowest} |")
    lines += ["", "</details>", "", END]
    return "\n".join(lines) + "\n"


PAGE_LINE = re.compile(r"^(\d{3}) +([\d.]+) ms +(\d+) queries (\S+)  \[(?:(.+) ([\d.]+) ms)?\]$")


def read_log(path: Path, store: Path, quads: int, load: tuple[float, float]) -> Outcome:
    """An interrupted run, from the lines it printed: each page, and only the slowest query of each page."""
    stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    outcome = Outcome(stamp, str(store), quads, load)
    for line in path.read_text().splitlines():
        if match := PAGE_LINE.match(line):
            status, ms, count, url, name, slowest = match.groups()
            outcome.pages.append(Page(url, int(status), float(ms), int(count), f"{name} {slowest} ms" if name else ""))
            if name:
                failed = "the page answered with an error" if int(status) >= 400 else None
                outcome.runs.append(Run(url, name, "", float(slowest), 0, failed))
    return outcome


def read_outcome(path: Path) -> Outcome:
    data = json.loads(path.read_text())
    data["pages"] = [Page(**p) for p in data["pages"]]
    data["runs"] = [Run(**r) for r in data["runs"]]
    data["load"] = tuple(data["load"])
    return Outcome(**data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store loaded by klynge load")
    parser.add_argument("--timeout", type=float, default=120.0, help="a query's time limit (s)")
    parser.add_argument("--json", type=Path, help="write every run here too (for --before of a later run)")
    parser.add_argument("--before", type=Path, help="an earlier run's --json, shown beside this run's figures")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--from-json", type=Path, help="write the section from this earlier run's --json instead")
    parser.add_argument("--note", action="append", default=[], help="a line for the section's notes (repeatable)")
    parser.add_argument("--also-json", type=Path, action="append", default=[], help="add a partial run's figures")
    parser.add_argument("--also-log", type=Path, action="append", default=[], help="add an interrupted run's lines")
    parser.add_argument("--only", action="append", help="request only the URLs starting so (repeatable; no search)")
    parser.add_argument("--from-log", type=Path, help="write the section from an interrupted run's printed lines")
    parser.add_argument("--quads", type=int, default=0, help="with --from-log: the quads of the store it ran on")
    parser.add_argument("--load", type=float, nargs=2, default=(0.0, 0.0), help="with --from-log: load averages")
    args = parser.parse_args()
    if args.store is None and args.from_json is None:
        parser.error("give --store (a store to measure) or --from-json (an earlier run to write up)")
    if args.from_log:
        outcome = read_log(args.from_log, args.store, args.quads, tuple(args.load))
    elif args.from_json:
        outcome = read_outcome(args.from_json)
    else:
        outcome = measure(args.store, args.timeout, args.only)
    extras = [*map(read_outcome, args.also_json), *(read_log(log, args.store, 0, (0, 0)) for log in args.also_log)]
    for extra in extras:  # partial runs: their pages and queries join this one's
        outcome.pages += extra.pages
        outcome.runs += extra.runs
        ran = {run.name for run in outcome.runs}
        outcome.never_run = sorted(n for n in internal_catalogue() if n not in ran)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(outcome), indent=1))
    block = section(outcome, read_outcome(args.before) if args.before else None, args.note)
    results.merge(args.out, NAME, block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
