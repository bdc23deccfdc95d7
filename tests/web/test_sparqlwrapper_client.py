"""SPARQLWrapper, the client researchers use from Python, against the service on a real loopback server."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator

import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, GET, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

OWL_CLASS = "http://www.w3.org/2002/07/owl#Class"
CLASSES = f"SELECT ?c WHERE {{ ?c a <{OWL_CLASS}> }} ORDER BY ?c"
ONTOLOGY_GRAPH = "https://w3id.org/klynge/graph/ontology"

@pytest.fixture(scope="module")
def endpoint(web_app, serve) -> Iterator[str]:
    with serve(web_app) as url:
        yield url + "/sparql"


@pytest.fixture(scope="module")
def classes(engine) -> list[str]:
    return [row["c"].value for row in engine.select(CLASSES)]


def wrapper(endpoint: str, query: str, fmt: str, method: str = GET, request_method: str = URLENCODED):
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    client.setRequestMethod(request_method)
    return client


@pytest.mark.parametrize(("method", "request_method"), [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)])
def test_select_as_json_by_every_method(endpoint, classes, method, request_method):
    results = wrapper(endpoint, CLASSES, JSON, method, request_method).queryAndConvert()
    assert [row["c"]["value"] for row in results["results"]["bindings"]] == classes


def test_select_as_xml_csv_and_tsv(endpoint, classes):
    document = wrapper(endpoint, CLASSES, XML).queryAndConvert()
    assert [node.firstChild.data for node in document.getElementsByTagName("uri")] == classes
    csv_text = wrapper(endpoint, CLASSES, CSV).queryAndConvert().decode()
    assert csv_text.splitlines()[1:] == classes
    tsv_text = wrapper(endpoint, CLASSES, TSV).queryAndConvert().decode()
    assert tsv_text.splitlines()[1:] == [f"<{c}>" for c in classes]


def test_ask(endpoint):
    assert wrapper(endpoint, "ASK { ?s ?p ?o }", JSON).queryAndConvert()["boolean"] is True
    assert (
        wrapper(endpoint, "ASK { <urn:x:none> ?p ?o }", XML, POST)
        .queryAndConvert()
        .getElementsByTagName("boolean")[0]
        .firstChild.data
        == "false"
    )


@pytest.mark.parametrize("fmt", [TURTLE, XML, JSONLD])
def test_construct_parses_as_a_graph(endpoint, classes, fmt):
    query = f"CONSTRUCT {{ ?c a <{OWL_CLASS}> }} WHERE {{ ?c a <{OWL_CLASS}> }}"
    result = wrapper(endpoint, query, fmt).queryAndConvert()
    if isinstance(result, bytes):  # SPARQLWrapper hands Turtle over as bytes
        result = Graph().parse(data=result, format="turtle")
    assert sorted(str(s) for s in result.subjects()) == classes


def test_default_graph_through_the_client(endpoint, engine):
    client = wrapper(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON)
    client.addDefaultGraph(ONTOLOGY_GRAPH)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert int(rows[0]["n"]["value"]) == engine.graph_counts()[ONTOLOGY_GRAPH]


def test_malformed_query_raises_query_bad_formed_with_the_position(endpoint):
    with pytest.raises(QueryBadFormed) as raised:
        wrapper(endpoint, "SELECT * WHERE { ?s ?p }", JSON).query()
    assert "line 1, column" in str(raised.value)


def test_update_is_refused(endpoint, engine):
    before = engine.triple_count()
    client = wrapper(endpoint, "INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }", JSON, POST)
    with pytest.raises(urllib.error.HTTPError) as raised:
        client.query()
    assert raised.value.code == 403
    count = wrapper(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON).queryAndConvert()
    assert int(count["results"]["bindings"][0]["n"]["value"]) == before
