"""SPARQLWrapper and rdflib's SPARQLStore, the clients researchers use from Python, against the service on a
real loopback server: every return format, by every request method."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from klynge.engines.store import EmbeddedEngine
from klynge.settings import Limits, Settings
from klynge.web.app import create_app

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


METHODS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]


@pytest.mark.parametrize(("method", "request_method"), METHODS)
@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, RDFXML, JSONLD])
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_graphs_parse_in_every_return_format_by_every_method(endpoint, classes, fmt, method, request_method, form):
    """N3 included: SPARQLWrapper sends ``format=n3`` with Turtle in Accept, and Turtle is N3."""
    if form == "CONSTRUCT":
        query = f"CONSTRUCT {{ ?c a <{OWL_CLASS}> }} WHERE {{ ?c a <{OWL_CLASS}> }}"
        expected = classes
    else:
        query = f"DESCRIBE <{classes[0]}>"
        expected = [classes[0]]
    result = wrapper(endpoint, query, fmt, method, request_method).queryAndConvert()
    if isinstance(result, bytes):  # SPARQLWrapper hands Turtle and N3 over as bytes
        result = Graph().parse(data=result, format="turtle")
    subjects = {str(s) for s in result.subjects()}
    assert subjects >= set(expected) if form == "DESCRIBE" else sorted(subjects) == expected


def test_default_graph_through_the_client(endpoint, engine):
    client = wrapper(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON)
    client.addDefaultGraph(ONTOLOGY_GRAPH)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert int(rows[0]["n"]["value"]) == engine.graph_counts()[ONTOLOGY_GRAPH]


def test_malformed_query_raises_query_bad_formed_with_the_position(endpoint):
    with pytest.raises(QueryBadFormed) as raised:
        wrapper(endpoint, "SELECT * WHERE { ?s ?p }", JSON).query()
    assert "Line 1, column 25: expected a value for the property" in str(raised.value)


def test_update_is_refused(endpoint, engine):
    before = engine.triple_count()
    client = wrapper(endpoint, "INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }", JSON, POST)
    with pytest.raises(urllib.error.HTTPError) as raised:
        client.query()
    assert raised.value.code == 403
    count = wrapper(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON).queryAndConvert()
    assert int(count["results"]["bindings"][0]["n"]["value"]) == before


def test_a_limit_is_an_http_error_with_the_message_and_no_retry(published_store, serve):
    """SPARQLWrapper raises HTTPError 422 (not "413 Request Entity Too Large") and the body says why."""
    limited = EmbeddedEngine(published_store, limits=Limits(max_results=5, workers=1))
    try:
        with serve(create_app(limited, Settings())) as url:
            client = wrapper(url + "/sparql", "SELECT * WHERE { ?s ?p ?o }", JSON)
            with pytest.raises(urllib.error.HTTPError) as raised:
                client.query()
    finally:
        limited.close()
    assert raised.value.code == 422
    assert "more than 5 results" in raised.value.read().decode()


@pytest.fixture(scope="module")
def store_graph(endpoint) -> Graph:
    return Graph(SPARQLStore(endpoint, returnFormat="xml"))


def test_rdflib_sparqlstore_queries_triples_and_graphs(store_graph, classes, engine):
    rows = list(store_graph.query(CLASSES))
    assert [str(row.c) for row in rows] == classes
    assert store_graph.query("ASK { ?s ?p ?o }").askAnswer is True
    assert sorted(str(s) for s in store_graph.subjects(RDF.type, URIRef(OWL_CLASS))) == classes
    contexts = {str(getattr(context, "identifier", context)) for context in store_graph.store.contexts()}
    assert contexts == set(engine.graph_counts())


def test_rdflib_sparqlstore_binds_initial_bindings(store_graph, classes):
    query = "SELECT ?type WHERE { ?c a ?type }"
    rows = list(store_graph.query(query, initBindings={"c": URIRef(classes[0])}))
    assert OWL_CLASS in {str(row.type) for row in rows}
