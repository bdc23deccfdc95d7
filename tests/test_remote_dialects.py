"""The dialects' request and loader hooks, without a real store.

- QLever's dataset clauses (``with_dataset_clauses``) are checked against Oxigraph: a query with the clauses
  written in answers as the query does with the same dataset given beside it, for every named query.
- QLever's requests are checked against a loopback server that behaves as QLever is documented to (no
  ``default-graph-uri``: it answers 400 "Not supported", as QLever did in ad-freiburg/qlever#1712; no
  ``FROM``: the union of all graphs) and answers from Oxigraph. **A protocol test: no QLever runs here**
  (it is not packaged for PyPI's or Debian's installers on this machine).
- Virtuoso's union graph is checked against the fake store of tests/test_remote.py; against a real Virtuoso
  in tests/test_virtuoso.py.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pyoxigraph as ox
import pytest

import test_remote
from klynge.catalogue import catalogue
from klynge.commands.load import publish
from klynge.engines.base import SPARQL_JSON, Dataset
from klynge.engines.remote import RemoteEngine
from klynge.engines.remote.binding import bind_terms
from klynge.engines.remote.dialect import BY_NAME, QLEVER, UNION_GRAPH, VIRTUOSO, Dialect, with_dataset_clauses
from klynge.engines.remote.standard import NO_GRAPH, Restriction
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store, published_quads
from klynge.settings import Limits
from loopback import serving
from test_remote import GRAPH, canonical
from virtuoso import answer_set

fake = test_remote.fake  # the fake store's fixture, shared
KG = "https://w3id.org/klynge/graph/"
LINEAGE, FUNDING, ONTOLOGY = KG + "lineage", KG + "funding", KG + "ontology"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return build_store()


def comparable(result: object, query: str) -> object:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = result.variables
        return answer_set(query, ({v.value: row[v] for v in names if row[v] is not None} for row in result))
    return {str(triple) for triple in result}  # type: ignore[attr-defined]


def clauses(default: list[str], named: list[str]) -> list[str]:
    return [f"FROM <{g}>" for g in default] + [f"FROM NAMED <{g}>" for g in named]


SHAPES = {
    "select with GRAPH": "SELECT ?g (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } GROUP BY ?g",
    "select, modifiers": "SELECT ?s WHERE { ?s a ?c } ORDER BY ?s LIMIT 5",
    "its own FROM": f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY}> FROM NAMED <{ONTOLOGY}> WHERE {{ ?s ?p ?o }}",
    "construct template": "CONSTRUCT { ?s <http://e.org/p> ?o } WHERE { ?s <http://schema.org/name> ?o }",
    "construct where": "CONSTRUCT WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o }",
    "ask": "ASK { ?s ?p ?o }",
    "ask, no WHERE keyword, GRAPH": "ASK { GRAPH ?g { ?s ?p ?o } }",
    "describe, no WHERE": "DESCRIBE <https://w3id.org/klynge/id/org/dfir>",
    "describe, modifiers": "DESCRIBE ?s WHERE { ?s a <https://w3id.org/klynge/ontology#Programme> } LIMIT 1",
    "braced string": 'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s { ?s rdfs:label "{x}" }',
}
DATASETS = {
    "one default, one named": ([LINEAGE], [FUNDING]),
    "two default, none named": ([LINEAGE, FUNDING], [NO_GRAPH]),
    "none default, two named": ([NO_GRAPH], [LINEAGE, ONTOLOGY]),
}


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("shape", SHAPES)
def test_dataset_clauses_answer_as_the_dataset_given_beside_the_query(store, shape, dataset):
    query = SHAPES[shape]
    default, named = DATASETS[dataset]
    expected = store.query(
        query,
        default_graph=[ox.NamedNode(g) for g in default],
        named_graphs=[ox.NamedNode(g) for g in named],
    )
    got = store.query(with_dataset_clauses(query, clauses(default, named)))
    assert comparable(got, query) == comparable(expected, query)


def test_dataset_clauses_replace_the_querys_own():
    rewritten = with_dataset_clauses(SHAPES["its own FROM"], clauses([LINEAGE], [FUNDING]))
    assert ONTOLOGY not in rewritten
    assert f"FROM <{LINEAGE}> FROM NAMED <{FUNDING}> WHERE" in rewritten


def named_cases() -> Iterator[tuple[str, str]]:
    for query in catalogue().values():
        yield query.name, bind_terms(query.sparql, query.bindings({p.name: p.example for p in query.parameters}))


@pytest.mark.parametrize(("name", "query"), list(named_cases()))
def test_every_named_query_with_the_served_graphs_as_clauses_answers_as_the_union(store, name, query):
    graphs = sorted({q.graph_name.value for q in store if isinstance(q.graph_name, ox.NamedNode)})
    expected = store.query(query, use_default_graph_as_union=True)
    got = store.query(with_dataset_clauses(query, clauses(graphs, graphs)))
    assert comparable(got, query) == comparable(expected, query)


# ---------------------------------------------------------------------------------------------------------
# QLever: a protocol test against a loopback server, not QLever itself
# ---------------------------------------------------------------------------------------------------------


@dataclass
class QLeverLike:
    """A loopback server with QLever's documented dataset behaviour, answering from Oxigraph; what it got."""

    store: ox.Store
    requests: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)

    def answer(self, method: str, headers: dict[str, str], form: dict[str, list[str]]) -> tuple[int, bytes, str]:
        self.requests.append((method, headers, form))
        if "default-graph-uri" in form or "named-graph-uri" in form:
            return 400, b"Not supported: default-graph-uri parameter", "text/plain"
        if "update" in form:
            return 400, b"SPARQL Update is not enabled on this index", "text/plain"
        query = form["query"][0]
        names_dataset = " FROM " in query
        results = self.store.query(query, use_default_graph_as_union=not names_dataset)
        if isinstance(results, ox.QueryTriples):
            return 200, results.serialize(format=ox.RdfFormat.N_TRIPLES), "application/n-triples"
        return 200, results.serialize(format=ox.QueryResultsFormat.JSON), SPARQL_JSON


@pytest.fixture(scope="module")
def qlever_like(store: ox.Store) -> Iterator[tuple[str, QLeverLike]]:
    server_state = QLeverLike(store)

    class Handler(BaseHTTPRequestHandler):
        def reply(self, method: str, form: dict[str, list[str]]) -> None:
            status, body, media_type = server_state.answer(method, dict(self.headers), form)
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError):
                self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            self.reply("POST", urllib.parse.parse_qs(self.rfile.read(length).decode()))

        def do_GET(self) -> None:  # noqa: N802
            self.reply("GET", urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        yield url + "/", server_state


@pytest.fixture(scope="module")
def embedded(store: ox.Store) -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(store, limits=Limits(timeout=60))
    yield engine
    engine.close()


def test_the_qlever_dialect_sends_the_dataset_as_clauses_never_as_fields(qlever_like, store):
    url, server = qlever_like
    engine = RemoteEngine(url, dialect=QLEVER)
    try:
        assert set(engine.graphs) == {q.graph_name.value for q in store if isinstance(q.graph_name, ox.NamedNode)}
        start = len(server.requests)
        engine.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {})
        engine.run("SELECT * { ?s ?p ?o } LIMIT 1", SPARQL_JSON, dataset=Dataset.of([LINEAGE]))
        sent = server.requests[start:]
        assert all(not ({"default-graph-uri", "named-graph-uri"} & set(form)) for _, _, form in sent)
        whole, chosen = (form["query"][0] for _, _, form in sent)
        assert all(f"FROM <{g}>" in whole and f"FROM NAMED <{g}>" in whole for g in engine.graphs)
        assert f"FROM <{LINEAGE}> FROM NAMED <{NO_GRAPH}>" in chosen
    finally:
        engine.close()


QUERIES_ON_QLEVER = ["cluster-relations", "budgets", "what-replaced-what", "policy-ancestors", "describe-resource"]


@pytest.mark.parametrize("name", QUERIES_ON_QLEVER)
def test_named_queries_answer_through_the_qlever_dialect_as_on_the_embedded_store(qlever_like, embedded, name):
    url, _ = qlever_like
    query = catalogue()[name]
    bindings = query.bindings({p.name: p.example for p in query.parameters})
    engine = RemoteEngine(url, dialect=QLEVER)
    try:
        if query.form == "SELECT":
            got, expected = engine.select(query.sparql, bindings), embedded.select(query.sparql, bindings)
            assert answer_set(query.sparql, got) == answer_set(query.sparql, expected)
        else:
            got_triples = engine.construct(query.sparql, bindings)
            assert set(got_triples) == set(embedded.construct(query.sparql, bindings))
    finally:
        engine.close()


def test_qlever_is_not_loaded_by_update(qlever_like, capsys):
    url, server = qlever_like
    start = len(server.requests)
    assert publish(url, [], dialect=QLEVER) == 2
    assert "QLever does not load by SPARQL Update" in capsys.readouterr().err
    assert len(server.requests) == start  # nothing was sent


def test_a_get_dialect_sends_the_query_in_the_url(qlever_like):
    class QLeverByGet(type(QLEVER)):  # type: ignore[misc]
        method = "GET"

    url, server = qlever_like
    engine = RemoteEngine(url, dialect=QLeverByGet())
    try:
        start = len(server.requests)
        assert engine.ask("ASK { ?s ?p ?o }", {})
        method, headers, form = server.requests[start]
        assert method == "GET" and form["query"][0].startswith("ASK FROM <") and headers["Accept"] == SPARQL_JSON
    finally:
        engine.close()


# ---------------------------------------------------------------------------------------------------------
# Virtuoso: one union graph as the default graph, while its count agrees
# ---------------------------------------------------------------------------------------------------------


def union_store() -> ox.Store:
    """A store holding one served graph and the union graph Virtuoso's loading adds (as the dialect writes it)."""
    quads = [q for q in published_quads(build_store()) if q.graph_name.value == GRAPH]
    store = ox.Store()
    store.extend(VIRTUOSO.stored_quads(quads))
    return store


def test_virtuoso_is_sent_the_union_graph_while_it_holds_the_served_graphs(fake, monkeypatch):
    url, script = fake
    script.store, script.headers = union_store(), {"Server": "Virtuoso/07.20.3229 (Linux)"}
    engine = RemoteEngine(url)
    assert engine.graphs == [GRAPH] and engine.dialect is VIRTUOSO  # the union graph is not one served
    engine.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", {})
    form = script.requests[-1][2]
    assert form["default-graph-uri"] == [UNION_GRAPH] and form["named-graph-uri"] == [NO_GRAPH]
    engine.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", {})
    form = script.requests[-1][2]
    assert form["default-graph-uri"] == [UNION_GRAPH] and form["named-graph-uri"] == [GRAPH]
    engine.run("SELECT * { ?s ?p ?o } LIMIT 1", SPARQL_JSON, dataset=Dataset.of([GRAPH]))
    assert script.requests[-1][2]["default-graph-uri"] == [GRAPH]  # a chosen dataset travels as it is
    # A graph reloaded without its union: the counts disagree, and the list is sent again.
    script.store.add(
        ox.Quad(ox.NamedNode("http://e.org/a"), ox.NamedNode("http://e.org/p"), ox.Literal("x"), ox.NamedNode(GRAPH))
    )
    monkeypatch.setattr("klynge.engines.remote.engine.VERSION_TTL", 0.0)
    engine.graph_version()
    engine.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", {})
    assert script.requests[-1][2]["default-graph-uri"] == [GRAPH]


def test_the_generic_dialect_always_sends_both_lists():
    sent = Dialect().restrict("SELECT * { ?s ?p ?o }", Restriction((LINEAGE,), (LINEAGE,), whole=True))
    assert sent.fields == (("default-graph-uri", LINEAGE), ("named-graph-uri", LINEAGE))
    assert sent.method == "POST"


def test_virtuosos_stored_quads_add_the_merge_once(store):
    quads = published_quads(store)
    stored = list(VIRTUOSO.stored_quads(quads))
    union = [q for q in stored if q.graph_name == ox.NamedNode(UNION_GRAPH)]
    assert stored[: len(quads)] == quads and len(union) == len({(q.subject, q.predicate, q.object) for q in quads})
    assert list(VIRTUOSO.stored_quads(quads, one_graph=True)) == quads


# The loader each dialect's `klynge load --nquads` prints for the file it wrote (its folder, its name).
LOADERS = {
    "qlever": "IndexBuilderMain -i klynge -F nq -f {folder}/{name}",
    "virtuoso": "ld_dir('{folder}', '{name}', 'urn:default'); rdf_loader_run();",
}


@pytest.mark.parametrize("dialect", LOADERS)
def test_klynge_load_nquads_writes_what_the_dialects_store_holds_and_prints_its_loader(store, tmp_path, dialect):
    out = tmp_path / f"for-{dialect}.nq"
    done = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "load", "--nquads", str(out), "--dialect", dialect],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert LOADERS[dialect].format(folder=tmp_path.resolve(), name=out.name) in done.stdout
    written = list(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))
    assert canonical(written) == canonical(BY_NAME[dialect].stored_quads(published_quads(store)))
    graphs = {q.graph_name.value for q in written}
    assert (UNION_GRAPH in graphs) == (dialect == "virtuoso") and len(graphs) > 2


def test_a_dialect_option_without_a_remote_store_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "load", "--store", str(tmp_path / "s"), "--dialect", "nonsense"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "invalid choice: 'nonsense'" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "load", "--store", str(tmp_path / "s"), "--dialect", "virtuoso"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--dialect names the kind of a remote store" in done.stderr
    assert not (tmp_path / "s").exists()
