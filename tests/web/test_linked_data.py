"""Linked data: every IRI under the base answered at the same path, as a page or as RDF by Accept."""

from __future__ import annotations

import html
import re

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store
from klynge.settings import Limits, Settings
from klynge.web.app import create_app

KID = "https://w3id.org/klynge/id/"
KLYNGE = "https://w3id.org/klynge/ontology#"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
POLICY = "policy/innovationskraft-2021-2024"

RDF_TYPES = [
    ("text/turtle", ox.RdfFormat.TURTLE, "ttl"),
    ("application/ld+json", ox.RdfFormat.JSON_LD, "jsonld"),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES, "nt"),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML, "rdf"),
]


def test_browsers_get_a_page_with_labels_links_sources_and_lineage(client):
    response = client.get(f"/id/{POLICY}", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    page = response.text
    assert "Power of innovation" in page and "Innovationskraft" in page
    assert 'href="/id/policy/call-innovationskraft-2020"' in page
    assert 'href="/id/source/eccp-factsheet-denmark"' in page
    assert 'class="lineage-svg"' in page
    assert "established by" in page and "succeeds" in page
    assert "Linked from" in page
    json_link = re.search(r'href="(/api/lineage\?iri=[^"]+)"', page).group(1)
    assert client.get(html.unescape(json_link)).json()["resource"]["iri"] == KID + POLICY


@pytest.mark.parametrize(("accept", "fmt", "key"), RDF_TYPES)
def test_rdf_clients_get_the_description_with_labels_of_linked_resources(client, accept, fmt, key):
    response = client.get(f"/id/{POLICY}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    triples = set(ox.parse(response.content, format=fmt))
    subject = ox.NamedNode(KID + POLICY)
    assert (
        ox.Quad(
            subject, ox.NamedNode(KLYNGE + "establishedBy"), ox.NamedNode(KID + "policy/call-innovationskraft-2020")
        )
        in triples
    )
    assert any(t.subject == subject and t.predicate == RDFS_LABEL for t in triples)
    linked = ox.NamedNode(KID + "policy/call-innovationskraft-2020")
    assert any(t.subject == linked and t.predicate == RDFS_LABEL for t in triples)
    by_param = client.get(f"/id/{POLICY}", params={"format": key})
    assert set(ox.parse(by_param.content, format=fmt)) == triples


def test_q_values_decide_between_html_and_turtle(client):
    response = client.get(f"/id/{POLICY}", headers={"Accept": "text/html;q=0.5, text/turtle"})
    assert response.headers["content-type"].startswith("text/turtle")


def test_unknown_iri_is_a_404_page_or_text(client):
    page = client.get("/id/policy/no-such-thing", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "Not found" in page.text
    text = client.get("/id/policy/no-such-thing", headers={"Accept": "text/turtle"})
    assert text.status_code == 404 and text.headers["content-type"].startswith("text/plain")
    assert "no-such-thing" in text.text


def test_unserviceable_accept_is_406_in_plain_text_and_an_unknown_format_falls_back_to_accept(client):
    refused = client.get(f"/id/{POLICY}", headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.headers["content-type"].startswith("text/plain")
    assert "accept" in refused.headers["vary"].lower()
    assert "text/turtle" in refused.text and "application/ld+json" in refused.text
    fallback = client.get(f"/id/{POLICY}", params={"format": "pdf"}, headers={"Accept": "text/turtle"})
    assert fallback.status_code == 200
    assert fallback.headers["content-type"].startswith("text/turtle")
    assert client.get(f"/id/{POLICY}", params={"format": "pdf"}, headers={"Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        ("application/json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("text/plain", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ],
)
def test_json_and_plain_text_are_served_as_on_sparql(client, accept, media_type, fmt):
    response = client.get(f"/id/{POLICY}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert any(True for _ in ox.parse(response.content, format=fmt))


def test_organisation_page_shows_its_lineage(client):
    page = client.get("/id/org/vaekstforum", headers={"Accept": "text/html"}).text
    assert 'class="lineage-svg"' in page
    assert 'href="/id/org/danish-business-promotion-board"' in page


def test_ontology_documentation_lists_every_term_with_an_anchor(client, engine):
    page = client.get("/ontology", headers={"Accept": "text/html"}).text
    terms = engine.select(
        "SELECT ?term WHERE { ?term <http://www.w3.org/2000/01/rdf-schema#isDefinedBy> "
        "<https://w3id.org/klynge/ontology> FILTER(STRSTARTS(STR(?term), STR(<https://w3id.org/klynge/ontology#>))) }",
        {},
    )
    assert len(terms) > 50
    for row in terms:
        assert f'id="{row["term"].value.rsplit("#", 1)[-1]}"' in page
    assert "Relates a plan to the earlier plan whose place it took." in page


@pytest.mark.parametrize(("accept", "fmt", "key"), RDF_TYPES)
def test_ontology_in_every_rdf_format(client, accept, fmt, key):
    response = client.get("/ontology", headers={"Accept": accept})
    assert response.status_code == 200
    triples = set(ox.parse(response.content, format=fmt))
    assert (
        ox.Quad(
            ox.NamedNode("https://w3id.org/klynge/ontology"),
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology"),
        )
        in triples
    )


def test_shapes_as_page_and_turtle(client):
    page = client.get("/shapes", headers={"Accept": "text/html"}).text
    assert 'id="ClusterShape"' in page
    turtle = client.get("/shapes", headers={"Accept": "text/turtle"})
    shapes = {t.subject.value for t in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)}
    assert "https://w3id.org/klynge/shapes#ClusterShape" in shapes


def test_the_base_iri_is_configurable(tmp_path):
    graph = tmp_path / "tiny.ttl"
    graph.write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://example.org/k/id/thing/a> rdfs:label "Thing A"@en ;\n'
        "    rdfs:seeAlso <https://example.org/k/id/thing/b> .\n"
        '<https://example.org/k/id/thing/b> rdfs:label "Thing B"@en .\n'
    )
    engine = EmbeddedEngine(build_store([graph]), limits=Limits(workers=1))
    try:
        client = TestClient(create_app(engine, Settings(base_iri="https://example.org/k/")))
        page = client.get("/id/thing/a", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Thing A" in page.text
        assert 'href="/id/thing/b"' in page.text
        turtle = client.get("/id/thing/a", headers={"Accept": "application/n-triples"}).text
        assert "<https://example.org/k/id/thing/a>" in turtle
        assert client.get("/id/policy/innovationskraft-2021-2024").status_code == 404
        # The named graph of the one source file, and the ontology page, answer under the other base too.
        graph_page = client.get("/graph/tiny", headers={"Accept": "text/html"})
        assert graph_page.status_code == 200 and "https://w3id.org/klynge/graph/tiny" in graph_page.text
        triples = client.get("/graph/tiny", headers={"Accept": "application/n-triples"}).text
        assert "<https://example.org/k/id/thing/a>" in triples
        assert client.get("/ontology", headers={"Accept": "text/html"}).status_code == 200
    finally:
        engine.close()


def test_named_graphs_are_served_under_their_iris(client, engine):
    counts = engine.graph_counts()
    lineage = "https://w3id.org/klynge/graph/lineage"
    page = client.get("/graph/lineage", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'href="/id/policy/innovationskraft-2021-2024"' in page.text
    triples = list(ox.parse(client.get("/graph/lineage?format=nt").content, format=ox.RdfFormat.N_TRIPLES))
    assert len(set(triples)) == counts[lineage]
    missing = client.get("/graph/nothing", headers={"Accept": "text/turtle"})
    assert missing.status_code == 404 and lineage in missing.text


def test_a_triple_two_source_files_state_is_shown_and_served_once(client):
    # The cluster's appointment is stated in data/institutions.ttl and in data/clusters.ttl.
    page = client.get("/id/cluster/energy-cluster-denmark", headers={"Accept": "text/html"}).text
    assert page.count("2020-10-01") == 1
    lines = client.get("/id/cluster/energy-cluster-denmark", params={"format": "nt"}).text.splitlines()
    assert len(lines) == len(set(lines))
