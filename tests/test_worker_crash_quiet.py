"""A query worker that crashes is reported by the service in the query's answer, not by a "Fatal Python error"
dump on the service's standard error (which a person reads as the service crashing), even where the service
runs with faulthandler on, as pytest runs it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CRASH_A_WORKER = textwrap.dedent(
    """
    import faulthandler, os, signal, sys, threading, time
    faulthandler.enable()  # as pytest (and python -X faulthandler) do
    import pyoxigraph as ox
    from klynge.engines.base import QueryError
    from klynge.engines.store import EmbeddedEngine
    from klynge.settings import Limits

    engine = EmbeddedEngine(ox.Store(), limits=Limits(timeout=20.0, workers=1, long_after=30.0, worker_memory_mb=0))
    before = set(engine.worker_pids())
    said = []

    def busy():
        try:
            engine.select("SELECT (COUNT(*) AS ?n) WHERE { VALUES ?a {1 2 3 4 5 6 7 8 9 10} "
                          + " ".join(f"VALUES ?x{i} {{1 2 3 4 5 6 7 8 9 10}}" for i in range(9)) + " }")
        except QueryError as error:
            said.append(str(error))

    thread = threading.Thread(target=busy)
    thread.start()
    time.sleep(1.0)
    for pid in before:
        os.kill(pid, {signal})
    thread.join(30)
    print("said:", said[0] if said else "nothing")
    print("answers after:", engine.ask("ASK {}"))
    engine.close()
    """
)


def crash_output(sent: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CRASH_A_WORKER.replace("{signal}", sent)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_crashed_worker_prints_no_fatal_error_dump():
    done = crash_output("signal.SIGSEGV")
    assert done.returncode == 0, done.stderr
    assert "crashed (SIGSEGV)" in done.stdout
    assert "answers after: True" in done.stdout
    assert "Fatal Python error" not in done.stderr, done.stderr


def test_an_aborted_worker_prints_no_fatal_error_dump():
    done = crash_output("signal.SIGABRT")
    assert done.returncode == 0, done.stderr
    assert "answers after: True" in done.stdout
    assert "Fatal Python error" not in done.stderr, done.stderr
