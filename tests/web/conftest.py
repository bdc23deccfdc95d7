"""Fixtures for the web tests: the repository's graph behind the real app, built once per session, and a
real uvicorn server on a free loopback port for tests that need one."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pyoxigraph as ox
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from klynge.engines.cache import CachingEngine
from klynge.engines.store import EmbeddedEngine
from klynge.settings import Settings
from klynge.web.app import create_app


@pytest.fixture(scope="session")
def engine(published_store: ox.Store) -> Iterator[CachingEngine]:
    """The embedded engine on the repository's published graph, with its answer cache as served (query workers
    stopped at the end)."""
    engine = CachingEngine(EmbeddedEngine(published_store))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def web_app(engine: CachingEngine) -> FastAPI:
    """The service as `klynge serve` builds it, with default settings."""
    return create_app(engine, Settings())


@pytest.fixture(scope="session")
def client(web_app: FastAPI) -> TestClient:
    """An HTTP client for the app, in process."""
    return TestClient(web_app)


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Serve an app with uvicorn in a thread on a free loopback port; yield its base URL, stop it after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="session")
def serve() -> Callable[[FastAPI], AbstractContextManager[str]]:
    """``with serve(app) as url``: the app on a real HTTP server on 127.0.0.1, for clients out of process."""
    return running


@pytest.fixture(scope="module")
def live_server(web_app: FastAPI) -> Iterator[str]:
    """The service on a loopback port of each test module's own, for the browser tests. One server for the whole
    session left two of Chromium's connections to it stuck in the full suite (after the accessibility tests'
    editor runs): the first two page loads of a later module timed out. A module's own origin starts clean."""
    with running(web_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's headless Chromium through Selenium, one for the session (skips where either is missing)."""
    from web.chromium import start_chromium

    driver = start_chromium(tmp_path_factory.mktemp("chromium"))
    yield driver
    driver.quit()
