"""``klynge serve``: its options, validation before start, and real starts in memory and on an on-disk store."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import uvicorn

from klynge import cli
from klynge.graph.build import build_store
from klynge.graph.releases import read_history
from klynge.resources import asset_files
from klynge.settings import Limits
from klynge.web import serve
from web.processes import gone

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--host",
        "--port",
        "--store",
        "--no-validate",
        "--timeout",
        "--workers",
        "--base-iri",
        "--max-results",
        "--public-url",
        "--sparql-endpoint",
        "--cache-mb",
        "--long-after",
        "--worker-memory-mb",
        "--read-timeout",
    ):
        assert option in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workers", "0"], "at least one query worker"),
        (["--timeout", "0"], "time limit must be positive"),
        (["--max-results", "0"], "result-size limit"),
        (["--cache-mb", "-1"], "answer cache cannot be smaller than 0"),
        (["--base-iri", "https://example.org/klynge"], "must end with / or #"),
        (["--worker-memory-mb", "-1"], "memory limit cannot be below 0"),
        (["--read-timeout", "0"], "read timeout must be positive"),
    ],
)
def test_unusable_options_exit_2_with_a_message(capsys, options, message):
    assert cli.main(["serve", *options]) == 2
    assert message in capsys.readouterr().err


def test_a_taken_port_fails_at_once_before_the_graph_is_built(monkeypatch, capsys):
    """The port is tried first, so a taken one fails in a second and not after validation (newcomer S2)."""
    monkeypatch.setattr(serve, "open_engine", lambda *_: pytest.fail("the graph was built before the port check"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in err
    assert "choose another port with --port N (make serve PORT=N)" in err


def test_an_address_that_is_not_here_fails_with_a_message(monkeypatch, capsys):
    monkeypatch.setattr(serve, "open_engine", lambda *_: pytest.fail("the graph was built before the port check"))
    assert cli.main(["serve", "--host", "no-such-host.invalid", "--port", "8000"]) == 2
    assert "cannot listen on no-such-host.invalid" in capsys.readouterr().err


def test_store_that_is_a_file_exits_1(tmp_path, capsys):
    file = tmp_path / "not-a-folder"
    file.write_text("x")
    assert cli.main(["serve", "--port", "0", "--store", str(file)]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_invalid_graph_prints_the_report_and_does_not_start(monkeypatch, capsys):
    broken = asset_files("ontology") + [FIXTURES / "broken" / "cluster-without-area.ttl"]
    monkeypatch.setattr(serve, "build_store", lambda: build_store(broken))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("started despite an invalid graph"))
    assert cli.main(["serve", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "<https://w3id.org/klynge/id/cluster/no-area>" in err and "1 violation" in err
    assert "does not conform" in err and "not starting" in err


def test_valid_graph_starts_with_the_options_given(monkeypatch, capsys):
    monkeypatch.setattr(serve, "build_store", lambda: build_store(asset_files("ontology")))
    started = {}

    def fake_run(app, host, port, **_):
        embedded = app.state.engine.inner.inner  # the release switch around the cache around the engine
        started.update(app=app, host=host, port=port, pids=embedded.worker_pids(), embedded=embedded)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    options = ["--port", "8123", "--timeout", "3", "--workers", "3", "--base-iri", "http://example.org/k/"]
    options += ["--cache-mb", "0.5", "--long-after", "2", "--read-timeout", "4"]
    assert cli.main(["serve", *options]) == 0
    assert "http://127.0.0.1:8123/" in capsys.readouterr().out
    app = started["app"]
    assert (started["host"], started["port"]) == ("127.0.0.1", 8123)
    limits = app.state.settings.limits
    assert limits == Limits(timeout=3, workers=3, long_after=2, read_timeout=4, cache_mb=0.5)
    assert app.state.settings.base_iri == "http://example.org/k/"
    assert started["embedded"].limits is limits  # one value from the options to the engine and its pool
    assert len(started["pids"]) == 4  # 3 long slots, 1 kept for short
    assert app.state.settings.listen_url == "http://127.0.0.1:8123"
    assert app.state.engine.answers.max_bytes == 2**19
    assert all(gone(pid) for pid in started["pids"])  # workers stopped when the server returned


# --- real servers ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@contextmanager
def klynge_serve(*options: str, stop: int = signal.SIGTERM) -> Iterator[tuple[str, subprocess.Popen]]:
    """``klynge serve`` in a subprocess on a free loopback port, until it answers; stopped by ``stop``."""
    port = free_port()
    command = [sys.executable, "-m", "klynge.cli", "serve", "--port", str(port), "--workers", "1", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"klynge serve exited {process.returncode}: {process.stderr.read()}")
            try:
                httpx.get(url + "/sparql", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        process.wait(timeout=30)


def count(url: str) -> int:
    response = httpx.get(url + "/sparql", params={"query": COUNT}, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "exit_code"),
    [(signal.SIGINT, 0), (signal.SIGTERM, -signal.SIGTERM)],  # on SIGTERM uvicorn ends by it after shutdown
    ids=["ctrl-c", "sigterm"],
)
def test_serve_prints_its_url_answers_and_stops_its_workers(published_store, stop, exit_code):
    with klynge_serve("--no-validate", stop=stop) as (url, process):
        assert count(url) == len(published_store)
        # per engine, the zygote, one worker for long queries and one kept for short ones: the served graph's,
        # and a recorded release's once it is asked for (release=, klynge.engines.releases: one stays resident)
        assert len(descendants(process.pid)) == 3
        first = read_history().releases[0].version
        answer = httpx.get(url + "/sparql", params={"query": COUNT, "release": first}, timeout=60)
        assert answer.status_code == 200 and answer.headers["klynge-release"] == first
        workers = descendants(process.pid)
        assert len(workers) == 3 * 2
    assert process.returncode == exit_code
    assert f"at {url}/" in process.stdout.read()
    assert all(gone(pid) for pid in workers)


@pytest.mark.slow
def test_store_folder_is_loaded_once_then_opened(tmp_path, published_store):
    folder = tmp_path / "store"
    with klynge_serve("--no-validate", "--store", str(folder)) as (url, process):
        loaded = count(url)
    assert "loading the repository's graph" in process.stderr.read()
    assert loaded == len(published_store)
    with klynge_serve("--no-validate", "--store", str(folder)) as (url, process):
        assert count(url) == loaded
    assert "loading" not in process.stderr.read()


# --- stores and processes (issue 9) ------------------------------------------------------------------------


def test_an_incomplete_store_is_refused_with_how_to_rebuild(tmp_path, capsys, monkeypatch):
    """A folder a killed `klynge load` (or anything else) left without the completion marker is not served."""
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("served an incomplete store"))
    folder = tmp_path / "store"
    store = ox.Store(str(folder))  # a real Oxigraph store, but no load finished in it
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.NamedNode("urn:c")))
    store.flush()
    del store
    assert cli.main(["serve", "--port", "0", "--store", str(folder), "--no-validate"]) == 1
    err = capsys.readouterr().err
    assert "no complete klynge store" in err and f"klynge load --store {folder.absolute()}" in err


def test_a_store_is_validated_with_the_sparql_engine_saying_no_validate_exists(tmp_path, capsys, monkeypatch):
    """pySHACL took 339 s on a Danish-scale store before the server answered; the SPARQL engine takes seconds."""
    from klynge.engines.disk_store import load_store
    from klynge.validation import validate

    folder = tmp_path / "store"
    load_store(folder, [])
    engines = []
    real = validate.validate_store

    def spy(store, *args, engine="pyshacl", **kwargs):
        engines.append(engine)
        return real(store, *args, engine=engine, **kwargs)

    monkeypatch.setattr(validate, "validate_store", spy)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    assert cli.main(["serve", "--store", str(folder), "--port", "8124"]) == 0
    err = capsys.readouterr().err
    assert engines == ["sparql"]
    assert "--no-validate skips this" in err and "validated in" in err


@pytest.mark.slow
def test_serve_refuses_load_into_its_store_and_leaves_no_worker_when_killed(tmp_path, published_store):
    """While served, a store cannot be loaded into (workers, cache and ETags would disagree); and SIGKILL of the
    server ends every worker, even one busy with a runaway query."""
    from klynge.engines.disk_store import load_store

    folder = tmp_path / "store"
    load_store(folder, [])
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with klynge_serve("--no-validate", "--store", str(folder), "--timeout", "120", stop=signal.SIGKILL) as (
        url,
        process,
    ):
        loaded = subprocess.run(
            [sys.executable, "-m", "klynge.cli", "load", "--store", str(folder)], capture_output=True, text=True
        )
        assert loaded.returncode == 2 and "is being served" in loaded.stderr, loaded.stderr
        assert count(url) == len(published_store)  # untouched
        workers = descendants(process.pid)
        busy = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import httpx; httpx.get({url + '/sparql'!r}, params={{'query': {runaway!r}}}, timeout=60)",
            ]
        )
        time.sleep(1.0)  # the runaway reaches a worker (the assertion below holds either way)
    busy.kill()
    busy.wait()
    assert all(gone(pid) for pid in workers), [pid for pid in workers if not gone(pid, 0)]
