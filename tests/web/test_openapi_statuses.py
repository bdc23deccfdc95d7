"""Every status in /openapi.json is written from one table (klynge.web.statuses), and every status an operation
answers to hostile requests, or when its engine hits a limit, is one the operation documents."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from klynge.engines.store import EmbeddedEngine
from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from klynge.web.statuses import STATUSES, describe

# A value each path parameter takes that names something the graph holds (for the engine-limit probes).
EXAMPLES = {
    "/api/queries/{name}": None,  # the named queries are documented each under their own path
    "/api/lineage/{id}": "/api/lineage/policy/innovationskraft-2021-2024",
    "/api/lineage": "/api/lineage?iri=https://w3id.org/klynge/id/policy/innovationskraft-2021-2024",
    "/api/path": "/api/path?from=org/dfir&to=policy/innovationskraft-2021-2024",
    "/api/search": "/api/search?q=klynge",
    "/api/as-of/{year}": "/api/as-of/2022",
    "/api/browse/{key}/table": "/api/browse/klynge:Policy/table?format=csv",
    "/api/browse/{key}": "/api/browse/klynge:Policy",
    "/programme-of/{cluster}": "/programme-of/cluster/clean",
    "/dumps/klynge.{extension}": "/dumps/klynge.ttl",
    "/releases/{version}": "/releases/0.1.0",
    "/releases/{version}/{name}": "/releases/0.1.0/klynge.ttl",
    "/timemap/id/{path}": "/timemap/id/org/dfir",
    "/id/{path}": "/id/org/dfir",
    "/ontology/{version}": "/ontology/0.1.0",
    "/graph/{name}": "/graph/inferred",
}


def operations(app: FastAPI) -> Iterator[tuple[str, str, dict]]:
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def documented(operation: dict) -> set[int]:
    return {int(code) for code in operation["responses"]}


def test_every_documented_status_is_described_from_the_table(web_app):
    seen = set()
    for method, path, operation in operations(web_app):
        for code, response in operation["responses"].items():
            if code.startswith("2"):
                continue
            assert int(code) in STATUSES, f"{method} {path}: {code}"
            assert response["description"].startswith(describe(int(code))), f"{method} {path}: {code}"
            seen.add(int(code))
    assert seen == set(STATUSES), set(STATUSES) - seen  # the table holds no status no route answers


def hostile(path: str, operation: dict) -> Iterator[tuple[str, dict[str, str]]]:
    """Requests a careless or hostile client sends to one operation: unknown and malformed path values, a
    format nobody offers, unknown, empty and repeated parameters, typed parameters given text."""
    parameters = operation.get("parameters", [])
    for value in ("no-such-thing", "%C3%28", "x" * 3000, "-1"):
        concrete = path
        for parameter in parameters:
            if parameter["in"] == "path":
                concrete = concrete.replace("{" + parameter["name"] + "}", value)
        yield concrete, {}
    bare = EXAMPLES.get(path) or path
    if "{" in bare:
        return
    joiner = "&" if "?" in bare else "?"
    yield bare + joiner + "format=nonsense", {"Accept": "application/x-nonsense"}
    yield bare, {"Accept": "image/png"}
    yield bare + joiner + "bogus=1", {}
    for parameter in parameters:
        if parameter["in"] == "query":
            name = parameter["name"]
            yield f"{bare}{joiner}{name}=x&{name}=y", {}
            yield f"{bare}{joiner}{name}=", {}
            yield f"{bare}{joiner}{name}=" + "9" * 40, {}


def test_hostile_requests_get_only_documented_statuses(web_app, client):
    undocumented, probes = [], 0
    for method, path, operation in operations(web_app):
        if method != "get":
            continue
        for url, headers in hostile(path, operation):
            probes += 1
            status = client.get(url, headers=headers).status_code
            if not (200 <= status < 300 or status in documented(operation)):
                undocumented.append(f"GET {url} ({path}, {headers}): {status}")
    assert undocumented == [], "\n".join(undocumented)
    assert probes > 300


@pytest.fixture(scope="module")
def limited_client(published_store: ox.Store) -> Iterator[TestClient]:
    """The service on an engine that answers at most one row in at most 1 s: every query past it is a 422."""
    limits = Limits(timeout=1.0, max_results=1, workers=1)
    engine = EmbeddedEngine(published_store, limits=limits)
    yield TestClient(create_app(engine, Settings(limits=limits)))
    engine.close()


def test_a_query_past_the_limits_gets_a_documented_status_on_every_route(web_app, limited_client):
    undocumented, limited = [], []
    for method, path, operation in operations(web_app):
        if method != "get" or (path in EXAMPLES and EXAMPLES[path] is None):
            continue
        url = EXAMPLES.get(path, path)
        assert "{" not in url, f"{path}: add an example to EXAMPLES"
        status = limited_client.get(url).status_code
        if status == 422:
            limited.append(path)
        if not (200 <= status < 300 or status in documented(operation)):
            undocumented.append(f"GET {url}: {status}")
    assert undocumented == [], "\n".join(undocumented)
    assert len(limited) > 15, limited  # the probes reached the limits, named queries and pages alike
