"""Browsing by facets in real headless Chromium, as a person who writes no SPARQL: from the home page to the 14
clusters by business area and to the policies in force in 2015, each view restored from its URL, axe-core
clean, usable 400 px wide, and opened in the SPARQL editor as the query that gives the same list; a class too
large to sort, page after page by its links."""

from __future__ import annotations

import difflib
from urllib.parse import parse_qsl, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from klynge.answers import browse as answers
from web.chromium import axe_violations, described
from web.factsheet import appointed_clusters

pytestmark = pytest.mark.slow


def listed(browser) -> list[str]:
    """The names of the resources the page lists."""
    return [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".instances ul.hits a")]


def facet_links(browser, name: str) -> dict[str, str]:
    """The values of the facet headed ``name``: label -> link."""
    for section in browser.find_elements(By.CSS_SELECTOR, "nav.facets section.facet"):
        if section.find_element(By.TAG_NAME, "h3").text == name:
            return {a.text: a.get_attribute("href") for a in section.find_elements(By.CSS_SELECTOR, "li > a")}
    raise AssertionError(f"no facet {name!r} on {browser.current_url}")


def follow(browser, text: str) -> None:
    """Click the link whose text starts with this and wait for the next page."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.PARTIAL_LINK_TEXT, text).click()
    WebDriverWait(browser, 20).until(lambda driver: old.id != driver.find_element(By.TAG_NAME, "html").id)


@pytest.fixture(scope="module")
def live_server(web_app, serve):
    """The service on a port of this module's own. After the editor's keyboard download (test_accessibility),
    Chromium's next page loads from the session's server timed out once the tests between had taken a while;
    a fresh origin keeps these tests apart from that browser state (the server itself answered at once)."""
    with serve(web_app) as url:
        yield url


def test_a_person_finds_the_14_clusters_by_business_area(live_server, browser):
    source = appointed_clusters()  # full name -> area, from the factsheet's table
    assert len(source) == 14
    browser.get(live_server + "/")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Clusters").click()
    WebDriverWait(browser, 20).until(lambda driver: "/browse/" in driver.current_url)
    assert len(listed(browser)) == 14
    areas = facet_links(browser, "business area")
    assert len(areas) == 14
    found: dict[str, str] = {}
    for full_name, area in source.items():
        # The factsheet spells one area "Defense", the graph "Defence": match the area by its closest name.
        (label,) = difflib.get_close_matches(area, list(areas), n=1, cutoff=0.8)
        browser.get(areas[label])
        names = listed(browser)
        assert len(names) == 1, f"{label}: {names}"
        assert names[0].casefold() in full_name.casefold(), f"{label}: {names[0]} is not {full_name}"
        chosen = browser.find_element(By.CSS_SELECTOR, "nav.facets strong[aria-current]").text
        assert chosen == label
        found[full_name] = names[0]
        # The URL restores the view on its own (a fresh load, nothing carried over).
        url = browser.current_url
        browser.delete_all_cookies()
        browser.get(url)
        assert listed(browser) == names
    assert len(set(found.values())) == 14


def test_a_person_finds_the_policies_in_force_in_2015_and_the_url_restores_them(live_server, browser, client):
    expected = {policy["label"] for policy in client.get("/api/as-of/2015").json()["policies"]}
    assert expected, "the as-of answer names no policy for 2015"
    browser.get(live_server + "/")
    follow(browser, "Policies")
    assert len(listed(browser)) > len(expected)
    box = browser.find_element(By.ID, "year")
    box.clear()
    box.send_keys("2015")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "form.facet button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda driver: old.id != driver.find_element(By.TAG_NAME, "html").id)
    assert set(listed(browser)) == expected
    url = browser.current_url
    assert dict(parse_qsl(urlsplit(url).query)) == {"year": "2015"}
    # Narrow by kind, then restore the combined view from its URL in a fresh load.
    kinds = facet_links(browser, "kind")
    kind, link = sorted(kinds.items())[0]
    browser.get(link)
    narrowed = listed(browser)
    assert narrowed and set(narrowed) <= expected
    combined = browser.current_url
    browser.get(live_server + "/")
    browser.get(combined)
    assert listed(browser) == narrowed
    assert browser.find_element(By.ID, "year").get_attribute("value") == "2015"


def test_a_facet_view_opens_in_the_editor_as_the_query_giving_the_same_list(live_server, browser):
    browser.get(live_server + "/browse/klynge:Policy?year=2015")
    shown = set(listed(browser))
    browser.find_element(By.PARTIAL_LINK_TEXT, "Open this view in the SPARQL editor").click()
    WebDriverWait(browser, 20).until(
        lambda driver: driver.find_element(By.ID, "editor-app").get_attribute("data-ready") == "true"
    )
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 30).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "table.results tbody tr"))
    cells = browser.find_elements(By.CSS_SELECTOR, "table.results tbody td")
    text = " ".join(cell.text for cell in cells)
    assert all(name in text for name in shown)
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")) == len(shown)


def linked(browser) -> list[str]:
    """The IRIs of the resources the page lists (two may share a name)."""
    return [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".instances ul.hits a")]


def pages_walked(browser, url: str) -> list[list[str]]:
    """The resources on the first, second and last page of a class too large to sort, reached by the pages' own
    links, after checking what each page says of itself: its place among the pages and the links to the others."""
    browser.get(url)
    heading = browser.find_element(By.ID, "instances-heading").text
    assert heading.endswith(", page 1 of " + heading.rsplit(" ", 1)[-1]), heading
    pages = int(heading.rsplit(" ", 1)[-1])
    assert pages > 2, heading
    assert "Too many to sort by name" in browser.find_element(By.CSS_SELECTOR, ".instances .note").text
    links = {a.get_attribute("rel"): a for a in browser.find_elements(By.CSS_SELECTOR, "nav.pages a")}
    assert set(links) == {"next", "last"}, links
    seen = [linked(browser)]
    follow(browser, "next")
    assert browser.find_element(By.ID, "instances-heading").text.endswith(f", page 2 of {pages}")
    assert {a.get_attribute("rel") for a in browser.find_elements(By.CSS_SELECTOR, "nav.pages a")} >= {"prev", "next"}
    seen.append(linked(browser))
    follow(browser, "previous")
    assert linked(browser) == seen[0]
    follow(browser, "last")
    assert browser.find_element(By.ID, "instances-heading").text.endswith(f", page {pages} of {pages}")
    assert "next" not in {a.get_attribute("rel") for a in browser.find_elements(By.CSS_SELECTOR, "nav.pages a")}
    seen.append(linked(browser))
    return seen


def test_a_person_pages_through_a_class_too_large_to_sort(live_server, browser, monkeypatch):
    """Past SORTED_AT_MOST instances (10,000; lowered here, the repository's classes are small) a class is listed a
    page at a time: each page by its links, other resources on each, a full page but the last."""
    monkeypatch.setattr(answers, "SORTED_AT_MOST", 7)
    first, second, last = pages_walked(browser, live_server + "/browse/skos:Concept")
    assert len(first) == len(second) == answers.PAGE_SIZE
    assert 0 < len(last) <= answers.PAGE_SIZE
    assert not set(first) & set(second) and not set(second) & set(last)


PAGES = {
    "home": "/",
    "every class": "/browse",
    "clusters": "/browse/klynge:ClusterOrganisation",
    "clusters by area": "/browse/klynge:ClusterOrganisation?klynge:hasArea=https://w3id.org/klynge/id/area/energy-technology",
    "policies in force in 2015": "/browse/klynge:Policy?year=2015",
    "nodes by region and sector": "/browse/klynge:SpecialisationNode",
    "a view that cannot be shown": "/browse/klynge:Policy?no:such=1",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_browse_pages_have_no_wcag_21_aa_violation_and_fit_400_px(live_server, browser, path):
    browser.set_window_size(1280, 1000)
    browser.get(live_server + path)
    violations = axe_violations(browser)
    assert not violations, f"{path}:\n{described(violations)}"
    try:
        browser.set_window_size(400, 900)
        browser.get(live_server + path)
        width = browser.execute_script("return window.innerWidth")
        assert width <= 400
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), path
        assert not (violations := axe_violations(browser)), f"{path} at 400 px:\n{described(violations)}"
    finally:
        browser.set_window_size(1280, 1000)
