"""The SPARQL 1.1 Protocol at /sparql: every method, result format, dataset parameter, error and refusal."""

from __future__ import annotations

import csv
import io
import socket
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from klynge.engines.base import QueryError, QuerySyntaxError, QueryTimeout
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store
from klynge.rdf.formats import best_match
from klynge.resources import asset_files
from klynge.settings import Limits, Settings
from klynge.web.app import create_app

ONTOLOGY_GRAPH = "https://w3id.org/klynge/graph/ontology"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
ENDPOINT = Settings().listen_url.rstrip("/") + "/sparql"  # the base IRI the endpoint gives queries
OWL_CLASS = "http://www.w3.org/2002/07/owl#Class"
SD = "http://www.w3.org/ns/sparql-service-description#"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CLASSES = "SELECT ?c WHERE { ?c a <http://www.w3.org/2002/07/owl#Class> } ORDER BY ?c"
CONSTRUCT = (
    "CONSTRUCT { ?c a <http://www.w3.org/2002/07/owl#Class> } WHERE { ?c a <http://www.w3.org/2002/07/owl#Class> }"
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SPARQL_QUERY = {"Content-Type": "application/sparql-query"}


def json_count(response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def classes(engine) -> list[str]:
    return [row["c"].value for row in engine.select(CLASSES)]


# --- methods -------------------------------------------------------------------------------------------------


def test_get_post_form_and_post_query_give_the_same_answer(client, engine):
    expected = engine.triple_count()
    assert json_count(client.get("/sparql", params={"query": COUNT})) == expected
    assert json_count(client.post("/sparql", data={"query": COUNT})) == expected
    assert json_count(client.post("/sparql", content=COUNT, headers=SPARQL_QUERY)) == expected
    # A charset parameter on the content type is fine.
    headers = {"Content-Type": "application/sparql-query; charset=utf-8"}
    assert json_count(client.post("/sparql", content=COUNT.encode(), headers=headers)) == expected


def test_post_of_another_body_type_is_415(client):
    response = client.post("/sparql", content=COUNT, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/sparql-query" in response.text


def test_missing_or_repeated_query_is_400(client):
    assert client.post("/sparql", data={"format": "json"}).status_code == 400
    response = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert response.status_code == 400
    assert "given 2 times" in response.text


def test_body_past_a_megabyte_is_413(client):
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (1024 * 1024)
    assert client.post("/sparql", content=query, headers=SPARQL_QUERY).status_code == 413
    assert client.post("/sparql", data={"query": query}).status_code == 413


def test_body_that_is_not_utf8_is_400(client):
    response = client.post("/sparql", content=b"SELECT * { ?s ?p \xff }", headers=SPARQL_QUERY)
    assert response.status_code == 400
    assert "UTF-8" in response.text


# --- dataset -------------------------------------------------------------------------------------------------


def test_default_dataset_is_the_union_of_the_named_graphs(client, engine):
    assert json_count(client.get("/sparql", params={"query": COUNT})) == sum(engine.graph_counts().values())


def test_default_graph_uri_makes_one_graph_the_default(client, engine):
    params = {"query": COUNT, "default-graph-uri": ONTOLOGY_GRAPH}
    assert json_count(client.get("/sparql", params=params)) == engine.graph_counts()[ONTOLOGY_GRAPH]
    assert json_count(client.post("/sparql", data=params)) == engine.graph_counts()[ONTOLOGY_GRAPH]


def test_several_default_graph_uris_are_merged(client, engine, published_store):
    graphs = sorted(engine.graph_counts())[:2]
    params = [("query", "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")]
    params += [("default-graph-uri", graph) for graph in graphs]
    union = {
        (t.subject, t.predicate, t.object)
        for graph in graphs
        for t in published_store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    }
    assert json_count(client.get("/sparql", params=params)) == len(union)


def test_named_graph_uri_limits_what_graph_can_see(client, engine):
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    answer = client.get("/sparql", params={"query": query, "named-graph-uri": ONTOLOGY_GRAPH})
    rows = answer.json()["results"]["bindings"]
    assert [(row["g"]["value"], int(row["n"]["value"])) for row in rows] == [
        (ONTOLOGY_GRAPH, engine.graph_counts()[ONTOLOGY_GRAPH])
    ]
    # Only named graphs given: the default graph is empty.
    assert json_count(client.get("/sparql", params={"query": COUNT, "named-graph-uri": ONTOLOGY_GRAPH})) == 0


def test_from_in_the_query_chooses_its_dataset_and_the_protocol_overrides_it(client, engine):
    counts = engine.graph_counts()
    query = f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert json_count(client.get("/sparql", params={"query": query})) == counts[ONTOLOGY_GRAPH]
    other = next(graph for graph in counts if graph != ONTOLOGY_GRAPH)
    params = {"query": query, "default-graph-uri": other}
    assert json_count(client.get("/sparql", params=params)) == counts[other]
    named = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    from_named = named.replace("WHERE", f"FROM NAMED <{ONTOLOGY_GRAPH}> WHERE", 1)
    rows = client.get("/sparql", params={"query": from_named}).json()["results"]["bindings"]
    assert [row["g"]["value"] for row in rows] == [ONTOLOGY_GRAPH]
    assert len(client.get("/sparql", params={"query": named}).json()["results"]["bindings"]) == len(counts)


def test_graph_uri_that_is_not_an_iri_is_400(client):
    response = client.get("/sparql", params={"query": COUNT, "default-graph-uri": "not an iri"})
    assert response.status_code == 400
    assert "not an absolute IRI" in response.text


# --- result formats ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("*/*", "application/sparql-results+json"),
        (None, "application/sparql-results+json"),
    ],
)
def test_select_formats_by_accept(client, classes, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": CLASSES}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    if fmt == ox.QueryResultsFormat.CSV:  # CSV has no term syntax: compare the text
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [row["c"] for row in rows] == classes
    else:
        parsed = ox.parse_query_results(response.content, format=fmt)
        assert [row["c"].value for row in parsed] == classes
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize(
    ("key", "media_type"),
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
    ],
)
def test_select_formats_by_format_parameter_override_accept(client, key, media_type):
    response = client.get("/sparql", params={"query": CLASSES, "format": key}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type


def test_format_parameter_may_be_a_media_type(client):
    response = client.get("/sparql", params={"query": CLASSES, "format": "application/sparql-results+xml"})
    assert response.headers["content-type"].startswith("application/sparql-results+xml")


def test_q_values_choose_the_format(client):
    accept = "application/sparql-results+json;q=0.2, text/csv;q=0.9, application/sparql-results+xml;q=0.5"
    response = client.get("/sparql", params={"query": CLASSES}, headers={"Accept": accept})
    assert response.headers["content-type"].startswith("text/csv")
    accept = "text/csv;q=0, text/*;q=0.8, */*;q=0.1"  # text/csv refused outright; TSV is the best text/*
    response = client.get("/sparql", params={"query": CLASSES}, headers={"Accept": accept})
    assert response.headers["content-type"].startswith("text/tab-separated-values")


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ],
)
def test_ask(client, accept, fmt):
    yes = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": accept})
    no = client.post("/sparql", data={"query": "ASK { <urn:x:nothing> ?p ?o }"}, headers={"Accept": accept})
    assert bool(ox.parse_query_results(yes.content, format=fmt)) is True
    assert bool(ox.parse_query_results(no.content, format=fmt)) is False


def test_ask_as_json_is_a_boolean(client):
    assert client.get("/sparql", params={"query": "ASK {}"}).json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("*/*", "text/turtle"),
    ],
)
def test_construct_formats(client, classes, accept, media_type):
    response = client.post("/sparql", data={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    triples = ox.parse(response.content, format=ox.RdfFormat.from_media_type(media_type))
    assert sorted(q.subject.value for q in triples) == classes


@pytest.mark.parametrize("key", ["ttl", "nt", "jsonld", "rdf"])
def test_describe_by_format_parameter(client, classes, key):
    query = f"DESCRIBE <{classes[0]}>"
    response = client.get("/sparql", params={"query": query, "format": key})
    assert response.status_code == 200, response.text
    fmt = ox.RdfFormat.from_media_type(response.headers["content-type"].split(";")[0])
    subjects = {q.subject.value for q in ox.parse(response.content, format=fmt)}
    assert classes[0] in subjects


def test_unavailable_format_is_406_listing_what_it_can_give(client):
    response = client.get("/sparql", params={"query": CLASSES}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    for media_type in (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ):
        assert media_type in response.text
    assert response.headers["vary"].lower().split(", ").count("accept") == 1
    response = client.get("/sparql", params={"query": CONSTRUCT, "format": "csv"}, headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert "text/turtle" in response.text and "application/ld+json" in response.text
    assert "accept" in response.headers["vary"].lower()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_format_the_endpoint_does_not_know_falls_back_to_accept(client, method):
    """SPARQLWrapper's N3: ``format=n3&output=n3`` beside an Accept header that lists Turtle."""
    accept = "application/turtle,text/turtle,text/rdf+n3,application/n-triples,application/n3,text/n3"
    params = {"query": CONSTRUCT, "format": "n3-unknown", "output": "n3", "results": "n3"}
    if method == "GET":
        response = client.get("/sparql", params=params, headers={"Accept": accept})
    else:
        response = client.post("/sparql", data=params, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/turtle")
    response = client.get("/sparql", params={**params, "format": "n3"}, headers={"Accept": "text/n3"})
    assert response.headers["content-type"].startswith("text/turtle")  # Turtle is N3
    assert ox.parse(response.content, format=ox.RdfFormat.N3)


# --- errors and refusals ----------------------------------------------------------------------------------------


def test_malformed_query_is_400_with_the_parser_message_and_position(client):
    response = client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "Line 3, column 2: expected a value for the property" in response.text
    assert "expected" in response.text


@pytest.mark.parametrize(
    "send",
    [
        lambda c, u: c.post("/sparql", data={"update": u}),
        lambda c, u: c.post("/sparql", content=u, headers={"Content-Type": "application/sparql-update"}),
        lambda c, u: c.get("/sparql", params={"update": u}),
        lambda c, u: c.get("/sparql", params={"query": u}),
        lambda c, u: c.post("/sparql", content=u, headers=SPARQL_QUERY),
    ],
    ids=["form-update", "sparql-update-body", "get-update", "update-as-query", "update-as-query-body"],
)
@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }",
        "PREFIX x: <urn:x:> DELETE WHERE { ?s ?p ?o }",
        "DROP ALL",
        "CLEAR DEFAULT",
        f"WITH <{ONTOLOGY_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    ],
)
def test_updates_are_refused_and_change_nothing(client, published_store, send, update):
    before = json_count(client.get("/sparql", params={"query": COUNT}))
    response = send(client, update)
    assert response.status_code == 403
    assert "read-only" in response.text
    assert json_count(client.get("/sparql", params={"query": COUNT})) == before == len(published_store)


@pytest.fixture
def listener() -> Iterator[tuple[str, list[object]]]:
    """A loopback TCP port that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.1)
    connections: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            connections.append(connection)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/sparql", connections
    stop.set()
    thread.join()
    sock.close()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        "PREFIX s: <urn:x:> # a comment\nSELECT * WHERE {{ ?a s:p 'x' . SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?s ?p ?o . {{ SERVICE\n<{url}>{{?a ?b ?c}} }} }}",
        "SELECT * WHERE {{ ?s ?p ?o.SERVICE <{url}> {{ ?a ?b ?c }} }}",
        "PREFIX ex: <urn:x:> SELECT * WHERE {{ ?s ?p ex:.SERVICE <{url}> {{ ?a ?b ?c }} }}",
        "SELECT * WHERE {{ ?s ?p ?o FILTER(?o<3)SERVICE<{url}>{{?a ?b ?c}}FILTER(?o>2) }}",
        "SELECT * WHERE {{ ?s ?p 'it''s' . SERVICE <{url}> {{ ?a ?b ?c }} }}",
        "LOAD <{url}>",
        "LOAD SILENT <{url}> INTO GRAPH <urn:x:g>",
    ],
)
def test_service_and_load_are_refused_before_anything_runs(client, listener, template):
    url, connections = listener
    for response in (
        client.get("/sparql", params={"query": template.format(url=url)}),
        client.post("/sparql", data={"query": template.format(url=url)}),
    ):
        assert response.status_code == 403, response.text
        assert "SERVICE" in response.text or "LOAD" in response.text or "read-only" in response.text
    assert connections == []


@pytest.mark.parametrize("send", ["get", "post"])
def test_relative_iris_resolve_against_the_endpoint_url(client, send):
    query = "SELECT ?x WHERE { BIND(<s> AS ?x) } "
    if send == "get":
        response = client.get("/sparql", params={"query": query})
    else:
        response = client.post("/sparql", content=query, headers=SPARQL_QUERY)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["x"]["value"] == ENDPOINT.removesuffix("sparql") + "s"
    construct = client.post("/sparql", content="CONSTRUCT { <s> <p> 1 } WHERE {}", headers=SPARQL_QUERY)
    assert construct.status_code == 200, construct.text  # the W3C protocol test query_content_type_construct
    triples = [quad.triple for quad in ox.parse(construct.content, format=ox.RdfFormat.TURTLE)]
    base = ENDPOINT.removesuffix("sparql")
    assert [(t.subject.value, t.predicate.value) for t in triples] == [(base + "s", base + "p")]
    based = client.get("/sparql", params={"query": "BASE <http://example.org/a/> SELECT ?x WHERE { BIND(<s> AS ?x) }"})
    assert based.json()["results"]["bindings"][0]["x"]["value"] == "http://example.org/a/s"


def test_a_function_the_engine_does_not_have_is_an_evaluation_error_not_a_failure(client, listener):
    """SPARQL 1.1 §17.6: the call is an error, so the BIND stays unbound and the FILTER drops the row."""
    url, connections = listener
    bound = client.get("/sparql", params={"query": f"SELECT ?x ?y WHERE {{ BIND(<{url}fn>(1) AS ?x) BIND(2 AS ?y) }}"})
    assert bound.status_code == 200, bound.text
    assert bound.json()["results"]["bindings"] == [{"y": {"type": "literal", "value": "2", "datatype": XSD_INTEGER}}]
    filtered = client.get("/sparql", params={"query": "SELECT * WHERE { BIND(1 AS ?y) FILTER(<urn:x:f>(?y)) }"})
    assert filtered.status_code == 200 and filtered.json()["results"]["bindings"] == []
    assert connections == []


def test_from_never_fetches_the_graph_it_names(client, listener):
    url, connections = listener
    response = client.get("/sparql", params={"query": f"SELECT * FROM <{url}> FROM NAMED <{url}> WHERE {{ ?s ?p ?o }}"})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []
    assert connections == []


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }" AS ?x) }',
        "SELECT ?x WHERE { BIND('''LOAD <http://127.0.0.1:9/>\nservice''' AS ?x) }",
        "SELECT ?service WHERE { BIND(1 AS ?service) }",
        "PREFIX service: <urn:service:> SELECT ?x WHERE { BIND(service:load AS ?x) }",
        "SELECT ?x WHERE { BIND(<http://example.org/service/load> AS ?x) } # SERVICE <http://127.0.0.1:9/>",
        'SELECT ?x WHERE { BIND("x"@en-load AS ?x) }',
        'SELECT ?x WHERE { BIND("x"@service AS ?x) }',
        'SELECT ?x WHERE { BIND("x"@en-service AS ?x) }',
    ],
)
def test_the_words_in_strings_iris_names_variables_and_comments_still_run(client, query):
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["bindings"]) == 1


# --- service description -------------------------------------------------------------------------------------


def description(client, accept: str | None = None) -> tuple[list[ox.Triple], str]:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    media_type = response.headers["content-type"].split(";")[0]
    return list(ox.parse(response.content, format=ox.RdfFormat.from_media_type(media_type))), media_type


def objects(triples: list[ox.Triple], predicate: str) -> set[str]:
    return {t.object.value for t in triples if t.predicate.value == SD + predicate}


def test_service_description_in_turtle_by_default(client, engine):
    triples, media_type = description(client)
    assert media_type == "text/turtle"
    assert objects(triples, "endpoint") == {Settings().listen_url + "/sparql"}  # never the Host header
    assert objects(triples, "supportedLanguage") == {SD + "SPARQL11Query"}
    assert SD + "UnionDefaultGraph" in objects(triples, "feature")
    formats = objects(triples, "resultFormat")
    assert {"http://www.w3.org/ns/formats/SPARQL_Results_JSON", "http://www.w3.org/ns/formats/Turtle"} <= formats
    assert len(formats) == 8
    assert objects(triples, "name") == set(engine.graph_counts())
    assert len(objects(triples, "defaultDataset")) == 1


@pytest.mark.parametrize("accept", ["application/ld+json", "application/n-triples", "application/rdf+xml"])
def test_service_description_in_other_rdf_formats(client, accept):
    triples, media_type = description(client, accept)
    assert media_type == accept
    assert objects(triples, "endpoint") == {Settings().listen_url + "/sparql"}  # never the Host header


# --- CORS and caching --------------------------------------------------------------------------------------------


def test_cors_allows_reads_from_any_origin(client):
    origin = {"Origin": "https://yasgui.example"}
    response = client.get("/sparql", params={"query": "ASK {}"}, headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_head_gives_the_headers_of_get(client):
    got = client.get("/sparql", params={"query": CLASSES})
    head = client.head("/sparql", params={"query": CLASSES})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-type"] == got.headers["content-type"]


def test_a_get_answer_revalidates_with_its_etag(client):
    first = client.get("/sparql", params={"query": CLASSES})
    tag = first.headers["etag"]
    again = client.get("/sparql", params={"query": CLASSES}, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    other_format = client.get("/sparql", params={"query": CLASSES, "format": "csv"}, headers={"If-None-Match": tag})
    assert other_format.status_code == 200
    assert other_format.headers["etag"] != tag


def test_a_cached_answer_is_served_without_asking_a_worker(client, engine, monkeypatch):
    query = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
    misses = engine.answers.misses
    first = client.post("/sparql", data={"query": query})
    assert engine.answers.misses == misses + 1  # one request, one miss, though the route looked first
    cached = engine.cached(query, "application/sparql-results+json", base_iri=ENDPOINT)
    assert cached == (first.content, first.headers["content-type"])

    def no_worker(*args, **kwargs):
        raise AssertionError("a cached answer went to a worker")

    monkeypatch.setattr(engine.inner._pool, "run", no_worker)
    assert client.post("/sparql", data={"query": query}).content == first.content
    assert engine.cached(query, "text/csv") is None  # another format is another answer


def test_a_repeated_query_is_answered_from_the_cache_unless_it_is_volatile(client, engine):
    query = "SELECT ?c (COUNT(*) AS ?n) WHERE { ?x a ?c } GROUP BY ?c ORDER BY ?c"
    first = client.post("/sparql", data={"query": query})
    hits = engine.answers.hits
    again = client.post("/sparql", data={"query": query})
    assert again.content == first.content
    assert engine.answers.hits == hits + 1
    random = "SELECT (RAND() AS ?r) (STRUUID() AS ?u) WHERE {}"
    answers = {client.post("/sparql", data={"query": random}).content for _ in range(3)}
    assert len(answers) == 3


# --- negotiation ------------------------------------------------------------------------------------------------

OFFERS = ["text/html", "text/turtle", "application/ld+json"]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "text/html"),
        ("", "text/html"),
        ("*/*", "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json, text/turtle", "text/turtle"),
        ("text/html;q=0.1, application/ld+json", "application/ld+json"),
        ("text/*;q=0.5, text/html;q=0", "text/turtle"),
        ("TEXT/Turtle; charset=utf-8", "text/turtle"),
        ("image/png", None),
        ("text/turtle;q=0", None),
        ("text/turtle;q=oops, application/ld+json;q=0.3", "application/ld+json"),
        ("garbage, application/ld+json", "application/ld+json"),
    ],
)
def test_best_match(accept, chosen):
    assert best_match(accept, OFFERS) == chosen


def test_error_bodies_are_plain_text_not_tracebacks(client):
    response = client.get("/sparql", params={"query": "SELECT"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "Traceback" not in response.text


# --- the engine behind it -----------------------------------------------------------------------------------


def test_engine_binds_terms_never_text(engine, classes):
    query = f"SELECT ?c ?label WHERE {{ ?c a <{OWL_CLASS}> OPTIONAL {{ ?c <urn:x:none> ?label }} }}"
    rows = engine.select(query, {"c": ox.NamedNode(classes[0])})
    assert rows == [{"c": ox.NamedNode(classes[0])}]  # bound variables are in the rows; unbound ones are absent
    hostile = ox.Literal('x" } ?s ?p ?o { "')
    assert engine.select("SELECT ?v WHERE { FILTER(?v = 1) }", {"v": hostile}) == []


def test_engine_gives_triples_and_booleans(engine, classes):
    triples = engine.construct(CONSTRUCT)
    assert all(isinstance(t, ox.Triple) for t in triples)
    assert sorted(t.subject.value for t in triples) == classes
    assert engine.ask("ASK { ?c a ?t }", {"c": ox.NamedNode(classes[0])}) is True


def test_engine_reports_a_binding_the_query_cannot_take_and_its_worker_lives_on(engine):
    pids = set(engine.inner.worker_pids())
    with pytest.raises(QueryError, match="does not contain"):
        engine.select("SELECT ?s WHERE { ?s ?p ?o }", {"o2": ox.Literal("x")})
    assert set(engine.inner.worker_pids()) == pids


def test_engine_says_when_a_method_gets_another_query_form(engine):
    with pytest.raises(QueryError, match="expected a SELECT query, got ASK"):
        engine.select("ASK {}")
    with pytest.raises(QuerySyntaxError) as raised:
        engine.ask("ASK { ?s }")
    assert raised.value.line == 1 and raised.value.column is not None


def test_a_query_error_no_route_handles_gets_its_status_and_message(engine):
    app = create_app(engine, Settings())
    extra = APIRouter()

    @extra.get("/test-timeout")
    def timeout() -> None:
        raise QueryTimeout("the query ran past the time limit of 1 s and was stopped", seconds=1)

    app.include_router(extra)
    response = TestClient(app).get("/test-timeout")
    assert response.status_code == 422  # the same query would run past the limit again: no 503, no Retry-After
    assert "retry-after" not in response.headers
    assert "time limit of 1 s" in response.text


def test_openapi_documents_both_methods_and_their_parameters(client):
    operations = client.get("/openapi.json").json()["paths"]["/sparql"]
    assert set(operations) == {"get", "post"}
    names = {parameter["name"] for parameter in operations["get"]["parameters"]}
    assert {"query", "default-graph-uri", "named-graph-uri", "format"} <= names
    assert {"application/x-www-form-urlencoded", "application/sparql-query"} <= set(
        operations["post"]["requestBody"]["content"]
    )


def test_graph_version_is_the_same_for_the_same_data_and_differs_for_other_data(engine):
    again = EmbeddedEngine(build_store(), limits=Limits(workers=1))  # parsed anew: other blank-node labels
    other = EmbeddedEngine(build_store(asset_files("ontology")), limits=Limits(workers=1))
    try:
        assert again.graph_version() == engine.graph_version()
        assert other.graph_version() != engine.graph_version()
    finally:
        again.close()
        other.close()


FORM_BODIES = [
    "query=SELECT+%3Fs+WHERE+%7B+%3Fs+%3Fp+%22%C3%A6%C3%B8%C3%A5%22+%7D&format=json",
    "query=a%2Bb+c%25d%2541&x=&=v&&flag",  # an escaped % before hex digits stays a %
    "query=%5Cx41+%5C%5C+%E2%82%AC",  # escaped backslashes, a 3-byte character
    "query=raw\\x41+and\\\\two&y=%ZZbad%4",  # raw backslashes; malformed escapes, kept as they are
    "query=%C3+half&z=%FF%FE",  # invalid UTF-8 after decoding: replaced, as parse_qsl does
    "query=a=b=c&query=twice",
]


@pytest.mark.parametrize("body", FORM_BODIES)
def test_form_fields_are_what_parse_qsl_reads(body):
    from urllib.parse import parse_qsl

    from klynge.web.query_string import form_fields

    assert form_fields(body) == parse_qsl(body, keep_blank_values=True)


def test_a_form_query_with_escapes_of_every_kind_is_answered(client):
    # Percent-escapes, + for spaces, a non-ASCII literal and a backslash escape in a string, all in one form.
    query = 'SELECT ?x WHERE { BIND("blå \\"tå\\" 50%+" AS ?x) }'
    response = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["x"]["value"] == 'blå "tå" 50%+'
