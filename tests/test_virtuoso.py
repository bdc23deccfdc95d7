"""The service on a real remote store: Virtuoso 7 started here, loaded with ``klynge load --sparql-endpoint``.

Every named query must give the same answers through ``RemoteEngine`` as through ``EmbeddedEngine``, compared
as sets of rows with terms compared by value, datatype and language. Normalised, because Virtuoso legitimately
differs there (tests/virtuoso.py): blank node labels, the order of a GROUP_CONCAT and an empty one, whole
xsd:decimal values (Virtuoso answers xsd:integer), computed booleans (Virtuoso returns ``true``,
``BIND(EXISTS …)`` and comparisons as xsd:integer 1/0), and DESCRIBE, whose extent SPARQL leaves to the store
(Virtuoso adds the triples that point at the resource).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

import virtuoso
from klynge.answers import browse, describe
from klynge.answers import lineage as answers
from klynge.answers.path import shortest_path
from klynge.answers.search import fold, names_by_sparql
from klynge.catalogue import NamedQuery, catalogue
from klynge.engines.base import SERVICE_DATASET, SPARQL_JSON, QueryRefused, QuerySyntaxError
from klynge.engines.remote import RemoteEngine
from klynge.engines.remote.dialect import UNION_GRAPH, VIRTUOSO
from klynge.engines.remote.standard import NO_GRAPH, Restriction
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store, published_triples
from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from virtuoso import Virtuoso, answer_set, triple_set

pytestmark = pytest.mark.slow

XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
ONE_GRAPH = "http://example.org/graph/all-of-klynge"


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    yield from virtuoso.running(tmp_path_factory)


def klynge_load(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``klynge load`` in its own process, as a deployment runs it."""
    return subprocess.run(
        [sys.executable, "-m", "klynge.cli", "load", *arguments], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="session")
def endpoint(virtuoso_server: Virtuoso) -> str:
    """The repository graph published to the server, one named graph per source file."""
    done = klynge_load("--sparql-endpoint", virtuoso_server.sparql_url)
    assert done.returncode == 0, done.stderr
    assert f"graphs to {virtuoso_server.sparql_url}" in done.stdout
    return virtuoso_server.sparql_url


@pytest.fixture(scope="session")
def remote(endpoint: str) -> RemoteEngine:
    return RemoteEngine(endpoint, timeout=60)


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(build_store(), limits=Limits(timeout=60))
    yield engine
    engine.close()


def cases() -> Iterator[tuple[str, NamedQuery, dict[str, str]]]:
    """Each named query with the examples of all its parameters, and with the required ones only."""
    for query in catalogue().values():
        every = {p.name: p.example for p in query.parameters}
        required = {p.name: p.example for p in query.parameters if p.required}
        yield query.name, query, every
        if required != every:
            yield f"{query.name}, required parameters only", query, required


def as_boolean(term: ox.Term) -> ox.Term:
    """A computed boolean as Virtuoso returns it (xsd:integer 1/0) read back as the boolean it stands for."""
    if isinstance(term, ox.Literal) and term.datatype == XSD_INTEGER and term.value in ("0", "1"):
        return ox.Literal(term.value == "1")
    return term


def remote_rows(rows: list[dict[str, ox.Term]], embedded_rows: list[dict[str, ox.Term]]) -> list[dict[str, ox.Term]]:
    """Virtuoso's rows with 1/0 read as true/false in the columns where the embedded store answers booleans."""
    booleans = {
        name for row in embedded_rows for name, term in row.items() if getattr(term, "datatype", None) == XSD_BOOLEAN
    }
    return [{name: as_boolean(term) if name in booleans else term for name, term in row.items()} for row in rows]


@pytest.mark.parametrize(("name", "query", "values"), [pytest.param(*case, id=case[0]) for case in cases()])
def test_every_named_query_answers_as_on_the_embedded_store(remote, embedded, name, query, values):
    bindings = query.bindings(values)
    if query.form == "SELECT":
        expected = embedded.select(query.sparql, bindings)
        got = remote_rows(remote.select(query.sparql, bindings), expected)
        assert answer_set(query.sparql, got) == answer_set(query.sparql, expected)
    elif query.form == "ASK":
        assert remote.ask(query.sparql, bindings) == embedded.ask(query.sparql, bindings)
    elif query.form == "CONSTRUCT":
        assert triple_set(remote.construct(query.sparql, bindings)) == triple_set(
            embedded.construct(query.sparql, bindings)
        )
    else:
        described = set(bindings.values())
        expected = triple_set(embedded.construct(query.sparql, bindings))
        got = triple_set(remote.construct(query.sparql, bindings))
        assert expected <= got
        assert all(obj in described for _, _, obj in got - expected)


def test_the_store_is_recognised_as_virtuoso(remote):
    assert remote.dialect is VIRTUOSO  # from its Server header: its quirks are read, another store's are not


def test_the_remote_dataset_is_the_published_graph(remote, embedded):
    assert remote.graph_counts() == embedded.graph_counts()
    assert remote.triple_count() == embedded.triple_count()


def test_a_query_chooses_its_graphs_with_from(remote, embedded):
    query = (
        "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/klynge/graph/lineage> "
        "FROM NAMED <https://w3id.org/klynge/graph/funding> WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    )
    assert remote.select(query, {}) == embedded.select(query, {})


def test_one_graph_with_graph_option(endpoint, virtuoso_server):
    try:
        done = klynge_load("--sparql-endpoint", endpoint, "--graph", ONE_GRAPH)
        assert done.returncode == 0, done.stderr
        assert f"<{ONE_GRAPH}>" in done.stdout and "in 1 graphs" in done.stdout
        assert RemoteEngine(endpoint, graphs=[ONE_GRAPH]).triple_count() == len(published_triples(build_store()))
    finally:
        # The other tests expect the store as published by the session fixture: one copy of the graph.
        virtuoso_server.isql(f"SPARQL DROP SILENT GRAPH <{ONE_GRAPH}>;")


HOSTILE = ['" } ; DROP ALL ; SELECT * { "', "' } #", 'three """ quotes', "back\\slash \\u0022", "ny\nlinje", "Vækst"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_reaches_the_store_as_one_literal(remote, value):
    for term in (ox.Literal(value), ox.Literal(value, language="da")):
        assert remote.select("SELECT ?x WHERE { }", {"x": term}) == [{"x": term}]


def test_the_stores_own_syntax_message_comes_back(remote):
    with pytest.raises(QuerySyntaxError, match="SP030"):
        remote.select("SELECT ?x WHERE { ?x }", {})


def test_an_update_is_refused_before_it_is_sent(remote):
    update = 'INSERT DATA { GRAPH <https://w3id.org/klynge/graph/lineage> { <http://e.org/a> <http://e.org/p> "x" } }'
    with pytest.raises(QueryRefused):
        remote.run(update, "application/sparql-results+json")
    assert not remote.ask("ASK { <http://e.org/a> ?p ?o }", {})


# ---------------------------------------------------------------------------------------------------------
# The service on the remote store
# ---------------------------------------------------------------------------------------------------------

POLICY_NODE = ox.NamedNode("https://w3id.org/klynge/id/policy/innovationskraft-2021-2024")
SUCCESSOR = ox.NamedNode("https://w3id.org/klynge/id/policy/cluster-programme-2025")
ORGANISATION = ox.NamedNode("https://w3id.org/klynge/id/org/dfir")
# Innovationskraft's own steps and its successor's (one step further on) are the ones Virtuoso lost while the
# lineage queries let it walk a property path with both ends bound (docs/remote-stores.md). Both pages hold
# literals (language-tagged alternative labels, long descriptions) that Virtuoso marked entailed while the link
# query asked for a stated graph in a correlated NOT EXISTS.
ANSWERS = {
    "description": lambda engine: triple_set(describe.description_triples(engine, POLICY_NODE)),
    "lineage": lambda engine: answers.lineage(engine, POLICY_NODE),
    "lineage of the successor": lambda engine: answers.lineage(engine, SUCCESSOR),
    "lineage as RDF": lambda engine: triple_set(answers.lineage_triples(engine, POLICY_NODE)),
    # a remote store has no full-text index: both stores answer search.rq, the names search it falls back to
    "search": lambda engine: names_by_sparql(engine, fold("vaekstforum"), "vaekstforum", 20),
    "path": lambda engine: shortest_path(engine, POLICY_NODE, ORGANISATION),
    "page": lambda engine: page_facts(describe.describe(engine, ORGANISATION)),
    "page of the programme": lambda engine: page_facts(describe.describe(engine, POLICY_NODE)),
}


def page_facts(page: describe.Description) -> dict:
    """A resource page's facts, each list as a set: the stores order unbound labels differently."""

    def links(found: list[describe.Link]) -> set:
        return {(link.predicate, link.predicate_label, link.other, link.other_label, link.entailed) for link in found}

    return {
        "label": page.label,
        "labels": set(page.labels),
        "alt_labels": set(page.alt_labels),
        "definitions": set(page.definitions),
        "types": set(page.types),
        "sources": set(page.sources),
        "outgoing": links(page.outgoing),
        "incoming": links(page.incoming),
    }


@pytest.mark.parametrize("name", ANSWERS)
def test_service_answers_as_on_the_embedded_store(remote, embedded, name):
    assert ANSWERS[name](remote) == ANSWERS[name](embedded)


DISTINCT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


@pytest.fixture(scope="session")
def client(remote: RemoteEngine) -> TestClient:
    """The app as 'klynge serve --sparql-endpoint' builds it."""
    return TestClient(create_app(remote, Settings(limits=Limits(timeout=60))))


def test_sparql_endpoint_answers_from_the_remote_store(client):
    answer = client.get("/sparql", params={"query": DISTINCT_TRIPLES}, headers={"Accept": SPARQL_JSON})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(SPARQL_JSON)
    (row,) = answer.json()["results"]["bindings"]
    assert int(row["n"]["value"]) == len(published_triples(build_store()))


def test_sparql_endpoint_passes_the_dataset_and_format_through(client, embedded):
    lineage = "https://w3id.org/klynge/graph/lineage"
    answer = client.post(
        "/sparql",
        data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": lineage},
        headers={"Accept": "text/csv"},
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.text.split()[1] == str(embedded.graph_counts()[lineage])


@pytest.mark.parametrize("media_type", ["text/tab-separated-values", "text/csv", "application/sparql-results+xml"])
def test_protocol_answers_are_written_as_the_embedded_engine_writes_them(remote, embedded, media_type):
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?policy ?label WHERE { ?policy a "
        "<https://w3id.org/klynge/ontology#Programme> ; rdfs:label ?label FILTER(LANG(?label) = 'en') } "
        "ORDER BY ?policy"
    )
    assert remote.run(query, media_type) == embedded.run(query, media_type)
    ask = "ASK { ?s a <https://w3id.org/klynge/ontology#Programme> }"
    assert remote.run(ask, media_type) == embedded.run(ask, media_type)


def test_sparql_endpoint_errors_from_the_remote_store(client):
    malformed = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x }"})
    assert malformed.status_code == 400 and "SP030" in malformed.text
    update = client.post("/sparql", data={"update": "DROP ALL"})
    assert update.status_code == 403
    service = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert service.status_code == 403


ROUTES = [
    "/api/queries",
    *(f"/api/queries/{name}" for name in catalogue()),
    "/api/search?q=vaekstforum",
    f"/api/path?from={POLICY_NODE.value}&to={ORGANISATION.value}",
    f"/api/lineage/{POLICY_NODE.value.removeprefix('https://w3id.org/klynge/id/')}",
    "/dataset",
    "/.well-known/void",
    "/ontology",
    "/",
    "/id/org/dfir",
    f"/id/{POLICY_NODE.value.removeprefix('https://w3id.org/klynge/id/')}",
    "/browse",
    "/programme-of/cluster/clean",
]

KID = "https://w3id.org/klynge/id/"
BROWSE_STATES = [
    ("https://w3id.org/klynge/ontology#ClusterOrganisation", {}, None),
    ("https://w3id.org/klynge/ontology#ClusterOrganisation", {"klynge:hasArea": KID + "area/sound-technology"}, None),
    ("https://w3id.org/klynge/ontology#Policy", {}, 2015),
    ("https://w3id.org/klynge/ontology#SpecialisationNode", {"sdmx-dimension:refArea": KID + "region/DK01"}, None),
]


@pytest.mark.parametrize(("cls", "chosen", "year"), BROWSE_STATES)
def test_browse_answers_as_on_the_embedded_store(remote, embedded, cls, chosen, year):
    """The facet queries' optional slots, unbound or bound, mean the same on Virtuoso as in Oxigraph."""
    on_remote = browse.browse(remote, ox.NamedNode(cls), chosen, year)
    on_embedded = browse.browse(embedded, ox.NamedNode(cls), chosen, year)
    assert on_remote.items == on_embedded.items and on_remote.total > 0
    assert sorted(on_remote.facets, key=lambda f: f.key) == sorted(on_embedded.facets, key=lambda f: f.key)


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_answers_from_the_remote_store(client, path):
    answer = client.get(path)
    assert answer.status_code == 200, answer.text


# ---------------------------------------------------------------------------------------------------------
# Remote mode as tight as the embedded one (sec review 2026-12-07, N1)
# ---------------------------------------------------------------------------------------------------------

VIRTRDF = "http://www.openlinksw.com/schemas/virtrdf#"


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback HTTP listener that records the first bytes of every connection made to it."""
    server = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                with contextlib.suppress(OSError):
                    seen.append(connection.recv(4096))
                    connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nlistener-secret")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], seen
    finally:
        server.close()


def sparql_direct(virtuoso_server: Virtuoso, query: str) -> str:
    """A query sent to Virtuoso itself, not through klynge (its answer as CSV, or its error)."""
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(virtuoso_server.sparql_url, data, {"Accept": "text/csv"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


def test_vendor_functions_and_pragmas_never_reach_the_store(client, listener, virtuoso_server):
    port, seen = listener
    # The probe is real: Virtuoso itself fetches the URL when asked directly.
    direct = f"SELECT (bif:http_get('http://127.0.0.1:{port}/direct') AS ?x) {{}}"
    assert "listener-secret" in sparql_direct(virtuoso_server, direct)
    assert len(seen) == 1
    probes = {
        f"SELECT (bif:http_get('http://127.0.0.1:{port}/a') AS ?x) {{}}": "bif: is Virtuoso's prefix",
        f"SELECT (<bif:http_get>('http://127.0.0.1:{port}/b') AS ?x) {{}}": "is a Virtuoso extension",
        f"PREFIX b: <bif:> SELECT (b:http_get('http://127.0.0.1:{port}/c') AS ?x) {{}}": "is a Virtuoso extension",
        f"PREFIX bif: <http://example.org/> SELECT (bif:http_get('http://127.0.0.1:{port}/d') AS ?x) {{}}": "bif:",
        f'DEFINE get:soft "soft" SELECT * FROM <http://127.0.0.1:{port}/e> {{ ?s ?p ?o }}': "DEFINE is a Virtuoso",
        f"DEFINE input:default-graph-uri <{VIRTRDF}> SELECT (COUNT(*) AS ?n) {{ ?s ?p ?o }}": "DEFINE",
        "SELECT (sql:getrusage() AS ?x) {}": "sql: is Virtuoso's prefix",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ?p ?o FILTER(ex:f(?o)) }": "called as a function",
        "SELECT * { ?s ?p ?o } OPTION (QUIETCAST)": "OPTION is a Virtuoso extension",
    }
    for query, reason in probes.items():
        for answer in (client.get("/sparql", params={"query": query}), client.post("/sparql", data={"query": query})):
            assert answer.status_code == 400, (query, answer.text)
            assert reason in answer.text and "standard SPARQL 1.1" in answer.text or "SPARQL needs" in answer.text
    time.sleep(0.5)
    assert len(seen) == 1  # only the direct probe: nothing sent through klynge made the store connect


def test_only_the_klynge_graphs_can_be_read(client, virtuoso_server):
    system_graph = f"SELECT (COUNT(*) AS ?n) FROM <{VIRTRDF}> {{ ?s ?p ?o }}"
    assert int(sparql_direct(virtuoso_server, system_graph).split()[1]) > 0  # there is something to hide
    lineage = "https://w3id.org/klynge/graph/lineage"
    refused = [
        client.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) FROM <{VIRTRDF}> {{ ?s ?p ?o }}"}),
        client.get("/sparql", params={"query": f"SELECT * FROM NAMED <{VIRTRDF}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"}),
        client.post("/sparql", data={"query": "SELECT * { ?s ?p ?o }", "default-graph-uri": VIRTRDF}),
        client.post("/sparql", data={"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": VIRTRDF}),
        client.get("/sparql", params={"query": "SELECT * FROM <http://127.0.0.1:9/x> { ?s ?p ?o }"}),
    ]
    for answer in refused:
        assert answer.status_code == 403 and "not one of the graphs this service serves" in answer.text, answer.text

    def count(query: str, **fields: str) -> int:
        answer = client.post("/sparql", data={"query": query, **fields}, headers={"Accept": "text/csv"})
        assert answer.status_code == 200, answer.text
        return int(answer.text.split()[1])

    graphs = "SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
    system = client.get(
        "/sparql",
        params={"query": f"SELECT ?s {{ GRAPH <{VIRTRDF}> {{ ?s ?p ?o }} }} LIMIT 5"},
        headers={"Accept": "text/csv"},
    )
    assert system.status_code == 200 and system.text.split() == ["s"]  # no row (Virtuoso COUNTs it as 1)
    assert count(graphs) == len(client.app.state.engine.graphs)
    # A dataset with no named graph has none (SPARQL), not every graph of the store (Virtuoso's default).
    assert count(graphs, **{"default-graph-uri": lineage}) == 0
    assert count(f"SELECT (COUNT(DISTINCT ?g) AS ?n) FROM <{lineage}> {{ GRAPH ?g {{ ?s ?p ?o }} }}") == 0
    assert count(f"SELECT (COUNT(DISTINCT ?g) AS ?n) FROM NAMED <{lineage}> {{ GRAPH ?g {{ ?s ?p ?o }} }}") == 1


# ---------------------------------------------------------------------------------------------------------
# The Virtuoso dialect's dataset: one union graph, loaded by klynge load or by the bulk loader
# ---------------------------------------------------------------------------------------------------------


def whole(engine: RemoteEngine) -> Restriction:
    return Restriction(tuple(engine.graphs), tuple(engine.graphs), whole=True)


def test_the_union_graph_is_loaded_and_sent_in_place_of_the_list(remote):
    assert UNION_GRAPH not in remote.graphs and len(remote.graphs) > 2
    assert remote.merged(whole(remote)) == UNION_GRAPH
    for query, named in (("SELECT * { ?s ?p ?o }", [NO_GRAPH]), ("SELECT * { GRAPH ?g { ?s ?p ?o } }", remote.graphs)):
        restriction = remote.restriction(query, SERVICE_DATASET)
        sent = VIRTUOSO.restrict(query, restriction, remote.merged(restriction))
        assert sent.fields == (("default-graph-uri", UNION_GRAPH), *(("named-graph-uri", g) for g in named))


def test_the_bulk_loader_command_loads_what_klynge_load_nquads_writes(tmp_path, embedded):
    """A fresh Virtuoso loaded only by the dialect's bulk loader command, from `klynge load --nquads`."""
    server = Virtuoso(tmp_path, virtuoso.free_port(), virtuoso.free_port())
    server.start()
    try:
        nquads = tmp_path / "klynge.nq"  # the server's own folder is in its DirsAllowed
        done = klynge_load("--nquads", str(nquads), "--dialect", "virtuoso")
        assert done.returncode == 0, done.stderr
        loaded = subprocess.run(
            VIRTUOSO.bulk_load(nquads, f"127.0.0.1:{server.sql_port}"), capture_output=True, text=True, timeout=300
        )
        assert loaded.returncode == 0 and "*** Error" not in loaded.stdout, loaded.stdout + loaded.stderr
        engine = RemoteEngine(server.sparql_url, timeout=60)
        try:
            assert engine.graph_counts() == embedded.graph_counts()
            assert engine.merged(whole(engine)) == UNION_GRAPH
            for name in ("cluster-relations", "budgets", "what-replaced-what"):
                query = catalogue()[name]
                bindings = query.bindings({p.name: p.example for p in query.parameters})
                expected = embedded.select(query.sparql, bindings)
                got = remote_rows(engine.select(query.sparql, bindings), expected)
                assert answer_set(query.sparql, got) == answer_set(query.sparql, expected)
        finally:
            engine.close()
    finally:
        server.stop()
