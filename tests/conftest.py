"""Plugins and fixtures for the whole suite: in CI a skipped test fails the run unless it is allowed
(tests/ci_skips.py); the repository's published store is built once per run (tests/built.py)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

import built

pytest_plugins = ["ci_skips"]


@pytest.fixture(scope="session")
def published_store() -> ox.Store:
    """The repository's published graph, built once; engines fork their workers from it. Do not change it."""
    return built.published_store()
