"""Time travel over the releases, as a client sees it: ``release=`` on every kind of route, Memento, retired IRIs,
citation, the feed and the release files; on copies of the repository with releases cut from real changes."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import rdflib
from fastapi.testclient import TestClient

from klynge.engines.cache import CachingEngine
from klynge.engines.releases import ReleaseArchive
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store
from klynge.graph.releases import read_history
from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from release_copies import (
    REMOVED,
    RENAMED_FROM,
    RENAMED_TO,
    REPOSITORY_LATEST,
    SECOND,
    STRATEGY,
    THIRD,
    cut_repository_copies,
    sources,
)

START = f"SELECT ?start WHERE {{ <{STRATEGY}> <http://schema.org/startDate> ?start }}"
ID = "https://w3id.org/klynge/"


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    return cut_repository_copies(tmp_path_factory)


def app_for(root):
    """The service of one copy: its sources served, its releases in the archive (a new app is a restart)."""
    engine = CachingEngine(EmbeddedEngine(build_store(sources(root)), limits=Limits(workers=1)))
    return TestClient(create_app(engine, Settings(), ReleaseArchive(read_history(root))))


@pytest.fixture(scope="module")
def two(copies):
    """The service of the copy with releases up to SECOND."""
    return app_for(copies[0])


@pytest.fixture(scope="module")
def three(copies):
    """The service of the copy with one release more, THIRD (a later release, after a restart)."""
    return app_for(copies[1])


def recorded_start(root, version):
    """The start date release ``version`` records for the strategy, read from its N-Quads (not from the service)."""
    found = [
        line
        for line in read_history(root).lines(version)
        if line.startswith(f"<{STRATEGY}> <http://schema.org/startDate> ")
    ]
    return [re.search(r'"([^"]+)"', line).group(1) for line in found]


def start_dates(client, **params):
    response = client.get("/sparql", params={"query": START, **params}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    return response.text.split("\r\n")[1:-1], response


def test_release_selects_what_each_release_recorded(two, copies):
    for version in (REPOSITORY_LATEST, SECOND):
        rows, response = start_dates(two, release=version)
        assert rows == recorded_start(copies[0], version)
        assert response.headers["klynge-release"] == version
        assert f"release={version}" in response.headers["link"] and 'rel="cite-as"' in response.headers["link"]
    assert recorded_start(copies[0], REPOSITORY_LATEST) != recorded_start(copies[0], SECOND)
    served, response = start_dates(two)
    assert served == recorded_start(copies[0], SECOND) and response.headers["klynge-release"] == SECOND


def test_the_same_query_and_release_give_the_same_bytes_and_etag_after_a_restart_and_a_later_release(two, three):
    for path, params in (
        ("/sparql", {"query": START}),
        ("/api/as-of/2019", {}),
        ("/api/queries/policies-in-force", {"year": "2019"}),
        (f"/id/{STRATEGY[len(ID) + 3 :]}", {"format": "ttl"}),
    ):
        first = two.get(path, params={**params, "release": REPOSITORY_LATEST})
        later = three.get(path, params={**params, "release": REPOSITORY_LATEST})
        assert first.status_code == later.status_code == 200, (path, first.text)
        assert first.content == later.content, path
        assert first.headers.get("etag") == later.headers.get("etag"), path
        digest = hashlib.sha256(first.content).digest()
        assert first.headers["repr-digest"] == later.headers["repr-digest"]
        assert first.headers["repr-digest"].startswith("sha-256=:") and len(digest) == 32
    assert start_dates(three, release=THIRD)[0] != start_dates(three, release=REPOSITORY_LATEST)[0]


def test_named_queries_and_pages_take_release(two, copies):
    for version in (REPOSITORY_LATEST, SECOND):
        answer = two.get("/api/queries/policies-in-force", params={"year": "2019", "release": version})
        assert answer.status_code == 200 and "release" not in answer.json()["parameters"]
    page = two.get("/as-of/2019", params={"release": REPOSITORY_LATEST}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    block = re.search(r'<aside class="cite".*?</aside>', page.text, re.S).group(0)
    assert f">{REPOSITORY_LATEST}</a>" in block and f"/as-of/2019?release={REPOSITORY_LATEST}" in block
    digest = re.search(r"<code>([0-9a-f]{64})</code>", block).group(1)
    assert hashlib.sha256(page.content.replace(block.encode(), b"")).hexdigest() == digest


@pytest.mark.parametrize(
    ("value", "status", "message"),
    [
        ("9.9.9", 404, "there is no release 9.9.9"),
        ("latest", 400, "not a release number"),
        ("", 400, "not a release number"),
        ("1" * 5000 + ".0.0", 400, "not a release number"),
        ("0.1.0\u0000", 400, "not a release number"),
    ],
)
def test_an_unknown_release_is_a_clear_error(two, value, status, message):
    response = two.get("/sparql", params={"query": START, "release": value})
    assert response.status_code == status and message in response.text and len(response.content) < 1000
    twice = two.get("/sparql", params=[("query", START), ("release", REPOSITORY_LATEST), ("release", SECOND)])
    assert twice.status_code == 400 and "once" in twice.text


def test_accept_datetime_redirects_to_the_release_in_force_then(two, copies):
    history = read_history(copies[0])
    path = "/id/" + STRATEGY[len(ID) + 3 :]
    second = history.get(SECOND)
    before_second = format_datetime(second.issued.replace(hour=0), usegmt=True)
    for moment, expected in (
        (before_second, REPOSITORY_LATEST),
        (format_datetime(second.issued, usegmt=True), SECOND),
        ("Thu, 01 Jan 1998 00:00:00 GMT", history.releases[0].version),
    ):
        redirect = two.get(path, headers={"Accept-Datetime": moment, "Accept": "text/turtle"}, follow_redirects=False)
        assert redirect.status_code == 302 and redirect.headers["vary"] == "accept-datetime"
        assert redirect.headers["location"] == f"{path}?release={expected}"
        assert 'rel="timemap"' in redirect.headers["link"]
        memento = two.get(redirect.headers["location"], headers={"Accept": "text/turtle"})
        assert memento.status_code == 200
        issued = history.get(expected).issued
        assert memento.headers["memento-datetime"] == format_datetime(issued.astimezone(UTC), usegmt=True)
        assert f'<{path}>; rel="original timegate"' in memento.headers["link"]
        assert recorded_start(copies[0], expected)[0] in memento.text
    assert two.get(path, headers={"Accept-Datetime": "yesterday"}).status_code == 400


def test_the_timemap_lists_every_release_of_the_resource(two):
    path = "/id/" + STRATEGY[len(ID) + 3 :]
    timemap = two.get("/timemap" + path)
    assert timemap.headers["content-type"].startswith("application/link-format")
    mementos = re.findall(r'<([^>]+)>; rel="[^"]*memento"; datetime="([^"]+)"', timemap.text)
    assert [m[0].rsplit("=", 1)[1] for m in mementos] == read_history_versions(two)
    assert all(datetime.strptime(d, "%a, %d %b %Y %H:%M:%S GMT") for _, d in mementos)
    assert two.get("/timemap/id/no/such/thing").status_code == 404


def read_history_versions(client):
    return [r["version"] for r in reversed(client.get("/releases").json()["releases"])]


def test_a_resource_page_says_in_which_releases_it_changed(two):
    page = two.get("/id/" + STRATEGY[len(ID) + 3 :], headers={"Accept": "text/html"}).text
    section = re.search(r'<section class="releases".*?</section>', page, re.S).group(0)
    assert f"?release={SECOND}" in section and "<code>schema:startDate</code>" in section
    assert re.search(rf"{re.escape(SECOND)}</a> \([0-9-]+\): 1 statements added, 1 removed", section)


def test_a_renamed_iri_answers_301_to_its_replacement(two):
    old = "/" + RENAMED_FROM[len(ID) :]
    response = two.get(old, follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/" + RENAMED_TO[len(ID) :]
    turtle = two.get(old, headers={"Accept": "text/turtle"}, follow_redirects=False).text
    assert f"<{RENAMED_FROM}> <http://purl.org/dc/terms/isReplacedBy> <{RENAMED_TO}>" in turtle
    assert two.get(old, params={"release": REPOSITORY_LATEST}, headers={"Accept": "text/turtle"}).status_code == 200


def test_a_removed_iri_is_gone_naming_the_last_release_that_had_it(two):
    path = "/" + REMOVED[len(ID) :]
    page = two.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 410 and f"?release={REPOSITORY_LATEST}" in page.text
    turtle = two.get(path, headers={"Accept": "text/turtle"})
    assert turtle.status_code == 410 and "owl#deprecated> true" in turtle.text
    assert two.get("/id/never/was/here").status_code == 404


def test_the_feed_lists_every_release_with_its_patch_and_dump(two):
    feed = ET.fromstring(two.get("/releases/feed.atom").content)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{atom}entry")
    assert [e.find(f"{atom}title").text for e in entries] == [f"klynge {v}" for v in read_history_versions(two)[::-1]]
    for entry in entries:
        enclosures = {
            link.get("type"): link.get("href")
            for link in entry.findall(f"{atom}link")
            if link.get("rel") == "enclosure"
        }
        patch = two.get(enclosures["application/rdf-patch"].replace("http://127.0.0.1:8000", ""))
        dump = two.get(enclosures["application/n-quads"].replace("http://127.0.0.1:8000", ""))
        assert patch.headers["content-type"].startswith("application/rdf-patch") and patch.text.endswith("TC .\n")
        assert dump.status_code == 200 and dump.text.count("\n") > 1000


def test_the_dataset_series_has_one_dataset_per_release_and_passes_dcat_ap(two):
    from web.test_dcat_ap import SHAPES, results

    turtle = two.get("/dataset", headers={"Accept": "text/turtle"}).text
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    (series,) = graph.subjects(rdflib.RDF.type, dcat.DatasetSeries)
    members = {str(graph.value(d, dcat.version)): d for d in graph.subjects(dcat.inSeries, series)}
    assert sorted(members) == sorted(read_history_versions(two))
    for version, node in members.items():
        assert str(node) == f"{ID}releases/{version}" and graph.value(node, rdflib.DCTERMS.issued) is not None
        files = list(graph.objects(node, dcat.distribution))
        assert len(files) == 2
        for distribution in files:
            url = str(graph.value(distribution, dcat.downloadURL)).replace("http://127.0.0.1:8000", "")
            body = two.get(url).content
            assert int(graph.value(distribution, dcat.byteSize)) == len(body)
            checksum = graph.value(distribution, spdx.checksum)
            assert str(graph.value(checksum, spdx.checksumValue)) == hashlib.sha256(body).hexdigest()
    for shapes_file in SHAPES:
        assert results(graph, shapes_file) == [], shapes_file
    page = two.get("/dataset", headers={"Accept": "text/html"}).text
    assert all(f"/releases/{v}/patch.rdfp" in page for v in members)


# -- The repository's own releases: the fact audit's correction of the 2016-2018 strategy ---------------------

PLANNED_END = "https://w3id.org/klynge/ontology#plannedEndDate"
IN_FORCE_IN = "https://w3id.org/klynge/ontology#inForceIn"
STRATEGY_PATH = "/id/policy/cluster-strategy-2-0-2016-2018"


@pytest.fixture(scope="module")
def repository(engine):
    """The service of the repository as `klynge serve` builds it: its releases recorded under releases/."""
    return TestClient(create_app(engine, Settings()))


def strategy_dates(client, **params):
    """(predicate, year) pairs the strategy's Turtle states for its dates, from /id/ with ``params``."""
    response = client.get(STRATEGY_PATH, params={"format": "nt", **params})
    assert response.status_code == 200, response.text
    pairs = re.findall(
        rf"^<{ID}id/policy/cluster-strategy-2-0-2016-2018> <([^>]+(?:endDate|EndDate|inForceIn))> "
        r'"(\d{4})"',
        response.text,
        re.M,
    )
    return sorted(pairs), response


def test_release_0_1_0_and_accept_datetime_give_the_old_end_date_and_the_latest_the_corrected_one(repository):
    history = read_history()
    if len(history.releases) < 2:
        pytest.skip("the repository records one release: nothing to travel between yet")
    first, latest = history.releases[0], history.latest
    old, response = strategy_dates(repository, release=first.version)
    assert old == [("http://schema.org/endDate", "2018")]
    assert response.headers["memento-datetime"] == format_datetime(first.issued, usegmt=True)
    new, _ = strategy_dates(repository, release=latest.version)
    assert ("http://schema.org/endDate", "2018") not in new
    assert (PLANNED_END, "2018") in new and (IN_FORCE_IN, "2020") in new
    between = format_datetime(first.issued.replace(second=first.issued.second), usegmt=True)
    gate = repository.get(STRATEGY_PATH, headers={"Accept-Datetime": between, "Accept": "application/n-triples"})
    assert gate.url.query.decode() == f"release={first.version}"
    assert '"2018"' in gate.text and "schema.org/endDate" in gate.text
    now = repository.get(
        STRATEGY_PATH,
        headers={"Accept-Datetime": format_datetime(datetime.now(UTC), usegmt=True), "Accept": "application/n-triples"},
    )
    assert now.url.query.decode() == f"release={latest.version}" and "plannedEndDate" in now.text


def test_the_original_resource_names_its_timegate_and_timemap(two):
    path = "/id/" + STRATEGY[len(ID) + 3 :]
    response = two.get(path, headers={"Accept": "text/turtle"})
    assert "accept-datetime" in response.headers["vary"].lower() and "accept" in response.headers["vary"].lower()
    assert f'<{path}>; rel="original timegate"' in response.headers["link"]
    assert f'</timemap{path}>; rel="timemap"' in response.headers["link"]


def test_a_post_takes_release_in_the_url_and_refuses_it_in_the_body(two):
    posted = two.post(f"/sparql?release={REPOSITORY_LATEST}", data={"query": START}, headers={"Accept": "text/csv"})
    assert posted.status_code == 200 and posted.headers["klynge-release"] == REPOSITORY_LATEST
    refused = two.post("/sparql", data={"query": START, "release": REPOSITORY_LATEST})
    assert refused.status_code == 400 and "in the URL" in refused.text


def test_a_page_of_a_release_links_to_pages_of_the_same_release(two):
    page = two.get(
        "/id/" + STRATEGY[len(ID) + 3 :], params={"release": REPOSITORY_LATEST}, headers={"Accept": "text/html"}
    ).text
    page = re.sub(r'<section class="releases".*?</section>', "", page, flags=re.S)  # links to each release
    internal = re.findall(r'href="(/id/[^"]*)"', page)
    assert internal and all(f"release={REPOSITORY_LATEST}" in link for link in internal)
    followed = two.get(internal[0].replace("&amp;", "&"), headers={"Accept": "text/html"})
    assert followed.status_code == 200 and followed.headers["klynge-release"] == REPOSITORY_LATEST


@pytest.mark.parametrize("value", ["yesterday", "Mon, 99 Dec 2026 25:61:00 GMT", "x" * 4000, "Mon, 07 Dec 99999 GMT"])
def test_a_bad_accept_datetime_is_a_short_clear_400(two, value):
    response = two.get("/id/" + STRATEGY[len(ID) + 3 :], headers={"Accept-Datetime": value})
    assert response.status_code == 400 and "not an HTTP date" in response.text and len(response.content) < 300


def test_search_answers_from_the_selected_releases_full_text_index(two):
    """The full-text index follows release=: a stemmed word finds the programme in the served graph and in a
    recorded release, and the renamed body is found under its IRI of the release asked for."""

    def found(text: str, **params) -> set[str]:
        response = two.get("/api/search", params={"q": text, "limit": 50, **params})
        assert response.status_code == 200, response.text
        return {hit["iri"] for hit in response.json()}

    programme = ID + "id/policy/innovationskraft-2021-2024"
    assert programme in found("klyngerne") and programme in found("klyngerne", release=REPOSITORY_LATEST)
    assert RENAMED_FROM in found("DFIR", release=REPOSITORY_LATEST) and RENAMED_TO in found("DFIR")


# -- release= in the OpenAPI document ---------------------------------------------------------------------------


def concrete(path: str) -> str:
    """An operation's path with every template parameter filled (the release middleware answers before routes)."""
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_operation_answering_from_the_graph_declares_release(two):
    from klynge.web.releases import NOT_RELEASED

    schema = two.get("/openapi.json").json()
    versions = read_history_versions(two)
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = [p for p in operation.get("parameters", []) if p["name"] == "release"]
            if path.startswith(NOT_RELEASED):
                assert declared == [], path
                continue
            (parameter,) = declared
            assert parameter["in"] == "query" and not parameter["required"] and parameter["description"]
            assert sorted(parameter["schema"]["enum"]) == sorted(versions) and parameter["example"] == versions[-1]
            assert re.fullmatch(parameter["schema"]["pattern"], versions[0])
            assert {"400", "404"} <= set(operation["responses"]), (method, path)
            checked += method == "get"
    gets = sum("get" in ops for path, ops in schema["paths"].items() if not path.startswith(NOT_RELEASED))
    assert checked == gets > 40


def test_release_nonsense_is_the_documented_400_with_a_clear_message_on_every_get_operation(two):
    schema = two.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        if "get" not in operations or not any(p["name"] == "release" for p in operations["get"].get("parameters", [])):
            continue
        for value, status in (("nonsense", 400), ("9.9.9", 404)):
            response = two.get(concrete(path), params={"release": value})
            assert response.status_code == status, (path, value, response.text[:200])
            assert str(status) in operations["get"]["responses"], path
            message = "not a release number" if status == 400 else "there is no release 9.9.9; the releases are"
            assert message in response.text and len(response.content) < 300, path


def test_schemathesis_checks_release_nonsense_against_the_schema(two):
    """schemathesis's own checks (status code and content type as documented, no server error) on cases with
    ``release=nonsense``, for a named query, /sparql and a resource."""
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

    schema = schemathesis.openapi.from_asgi("/openapi.json", two.app)
    cases = {
        ("GET", "/api/queries/policies-in-force"): {"year": "2019"},
        ("GET", "/sparql"): {"query": START},
        ("GET", "/api/as-of/{year}"): {},
    }
    for (method, path), query in cases.items():
        operation = schema[path][method]
        case = operation.Case(query={**query, "release": "nonsense"}, path_parameters={"year": 2019})
        response = case.call_and_validate(
            checks=[not_a_server_error, status_code_conformance, content_type_conformance]
        )
        assert response.status_code == 400 and "not a release number" in response.text


# -- A query's own dataset (FROM, FROM NAMED, default-graph-uri, named-graph-uri) read from the release asked for --

LINEAGE = "https://w3id.org/klynge/graph/lineage"
STRATEGY_IRI = ID + "id/policy/cluster-strategy-2-0-2016-2018"
END_DATES = (
    f"SELECT ?p ?end {{ <{STRATEGY_IRI}> ?p ?end FILTER(?p IN (<http://schema.org/endDate>, <{PLANNED_END}>)) }}"
)


def rows(client, query: str, **params) -> list[str]:
    response = client.get("/sparql", params={"query": query, **params}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    return sorted(response.text.split("\r\n")[1:-1])


DATASETS = {  # a query naming graph g as its dataset, four ways: (query, protocol parameters)
    "FROM": lambda g: (END_DATES.replace("{", f"FROM <{g}> {{", 1), {}),
    "FROM NAMED": lambda g: (END_DATES.replace(" {", f" FROM NAMED <{g}> {{ GRAPH <{g}> {{", 1) + " }", {}),
    "default-graph-uri": lambda g: (END_DATES, {"default-graph-uri": g}),
    "named-graph-uri": lambda g: (END_DATES.replace(" {", " { GRAPH ?g {", 1) + " }", {"named-graph-uri": g}),
}


@pytest.mark.parametrize("way", DATASETS)
def test_a_querys_own_dataset_is_read_from_the_release_asked_for(repository, way):
    """The lineage graph of release 0.1.0 states the 2016-2018 strategy's end date; 0.2.0's, its planned end;
    the ontology's graph neither, in either release."""
    history = read_history()
    if len(history.releases) < 2:
        pytest.skip("the repository records one release: nothing to travel between yet")
    first, latest = history.releases[0].version, history.latest.version
    query, params = DATASETS[way](LINEAGE)
    assert rows(repository, query, release=first, **params) == ["http://schema.org/endDate,2018"]
    assert rows(repository, query, release=latest, **params) == [f"{PLANNED_END},2018"]
    query, params = DATASETS[way]("https://w3id.org/klynge/graph/ontology")
    assert rows(repository, query, release=first, **params) == rows(repository, query, release=latest, **params) == []
