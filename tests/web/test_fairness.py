"""The worker pool under many runaway clients (sec review 2026-12-07, N2): cheap work is kept apart from long
work by what ran before (never by watching a query's first half second), each client holds at most its share
of the slots and the queue, and a query that never started is told 503 with Retry-After, never 422.

Clients are told apart by address (``klynge.engines.base.CLIENT``, set by the web layer per request); here the
threads set it themselves. The figures under load are bench/load.py's."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from klynge.engines.base import CLIENT, QueryBusy, QueryTimeout
from klynge.engines.store import EmbeddedEngine
from klynge.settings import Limits, Settings
from klynge.web.app import create_app

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(5)) + " }"


def nonce() -> str:
    return f" # {uuid.uuid4()}"


def as_client(name: str, work: Callable[[], object], into: list) -> threading.Thread:
    """A thread running ``work`` for client ``name``, appending its outcome (result or exception) to ``into``."""

    def run() -> None:
        CLIENT.set(name)
        try:
            into.append(work())
        except Exception as error:  # the outcome is what the test reads
            into.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_known_long_work_takes_a_long_slot_from_its_start_and_is_refused_at_once_when_none_is_free(published_store):
    """Old pool: a repeat of a runaway query sat on the worker kept for short queries for ``long_after``
    seconds before it was found long; now it is long from the start."""
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=3.0, workers=1, long_after=1.0))
    try:
        first: list = []
        as_client("192.0.2.1", lambda: engine.select(RUNAWAY + nonce()), first).join(30)
        assert isinstance(first[0], QueryTimeout)  # it ran long: its text is known now
        again: list = []
        thread = as_client("192.0.2.2", lambda: engine.select(RUNAWAY + nonce()), again)
        time.sleep(0.4)  # well before long_after
        assert engine.health()["long_running"] == 1  # it holds the long slot already
        started = time.monotonic()
        CLIENT.set("192.0.2.3")
        with pytest.raises(QueryBusy) as refused:
            engine.select(RUNAWAY + nonce())
        assert time.monotonic() - started < 0.5  # not after a half-second guess on the short worker
        assert refused.value.retry_after >= 1 and "long queries were running already" in str(refused.value)
        assert engine.ask("ASK { ?s ?p ?o }" + nonce()) is True  # cheap work still has its worker
        thread.join(30)
    finally:
        CLIENT.set("")
        engine.close()


def test_a_query_that_never_started_is_503_with_retry_after_never_422(published_store):
    """Old pool: a query that waited out the time limit for a worker was told 422 "narrow the query"."""
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=3.0, workers=1, long_after=10.0))
    app = create_app(engine, Settings(limits=Limits(timeout=3.0)))
    try:
        outcomes: list = []
        busy = [as_client(f"192.0.2.{n}", lambda: engine.select(RUNAWAY + nonce()), outcomes) for n in (1, 2)]
        time.sleep(0.3)  # both workers run a runaway now, until their 3 s are up
        engine.limits = replace(
            engine.limits, timeout=0.5
        )  # the next query's limit ends while it still waits for a worker
        waiting = TestClient(app, client=("192.0.2.9", 50000)).get("/sparql", params={"query": "ASK {}" + nonce()})
        for thread in busy:
            thread.join(30)
    finally:
        engine.close()
    assert waiting.status_code == 503, waiting.text
    assert int(waiting.headers["Retry-After"]) >= 1 and "did not start" in waiting.text
    assert all(isinstance(outcome, QueryTimeout) for outcome in outcomes)


def test_a_client_cannot_hold_the_whole_queue(published_store):
    """Old pool: one client filling the waiting places got every other client a 503 at once."""
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=3.0, workers=1, long_after=10.0))
    engine._pool.max_waiting = 4
    try:
        hog: list = []
        threads = [as_client("192.0.2.1", lambda: engine.select(RUNAWAY + nonce()), hog) for _ in range(6)]
        time.sleep(0.5)  # two run, four wait (the client's share while alone); two more refused
        other: list = []
        as_client("192.0.2.2", lambda: engine.ask("ASK { ?s ?p ?o }" + nonce()), other).join(30)
        for thread in threads:
            thread.join(30)
    finally:
        engine.close()
    assert other == [True]  # its place was made by sending away the hog's latest query
    refusals = [outcome for outcome in hog if isinstance(outcome, QueryBusy)]
    assert any("its share of the places" in str(refusal) for refusal in refusals)


def test_cheap_queries_are_answered_while_many_runaway_clients_resubmit(published_store):
    """Old pool: from 3 runaway clients on, cheap queries waited seconds and some were told 422."""
    engine = EmbeddedEngine(published_store, limits=Limits(timeout=4.0, workers=2, long_after=0.3))
    stop = time.monotonic() + 8.0
    runaway_outcomes: list = []

    def keep_running_away() -> object:
        while time.monotonic() < stop:
            try:
                engine.select(RUNAWAY + nonce())
            except (QueryBusy, QueryTimeout):
                time.sleep(0.05)
        return None

    try:
        runaways = [as_client(f"198.51.100.{n}", keep_running_away, runaway_outcomes) for n in range(8)]
        time.sleep(2.0)  # every runaway client has run long by now
        CLIENT.set("192.0.2.50")
        waits, answers = [], []
        while time.monotonic() < stop - 0.5:
            started = time.monotonic()
            answers.append(engine.ask("ASK { ?s a ?type }" + nonce()))
            waits.append(time.monotonic() - started)
        for thread in runaways:
            thread.join(30)
    finally:
        CLIENT.set("")
        engine.close()
    assert len(answers) >= 10 and all(answer is True for answer in answers)
    # Never behind a runaway: the longest wait is far below the 4 s a runaway holds a worker.
    assert max(waits) < 1.0, sorted(waits)[-5:]
