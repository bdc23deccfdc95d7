"""The engine seam: a backend implements run/graph_counts/graph_version, the rest is derived, caching wraps it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from klynge.answers import dataset as answers_dataset
from klynge.engines.base import SERVICE_DATASET, Dataset, Engine, InspectedQuery, NotExportable, QueryError
from klynge.engines.cache import CachingEngine
from klynge.engines.releases import ReleaseSwitch
from klynge.engines.store import EmbeddedEngine
from klynge.graph import tables
from klynge.rdf import dumps, sparql_lexer
from klynge.settings import Limits, Settings
from klynge.web import dataset as web_dataset
from klynge.web.app import create_app
from klynge.web.dependencies import get_engine

EX = "http://example.org/"


class StoreBackend(Engine):
    """The smallest backend: pyoxigraph in process, counting how often it is asked."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self.store.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("x"), ox.NamedNode(EX + "g")))
        self.runs: list[Dataset] = []

    def run(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Mapping[str, ox.Term] | None = None,
        base_iri: str | None = None,
    ) -> tuple[bytes, str]:
        self.runs.append(dataset)
        substitutions = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        results = self.store.query(
            InspectedQuery.of(query).text,
            substitutions=substitutions,
            use_default_graph_as_union=True,
            base_iri=base_iri,
        )
        if isinstance(results, ox.QueryTriples):
            return results.serialize(format=ox.RdfFormat.from_media_type(result_format)), result_format
        return results.serialize(format=ox.QueryResultsFormat.from_media_type(result_format)), result_format

    def graph_counts(self) -> dict[str, int]:
        return {EX + "g": len(self.store)}

    def graph_version(self) -> str:
        return "v1"


def test_rows_answers_and_triples_come_from_run_alone():
    engine = StoreBackend()
    assert engine.select("SELECT ?o WHERE { ?s ?p ?o }") == [{"o": ox.Literal("x")}]
    assert engine.ask("ASK { ?s ?p ?o }") is True
    assert engine.ask("ASK { ?s ?p ?o }", {"s": ox.NamedNode(EX + "b")}) is False
    assert len(engine.construct("CONSTRUCT WHERE { ?s ?p ?o }")) == 1
    assert engine.triple_count() == 1
    assert not engine.can_export()  # no dumps unless the backend says it holds the graph
    with pytest.raises(NotExportable, match="embedded store"):
        engine.export("ttl")
    with pytest.raises(QueryError, match="expected a SELECT"):
        engine.select("ASK {}")


def test_caching_wraps_any_engine_and_keys_on_the_dataset():
    backend = StoreBackend()
    engine = CachingEngine(backend)
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    first = engine.run(query, "application/sparql-results+json")
    assert engine.cached(query, "application/sparql-results+json") == first
    assert engine.run(query, "application/sparql-results+json") == first and len(backend.runs) == 1
    other = Dataset((EX + "g",))
    assert engine.cached(query, "application/sparql-results+json", dataset=other) is None
    engine.run(query, "application/sparql-results+json", dataset=other)
    assert backend.runs == [SERVICE_DATASET, other]
    assert engine.graph_version() == "v1" and engine.graph_counts() == backend.graph_counts()


def test_volatile_queries_and_a_zero_budget_are_never_kept():
    backend = StoreBackend()
    volatile = CachingEngine(backend)
    for _ in range(2):
        volatile.run("SELECT (RAND() AS ?r) WHERE {}", "application/sparql-results+json")
    off = CachingEngine(backend, max_bytes=0)
    for _ in range(2):
        off.run("SELECT ?o WHERE { ?s ?p ?o }", "application/sparql-results+json")
    assert len(backend.runs) == 4
    assert off.cached("SELECT ?o WHERE { ?s ?p ?o }", "application/sparql-results+json") is None


# --- what the web layer may ask of an engine ------------------------------------------------------------------


def test_the_base_engine_keeps_nothing_and_the_cache_keeps_what_ran():
    backend = StoreBackend()
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    assert backend.cached(query, "application/sparql-results+json") is None  # every engine answers cached()
    cache = CachingEngine(backend)
    inspected = InspectedQuery.of(query)
    answer = cache.run(inspected, "application/sparql-results+json")
    assert cache.cached(query, "application/sparql-results+json") == answer  # a text and its inspection: one key


@pytest.fixture(scope="module")
def small_engine() -> Iterator[EmbeddedEngine]:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("x"), ox.NamedNode(EX + "g")))
    engine = EmbeddedEngine(store, limits=Limits(workers=1))
    yield engine
    engine.close()


def test_an_embedded_engine_writes_the_dumps_and_tables_once(small_engine):
    switch = ReleaseSwitch(CachingEngine(small_engine), None)  # as the routes hold it
    assert switch.can_export()
    turtle = switch.export("ttl")
    assert turtle == dumps.export_bytes(small_engine.store, "ttl")
    assert switch.export("ttl") is turtle  # kept: the graph is read-only while served
    assert [q.subject for q in ox.parse(switch.export("nt"), format=ox.RdfFormat.N_TRIPLES)] == [ox.NamedNode(EX + "a")]
    assert switch.export_tables() == tables.package_zip(small_engine.store)
    with pytest.raises(ValueError, match="unknown export format"):
        switch.export("csv")


def test_one_inspection_serves_a_whole_request(small_engine, monkeypatch):
    """A long query is read by the lexer once per request: not again by the cache or the engine."""
    reads = []
    real = sparql_lexer.inspect
    monkeypatch.setattr(sparql_lexer, "inspect", lambda text: reads.append(len(text)) or real(text))
    client = TestClient(create_app(CachingEngine(small_engine), Settings(), None))
    long_query = "# " + "x" * 40_000 + "\nSELECT ?o WHERE { ?s ?p ?o }"  # past the memo and the inline limit
    for send in (
        lambda: client.post("/sparql", data={"query": long_query}),
        lambda: client.get("/sparql", params={"query": long_query}),
    ):
        reads.clear()
        response = send()
        assert response.status_code == 200 and '"x"' in response.text
        assert reads == [len(long_query)]


class Unexportable(StoreBackend):
    def text_index(self) -> None:
        return None


def test_a_route_is_given_its_engine_and_a_remote_one_serves_no_dumps():
    app = FastAPI()  # no create_app, no app state: the dependency is swapped
    app.include_router(web_dataset.router)
    app.dependency_overrides[get_engine] = Unexportable
    client = TestClient(app)
    for path in ("/dumps/klynge.ttl", f"/dumps/{answers_dataset.TABLES_FILE}.zip"):
        response = client.get(path)
        assert response.status_code == 503 and "embedded store" in response.json()["detail"]


SERVICE = Path(__file__).resolve().parents[1] / "service" / "klynge"


def modules_saying(pattern: str) -> set[str]:
    """The modules of the package whose code matches ``pattern``, by path under klynge/."""
    return {
        str(path.relative_to(SERVICE))
        for path in SERVICE.rglob("*.py")
        if re.search(pattern, path.read_text(encoding="utf-8"))
    }


def test_the_seam_holds_routes_get_engines_by_dependency_and_no_store_leaves_the_engines():
    # set and read in one place, by routes and by middleware holding the app (scope["app"].state) alike
    assert modules_saying(r"app\.state\.|\[\"app\"\]\.state\b") == {"web/dependencies.py"}
    assert {m for m in modules_saying(r"\blocal_store\b") if not m.startswith("engines/")} == set()
    assert {m for m in modules_saying(r"\bCachingEngine\b|hasattr\(engine") if m.startswith("web/")} == {
        "web/serve.py"  # the composition root makes the engine; no route asks what it is
    }
