"""The time and result-size limits: a runaway query is stopped (its worker process killed, its CPU freed) and
answered 422 within the limit, the server keeps answering meanwhile, and a too-large answer is a 422 too (the
same query fails again, so neither is a 503 or a 413; klynge.web.engine_errors). Also
what the worker processes must keep despite being forked: their own random numbers, and a replacement when
one dies."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from klynge.engines.base import QueryTimeout, QueryTooLarge
from klynge.engines.cache import ENTRY_OVERHEAD, AnswerCache
from klynge.engines.store import EmbeddedEngine
from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from web.processes import gone

LIMIT_S = 1.0
SLACK_S = 5.0  # generous: the limit is what is asserted, not the machine's speed
MAX_RESULTS = 50
# Five unconstrained patterns: (triples)^5 combinations to count, far beyond any time limit.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(5)) + " }"
SIMPLE = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def limited(published_store: ox.Store) -> Iterator[EmbeddedEngine]:
    """An engine on the repository's graph with a 1 s time limit, 50 results at most and two workers."""
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=LIMIT_S, max_results=MAX_RESULTS, workers=2))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def limited_client(limited: EmbeddedEngine) -> TestClient:
    settings = Settings(limits=Limits(timeout=LIMIT_S, max_results=MAX_RESULTS))
    return TestClient(create_app(limited, settings))


def test_runaway_query_is_stopped_within_the_limit_and_its_worker_killed(limited, limited_client):
    before = set(limited.worker_pids())
    started = time.monotonic()
    response = limited_client.get("/sparql", params={"query": RUNAWAY})
    elapsed = time.monotonic() - started
    assert response.status_code == 422
    assert "time limit of 1 s" in response.text
    assert elapsed < LIMIT_S + SLACK_S
    after = set(limited.worker_pids())
    killed = before - after
    assert len(killed) == 1, (before, after)
    assert gone(killed.pop(), SLACK_S), "the worker that ran the query still exists: its CPU is not freed"
    assert len(after) == 3  # replaced: two long slots and the worker kept for short queries
    assert limited_client.get("/sparql", params={"query": SIMPLE}).json()["boolean"] is True


def test_engine_raises_query_timeout_for_every_caller(limited):
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as raised:
        limited.select(RUNAWAY)
    assert raised.value.seconds == LIMIT_S
    assert time.monotonic() - started < LIMIT_S + SLACK_S


def test_the_server_answers_while_a_query_runs_away(published_store, serve):
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=2.0, workers=2))
    app = create_app(engine, Settings(limits=Limits(timeout=2.0)))
    runaway: dict[str, object] = {}
    try:
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:

            def run_away() -> None:
                runaway["response"] = http.get("/sparql", params={"query": RUNAWAY})
                runaway["finished"] = time.monotonic()

            thread = threading.Thread(target=run_away)
            thread.start()
            time.sleep(0.3)  # let it reach a worker; the assertions below do not depend on this pause
            answer = http.get("/sparql", params={"query": SIMPLE})
            answered = time.monotonic()
            description = http.get("/sparql")
            thread.join(timeout=30)
    finally:
        engine.close()
    assert answer.status_code == 200 and answer.json()["boolean"] is True
    assert description.status_code == 200
    assert runaway["response"].status_code == 422
    assert answered < runaway["finished"]  # answered while the runaway was still running


def test_too_many_rows_is_422(limited_client):
    response = limited_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 422
    assert f"more than {MAX_RESULTS} results" in response.text


def test_too_many_triples_is_422(limited_client):
    query = "CONSTRUCT WHERE { ?s ?p ?o }"
    response = limited_client.post("/sparql", data={"query": query}, headers={"Accept": "text/turtle"})
    assert response.status_code == 422


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_exactly_the_limit_is_answered(limited_client, fmt):
    query = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {MAX_RESULTS}"
    response = limited_client.get("/sparql", params={"query": query, "format": fmt})
    assert response.status_code == 200, response.text
    if fmt == "json":
        assert len(response.json()["results"]["bindings"]) == MAX_RESULTS


def test_engine_raises_query_too_large_and_the_worker_stays(limited):
    before = set(limited.worker_pids())
    with pytest.raises(QueryTooLarge) as raised:
        limited.select("SELECT * WHERE { ?s ?p ?o }")
    assert raised.value.limit == MAX_RESULTS
    with pytest.raises(QueryTooLarge):
        limited.construct("CONSTRUCT WHERE { ?s ?p ?o }")
    assert set(limited.worker_pids()) == before  # nothing to kill: the worker stopped by itself
    assert len(limited.select(f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_RESULTS}")) == MAX_RESULTS


def test_a_worker_that_died_while_idle_is_replaced_before_it_gets_a_query(published_store):
    engine = EmbeddedEngine(published_store, limits=Limits(workers=1))
    try:
        pids = engine.worker_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        assert all(gone(pid, SLACK_S) for pid in pids)
        assert engine.ask("ASK { ?s ?p ?o }") is True
        assert engine.ask("ASK { ?s ?p ?o . FILTER(true) }") is True  # the other, dead too, replaced meanwhile
        replacements = engine.worker_pids()
        assert len(replacements) == 2 and not set(replacements) & set(pids)
    finally:
        engine.close()
    assert all(gone(pid, SLACK_S) for pid in replacements)


def test_a_query_answered_on_the_event_loop_leaves_its_worker_as_a_thread_can_use_it(published_store, serve):
    """A short query over HTTP is read from its worker on uvicorn's loop (uvloop watches the socket and leaves it
    non-blocking); the next query that worker takes, from a thread, must still get its answer."""
    engine = EmbeddedEngine(published_store, limits=Limits(workers=1))
    try:
        with serve(create_app(engine, Settings(), None)) as url:
            for round_ in range(3):
                query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} # {round_}"
                answered = httpx.post(f"{url}/sparql", data={"query": query}, timeout=30)
                assert answered.status_code == 200, answered.text
                rows = engine.select(f"SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} # {round_}")  # sent in parts
                assert int(answered.json()["results"]["bindings"][0]["n"]["value"]) == len(rows) == len(published_store)
    finally:
        engine.close()


def test_every_worker_draws_its_own_random_numbers(published_store):
    engine = EmbeddedEngine(published_store, limits=Limits(workers=2))
    try:
        with ThreadPoolExecutor(2) as pool:  # two at a time, so that both workers answer
            answers = list(
                pool.map(lambda _: engine.select("SELECT (STRUUID() AS ?u) (RAND() AS ?r) WHERE {}"), range(12))
            )
        assert len({row[0]["u"].value for row in answers}) == 12
        assert len({row[0]["r"].value for row in answers}) == 12
    finally:
        engine.close()


def test_the_answer_cache_keeps_to_its_byte_budget_dropping_the_least_recently_used():
    entry = ENTRY_OVERHEAD + 1 + 10 + len("text/plain")  # what a one-character key and a 10-byte answer hold
    cache = AnswerCache(max_bytes=8 * entry)  # entries of at most one such
    assert cache.get("a") is None
    cache.put("big", (b"x" * 11, "text/plain"))
    assert cache.get("big") is None  # more than an eighth of the budget: not kept
    for key in "abcdefgh":
        cache.put(key, (b"y" * 10, "text/plain"))
    assert cache.size == 8 * entry
    assert cache.get("a") == (b"y" * 10, "text/plain")  # now the most recently used
    cache.put("i", (b"z" * 10, "text/plain"))
    assert cache.get("b") is None  # the least recently used went
    assert all(cache.get(key) is not None for key in "acdefghi")
    assert (cache.hits, cache.misses) == (9, 3)
    off = AnswerCache(max_bytes=0)
    off.put("empty", (b"", "text/csv"))
    assert off.get("empty") is None  # a cache turned off keeps nothing, not even an empty answer


def test_the_answer_cache_counts_its_keys():
    """300 distinct megabyte queries with tiny answers once kept 288 MB under a 64 MB budget."""
    cache = AnswerCache(max_bytes=8 * 2**20)
    for number in range(40):
        cache.put((f"ASK {{}} #{number} " + "x" * 2**20, "application/sparql-results+json"), (b"true", "x"))
    assert cache.size <= 8 * 2**20
    assert (
        sum(
            cache.get((f"ASK {{}} #{n} " + "x" * 2**20, "application/sparql-results+json")) is not None
            for n in range(40)
        )
        <= 8
    )
