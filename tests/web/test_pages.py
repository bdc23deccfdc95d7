"""The pages for people: home, search, SPARQL editor; all assets served locally."""

from __future__ import annotations

import re

import pytest

PAGES = [
    "/",
    "/search?q=innovation",
    "/query",
    "/dataset",
    "/ontology",
    "/shapes",
    "/id/policy/innovationskraft-2021-2024",
    "/id/org/danish-business-authority",
    "/timeline",
    "/as-of/2022",
]


def test_home_explains_and_links_the_ways_in(client):
    page = client.get("/").text
    assert "knowledge graph" in page
    assert 'action="/search"' in page
    for link in ('href="/query"', 'href="/dataset"', 'href="/ontology"', 'href="/docs"'):
        assert link in page


def test_search_page_links_results_to_their_pages(client):
    page = client.get("/search", params={"q": "vaekstforum"}).text
    assert 'href="/id/org/vaekstforum"' in page
    assert "Vækstforum" in page
    assert "Nothing matches" in client.get("/search", params={"q": "zzzzqqq"}).text


def test_editor_page_has_the_editor_and_its_script(client):
    page = client.get("/query", params={"query": "ASK {}"}).text
    assert '<textarea id="query"' in page and "ASK {}" in page
    assert 'src="/static/build/editor.js"' in page
    script = client.get("/static/build/editor.js")  # the bundle `npm run build` made (make does it)
    assert script.status_code == 200 and "/api/queries" in script.text and "/api/editor/vocabulary" in script.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_other_hosts(client, path):
    page = client.get(path, headers={"Accept": "text/html"}).text
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page)
