"""Hostile IRIs in the data (sec review 2026-12-07, N6): a ``javascript:`` or ``data:`` IRI becomes no link
anywhere, the lineage picture included (only the CSP stopped it there); an http(s) IRI elsewhere still does."""

from __future__ import annotations

import html
import re

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store
from klynge.settings import Settings
from klynge.web.app import create_app

POLICY = ox.NamedNode("https://w3id.org/klynge/id/policy/innovationskraft-2021-2024")
LINEAGE = ox.NamedNode("https://w3id.org/klynge/graph/lineage")
INFLUENCED = ox.NamedNode("http://www.w3.org/ns/prov#wasInfluencedBy")
HOSTILE = ["javascript:alert('xss8')", "data:text/html,%3Cscript%3Ealert(1)%3C/script%3E", "JavaScript:alert(2)"]
ELSEWHERE = "http://example.org/policy/elsewhere"


@pytest.fixture(scope="module")
def client():
    store = build_store()
    for iri in [*HOSTILE, ELSEWHERE]:
        store.add(ox.Quad(ox.NamedNode(iri), INFLUENCED, POLICY, LINEAGE))
    engine = EmbeddedEngine(store)
    yield TestClient(create_app(engine, Settings()))
    engine.close()


def test_the_lineage_picture_links_only_http_iris(client):
    page = client.get("/id/policy/innovationskraft-2021-2024")
    assert page.status_code == 200
    svg = page.text[page.text.index("<svg") : page.text.rindex("</svg>")]
    links = re.findall(r'xlink:href="([^"]*)"', svg) + re.findall(r'\shref="([^"]*)"', svg)
    assert links and all(link.startswith(("/", "http://", "https://")) for link in links), links
    assert ELSEWHERE in links  # an http(s) IRI outside the base still links out
    assert "javascript:alert(&#39;xss8&#39;)" in svg  # the member is drawn, as text
    hrefs = re.findall(r'href="([^"]*)"', page.text)
    assert not [href for href in hrefs if html.unescape(href) in HOSTILE]  # nowhere on the page
