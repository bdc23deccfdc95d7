"""HTTP as clients expect it, on every route: HEAD, ``Vary: Accept``, signposting, readable RDF, honest statuses."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from klynge.answers import dataset
from klynge.engines.base import Engine, QueryBusy, QueryTimeout, QueryTooLarge
from klynge.rdf import formats
from klynge.settings import Settings
from klynge.web.app import ROUTERS, create_app

KID = "https://w3id.org/klynge/id/"
POLICY = "policy/innovationskraft-2021-2024"
# A value for every path parameter and the query parameters a route requires, so each route can be asked.
SAMPLES = {
    "path": POLICY,
    "id": POLICY,
    "extension": "ttl",
    "version": "0.1.0",
    "name": "lineage",
    "year": "2020",
    "key": "klynge:Policy",
    "cluster": "cluster/clean",
}
QUERY_SAMPLES = {
    "/api/lineage": {"iri": KID + POLICY},
    "/api/path": {"from": KID + POLICY, "to": KID + "org/danish-business-authority"},
    "/api/search": {"q": "innovation"},
}
CC_BY = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
SERVICE = Settings().listen_url.rstrip("/")  # the service's own URL in links (never the request's Host)


def get_routes() -> list[str]:
    """Every GET route of every router, its path parameters filled in."""
    paths = []
    for module in ROUTERS:
        for route in module.router.routes:
            if isinstance(route, APIRoute) and "GET" in route.methods:
                path = re.sub(r"\{(\w+)(?::path)?\}", lambda m: SAMPLES[m.group(1)], route.path)
                paths.append(path)
    return [*paths, "/docs", "/openapi.json", "/static/klynge.css"]


def test_every_router_route_is_listed():
    assert len(get_routes()) > 40  # the named queries are among them
    assert {"/", "/dataset", f"/id/{POLICY}", "/dumps/klynge.ttl", "/api/queries/funding"} <= set(get_routes())


@pytest.mark.parametrize("path", get_routes())
def test_head_answers_every_get_route_with_gets_headers_and_no_body(client, path):
    params = QUERY_SAMPLES.get(path, {})
    got = client.get(path, params=params)
    head = client.head(path, params=params)
    assert head.status_code == got.status_code != 405
    assert head.content == b""
    for name in ("content-type", "vary", "link", "etag"):
        assert head.headers.get(name) == got.headers.get(name), name
    if "content-length" in got.headers:
        assert head.headers["content-length"] == str(len(got.content))


NEGOTIATED = ["/sparql?query=ASK{}", f"/id/{POLICY}", "/ontology", "/graph/lineage", "/dataset", "/api/queries/funding"]


@pytest.mark.parametrize("path", NEGOTIATED)
@pytest.mark.parametrize("accept", ["*/*", "text/turtle", "image/png"])
def test_vary_accept_on_every_negotiated_answer_406_included(client, path, accept):
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code in (200, 406)
    vary = [part.strip().lower() for part in response.headers["vary"].split(",")]
    assert vary.count("accept") == 1
    if response.status_code == 406:
        assert response.headers["content-type"].startswith("text/plain")
        assert "available:" in response.text


def test_pages_that_do_not_negotiate_do_not_vary_on_accept(client):
    assert "accept" not in client.get("/query").headers.get("vary", "").lower()


def links(response) -> set[tuple[str, str]]:
    """The (target, rel) pairs of the Link header."""
    return set(re.findall(r'<([^>]*)>; rel="([^"]*)"', response.headers.get("link", "")))


@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_resource_pages_carry_fair_signposting(client, accept):
    response = client.get(f"/id/{POLICY}", headers={"Accept": accept})
    found = links(response)
    assert (KID + POLICY, "cite-as") in found
    assert (f"{SERVICE}/id/{POLICY}?format=ttl", "describedby") in found
    assert (f"{SERVICE}/id/{POLICY}?format=jsonld", "describedby") in found
    assert (CC_BY, "license") in found
    assert ("https://schema.org/AboutPage", "type") in found
    assert 'type="text/turtle"' in response.headers["link"]
    described = client.get(f"/id/{POLICY}?format=ttl")
    assert described.status_code == 200 and described.headers["content-type"].startswith("text/turtle")


def test_the_dataset_carries_fair_signposting(client):
    found = links(client.get("/dataset"))
    assert ("https://w3id.org/klynge/dataset", "cite-as") in found
    assert ("https://schema.org/Dataset", "type") in found
    assert (CC_BY, "license") in found
    assert any(rel == "describedby" for _, rel in found)


def test_a_missing_resource_has_no_signposting(client):
    response = client.get("/id/policy/no-such-thing")
    assert response.status_code == 404 and "link" not in response.headers


def test_the_ontology_version_iri_resolves(client, engine):
    response = client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    triples = [quad.triple for quad in ox.parse(response.content, format=ox.RdfFormat.TURTLE)]
    version_iri = ox.NamedNode("http://www.w3.org/2002/07/owl#versionIRI")
    assert any(t.predicate == version_iri and t.object.value.endswith("/ontology/0.1.0") for t in triples)
    assert ("https://w3id.org/klynge/ontology/0.1.0", "cite-as") in links(response)
    assert client.get("/ontology/0.1.0").headers["content-type"].startswith("text/html")
    missing = client.get("/ontology/9.9.9", headers={"Accept": "text/turtle"})
    served = dataset.release(engine).version  # the message names the release served
    assert missing.status_code == 404 and f"ontology/{served}" in missing.text


# --- readable RDF ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [f"/id/{POLICY}", "/ontology", "/graph/lineage", "/dataset", "/dumps/klynge.ttl", "/dumps/klynge.trig"]
)
def test_served_turtle_has_no_escaped_names_and_parses(client, path):
    response = client.get(path, headers={"Accept": "text/turtle, application/trig"})
    assert response.status_code == 200
    assert "\\/" not in response.text
    fmt = ox.RdfFormat.TRIG if path.endswith("trig") else ox.RdfFormat.TURTLE
    assert len(list(ox.parse(response.content, format=fmt))) > 0


def test_sparql_construct_turtle_is_readable_too(client):
    query = f"CONSTRUCT WHERE {{ <{KID}{POLICY}> ?p ?o }}"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "text/turtle"})
    assert "\\/" not in response.text and "@prefix schema:" in response.text


@pytest.mark.parametrize("path", [f"/id/{POLICY}", "/dataset", "/dumps/klynge.jsonld"])
def test_json_ld_is_compacted_with_the_projects_prefixes(client, path, engine):
    response = client.get(path, headers={"Accept": "application/ld+json"})
    document = json.loads(response.content)
    assert document["@context"]["kid"] == KID
    assert not any(iri.startswith(KID) for iri in ids(document["@graph"]))  # IRIs under kid: are compact
    # the same graph as the N-Triples
    expected = client.get(path.replace("klynge.jsonld", "klynge.nt"), headers={"Accept": "application/n-triples"})
    ours = ox.Dataset(ox.parse(response.content, format=ox.RdfFormat.JSON_LD))
    theirs = ox.Dataset(ox.parse(expected.content, format=ox.RdfFormat.N_TRIPLES))
    ours.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    theirs.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    assert set(ours) == set(theirs)


def ids(value: object) -> list[str]:
    """Every ``@id`` and ``@type`` in a JSON-LD value."""
    if isinstance(value, list):
        return [iri for item in value for iri in ids(item)]
    if isinstance(value, dict):
        own = [value[key] for key in ("@id",) if key in value]
        types = value.get("@type", [])
        own += types if isinstance(types, list) else [types]
        return own + [iri for key, item in value.items() if not key.startswith("@") for iri in ids(item)]
    return []


def test_sparql_json_ld_is_compacted(client):
    query = f"CONSTRUCT WHERE {{ <{KID}{POLICY}> ?p ?o }}"
    document = client.get("/sparql", params={"query": query, "format": "jsonld"}).json()
    assert document["@graph"][0]["@id"] == "kid:" + POLICY and "@context" in document


# --- status codes -------------------------------------------------------------------------------------------


class FailingEngine(Engine):
    """An engine whose every query fails with one error."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def cached(self, *args, **kwargs):
        return None

    def graph_version(self) -> str:
        return "v"

    def text_index(self) -> None:
        return None  # not an embedded store: no full-text index

    def run(self, *args, **kwargs):
        raise self.error

    select = ask = construct = run


@pytest.mark.parametrize(
    ("error", "status", "retry"),
    [
        (QueryTooLarge("the answer has more than 10 results"), 422, False),
        (QueryTimeout("the query ran past the time limit of 1 s"), 422, False),
        (QueryBusy("all 2 query workers stayed busy for 10 s", retry_after=5), 503, True),
    ],
)
@pytest.mark.parametrize("path", ["/sparql?query=SELECT%20*%20%7B%7D", "/api/queries/funding"])
def test_limits_answer_with_a_status_that_says_whether_a_retry_helps(error, status, retry, path):
    response = TestClient(create_app(FailingEngine(error), Settings())).get(path)
    assert response.status_code == status
    assert str(error) in response.text
    assert ("retry-after" in response.headers) is retry
    if retry:
        assert response.headers["retry-after"] == "5"
    else:
        assert "again" in response.text  # says the same query fails the same way


def test_a_request_too_large_is_413(client):
    body = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (1024 * 1024)
    response = client.post("/sparql", content=body, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413 and "shorter" in response.text


def test_every_format_comes_from_the_one_registry():
    media_types = [fmt.media_type for fmt in (*formats.GRAPH, *formats.RESULTS, *formats.DATASET)]
    assert len(media_types) == len(set(media_types))
    assert formats.choose(("n3",), None, formats.GRAPH) is formats.TURTLE
    assert formats.choose((), "text/n3", formats.GRAPH) is formats.TURTLE
    assert formats.choose(("n3-unknown",), "application/n-triples", formats.GRAPH) is formats.N_TRIPLES
    with pytest.raises(formats.NotAcceptable, match="available: ttl"):
        formats.choose(("pdf",), "image/png", formats.GRAPH)
