"""The W3C SPARQL 1.1 test suite against ``/sparql``, read from ``../shared/conformance/w3c-sparql11/``.

- Syntax: every positive test (syntax-query, syntax-fed) is answered 200, except SERVICE, refused (403) by
  design; every negative test is a 400 (an update's 403 is as good), never a 500.
- Evaluation: every query of every evaluation test is answered 200 (SERVICE refused by design) over the test's
  own data, loaded into one store, each file a named graph the request names with ``default-graph-uri`` and
  ``named-graph-uri``. Where the expected answer does not depend on the graphs' names (no ``qt:graphData``,
  no FROM), the answer is checked against the suite's expected results.
- Protocol: the manifest's HTTP exchanges (written in RDF, HTTP Vocabulary) replayed in process, with the
  test's own graphs loaded; the update tests are refused (403) by design, as this endpoint is read-only.

Relative IRIs resolve against the endpoint's URL, so the test data is read with that base too. The suite is
never copied into the repository; without ``../shared`` every test here is skipped with a message.
"""

from __future__ import annotations

import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from klynge.engines.store import EmbeddedEngine
from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from shared import SHARED, shared_path

SUITE = ("conformance", "w3c-sparql11")
ROOT = SHARED.joinpath(*SUITE)
ENDPOINT = Settings().listen_url.rstrip("/") + "/sparql"  # the base IRI the endpoint gives queries
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
EMPTY_GRAPH = "urn:x-klynge-test:no-graph"
XSD = "http://www.w3.org/2001/XMLSchema#"
# Numeric datatypes: True where the value is a binary floating-point number.
NUMERIC = {XSD + "double": True, XSD + "float": True, XSD + "decimal": False, XSD + "integer": False}
ACCEPT = "application/sparql-results+json, application/n-triples"

RESULT_FORMATS = {
    ".srx": ox.QueryResultsFormat.XML,
    ".srj": ox.QueryResultsFormat.JSON,
    ".tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".rdf": ox.RdfFormat.RDF_XML}

# Where pyoxigraph 0.5.13 (the engine, not this service) answers differently from the suite: test -> why.
# For these the endpoint's answer is checked against pyoxigraph's own, run directly on the same data.
CANONICAL_LITERALS = (
    'the store keeps a typed literal in its canonical form: "0"^^xsd:boolean is read back as false, an '
    "xsd:negativeInteger or xsd:int as an xsd:integer"
)
ZERO_LENGTH_PATH = "a zero-length path (p? or p*) from a constant the graph does not mention gives no row"
ENGINE_DEVIATIONS: dict[str, str] = {
    "aggregates/agg-groupconcat-04": "GROUP_CONCAT of literals with one language tag keeps the tag",
    "aggregates/agg-groupconcat-06": "GROUP_CONCAT of literals with one language tag keeps the tag",
    **{f"cast/cast-{kind}": CANONICAL_LITERALS for kind in ("bool", "decimal", "double", "float", "int", "string")},
    "csv-tsv-res/tsv03": CANONICAL_LITERALS,
    **{
        f"property-path/zero_or_{kind}_set_{end}": ZERO_LENGTH_PATH
        for kind in ("more", "one")
        for end in ("start", "end")
    },
}


@dataclass(frozen=True)
class Case:
    """One test of a manifest: its kind, its query file, and for an evaluation its data and expected result."""

    name: str
    kind: str
    query: Path
    data: tuple[Path, ...] = ()
    graph_data: tuple[Path, ...] = ()
    result: Path | None = None

    @property
    def text(self) -> str:
        return self.query.read_text(encoding="utf-8")


def path_of(node: object) -> Path:
    return Path(urllib.parse.unquote(urllib.parse.urlparse(str(node)).path))


def manifests() -> Iterator[tuple[str, Graph]]:
    """Every folder's manifest, parsed with its own file URI as base."""
    for manifest in sorted(ROOT.glob("*/manifest.ttl")):
        yield manifest.parent.name, Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())


def cases() -> list[Case]:
    """The syntax and evaluation tests of every manifest."""
    found = []
    for folder, graph in manifests():
        for test, kind in graph.subject_objects(RDF.type):
            if not str(kind).startswith(MF) or str(kind).endswith("Manifest"):
                continue
            kind = str(kind)[len(MF) :]
            action = graph.value(test, URIRef(MF + "action"))
            name = f"{folder}/{str(test).rsplit('#', 1)[-1]}"
            if kind.endswith("SyntaxTest11"):
                found.append(Case(name, kind, path_of(action)))
            elif kind in ("QueryEvaluationTest", "CSVResultFormatTest"):
                result = graph.value(test, URIRef(MF + "result"))
                found.append(
                    Case(
                        name,
                        kind,
                        path_of(graph.value(action, URIRef(QT + "query"))),
                        tuple(path_of(d) for d in graph.objects(action, URIRef(QT + "data"))),
                        tuple(path_of(d) for d in graph.objects(action, URIRef(QT + "graphData"))),
                        path_of(result) if result is not None else None,
                    )
                )
    return sorted(found, key=lambda case: case.name)


def params(kinds: tuple[str, ...]) -> list[object]:
    """The cases of some kinds as pytest parameters; one that skips where the suite is absent."""
    if not ROOT.exists():
        return [pytest.param(None, id="w3c-suite-absent")]
    return [pytest.param(case, id=case.name) for case in cases() if case.kind in kinds]


def uses_service(case: Case) -> bool:
    return "SERVICE" in case.text.upper() and (case.name.startswith(("service/", "syntax-fed/")))


# ---------------------------------------------------------------------------------------------------------
# The endpoint over the suite's data
# ---------------------------------------------------------------------------------------------------------


def graph_name(path: Path) -> str:
    return path.as_uri()


def data_triples(path: Path) -> Iterator[ox.Triple]:
    """A data file's triples, relative IRIs resolved against the endpoint's URL as the queries' are."""
    return (quad.triple for quad in ox.parse(path=str(path), format=GRAPH_FORMATS[path.suffix], base_iri=ENDPOINT))


@pytest.fixture(scope="module")
def suite_client() -> Iterator[TestClient]:
    """The service over one store holding every evaluation test's data files (each its own named graph)."""
    shared_path(*SUITE)
    store = ox.Store()
    files = {path for case in cases() for path in (*case.data, *case.graph_data)}
    for path in sorted(files):
        store.bulk_extend(ox.Quad(*triple, ox.NamedNode(graph_name(path))) for triple in data_triples(path))
    engine = EmbeddedEngine(store, limits=Limits(workers=2, timeout=20.0))
    try:
        yield TestClient(create_app(engine, Settings()))
    finally:
        engine.close()


def post(client: TestClient, query: str, params: dict[str, list[str]] | None = None):
    return client.post(
        "/sparql",
        content=query.encode(),
        params=params or {},
        headers={"Content-Type": "application/sparql-query", "Accept": ACCEPT},
    )


# ---------------------------------------------------------------------------------------------------------
# Syntax
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", params(("PositiveSyntaxTest11",)))
def test_positive_syntax_is_accepted(suite_client, case):
    response = post(suite_client, case.text)
    if uses_service(case):
        assert response.status_code == 403 and "SERVICE is not accepted" in response.text
    else:
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("case", params(("NegativeSyntaxTest11",)))
def test_negative_syntax_is_a_400(suite_client, case):
    response = post(suite_client, case.text)
    allowed = (400, 403) if case.query.suffix == ".ru" else (400,)
    assert response.status_code in allowed, response.text
    assert response.headers["content-type"].startswith("text/plain")


# ---------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------


def names_own_dataset(case: Case) -> bool:
    words = case.text.upper().split()
    return "FROM" in words


def dataset_params(case: Case) -> dict[str, list[str]]:
    """The protocol's dataset for a test: its data as the default graph, its graph data as named graphs."""
    if names_own_dataset(case):
        return {}
    default = [graph_name(path) for path in case.data] or [EMPTY_GRAPH]
    named = [graph_name(path) for path in case.graph_data] or [EMPTY_GRAPH]
    return {"default-graph-uri": default, "named-graph-uri": named}


def comparable(case: Case) -> bool:
    """Whether the answer can be checked: the expected result does not depend on how graphs are named."""
    return (
        case.result is not None
        and not case.graph_data
        and not names_own_dataset(case)
        and (case.result.suffix in RESULT_FORMATS or case.result.suffix in GRAPH_FORMATS)
    )


def term_key(term: ox.Term) -> object:
    """A term for comparison: blank nodes unnamed, numbers by datatype and value (``"3.0E4"`` and ``"30000"``
    are the same double; the suite writes canonical forms, pyoxigraph shortest ones), anything else as is."""
    if isinstance(term, ox.BlankNode):
        return "_:"
    if isinstance(term, ox.Literal) and term.datatype.value in NUMERIC:
        try:
            return (term.datatype.value, float(term.value) if NUMERIC[term.datatype.value] else Decimal(term.value))
        except (ValueError, ArithmeticError):
            return str(term)
    return str(term)


def solutions(results: ox.QuerySolutions | ox.QueryBoolean) -> object:
    """An answer as something to compare: a boolean, or a multiset of rows (see ``term_key``)."""
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    names = [variable.value for variable in results.variables]
    rows: Counter[tuple] = Counter()
    for row in results:
        cells = ((name, term_key(term)) for name, term in zip(names, row, strict=True) if term is not None)
        rows[tuple(sorted(cells, key=str))] += 1
    return rows


def graph_set(triples: list[ox.Triple]) -> set[ox.Triple]:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {quad.triple for quad in dataset}


def expected_answer(case: Case) -> object:
    assert case.result is not None
    if case.result.suffix in GRAPH_FORMATS:
        parsed = ox.parse(path=str(case.result), format=GRAPH_FORMATS[case.result.suffix], base_iri=ENDPOINT)
        return graph_set([quad.triple for quad in parsed])
    return solutions(ox.parse_query_results(path=str(case.result), format=RESULT_FORMATS[case.result.suffix]))


def actual_answer(response) -> object:
    if response.headers["content-type"].startswith("application/n-triples"):
        return graph_set([quad.triple for quad in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)])
    return solutions(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON))


@pytest.mark.parametrize("case", params(("QueryEvaluationTest", "CSVResultFormatTest")))
def test_evaluation_query_is_answered_as_the_suite_expects(suite_client, case):
    response = post(suite_client, case.text, dataset_params(case))
    if uses_service(case):
        assert response.status_code == 403 and "SERVICE is not accepted" in response.text
        return
    assert response.status_code == 200, response.text
    if not comparable(case):
        return
    if case.name in ENGINE_DEVIATIONS:
        # the engine's own answer, faithfully served; and still not the suite's (else drop the entry)
        assert actual_answer(response) == engine_answer(case), ENGINE_DEVIATIONS[case.name]
        assert actual_answer(response) != expected_answer(case), f"{case.name} passes now: drop its deviation"
        return
    assert actual_answer(response) == expected_answer(case)


def engine_answer(case: Case) -> object:
    """What pyoxigraph answers itself, the test's data in its default graph."""
    store = ox.Store()
    for path in case.data:
        store.bulk_extend(ox.Quad(*triple) for triple in data_triples(path))
    results = store.query(case.text, base_iri=ENDPOINT)
    if isinstance(results, ox.QueryTriples):
        return graph_set(list(results))
    return solutions(results)


# ---------------------------------------------------------------------------------------------------------
# Protocol
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request of a protocol test and what its answer must be."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: tuple[str, ...]  # hts:StatusCode2xx, ...
    boolean: bool | None
    form: str | None  # "boolean", "tabular" or "RDF"


@dataclass(frozen=True)
class ProtocolCase:
    name: str
    graphs: tuple[tuple[str, Path], ...]  # (graph name, file)
    exchanges: tuple[Exchange, ...]


def protocol_cases() -> list[ProtocolCase]:
    manifest = ROOT / "protocol" / "manifest.ttl"
    graph = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
    found = []
    for test in graph.subjects(RDF.type, URIRef(MF + "ProtocolTest")):
        graphs = tuple(
            (str(graph.value(data, RDFS.label)), path_of(graph.value(data, URIRef(UT + "graph"))))
            for data in graph.objects(test, URIRef(UT + "graphData"))
        )
        action = graph.value(test, URIRef(MF + "action"))
        exchanges = []
        for request in Collection(graph, graph.value(action, URIRef(HT + "requests"))):
            headers_list = graph.value(request, URIRef(HT + "headers"))
            headers = {
                str(graph.value(h, URIRef(HT + "fieldName"))): str(graph.value(h, URIRef(HT + "fieldValue")))
                for h in (Collection(graph, headers_list) if headers_list is not None else [])
            }
            body_node = graph.value(request, URIRef(HT + "body"))
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, URIRef(CNT + "characterEncoding")) or "UTF-8")
                body = str(graph.value(body_node, URIRef(CNT + "chars"))).encode(encoding.lower())
            response = graph.value(request, URIRef(HT + "resp"))
            boolean = graph.value(response, URIRef(MF + "expectedBoolean"))
            form = graph.value(response, URIRef(MF + "expectedFormat"))
            exchanges.append(
                Exchange(
                    str(graph.value(request, URIRef(HT + "methodName"))),
                    str(graph.value(request, URIRef(HT + "absolutePath"))).replace("/sparql/", "/sparql", 1),
                    headers,
                    body,
                    tuple(sorted(str(s)[len(HTS) :] for s in graph.objects(response, URIRef(MF + "expectedStatus")))),
                    None if boolean is None else boolean.toPython(),
                    None if form is None else str(form),
                )
            )
        found.append(ProtocolCase(str(test).rsplit("#", 1)[-1], graphs, tuple(exchanges)))
    return sorted(found, key=lambda case: case.name)


def protocol_params() -> list[object]:
    if not ROOT.exists():
        return [pytest.param(None, id="w3c-suite-absent")]
    return [pytest.param(case, id=case.name) for case in protocol_cases()]


@pytest.fixture(scope="module")
def protocol_client() -> Iterator[TestClient]:
    """The service over the protocol tests' graphs, each named as the manifest says."""
    shared_path(*SUITE)
    store = ox.Store()
    for name, path in {graph for case in protocol_cases() for graph in case.graphs}:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
            store.add(ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(name)))
    engine = EmbeddedEngine(store, limits=Limits(workers=1))
    try:
        yield TestClient(create_app(engine, Settings()))
    finally:
        engine.close()


def status_class(code: int) -> str:
    return f"StatusCode{code // 100}xx"


def is_update(exchange: Exchange) -> bool:
    content_type = exchange.headers.get("content-type", "")
    form = exchange.body is not None and exchange.body.startswith(b"update=")
    return content_type.startswith("application/sparql-update") or form or "update=" in exchange.path


@pytest.mark.parametrize("case", protocol_params())
def test_protocol_exchange(protocol_client, case):
    for exchange in case.exchanges:
        response = protocol_client.request(
            exchange.method, exchange.path, content=exchange.body, headers=exchange.headers
        )
        if is_update(exchange) and not any(s.startswith("StatusCode4") for s in exchange.statuses):
            # an update the suite expects to succeed: refused by design, as this endpoint is read-only; the
            # requests after it check the update's effect, which is not there to check
            assert response.status_code == 403 and "read-only" in response.text
            return
        assert status_class(response.status_code) in exchange.statuses, (response.status_code, response.text)
        if exchange.form == "boolean":
            assert ox.parse_query_results(response.content, format=results_format(response)).__bool__() is (
                exchange.boolean if exchange.boolean is not None else True
            )
        elif exchange.form == "tabular":
            assert isinstance(
                ox.parse_query_results(response.content, format=results_format(response)), ox.QuerySolutions
            )
        elif exchange.form == "RDF":
            rdf = ox.RdfFormat.from_media_type(response.headers["content-type"].split(";")[0])
            assert rdf is not None and list(ox.parse(response.content, format=rdf)) is not None


def results_format(response) -> ox.QueryResultsFormat:
    fmt = ox.QueryResultsFormat.from_media_type(response.headers["content-type"].split(";")[0])
    assert fmt is not None, response.headers["content-type"]
    return fmt
