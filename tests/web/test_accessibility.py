"""Every kind of page the service serves, checked by axe-core for WCAG 2.1 A and AA in headless Chromium.

EN 301 549 holds EU public-sector sites (the ECCP, data.europa.eu) to WCAG 2.1 AA. A failure names each rule
and the elements (as CSS selectors) that break it.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store
from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from klynge.web.page_kinds import PAGE_KINDS
from web.chromium import axe_violations, described

pytestmark = pytest.mark.slow

# Each kind of page and the status it answers with (so a page that went missing cannot pass as its 404).
# A page of each kind (klynge.web.page_kinds), and the not-found page no route has.
PAGES = {example.what: (example.path, example.status) for kind in PAGE_KINDS for example in kind.examples}
PAGES["page not found"] = ("/no/such/page", 404)


@pytest.mark.parametrize(("path", "status"), PAGES.values(), ids=PAGES.keys())
def test_page_has_no_wcag_21_aa_violation(client, browser, live_server, path, status):
    assert client.get(path, headers={"Accept": "text/html"}).status_code == status
    browser.get(live_server + path)
    violations = axe_violations(browser)
    assert not violations, f"{path}:\n{described(violations)}"


def open_editor(browser, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 20).until(
        lambda driver: driver.find_element(By.ID, "editor-app").get_attribute("data-ready") == "true"
    )


def test_the_editor_with_a_form_results_an_error_and_completion_open_has_no_violation(browser, live_server):
    policy = "https://w3id.org/klynge/id/policy/innovationskraft-2021-2024"
    open_editor(browser, f"{live_server}/query?named=policy-ancestors&policy={policy}")
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 20).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "table.results tbody tr"))
    assert not (found := axe_violations(browser)), described(found)
    open_editor(browser, f"{live_server}/query?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%7D")
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 20).until(lambda driver: driver.find_element(By.ID, "problem").text)
    browser.find_element(By.CSS_SELECTOR, ".cm-content").click()
    ActionChains(browser).key_down(Keys.CONTROL).send_keys(" ").key_up(Keys.CONTROL).perform()
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".cm-tooltip-autocomplete"))
    assert not (found := axe_violations(browser)), described(found)


@pytest.mark.parametrize("path", [path for path, _ in PAGES.values()], ids=PAGES.keys())
def test_pages_run_no_inline_script(client, path):
    """All JavaScript is in files under /static, so the pages work under a ``script-src 'self'`` policy."""
    page = client.get(path, headers={"Accept": "text/html"}).text
    for attributes, script in re.findall(r"<script\b([^>]*)>(.*?)</script>", page, flags=re.S):
        kind = re.search(r"type\s*=\s*[\"']([^\"']+)", attributes)
        if kind and kind.group(1) not in ("module", "text/javascript"):
            continue  # a data block (JSON-LD) is never run
        assert not script.strip(), f"{path} has an inline script: {script[:80]}"
    assert not re.search(r"\son[a-z]+\s*=", page, flags=re.I), f"{path} has an inline event handler"
    assert not re.search(r"href\s*=\s*[\"']\s*javascript:", page, flags=re.I), f"{path} has a javascript: link"


# Keyboard only: the main flows with Tab, Enter and Escape, and a visible focus at every stop.


def focused(browser):
    return browser.switch_to.active_element


def press(browser, *keys: str) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def assert_focus_visible(browser) -> None:
    """The focused element (or the editor around a focused editing area) draws an outline."""
    style = browser.execute_script(
        "const el = document.activeElement.closest('.cm-editor') || document.activeElement;"
        "const s = getComputedStyle(el); return [s.outlineStyle, parseFloat(s.outlineWidth)];"
    )
    assert style[0] != "none" and style[1] >= 2, f"no visible focus on {focused(browser).tag_name}: {style}"


def tab_to(browser, matches, limit: int = 40):
    """Press Tab until the focused element matches; each stop must show its focus."""
    for _ in range(limit):
        press(browser, Keys.TAB)
        element = focused(browser)
        if element.tag_name != "body":
            assert_focus_visible(browser)
        if matches(element):
            return element
    raise AssertionError(f"{limit} presses of Tab never reached the element")


def test_tab_indents_in_the_editor_and_escape_then_tab_leaves_it(browser, live_server):
    open_editor(browser, live_server + "/query?query=ASK%20%7B%7D")
    content = tab_to(browser, lambda element: "cm-content" in (element.get_attribute("class") or ""))
    press(browser, Keys.HOME, Keys.TAB)
    assert focused(browser) == content
    assert content.get_attribute("textContent").startswith("  ASK")
    press(browser, Keys.ESCAPE, Keys.TAB)
    assert focused(browser).get_attribute("id") == "run"


def test_keyboard_search_and_open_a_result(browser, live_server):
    browser.get(live_server + "/")
    assert focused(browser).get_attribute("name") == "q"  # the big search box has the focus on arrival
    press(browser, "vaekstforum", Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "ol.hits a"))
    first = browser.find_element(By.CSS_SELECTOR, "ol.hits a")
    tab_to(browser, lambda element: element == first)
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda driver: "Vækstforum" in driver.find_element(By.TAG_NAME, "h1").text)


def test_keyboard_run_a_named_query_and_download_csv(browser, web_app, serve, tmp_path):
    """On a server of its own: after this download, Chromium's next page loads from the same origin timed out
    in the full suite (the server answered other clients at once), so the session's server stays clear of it."""
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    with serve(web_app) as own_server:
        open_editor(browser, own_server + "/query")
        picker = tab_to(browser, lambda element: element.get_attribute("id") == "named")
        for _ in range(40):
            if picker.get_attribute("value") == "policy-ancestors":
                break
            press(browser, Keys.ARROW_DOWN)
        assert picker.get_attribute("value") == "policy-ancestors"
        field = tab_to(browser, lambda element: element.get_attribute("id") == "param-policy")
        assert field.get_attribute("value").startswith("https://w3id.org/klynge/id/policy/")
        tab_to(browser, lambda element: "cm-content" in (element.get_attribute("class") or ""))
        press(browser, Keys.ESCAPE, Keys.TAB)  # Tab would indent the query: Escape, Tab leaves it, as the hint says
        assert focused(browser).get_attribute("id") == "run"
        assert_focus_visible(browser)
        press(browser, Keys.ENTER)
        WebDriverWait(browser, 20).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "table.results tbody tr"))
        assert (
            tab_to(browser, lambda element: element.get_attribute("id") == "download-format").get_attribute("value")
            == "csv"
        )
        tab_to(browser, lambda element: element.get_attribute("id") == "download")
        press(browser, Keys.ENTER)
        target = tmp_path / "klynge-results.csv"
        WebDriverWait(browser, 20).until(lambda _: target.exists() and target.stat().st_size > 0)
        assert "ancestorLabel" in target.read_text(encoding="utf-8").splitlines()[0].split(",")
        browser.get("about:blank")


def test_a_javascript_iri_in_the_store_is_text_on_a_resource_page(tmp_path):
    graph = tmp_path / "hostile.ttl"
    graph.write_text(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/klynge/id/thing/a> rdfs:label "Thing A"@en ;\n'
        "    rdfs:seeAlso <javascript:alert(document.domain)> , <https://example.org/b> .\n"
    )
    engine = EmbeddedEngine(build_store([graph]), limits=Limits(workers=1))
    try:
        page = TestClient(create_app(engine, Settings())).get("/id/thing/a", headers={"Accept": "text/html"}).text
    finally:
        engine.close()
    assert 'href="https://example.org/b"' in page
    assert "javascript:alert(document.domain)" in page
    assert not re.search(r"href\s*=\s*[\"']\s*javascript:", page, flags=re.I)
