"""Ways to and from the pages a person lands on: every page links the timeline and the as-of view, a browser
opening an API or protocol URL gets a page that says what to do, and the API docs lead back to the site."""

from __future__ import annotations

import datetime
import re

import pytest

from klynge.answers.as_of import FIRST_YEAR, LAST_YEAR

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PAGES = [
    "/",
    "/search?q=innovation",
    "/query",
    "/dataset",
    "/ontology",
    "/id/policy/innovationskraft-2021-2024",
    "/timeline",
    "/as-of/2022",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_the_timeline_and_the_as_of_view(client, path):
    page = client.get(path, headers={"Accept": "text/html"}).text
    links = set(re.findall(r'href="([^"]+)"', page))
    assert "/timeline" in links
    assert "/as-of" in links


def test_the_as_of_link_opens_this_years_view(client):
    answer = client.get("/as-of", follow_redirects=False)
    assert answer.status_code == 307
    year = min(max(datetime.date.today().year, FIRST_YEAR), LAST_YEAR)
    assert answer.headers["location"] == f"/as-of/{year}"
    page = client.get("/as-of", headers={"Accept": "text/html"})
    assert page.status_code == 200 and f"{year}" in page.text
