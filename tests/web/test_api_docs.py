"""/docs renders the OpenAPI document in a real browser, offline and under ``script-src 'self'``.

Swagger UI 4 could not read FastAPI's OpenAPI 3.1 ("Unable to render this definition") while a test that only
checked the asset links passed; so the page is opened in headless Chromium, its operations are read from the
rendered page, and "Try it out" runs a named query through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from klynge.catalogue import catalogue

# A strict policy (no inline script or style): set by the test, so the check holds whatever the app sets.
CSP = b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"


def test_docs_page_loads_only_its_own_assets_from_the_service(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "<script>" not in page.text and "cdn" not in page.text.lower()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page.text)
    assert assets and all(url.startswith(("/docs/assets/", "/static/")) for url in assets), assets
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert 'data-openapi="/openapi.json"' in page.text


@pytest.mark.parametrize(
    "stock_file", ["index.html", "swagger-initializer.js", "oauth2-redirect.html", "swagger-ui-bundle.js.map"]
)
def test_the_bundles_stock_files_are_not_served(client: TestClient, stock_file: str) -> None:
    assert client.get(f"/docs/assets/{stock_file}").status_code == 404


def with_csp(app):
    """The app, with a strict Content-Security-Policy header on every answer."""

    async def guarded(scope, receive, send):
        async def send_with_csp(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"content-security-policy", CSP)]
            await send(message)

        await app(scope, receive, send_with_csp)

    return guarded


@pytest.fixture(scope="module")
def docs_server(web_app, serve) -> Iterator[str]:
    with serve(with_csp(web_app)) as url:
        yield url


@pytest.mark.slow
def test_docs_render_the_named_queries_and_try_it_out_runs_one(docs_server, browser):

    browser.get(docs_server + "/docs")
    try:
        try_out_a_named_query(browser, docs_server)
    finally:  # leave Swagger UI before its module's server stops: a later test's navigation away timed out
        browser.get("about:blank")


def try_out_a_named_query(browser, docs_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30)
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    assert "Unable to render" not in browser.page_source
    # The site's own header leads back to the pages, above Swagger UI.
    back = browser.find_element(By.CSS_SELECTOR, "header.site a.brand")
    assert back.is_displayed() and back.get_attribute("href") == docs_server + "/"
    nav = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "header.site nav a")}
    assert {docs_server + path for path in ("/search", "/query", "/dataset")} <= nav
    paths = {e.get_attribute("data-path") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {f"/api/queries/{name}" for name in catalogue()} <= paths
    assert {"/sparql", "/dataset", "/api/lineage/{id}"} <= paths

    operation = next(
        block
        for block in browser.find_elements(By.CSS_SELECTOR, ".opblock")
        if block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
        == "/api/queries/policy-ancestors"
    )
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
    operation.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, ".execute"))
    operation.find_element(By.CSS_SELECTOR, ".execute").click()
    status = wait.until(
        lambda _: operation.find_elements(By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status")
    )
    assert status[0].text.strip().startswith("200")
    body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_description")
    body = body.get_attribute("textContent")  # the whole answer, also the part scrolled out of view
    # the answer with its rows (Swagger UI shows a long body cut short, so its first rows are what is there)
    assert '"query": "policy-ancestors"' in body and '"ancestorLabel"' in body and '"rows"' in body
