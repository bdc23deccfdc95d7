"""RemoteEngine and publish() without a real store: bound terms in query text, and each remote failure's error.

Binding is checked against Oxigraph's own substitutions on the repository graph (the embedded engine's
semantics), for every named query and every query of the service's answers; the errors and the protocol
against a small SPARQL server on a free loopback port that answers what each test tells it to.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pyoxigraph as ox
import pytest

from klynge.catalogue import INTERNAL_DIR, catalogue, internal
from klynge.commands.load import batches, insert, publish
from klynge.engines.answer_bytes import LONG_LINE
from klynge.engines.base import (
    SPARQL_JSON,
    Dataset,
    InspectedQuery,
    QueryError,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    QueryUnsupported,
)
from klynge.engines.remote import EndpointError, RemoteEngine
from klynge.engines.remote.binding import bind_terms
from klynge.engines.remote.dialect import SPARQL11, VIRTUOSO, detect
from klynge.engines.remote.http import Endpoint
from klynge.engines.remote.standard import NO_GRAPH
from klynge.graph.build import build_store, published_quads, published_triples
from loopback import serving
from virtuoso import answer_set

EX = "http://example.org/"
POLICY = ox.NamedNode("https://w3id.org/klynge/id/policy/innovationskraft-2021-2024")
ORGANISATION = ox.NamedNode("https://w3id.org/klynge/id/org/dfir")


# ---------------------------------------------------------------------------------------------------------
# Binding: the rewritten query answers as Oxigraph's substitution does
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return build_store()


def evaluate(store: ox.Store, query: str, bindings: dict[str, ox.Term] | None = None) -> object:
    """Answers in comparable form: a set of rows, a boolean, or a set of triples."""
    substitutions = {ox.Variable(k): v for k, v in (bindings or {}).items()}
    result = store.query(query, use_default_graph_as_union=True, substitutions=substitutions)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = result.variables
        return answer_set(query, ({v.value: row[v] for v in names if row[v] is not None} for row in result))
    return {str(triple) for triple in result}


def named_query_cases() -> Iterator[tuple[str, str, dict[str, ox.Term]]]:
    """Every named query with its examples for all parameters, and with the required ones only."""
    for query in catalogue().values():
        every = {p.name: p.example for p in query.parameters}
        required = {p.name: p.example for p in query.parameters if p.required}
        yield query.name, query.sparql, query.bindings(every)
        if required != every:
            yield f"{query.name} (required only)", query.sparql, query.bindings(required)


def service_query_cases() -> Iterator[tuple[str, str, dict[str, ox.Term]]]:
    """The service's own queries (pages, lineage, path, search: ``klynge/sparql/*.rq``) with their examples."""
    for path in sorted(INTERNAL_DIR.glob("*.rq")):
        query = internal(path.stem)
        yield f"sparql/{query.name}", query.sparql, query.bindings({p.name: p.example for p in query.parameters})


@pytest.mark.parametrize(
    ("name", "query", "bindings"),
    [pytest.param(*case, id=case[0]) for case in (*named_query_cases(), *service_query_cases())],
)
def test_bound_terms_answer_as_oxigraph_substitutions_do(store, name, query, bindings):
    assert evaluate(store, bind_terms(query, bindings)) == evaluate(store, query, bindings)


def test_bound_variable_is_replaced_in_patterns_and_bound_for_the_projection():
    query = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o FILTER(?o != ?s) } ORDER BY ?s"
    rewritten = bind_terms(query, {"s": ox.NamedNode(EX + "a")})
    assert rewritten == (
        "SELECT ?s ?o WHERE { BIND(<http://example.org/a> AS ?s) <http://example.org/a> <http://example.org/p> "
        "?o FILTER(?o != <http://example.org/a>) } ORDER BY ?s"
    )


def test_bound_of_a_bound_variable_is_true():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("1")))
    query = "SELECT ?o WHERE { ?s ?p ?o FILTER(BOUND(?v) && ?o = ?v) }"
    assert "BOUND" not in bind_terms(query, {"v": ox.Literal("1")})
    assert [row["o"] for row in store.query(bind_terms(query, {"v": ox.Literal("1")}))] == [ox.Literal("1")]


def test_strings_iris_and_comments_keep_their_question_marks():
    query = "SELECT * WHERE { # ?x here is a comment\n ?x <http://e.org/?x=1> \"?x {\" ; <http://e.org/q> '?x' }"
    rewritten = bind_terms(query, {"x": ox.NamedNode(EX + "a")})
    assert "# ?x here is a comment" in rewritten
    assert '<http://e.org/?x=1> "?x {"' in rewritten and "'?x'" in rewritten
    assert rewritten.count("<http://example.org/a>") == 2  # the subject and the opening BIND


def test_a_subquery_keeps_a_variable_it_does_not_project():
    query = "SELECT ?x ?n WHERE { ?x ?p ?o { SELECT (COUNT(?x) AS ?n) WHERE { ?x ?q ?y } } }"
    rewritten = bind_terms(query, {"x": ox.NamedNode(EX + "a")})
    assert "{ SELECT (COUNT(?x) AS ?n) WHERE { ?x ?q ?y } }" in rewritten


def test_a_subquery_that_projects_a_variable_gets_its_value():
    query = "SELECT ?x WHERE { { SELECT ?x WHERE { ?x ?q ?y FILTER(?x != ?y) } } }"
    rewritten = bind_terms(query, {"x": ox.NamedNode(EX + "a")})
    assert "FILTER(<http://example.org/a> != ?y)" in rewritten


def test_values_data_and_construct_templates_are_left_alone():
    query = "CONSTRUCT { ?x ?p ?o } WHERE { VALUES ?p { <http://e.org/p> } ?x ?p ?o }"
    rewritten = bind_terms(query, {"x": ox.NamedNode(EX + "a")})
    assert rewritten.startswith("CONSTRUCT { ?x ?p ?o } WHERE { BIND(<http://example.org/a> AS ?x)")
    assert "VALUES ?p { <http://e.org/p> } <http://example.org/a> ?p ?o" in rewritten


def test_describe_without_a_where_clause_names_the_resource():
    assert bind_terms("DESCRIBE ?r", {"r": ox.NamedNode(EX + "a")}) == "DESCRIBE <http://example.org/a>"


HOSTILE = [
    '" } ; DROP ALL ; SELECT * { "',
    "' } DROP ALL #",
    'three """ quotes',
    'back\\slash \\u0022 and \\" escaped',
    "new\nline\ttab",
    "> <http://evil/> .",
    "Vækstforum ø å — 名",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_arrives_as_exactly_one_literal(value):
    for term in (ox.Literal(value), ox.Literal(value, language="da")):
        rewritten = bind_terms("SELECT ?x WHERE { }", {"x": term})
        assert [row["x"] for row in ox.Store().query(rewritten)] == [term]


def test_terms_that_cannot_travel_are_refused():
    with pytest.raises(ValueError, match="blank"):
        bind_terms("SELECT * WHERE { ?x ?p ?o }", {"x": ox.BlankNode()})
    with pytest.raises(ValueError, match="assigns it"):
        bind_terms("SELECT * WHERE { ?s ?p ?o BIND(?o AS ?x) }", {"x": ox.NamedNode(EX + "a")})
    with pytest.raises(ValueError, match="VALUES"):
        bind_terms("SELECT * WHERE { VALUES ?x { 1 } ?s ?p ?x }", {"x": ox.NamedNode(EX + "a")})


# ---------------------------------------------------------------------------------------------------------
# The protocol and the errors, against a scripted SPARQL server
# ---------------------------------------------------------------------------------------------------------

JSON_ROWS = b'{"head":{"vars":["g"]},"results":{"bindings":[{"g":{"type":"uri","value":"%s"}}]}}'
GRAPH = "https://w3id.org/klynge/graph/lineage"


@dataclass
class Script:
    """What the fake server answers next, and every request it received (method, headers, form fields).

    With a ``store`` it is a small SPARQL server instead: updates change the store, queries are answered
    from it (named-graph-uri honoured) as SPARQL JSON.
    """

    status: int = 200
    body: bytes = JSON_ROWS % GRAPH.encode()
    media_type: str = "application/sparql-results+json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    requests: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)
    store: ox.Store | None = None

    def answer(self, form: dict[str, list[str]]) -> tuple[int, bytes]:
        """The status and body for one request."""
        if self.store is None:
            return self.status, self.body
        if "update" in form:
            self.store.update(form["update"][0])
            return 200, b""
        named = [ox.NamedNode(g) for g in form.get("named-graph-uri", [])] or None
        results = self.store.query(form["query"][0], named_graphs=named)
        return 200, results.serialize(format=ox.QueryResultsFormat.JSON)


@pytest.fixture
def fake() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            script.requests.append(("POST", dict(self.headers), form))
            time.sleep(script.delay)
            status, body = script.answer(form)
            self.send_response(status)
            self.send_header("Content-Type", script.media_type)
            for name, value in script.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError):  # a client that gave up waiting
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        yield url + "/sparql", script


def test_the_dataset_is_the_klynge_graphs_found_on_the_store(fake):
    url, script = fake
    engine = RemoteEngine(url)
    assert engine.graphs == [GRAPH]
    engine.select("SELECT ?s WHERE { ?s ?p ?o }", {})
    _, headers, form = script.requests[-1]
    assert form["query"] == ["SELECT ?s WHERE { ?s ?p ?o }"] and "update" not in form
    assert form["default-graph-uri"] == [GRAPH] and form["named-graph-uri"] == [GRAPH]
    assert headers["Accept"] == "application/sparql-results+json"


def test_a_query_that_names_its_graphs_chooses_its_dataset_among_the_klynge_graphs(fake):
    url, script = fake
    other = "https://w3id.org/klynge/graph/funding"
    engine = RemoteEngine(url, graphs=[GRAPH, other])
    engine.select(f"SELECT ?s FROM <{GRAPH}> WHERE {{ ?s ?p ?o }}", {})
    # sent as fields too, with an empty set of named graphs, so the store cannot widen the dataset
    assert script.requests[-1][2]["default-graph-uri"] == [GRAPH]
    assert script.requests[-1][2]["named-graph-uri"] == [NO_GRAPH]
    engine.select(f"SELECT ?s FROM NAMED <{other}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {})
    assert script.requests[-1][2]["default-graph-uri"] == [NO_GRAPH]
    assert script.requests[-1][2]["named-graph-uri"] == [other]
    engine.run("SELECT * { ?s ?p ?o }", SPARQL_JSON, dataset=Dataset.of([other]))
    assert script.requests[-1][2]["default-graph-uri"] == [other]
    assert script.requests[-1][2]["named-graph-uri"] == [NO_GRAPH]


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT ?s FROM <{EX}g> WHERE {{ ?s ?p ?o }}",
        f"SELECT ?s FROM NAMED <{EX}g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "BASE <http://www.openlinksw.com/schemas/> SELECT * FROM <virtrdf#> { ?s ?p ?o }",
    ],
)
def test_a_graph_outside_the_served_ones_is_refused_not_sent(fake, query):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])
    sent = len(script.requests)
    with pytest.raises(QueryRefused, match="not one of the graphs this service serves"):
        engine.select(query, {})
    for dataset in (Dataset.of([EX + "g"]), Dataset.of([], [EX + "g"])):
        with pytest.raises(QueryRefused, match=f"<{EX}g> is not one of the graphs"):
            engine.run("SELECT * { ?s ?p ?o }", SPARQL_JSON, dataset=dataset)
    assert len(script.requests) == sent


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("SELECT (bif:http_get('http://127.0.0.1:9/') AS ?x) {}", "bif: is Virtuoso's prefix"),
        ("SELECT (<bif:http_get>('http://127.0.0.1:9/') AS ?x) {}", "<bif:http_get> is a Virtuoso extension"),
        ('DEFINE input:grab-all "yes" SELECT * { ?s ?p ?o }', "DEFINE is a Virtuoso extension"),
        ("SELECT * { ?s ?p ?o } OPTION (QUIETCAST)", "OPTION is a Virtuoso extension"),
        ("SELECT (sql:getrusage() AS ?x) {}", "sql: is Virtuoso's prefix"),
        ("SELECT ?x { ?x xsd:integer 1 }", "the prefix xsd: is not declared"),
        ("PREFIX j: <java:org.example.> SELECT (j:Run(1) AS ?x) {}", "Jena extension"),
        ("PREFIX apf: <http://jena.apache.org/ARQ/property#> SELECT * { ?x apf:splitIRI (?a ?b) }", "apf:"),
        ("PREFIX ex: <http://example.org/> SELECT * { ?s ?p ?o FILTER(ex:f(?o)) }", "called as a function"),
        ("SELECT * { ?s ?p ?o } LIMIT 10 SOFT", "SOFT is not a SPARQL 1.1 keyword"),
    ],
)
def test_store_extensions_are_refused_before_anything_is_sent(fake, query, reason):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])
    sent = len(script.requests)
    with pytest.raises(QueryUnsupported, match=re.escape(reason)):
        engine.run(query, SPARQL_JSON)
    assert len(script.requests) == sent


@pytest.mark.parametrize(
    "query",
    [
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT (xsd:integer('1') AS ?x) (1.5e3 AS ?y) {}",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:p (1 2) . [ ex:q (3) ] ; ex:r ?o }",
        "SELECT ?x WHERE { ?x a ?c FILTER(isIRI(?x) && !BOUND(?y) && STRSTARTS(STR(?x), 'https')) } ORDER BY DESC(?x)",
    ],
)
def test_standard_queries_still_pass(fake, query):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])
    engine.run(query, SPARQL_JSON)
    assert script.requests[-1][2]["query"] == [query]


def test_graphs_given_must_hold_something(fake):
    url, script = fake
    script.body = b'{"head":{},"boolean":false}'
    with pytest.raises(EndpointError, match=f"the graph <{EX}g> on the SPARQL endpoint {url} is empty"):
        RemoteEngine(url, graphs=[EX + "g"])
    assert f"GRAPH <{EX}g> {{ ?s ?p ?o }}" in script.requests[-1][2]["query"][0]
    with pytest.raises(EndpointError, match="'not an iri' is not an IRI"):
        RemoteEngine(url, graphs=["not an iri"])


def test_counts_and_version_come_from_the_store(fake, monkeypatch):
    url, script = fake
    script.store = build_store()
    engine = RemoteEngine(url)
    assert engine.graph_counts() == {
        row["g"].value: int(row["n"].value)
        for row in script.store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    }
    assert engine.triple_count() == len(script.store)
    version = engine.graph_version()
    script.store.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("x"), ox.NamedNode(GRAPH)))
    assert engine.graph_version() == version  # asked again only after a minute
    monkeypatch.setattr("klynge.engines.remote.engine.VERSION_TTL", 0.0)
    assert engine.graph_version() != version


def test_a_store_without_klynge_graphs_is_a_clear_error(fake):
    url, script = fake
    script.body = b'{"head":{"vars":["g"]},"results":{"bindings":[]}}'
    with pytest.raises(EndpointError, match="klynge load --sparql-endpoint"):
        RemoteEngine(url)


def test_a_binding_that_cannot_be_written_is_a_query_error(fake):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])
    sent = len(script.requests)
    with pytest.raises(QueryError, match="blank node"):
        engine.select("SELECT * WHERE { ?x ?p ?o }", {"x": ox.BlankNode()})
    assert len(script.requests) == sent


def test_rows_come_back_as_pyoxigraph_terms(fake):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])
    script.body = (
        b'{"head":{"vars":["a","b","c"]},"results":{"bindings":[{"a":{"type":"literal","value":"x",'
        b'"xml:lang":"da"},"b":{"type":"typed-literal","datatype":"http://www.w3.org/2001/XMLSchema#gYear",'
        b'"value":"2021"}}]}}'
    )
    assert engine.select("SELECT * { }", {}) == [
        {"a": ox.Literal("x", language="da"), "b": ox.Literal("2021", datatype=ox.NamedNode(XSD_GYEAR))}
    ]


XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_GYEAR = XSD + "gYear"
BOOLEAN_ROWS = (
    b'{"head":{"vars":["b"]},"results":{"bindings":[{"b":{"type":"typed-literal",'
    b'"datatype":"http://www.w3.org/2001/XMLSchema#boolean","value":"1"}}]}}'
)


def test_the_dialect_is_read_from_the_server_header():
    assert detect("Virtuoso/07.20.3238 (Linux) x86_64-pc-linux-gnu  VDB") is VIRTUOSO
    assert detect("Apache Jena Fuseki (5.1.0)") is SPARQL11 and detect("") is SPARQL11


def test_virtuoso_booleans_are_canonical_on_every_path(fake):
    """Stored booleans come back from Virtuoso as "1"/"0": equal values, unequal terms, fixed for rows and
    for protocol answers alike."""
    url, script = fake
    script.headers = {"Server": "Virtuoso/07.20.3238 (Linux)"}
    engine = RemoteEngine(url, graphs=[GRAPH])
    assert engine.dialect is VIRTUOSO
    script.body = BOOLEAN_ROWS
    assert engine.select("SELECT ?b { }", {}) == [{"b": ox.Literal(True)}]
    body, _ = engine.run("SELECT ?b { }", "text/tab-separated-values")
    assert body == b"?b\ntrue\n"


def test_another_stores_headers_are_not_read_as_virtuosos(fake):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])  # the fake server says it is BaseHTTP, not Virtuoso
    assert engine.dialect is SPARQL11
    script.headers, script.body = {"X-SQL-State": "S1TAT"}, BOOLEAN_ROWS
    assert engine.select("SELECT ?b { }", {}) == [{"b": ox.Literal("1", datatype=ox.NamedNode(XSD + "boolean"))}]


def test_construct_reads_the_triples_in_the_syntax_the_store_chose(fake):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])
    script.body, script.media_type = b"<http://e.org/a> <http://e.org/p> 'x' .", "text/turtle"
    assert engine.construct("CONSTRUCT WHERE { ?s ?p ?o }", {}) == [
        ox.Triple(ox.NamedNode("http://e.org/a"), ox.NamedNode("http://e.org/p"), ox.Literal("x"))
    ]
    assert script.requests[-1][1]["Accept"].startswith("application/n-triples")


def test_run_passes_the_dataset_through_and_writes_the_format_asked(fake):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH, EX + "d", EX + "n"])
    body, media_type = engine.run(
        "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        "text/tab-separated-values",
        dataset=Dataset((EX + "d",), (EX + "n",)),
    )
    assert body == f"?g\n<{GRAPH}>\n".encode() and media_type.startswith("text/tab-separated-values")
    _, headers, form = script.requests[-1]
    assert headers["Accept"] == "application/sparql-results+json"
    assert form["default-graph-uri"] == [EX + "d"] and form["named-graph-uri"] == [EX + "n"]


def test_run_keeps_to_the_result_size_limit(fake):
    url, _ = fake
    engine = RemoteEngine(url, graphs=[GRAPH], max_results=0)
    with pytest.raises(QueryTooLarge):
        engine.run("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "text/csv")


NTRIPLES = "application/n-triples"
STORED_TRIPLES = (
    b'<http://e.org/a>\t<http://e.org/p>\t"x"@da .\n'
    b'<http://e.org/a>\t<http://e.org/q>\t"false"^^<http://www.w3.org/2001/XMLSchema#boolean> .\n'
)


def test_a_graph_in_n_triples_is_passed_on_as_the_store_wrote_it_unless_a_term_needs_fixing(fake):
    url, script = fake
    script.headers = {"Server": "Virtuoso/07.20.3238 (Linux)"}
    engine, one, two = (RemoteEngine(url, graphs=[GRAPH], max_results=n) for n in (100_000, 1, 2))
    script.body, script.media_type = STORED_TRIPLES, NTRIPLES
    stored = set(ox.parse(STORED_TRIPLES, format=ox.RdfFormat.N_TRIPLES))
    assert engine.run("DESCRIBE <http://e.org/a>", NTRIPLES) == (STORED_TRIPLES, NTRIPLES)
    turtle, _ = engine.run("DESCRIBE <http://e.org/a>", "text/turtle")  # another format: read and written
    assert set(ox.parse(turtle, format=ox.RdfFormat.TURTLE)) == stored
    script.body = STORED_TRIPLES.replace(b'"false"', b'"0"')  # Virtuoso's stored boolean: read, fixed, written
    body, _ = engine.run("DESCRIBE <http://e.org/a>", NTRIPLES)
    assert body != script.body and set(ox.parse(body, format=ox.RdfFormat.N_TRIPLES)) == stored
    script.body = STORED_TRIPLES
    with pytest.raises(QueryTooLarge):  # as many lines as the limit: counted exactly, one triple too many
        one.run("DESCRIBE <http://e.org/a>", NTRIPLES)
    assert set(ox.parse(two.run("DESCRIBE <http://e.org/a>", NTRIPLES)[0], format=ox.RdfFormat.N_TRIPLES)) == stored


def test_the_event_loop_path_answers_and_fails_as_the_thread_path(fake):
    url, script = fake
    engine, slow = RemoteEngine(url, graphs=[GRAPH]), RemoteEngine(url, graphs=[GRAPH], timeout=0.3)
    query = InspectedQuery.of("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    on_loop = asyncio.run(engine.answer_on_loop(query, "text/tab-separated-values"))
    assert on_loop == engine.run(query, "text/tab-separated-values") == (f"?g\n<{GRAPH}>\n".encode(), ANY_TSV)
    script.status, script.media_type, script.body = 400, "text/plain", b"Error SP030: syntax error\n\nSPARQL query:\nX"
    with pytest.raises(QuerySyntaxError, match="^Error SP030: syntax error$"):
        asyncio.run(engine.answer_on_loop(query, SPARQL_JSON))
    script.status, script.delay = 200, 1.0
    with pytest.raises(QueryTimeout, match="within 0.3 s"):
        asyncio.run(slow.answer_on_loop(query, SPARQL_JSON))


class AnyTsv(str):
    """Any TSV media type (with or without parameters)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith("text/tab-separated-values")

    __hash__ = str.__hash__


ANY_TSV = AnyTsv("text/tab-separated-values")


@dataclass
class Wire:
    """What a keep-alive server saw: connections opened, requests answered."""

    connections: int = 0
    requests: int = 0


@pytest.fixture
def keep_alive() -> Iterator[tuple[str, Wire]]:
    """An HTTP/1.1 server that keeps connections open, answers every other request chunked, and closes the
    connection after every third answer without saying so (as a store whose idle timeout has passed)."""
    wire = Wire()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            wire.connections += 1

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers["Content-Length"]))
            wire.requests += 1
            body = JSON_ROWS % GRAPH.encode()
            self.send_response(200)
            self.send_header("Content-Type", SPARQL_JSON)
            if wire.requests % 2:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in (body[:10], body[10:], b""):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            self.close_connection = wire.requests % 3 == 0

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        yield url + "/sparql", wire


@pytest.mark.parametrize("path", ["thread", "event loop"])
def test_connections_are_kept_alive_and_replaced_once_the_store_closed_them(keep_alive, path):
    url, wire = keep_alive
    endpoint = Endpoint(url, 5.0)

    async def on_loop() -> list[bytes]:
        return [(await endpoint.send_on_loop("ASK {}", form="ASK", accept=SPARQL_JSON)).body for _ in range(6)]

    try:
        if path == "thread":
            bodies = [endpoint.send("ASK {}", form="ASK", accept=SPARQL_JSON).body for _ in range(6)]
        else:
            bodies = asyncio.run(on_loop())
    finally:
        endpoint.close()
    assert bodies == [JSON_ROWS % GRAPH.encode()] * 6  # chunked and counted bodies alike
    assert wire.requests == 6 and wire.connections == 2  # one connection until the store closed it, then one more


def test_a_rejected_query_is_a_syntax_error_with_the_stores_message(fake):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])
    script.status, script.media_type = 400, "text/plain"
    script.body = b"Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error\n\nSPARQL query:\nSELECT ?x"
    with pytest.raises(QuerySyntaxError) as caught:
        engine.select("SELECT ?x { ?x }", {})
    assert str(caught.value) == "Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error"


def test_a_slow_store_is_a_timeout(fake):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH], timeout=0.3)
    script.delay = 1.0
    with pytest.raises(QueryTimeout, match="within 0.3 s"):
        engine.select("SELECT * { }", {})


@pytest.mark.parametrize(
    ("status", "headers", "body", "error"),
    [
        (200, {"X-SQL-State": "S1TAT"}, b'{"head":{"vars":[]},"results":{"bindings":[]}}', QueryTimeout),
        (200, {"X-SPARQL-MaxRows": "10000"}, b'{"head":{"vars":[]},"results":{"bindings":[]}}', QueryTooLarge),
        (500, {}, b"Virtuoso 42000 Error The estimated execution time 916 (sec) exceeds the limit", QueryTimeout),
        (500, {}, b"out of memory", EndpointError),
        (503, {}, b"busy", EndpointError),
    ],
    ids=["stopped at its time limit", "cut at its row limit", "estimated too long", "failed", "unavailable"],
)
def test_a_store_at_its_limits_says_so(fake, status, headers, body, error):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH], dialect=VIRTUOSO)
    script.status, script.headers, script.body = status, headers, body
    with pytest.raises(error):
        engine.select("SELECT * { }", {})


def test_an_unreachable_store_is_named():
    with pytest.raises(EndpointError, match=r"cannot reach the SPARQL endpoint http://127\.0\.0\.1:9/sparql"):
        RemoteEngine("http://127.0.0.1:9/sparql")


@pytest.mark.parametrize(
    ("url", "reason"),
    [("ftp://127.0.0.1/sparql", "is not an http:// or https:// URL"), ("http://127.0.0.1:99999/", "has a bad port")],
)
def test_an_unusable_url_is_named_when_first_asked(url, reason):
    endpoint = Endpoint(url, 1.0)
    with pytest.raises(EndpointError, match=f"^the SPARQL endpoint {re.escape(url)} {reason}"):
        endpoint.send("ASK {}", form="ASK", accept=SPARQL_JSON)
    with pytest.raises(EndpointError, match=reason):
        RemoteEngine(url)


# ---------------------------------------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------------------------------------


def quad(s: ox.Term, o: ox.Term, graph: str = "g") -> ox.Quad:
    return ox.Quad(s, ox.NamedNode(EX + "p"), o, ox.NamedNode(EX + graph))


def test_blank_node_groups_travel_whole():
    a, b, c = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    plain = [quad(ox.NamedNode(EX + str(i)), ox.Literal(str(i))) for i in range(5)]
    linked = [quad(ox.NamedNode(EX + "x"), a), quad(a, b, "h"), quad(b, ox.Literal("y")), quad(c, ox.Literal("z"))]
    sent = list(batches(plain + linked, 2))
    assert sorted(map(str, (q for batch in sent for q in batch))) == sorted(map(str, plain + linked))
    holding_a = [batch for batch in sent if any(a in (q.subject, q.object) for q in batch)]
    assert len(holding_a) == 1 and len(holding_a[0]) == 3  # a and b are one group, across two graphs


def test_insert_uses_insert_data_unless_blank_nodes_need_a_template():
    plain = [quad(ox.NamedNode(EX + "a"), ox.Literal("x"))]
    assert insert(plain).startswith("INSERT DATA {\nGRAPH <http://example.org/g> {\n<http://example.org/a>")
    blank = [quad(ox.BlankNode("b1"), ox.Literal("x"))]
    assert insert(blank).startswith("INSERT {\nGRAPH <http://example.org/g> {\n_:b1 ")
    assert insert(blank).endswith("} WHERE {}")


def canonical(quads: Iterable[ox.Quad]) -> set[ox.Quad]:
    """Quads with blank nodes relabelled canonically, so datasets compare equal exactly when isomorphic."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def test_publish_sends_each_graph_whole(fake, capsys):
    url, script = fake
    script.store = ox.Store()
    assert publish(url, [], batch_size=500) == 0
    assert canonical(script.store) == canonical(published_quads(build_store()))
    updates = [form["update"][0] for _, _, form in script.requests if "update" in form]
    drops = [u for u in updates if u.startswith("DROP SILENT GRAPH")]
    assert drops and updates[: len(drops)] == drops
    assert all(u.startswith("INSERT") for u in updates[len(drops) :])
    out = capsys.readouterr().out
    assert f"graphs to {url}" in out and "https://w3id.org/klynge/graph/ontology" in out


def test_publish_replaces_what_was_there(fake):
    url, script = fake
    script.store = ox.Store()
    stale = ox.Quad(
        ox.NamedNode(EX + "old"),
        ox.NamedNode(EX + "p"),
        ox.Literal("x"),
        ox.NamedNode("https://w3id.org/klynge/graph/lineage"),
    )
    script.store.add(stale)
    assert publish(url, []) == 0
    assert stale not in script.store


def test_publish_into_one_graph(fake, capsys):
    url, script = fake
    script.store = ox.Store()
    assert publish(url, [], EX + "klynge") == 0
    assert {q.graph_name for q in script.store} == {ox.NamedNode(EX + "klynge")}
    assert len(script.store) == len(published_triples(build_store()))
    assert "in 1 graphs" in capsys.readouterr().out


def test_publish_sends_updates_to_the_update_endpoint(fake):
    url, script = fake
    script.store = ox.Store()
    assert publish("http://127.0.0.1:9/sparql", [], update_endpoint=url) == 1  # nothing to ask afterwards
    assert len(script.store) == len(published_quads(build_store()))


def test_publish_notices_a_store_that_kept_less(fake, capsys):
    url, script = fake
    script.status, script.body = 200, b'{"head":{"vars":["g","n"]},"results":{"bindings":[]}}'
    assert publish(url, []) == 1
    assert "holds 0 triples in <https://w3id.org/klynge/graph/ontology>, not the" in capsys.readouterr().err


def test_publish_failures_exit_with_a_message(capsys, tmp_path):
    assert publish("http://127.0.0.1:9/sparql", []) == 1
    assert "cannot reach the SPARQL endpoint http://127.0.0.1:9/sparql" in capsys.readouterr().err
    assert publish("http://127.0.0.1:9/sparql", [], "not an iri") == 2
    assert "--graph 'not an iri' is not an IRI" in capsys.readouterr().err
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .")
    assert publish("http://127.0.0.1:9/sparql", [broken]) == 2
    assert "broken.ttl:1" in capsys.readouterr().err


def test_a_row_too_long_for_the_tsv_parser_is_converted_by_reading_the_answer_again(fake):
    url, script = fake
    engine = RemoteEngine(url, graphs=[GRAPH])
    long_text = "x" * (LONG_LINE + 10)
    script.body = (
        b'{"head":{"vars":["t"]},"results":{"bindings":[{"t":{"type":"literal","value":"%s"}}]}}' % long_text.encode()
    )
    sent = len(script.requests)
    body, media_type = engine.run("SELECT ?t { }", "text/csv")
    assert body == f"t\r\n{long_text}\r\n".encode() and media_type.startswith("text/csv")
    assert len(script.requests) == sent + 1  # read again from the answer, not asked of the store again


@pytest.mark.parametrize(
    "body",
    [
        JSON_ROWS % GRAPH.encode(),  # the counts come back without ?n (the sec review's KeyError: 'n')
        b'{"head":{"vars":["g","n"]},"results":{"bindings":[{"g":{"type":"uri","value":"%s"},'
        b'"n":{"type":"literal","value":"many"}}]}}' % GRAPH.encode(),
    ],
)
def test_a_store_answering_strangely_stops_serve_with_one_line(fake, body):
    url, script = fake
    script.body = body
    done = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "serve", "--sparql-endpoint", url, "--port", "9"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"klynge serve: the SPARQL endpoint {url} answered")


def test_an_answer_that_is_not_sparql_json_is_a_clear_error(fake):
    url, script = fake
    script.body = b"<html>a login page</html>"
    with pytest.raises(EndpointError, match="answered the list of graphs with something other than SPARQL JSON"):
        RemoteEngine(url)
