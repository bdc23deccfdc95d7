"""Fixtures for the web tests: the repository's graph behind the real app, built once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from klynge.graph import build_store
from klynge.settings import Settings
from klynge.store import EmbeddedEngine
from klynge.web.app import create_app


@pytest.fixture(scope="session")
def engine() -> Iterator[EmbeddedEngine]:
    """The embedded engine on the repository's published graph (query workers stopped at the end)."""
    engine = EmbeddedEngine(build_store())
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def web_app(engine: EmbeddedEngine) -> FastAPI:
    """The service as `klynge serve` builds it, with default settings."""
    return create_app(engine, Settings())


@pytest.fixture(scope="session")
def client(web_app: FastAPI) -> TestClient:
    """An HTTP client for the app, in process."""
    return TestClient(web_app)
