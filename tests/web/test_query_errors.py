"""A malformed query gets one plain sentence, the same on /sparql (so in SPARQLWrapper's QueryBadFormed, curl
and any other client) as in the query editor: what the parser expected, or which prefix to declare and how,
never the parser's 600-character list of grammar tokens and Unicode ranges. The protocol's statuses stay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from klynge.rdf.namespaces import PREFIXES

MISSING_PREFIX = "SELECT ?x WHERE { ?x a klynge:Policy }"
PREFIX_SENTENCE = (
    f'Line 1, column 37: the prefix "klynge:" is not declared. Add the line PREFIX klynge: <{PREFIXES["klynge"]}> '
    "at the top."
)
CASES = [
    (MISSING_PREFIX, PREFIX_SENTENCE),
    ("SELECT * WHERE { ?s foo:bar ?o }", 'the prefix "foo:" is not declared. Declare it with PREFIX foo: <...>.'),
    ("SELECT * WHERE { ?s ?p }", "Line 1, column 25: expected a value for the property"),
    ('SELECT * WHERE { ?s ?p "open }', "expected the closing quote of the string."),
    ("SELEC * {}", "expected a query form: SELECT, CONSTRUCT, ASK or DESCRIBE"),
]
GRAMMAR_DUMP = ("u{", "..=", "[_]", "SERVICE", "LATERAL", "expected one of")


@pytest.fixture(scope="module")
def endpoint(web_app, serve) -> Iterator[str]:
    with serve(web_app) as url:
        yield url + "/sparql"


@pytest.mark.parametrize(("query", "sentence"), CASES)
def test_sparql_answers_400_with_the_sentence(client, query, sentence):
    for answer in (
        client.get("/sparql", params={"query": query}),
        client.post("/sparql", data={"query": query}),
        client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"}),
    ):
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.text.startswith("Malformed query: Line 1, column ")
        assert sentence in answer.text
        assert not any(token in answer.text for token in GRAMMAR_DUMP), answer.text
        assert len(answer.text) < 300


@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_shows_the_sentence_in_query_bad_formed(endpoint, method):
    client = SPARQLWrapper(endpoint)
    client.setQuery(MISSING_PREFIX)
    client.setReturnFormat(JSON)
    client.setMethod(method)
    if method == POST:
        client.setRequestMethod(POSTDIRECTLY)
    with pytest.raises(QueryBadFormed) as raised:
        client.query()
    said = str(raised.value)
    assert PREFIX_SENTENCE in said
    assert not any(token in said for token in GRAMMAR_DUMP), said


def test_other_errors_keep_their_statuses(client):
    assert (
        client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"}).status_code
        == 403
    )
    assert (
        client.post(
            "/sparql", content="INSERT DATA {}", headers={"Content-Type": "application/sparql-update"}
        ).status_code
        == 403
    )
