"""The service under hostile use (issue 9): cheap queries are answered while runaway ones fill the pool, no
request stalls the event loop, deep nesting and runaway memory end in clear answers instead of crashes,
lost workers say what happened, a dead worker factory is replaced, /healthz tells the truth, and large
literals are converted in linear time. Every server here is started by the test, on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from klynge.engines.base import QueryBusy, QueryError
from klynge.engines.cache import CachingEngine
from klynge.engines.store import EmbeddedEngine
from klynge.rdf import sparql_lexer
from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from web.processes import gone

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(5)) + " }"


def cheap() -> str:
    """An ASK no cache can answer: each needs a worker."""
    return f"ASK {{ ?s ?p ?o }} # {uuid.uuid4()}"


def doubling(times: int, length: bool = False) -> str:
    """A literal doubled ``times`` times by CONCAT: 2**times characters from a query of a few hundred bytes."""
    binds = " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(times))
    head = f"(STRLEN(?x{times}) AS ?n)" if length else f"?x{times}"
    return f'SELECT {head} WHERE {{ BIND("a" AS ?x0) {binds} }}'


@pytest.fixture(scope="module")
def pool_engine(published_store: ox.Store) -> Iterator[EmbeddedEngine]:
    """Two long slots (and one worker kept for short queries), a 4 s limit, 256 MiB per query, no cache."""
    engine = EmbeddedEngine(
        published_store, limits=Limits(timeout=4.0, workers=2, long_after=0.3, worker_memory_mb=256)
    )
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def pool_client(pool_engine: EmbeddedEngine) -> TestClient:
    return TestClient(create_app(pool_engine, Settings(limits=Limits(timeout=4.0))))


# --- availability ----------------------------------------------------------------------------------------


def test_cheap_queries_are_answered_while_two_runaways_fill_the_long_slots(published_store):
    """Two runaway clients once took both workers: cheap queries waited 10 s and 12% got 503."""
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=10.0, workers=2, long_after=0.3))
    app = create_app(engine, Settings(limits=Limits(timeout=10.0)))
    client = TestClient(app)
    runaway_clients = [TestClient(app, client=(f"192.0.2.{n}", 50000)) for n in (1, 2)]
    finished: list[float] = []
    statuses: list[str] = []

    def run_away(sender: TestClient) -> None:
        response = sender.get("/sparql", params={"query": RUNAWAY})
        statuses.append(f"{response.status_code} {'time limit' in response.text}")
        finished.append(time.monotonic())

    runaways = [threading.Thread(target=run_away, args=(sender,)) for sender in runaway_clients]
    try:
        for thread in runaways:
            thread.start()
        time.sleep(1.0)  # both are long by now (the assertions hold whatever the timing)
        answers = [client.get("/sparql", params={"query": cheap(), "format": "json"}) for _ in range(5)]
        answered = time.monotonic()
        third = client.get("/sparql", params={"query": RUNAWAY + " # third"})
        for thread in runaways:
            thread.join(timeout=60)
    finally:
        engine.close()
    assert [a.status_code for a in answers] == [200] * 5
    assert all(a.json()["boolean"] is True for a in answers)
    assert answered < min(finished), "the cheap queries waited for the runaways to end"
    assert third.status_code == 503 and "long queries were running already" in third.text
    assert int(third.headers["Retry-After"]) >= 1
    assert statuses == [statuses[0]] * 2 and statuses[0].endswith("True")  # the runaways hit the time limit
    assert statuses[0] != "200 True"


def test_too_many_waiting_queries_get_503_with_retry_after_at_once(published_store):
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=3.0, workers=1, long_after=0.2))
    engine._pool.max_waiting = 0  # nobody may wait: the bound itself is what is tested
    try:
        started = time.monotonic()
        with pytest.raises(QueryBusy) as raised:
            engine.ask(cheap())
        assert time.monotonic() - started < 2.0
        assert raised.value.retry_after >= 1 and "waiting for a query worker" in str(raised.value)
    finally:
        engine.close()


def test_large_queries_do_not_stall_other_requests(published_store, serve, monkeypatch):
    """A 1 MiB query was tokenised on the event loop: every request, cached ones too, waited 2.5 s per such
    query. Proven by the order of events, not by a time limit (a timed test is flaky on a busy machine): the
    big query's reading is held until a cached request has been answered, which can only happen if that
    reading is off the event loop."""
    inspect = sparql_lexer.inspect
    reading, pinged = threading.Event(), threading.Event()
    waited: list[bool] = []

    def held_inspect(text: str) -> sparql_lexer.Inspection:
        if len(text) > 100_000:
            reading.set()
            waited.append(pinged.wait(timeout=30))
        return inspect(text)

    monkeypatch.setattr(sparql_lexer, "inspect", held_inspect)
    engine = CachingEngine(EmbeddedEngine(published_store, limits=Limits(workers=1)))
    app = create_app(engine, Settings())
    big = "SELECT * {\n" + "?a " * 349_000 + "}"
    ping = "ASK {}"
    try:
        with serve(app) as url, httpx.Client(base_url=url, timeout=60) as http:
            assert http.get("/sparql", params={"query": ping}).status_code == 200  # cached from now on

            def send_big() -> None:
                with httpx.Client(base_url=url, timeout=60) as own:
                    own.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"})

            sender = threading.Thread(target=send_big)
            sender.start()
            assert reading.wait(timeout=30), "the big query was never read"
            assert http.get("/sparql", params={"query": ping}).status_code == 200
            pinged.set()
            sender.join(timeout=60)
    finally:
        pinged.set()
        engine.close()
    assert waited == [True], "a cached request waited for a large query's reading to end"


# --- nesting, memory, crashes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * " + "{" * 10_000 + "}" * 10_000,
        "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
        "SELECT * WHERE { BIND(" + "CONCAT(" * 5_000 + '"a"' + ")" * 5_000 + " AS ?x) }",
        "SELECT * WHERE { ?s <urn:p> " + "[ <urn:p> " * 5_000 + "1" + " ]" * 5_000 + " }",
    ],
    ids=["braces", "parentheses", "concat", "blank-nodes"],
)
def test_deep_nesting_is_refused_with_400_before_the_engine_sees_it(pool_engine, pool_client, query):
    """10,000 nested braces segfaulted pyoxigraph's parser: 500 with an empty message."""
    before = set(pool_engine.worker_pids())
    response = pool_client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400, response.text
    assert "nested more than 100 deep" in response.text
    assert set(pool_engine.worker_pids()) == before  # no worker crashed


def test_long_unbracketed_chains_do_not_crash_a_worker(pool_engine):
    """20,000 negations (no bracket to count) crashed a worker's stack (a lost worker raises QueryError); the
    stack is large enough now. (Long UNION or + chains are slow in pyoxigraph, quadratic, and so meet the time
    limit instead.)"""
    assert pool_engine.ask("ASK { FILTER(" + "!" * 20_000 + "true) }") is True
    assert pool_engine.ask("ASK { FILTER(" + "!" * 100_000 + "true) }") is True


def test_a_query_past_its_memory_limit_gets_507_and_its_worker_is_replaced(pool_engine, pool_client):
    """One 1.5 KB query took a worker to 1.6 GB in 5 s; now each worker has an address-space limit."""
    before = set(pool_engine.worker_pids())
    response = pool_client.get("/sparql", params={"query": doubling(29, length=True)})
    assert response.status_code == 507, response.text
    assert "256 MiB of memory a query may use" in response.text
    assert len(before - set(pool_engine.worker_pids())) == 1
    assert pool_client.get("/sparql", params={"query": cheap()}).status_code == 200


@pytest.mark.parametrize(
    ("sent", "said"),
    [(signal.SIGKILL, "killed (SIGKILL)"), (signal.SIGSEGV, "crashed (SIGSEGV)")],
    ids=["killed", "crashed"],
)
def test_a_lost_worker_is_said_what_happened_to(published_store, sent, said):
    """The message once ended in 'failed: ' with nothing after it."""
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=20.0, workers=1))
    failure: list[BaseException] = []
    try:
        before = set(engine.worker_pids())

        def run_away() -> None:
            try:
                engine.select(RUNAWAY)
            except QueryError as error:
                failure.append(error)

        thread = threading.Thread(target=run_away)
        thread.start()
        deadline = time.monotonic() + 10
        while not failure and time.monotonic() < deadline:
            busy = [pid for pid in before if cpu_time(pid) > 0.3]  # the one evaluating the runaway
            if busy:
                os.kill(busy[0], sent)
                break
            time.sleep(0.05)
        thread.join(timeout=30)
    finally:
        engine.close()
    assert failure and said in str(failure[0]), failure


def cpu_time(pid: int) -> float:
    """Seconds of CPU a process has used (Linux /proc), 0 if it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the worker factory and /healthz ---------------------------------------------------------------------


def test_a_dead_zygote_is_replaced_and_healthz_tells_the_truth(published_store, monkeypatch):
    """After kill -9 of the zygote every query waited 10 s and got 503 for ever, while / said 200."""
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=5.0, workers=1))
    client = TestClient(create_app(engine, Settings()))
    try:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        workers = engine.worker_pids()
        os.kill(engine._pool._zygote_pid, signal.SIGKILL)
        assert all(gone(pid) for pid in workers), "the workers outlived their zygote"
        started = time.monotonic()
        assert client.get("/sparql", params={"query": cheap()}).status_code == 200
        assert time.monotonic() - started < 8.0  # it once waited 10 s and got 503, for ever
        assert engine.health()["zygote_restarts"] == 1
        workers = engine.worker_pids()
        os.kill(engine._pool._zygote_pid, signal.SIGKILL)
        assert all(gone(pid) for pid in workers)  # so the zygote has ended too
        from klynge.engines import workers as workers_module

        def cannot_fork(*_: object) -> None:
            raise OSError("fork refused (as when the system is out of processes)")

        monkeypatch.setattr(workers_module, "fork_zygote", cannot_fork)
        failing = client.get("/healthz")
        assert failing.status_code == 503 and failing.json()["zygote"] == "stopped"
    finally:
        engine.close()


# --- large literals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_a_16_mb_literal_is_answered_well_within_the_time_limit(pool_engine, pool_client, fmt):
    """An answer with one 16 MB literal ran into the 10 s limit: its conversion to JSON was superlinear."""
    engine = EmbeddedEngine(pool_engine.store, limits=Limits(timeout=10.0, workers=1, worker_memory_mb=0))
    try:
        client = TestClient(create_app(engine, Settings()))
        response = client.get("/sparql", params={"query": doubling(24), "format": fmt})
    finally:
        engine.close()
    assert response.status_code == 200, response.text[:200]
    assert response.content.count(b"a" * 1024) >= 2**24 // 1024
