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


# -- a browser opening a protocol or API address ------------------------------------------------------------


def test_sparql_in_a_browser_goes_to_the_editor_and_programs_get_the_service_description(client):
    opened = client.get("/sparql", headers={"Accept": BROWSER}, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/query"
    assert "Accept" in opened.headers["vary"]
    for accept, media_type in [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/xml", "application/rdf+xml"),
        ("text/turtle, text/html;q=0.5", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
    ]:
        answer = client.get("/sparql", headers={"Accept": accept} if accept else {})
        assert answer.status_code == 200, accept
        assert answer.headers["content-type"].startswith(media_type), accept
        assert "sd:Service" in answer.text or "Service" in answer.text


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/as-of/abc", ["abc", "is not a whole number", "a whole number from 1990 to 2030"]),
        ("/as-of/1800", ["1800", "outside the range", "a whole number from 1990 to 2030"]),
        ("/api/as-of/3000", ["3000", "outside the range", "a whole number from 1990 to 2030"]),
        ("/api/path", ["from", "is missing", "to", "max_length", "from 1 to 6"]),
    ],
)
def test_a_bad_address_in_a_browser_is_a_page_saying_what_it_takes(client, path, says):
    page = client.get(path, headers={"Accept": BROWSER})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    for words in says:
        assert words in text, (words, text)
    program = client.get(path)
    assert program.status_code == 422 and program.headers["content-type"] == "application/json"
    assert program.json()["detail"][0]["loc"][-1] in {"year", "from"}


@pytest.mark.slow
def test_the_pages_a_browser_gets_for_sparql_and_bad_addresses(live_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(live_server + "/sparql")
    WebDriverWait(browser, 20).until(lambda driver: driver.find_elements(By.ID, "editor-app"))
    assert browser.current_url == live_server + "/query"
    for path, words in [
        ("/as-of/abc", "from 1990 to 2030"),
        ("/as-of/1800", "from 1990 to 2030"),
        ("/api/path", "from 1 to 6"),
    ]:
        browser.get(live_server + path)
        body = browser.find_element(By.TAG_NAME, "main").text
        assert "This address needs other values" in body and words in body, body
        assert browser.find_element(By.CSS_SELECTOR, "header.site a.brand").is_displayed()
