"""/browse and /api/browse: classes with counts, facets from the SHACL shapes, facet states that combine, the
year through the as-of answer, the state's SPARQL, and clear errors for states that cannot be answered."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import rdflib
from rdflib.namespace import SH

from klynge.engines.base import QueryTimeout
from klynge.web import browse as browse_routes

ROOT = Path(__file__).resolve().parents[2]
KLYNGE = "https://w3id.org/klynge/ontology#"
AREA = "https://w3id.org/klynge/id/area/"
ORG = "https://w3id.org/klynge/id/org/"


def state(client, key: str, **params: str) -> dict:
    """The JSON of a facet state (facet keys may hold ':' and '^', so they go in as given)."""
    response = client.get(f"/api/browse/{key}?" + urlencode(params))
    assert response.status_code == 200, response.text
    return response.json()


def sparql_rows(client, query: str) -> list[dict]:
    response = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def shape_paths(target: str | None) -> set[str]:
    """The paths of the property shapes of node shapes targeting ``target`` (None: any class), read from
    shapes/ with rdflib (^ before an inverse path): what the service's facets must come from."""
    graph = rdflib.Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        graph.parse(path)
    found = set()
    for shape in graph.subjects(SH.targetClass, rdflib.URIRef(target) if target else None):
        for prop in graph.objects(shape, SH.property):
            for path in graph.objects(prop, SH.path):
                if isinstance(path, rdflib.URIRef):
                    found.add(str(path))
                for inverse in graph.objects(path, SH.inversePath):
                    found.add("^" + str(inverse))
    return found


def test_every_class_with_instances_is_listed_with_its_count(client):
    classes = client.get("/api/browse").json()
    declared = sparql_rows(
        client,
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT ?c (COUNT(DISTINCT ?i) AS ?n) WHERE { "
        "GRAPH <https://w3id.org/klynge/graph/ontology> { ?c a owl:Class } FILTER(isIRI(?c)) "
        "OPTIONAL { ?i a ?c } } GROUP BY ?c",
    )
    counts = {row["c"]["value"]: int(row["n"]["value"]) for row in declared}
    assert {c["iri"]: c["count"] for c in classes} == {iri: n for iri, n in counts.items() if n}
    assert any(n == 0 for n in counts.values()), "every class has instances: the test would not see one left out"
    page = client.get("/browse").text
    assert all(f'href="/browse/{c["key"]}"' in page for c in classes)


@pytest.mark.parametrize(
    ("key", "target", "expected"),
    [
        ("klynge:ClusterOrganisation", KLYNGE + "ClusterOrganisation", {"klynge:hasArea", "schema:funder"}),
        ("klynge:Policy", KLYNGE + "Policy", {"^klynge:responsibleFor", "rdf:type"}),
        ("klynge:SpecialisationNode", KLYNGE + "SpecialisationNode", {"sdmx-dimension:refArea", "klynge:sector"}),
    ],
)
def test_facets_are_the_shapes_properties_with_values(client, key, target, expected):
    answer = state(client, key)
    facets = {facet["key"]: facet for facet in answer["facets"]}
    assert expected <= set(facets)
    # Every facet but kind is the path of a shape; every path of the class's own shapes that points to
    # resources on its instances is a facet.
    properties = {("^" if f["inverse"] else "") + f["property"] for f in answer["facets"] if f["key"] != "rdf:type"}
    assert properties <= shape_paths(None)
    for path in shape_paths(target):
        pattern = f"?v <{path[1:]}> ?i" if path.startswith("^") else f"?i <{path}> ?v"
        used = sparql_rows(client, f"SELECT ?i WHERE {{ ?i a <{target}> . {pattern} FILTER(isIRI(?v)) }} LIMIT 1")
        assert bool(used) == (path in properties), path
    for facet in answer["facets"]:
        for value in facet["values"]:
            narrowed = state(client, key, **{facet["key"]: value["iri"]})
            assert narrowed["total"] == value["count"], (facet["key"], value)
            assert narrowed["chosen"] == {facet["key"]: value["iri"]}


def test_the_14_clusters_one_per_business_area_funded_by_both_funders(client):
    answer = state(client, "klynge:ClusterOrganisation")
    assert answer["total"] == 14
    facets = {facet["key"]: facet for facet in answer["facets"]}
    assert len(facets["klynge:hasArea"]["values"]) == 14
    assert all(value["count"] == 1 for value in facets["klynge:hasArea"]["values"])
    assert {v["iri"]: v["count"] for v in facets["schema:funder"]["values"]} == {
        ORG + "ministry-of-higher-education-and-science": 14,
        ORG + "danish-business-promotion-board": 14,
    }


def test_facets_combine_and_the_order_of_the_query_string_does_not_matter(client):
    one = state(client, "klynge:ClusterOrganisation", **{"klynge:hasArea": AREA + "energy-technology"})
    assert [item["label"] for item in one["items"]] == ["Energy Cluster Denmark"]
    both = {"klynge:hasArea": AREA + "energy-technology", "schema:funder": ORG + "danish-business-promotion-board"}
    forward = client.get("/api/browse/klynge:ClusterOrganisation?" + urlencode(both)).json()
    backward = client.get("/api/browse/klynge:ClusterOrganisation?" + urlencode(dict(reversed(both.items())))).json()
    assert forward == backward
    # One state, one URL: the pages name the same canonical address whatever order the query string had.
    canonical = [
        re.search(
            r'<link rel="canonical" href="([^"]+)"',
            client.get(f"/browse/klynge:ClusterOrganisation?{urlencode(order)}").text,
        )
        for order in (both, dict(reversed(both.items())))
    ]
    assert canonical[0] and canonical[1] and canonical[0].group(1) == canonical[1].group(1)
    assert forward["items"] == one["items"]
    nodes = state(client, "klynge:SpecialisationNode")
    region = next(f for f in nodes["facets"] if f["key"] == "sdmx-dimension:refArea")["values"][0]
    in_region = state(client, "klynge:SpecialisationNode", **{"sdmx-dimension:refArea": region["iri"]})
    sector = next(f for f in in_region["facets"] if f["key"] == "klynge:sector")["values"][0]
    combined = state(
        client, "klynge:SpecialisationNode", **{"sdmx-dimension:refArea": region["iri"], "klynge:sector": sector["iri"]}
    )
    expected = sparql_rows(
        client,
        "SELECT DISTINCT ?n WHERE { ?n a <https://w3id.org/klynge/ontology#SpecialisationNode> ; "
        f"<http://purl.org/linked-data/sdmx/2009/dimension#refArea> <{region['iri']}> ; "
        f"<https://w3id.org/klynge/ontology#sector> <{sector['iri']}> }}",
    )
    assert {item["iri"] for item in combined["items"]} == {row["n"]["value"] for row in expected}
    assert combined["total"] == sector["count"]


@pytest.mark.parametrize("year", [1998, 2010, 2015, 2022, 2025])
def test_the_year_keeps_what_the_as_of_answer_says_was_in_force(client, year):
    as_of = client.get(f"/api/as-of/{year}").json()
    policies = state(client, "klynge:Policy", year=str(year))
    assert {item["iri"] for item in policies["items"]} == {policy["iri"] for policy in as_of["policies"]}
    clusters = state(client, "klynge:ClusterOrganisation", year=str(year))
    assert {item["iri"] for item in clusters["items"]} == {cluster["iri"] for cluster in as_of["clusters"]}
    kinds = next((f for f in policies["facets"] if f["key"] == "rdf:type"), {"values": []})
    for kind in kinds["values"]:
        narrowed = state(client, "klynge:Policy", year=str(year), **{"rdf:type": kind["iri"]})
        assert narrowed["total"] == kind["count"]


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("klynge:ClusterOrganisation", {"klynge:hasArea": AREA + "sound-technology"}),
        ("klynge:Policy", {"year": "2015"}),
        ("klynge:Policy", {"year": "2022", "^klynge:responsibleFor": ORG + "ministry-of-higher-education-and-science"}),
        ("klynge:SpecialisationNode", {}),
    ],
)
def test_the_states_sparql_gives_its_instances(client, key, params):
    answer = state(client, key, **params)
    rows = sparql_rows(client, answer["sparql"])
    assert {row["item"]["value"] for row in rows} == {item["iri"] for item in answer["items"]}
    assert f"?item a <{answer['class']}>" in answer["sparql"]  # the class is written in: it runs as it stands
    page = client.get(f"/browse/{key}?" + urlencode(params)).text
    assert "/query?query=" + quote(answer["sparql"], safe="").replace("%20", "+")[:60] in page.replace("&amp;", "&")


BAD = {
    "unknown facet": ("/api/browse/klynge:Policy?klynge:nope=https://x.org/a", 400, "is not a facet"),
    "value not an IRI": ("/api/browse/klynge:Policy?rdf:type=Programme", 400, "not a valid IRI"),
    "value with a space": ("/api/browse/klynge:Policy?rdf:type=https://x.org/a%20b", 400, "not a valid IRI"),
    "value with a bracket": ("/api/browse/klynge:Policy?rdf:type=https://x.org/a%3E%20%3Cb", 400, "not a valid IRI"),
    "value with a NUL": ("/api/browse/klynge:Policy?rdf:type=https://x.org/%00a", 400, "control character"),
    "value with a bad escape": ("/api/browse/klynge:Policy?rdf:type=https://x.org/a%25zz", 400, "not a value's IRI"),
    "value with a bad host": ("/api/browse/klynge:Policy?rdf:type=https://%5Bbad/", 400, "not a value's IRI"),
    "facet twice": ("/api/browse/klynge:Policy?rdf:type=https://x.org/a&rdf:type=https://x.org/b", 400, "twice"),
    "year for a class without one": ("/api/browse/skos:Concept?year=2015", 400, "year applies to"),
    "page past the end": ("/api/browse/klynge:Policy?page=99", 400, "page 99"),
    "unknown class": ("/api/browse/klynge:NoSuchClass", 404, "no class"),
    "not a prefixed name": ("/api/browse/Policy", 404, "prefixed name"),
    "unknown prefix": ("/api/browse/zz:Policy", 404, "prefixed name"),
}


@pytest.mark.parametrize(("path", "status", "says"), BAD.values(), ids=BAD.keys())
def test_a_state_that_cannot_be_answered_says_why(client, path, status, says):
    response = client.get(path)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    page = client.get(path.removeprefix("/api"), headers={"Accept": "text/html"})
    assert page.status_code == status
    assert "text/html" in page.headers["content-type"] and "Traceback" not in page.text


def test_too_many_facets_at_once_is_refused_with_the_limit(client):
    answer = state(client, "klynge:SpecialisationNode")
    params = {f["key"]: f["values"][0]["iri"] for f in answer["facets"] if not f["inverse"]}
    assert len(params) > 4, "a node has kind, data set, region, sector, ecosystem and source"
    response = client.get("/api/browse/klynge:SpecialisationNode?" + urlencode(params))
    assert response.status_code == 400 and "at most 4" in response.json()["detail"]


def test_the_browse_routes_are_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/browse" in paths and "/api/browse/{key}" in paths
    parameters = {p["name"] for p in paths["/api/browse/{key}"]["get"]["parameters"]}
    assert {"key", "year", "page", "release"} <= parameters


def test_a_release_is_answered_and_kept_in_the_links(client):
    """``release=`` reaches browse through the release middleware: the recorded 0.1.0 is answered (its end date
    of the 2016-2018 strategy is the old one) and every link of the page keeps it; a release never cut is 404."""
    page = client.get("/browse?release=0.1.0", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    links = re.findall(r'href="(/browse/[^"]+)"', page.text)
    assert links and all("release=0.1.0" in link for link in links)
    assert client.get("/api/browse/klynge:Policy?release=0.1.0").status_code == 200
    assert client.get("/api/browse/klynge:Policy?release=9.9.9").status_code == 404


def test_the_home_page_leads_to_browsing_by_kind_and_shows_the_lineage(client):
    page = client.get("/").text
    counts = {c["key"]: c["count"] for c in client.get("/api/browse").json()}
    for key in (
        "klynge:Policy",
        "klynge:PublicAuthority",
        "klynge:ClusterOrganisation",
        "klynge:BusinessArea",
        "klynge:NutsRegion",
    ):
        assert f'href="/browse/{key}"' in page
        assert f"{counts[key]} ·" in page
    steps = client.get("/api/lineage/policy/innovationskraft-2021-2024").json()
    assert 'class="steps home-lineage"' in page
    for step in steps["ancestors"]:
        assert step["from"]["label"].replace("'", "&#39;") in page


def test_a_view_the_engine_fails_to_answer_is_a_page_saying_why(client, monkeypatch: pytest.MonkeyPatch):
    """A person who follows a link to a view the engine stops (past its time limit) reads a page, not JSON."""

    def stopped(*args: object, **kwargs: object) -> None:
        raise QueryTimeout("the query ran past the time limit of 10 s and was stopped", seconds=10)

    monkeypatch.setattr(browse_routes, "state", stopped)
    response = client.get("/browse/klynge:Policy?page=2", headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "This view cannot be shown" in response.text and "ran past the time limit of 10 s" in response.text
    assert 'href="/browse/klynge:Policy"' in response.text
