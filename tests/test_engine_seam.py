"""The engine seam: a backend implements run/graph_counts/graph_version, the rest is derived, caching wraps it."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox
import pytest

from klynge.engines.base import SERVICE_DATASET, Dataset, Engine, NotExportable, QueryError
from klynge.engines.cache import CachingEngine

EX = "http://example.org/"


class StoreBackend(Engine):
    """The smallest backend: pyoxigraph in process, counting how often it is asked."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self.store.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("x"), ox.NamedNode(EX + "g")))
        self.runs: list[Dataset] = []

    def run(
        self,
        query: str,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Mapping[str, ox.Term] | None = None,
        base_iri: str | None = None,
    ) -> tuple[bytes, str]:
        self.runs.append(dataset)
        substitutions = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        results = self.store.query(
            query, substitutions=substitutions, use_default_graph_as_union=True, base_iri=base_iri
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
