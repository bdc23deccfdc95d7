"""The pages in a real headless browser (Debian's chromium driven by Selenium), against a live server.

Skipped, with the reason, where chromium or chromedriver is missing; `.ci/run` installs both.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"),
    pytest.mark.skipif(not Path(CHROMEDRIVER).exists(), reason="no chromedriver (apt-get install chromium-driver)"),
]

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?policy ?name WHERE {
  ?policy rdfs:label ?name .
  FILTER(?policy = <https://w3id.org/klynge/id/policy/innovationskraft-2021-2024> && LANG(?name) = "en")
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(web_app) -> Iterator[str]:
    """The app on a free loopback port, in a thread, for the module's tests."""
    import uvicorn

    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_editor_runs_a_query_and_shows_a_linked_table(server, browser, tmp_path):
    browser.get(server + "/query")
    editor = browser.find_element(By.ID, "query")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", editor, QUERY
    )
    highlighted = browser.find_element(By.ID, "highlight")
    assert highlighted.find_elements(By.CSS_SELECTOR, ".tok-keyword")
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.results tbody tr")))
    table = browser.find_element(By.CSS_SELECTOR, "table.results")
    assert [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")] == ["policy", "name"]
    assert "Power of innovation" in table.text
    link = table.find_element(By.CSS_SELECTOR, "tbody a")
    assert link.get_attribute("href") == server + "/id/policy/innovationskraft-2021-2024"
    assert "row" in browser.find_element(By.ID, "status").text
    browser.save_screenshot(str(tmp_path / "editor.png"))


def test_editor_downloads_the_results_as_csv(server, browser, tmp_path):
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(server + "/query")
    editor = browser.find_element(By.ID, "query")
    browser.execute_script("arguments[0].value = arguments[1];", editor, QUERY)
    browser.find_element(By.ID, "csv").click()
    csv_file = tmp_path / "klynge-results.csv"
    WebDriverWait(browser, 20).until(lambda _: csv_file.exists() and csv_file.stat().st_size > 0)
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "policy,name"
    assert lines[1].startswith("https://w3id.org/klynge/id/policy/innovationskraft-2021-2024,")
    assert "Power of innovation" in lines[1]


def test_named_queries_are_one_click_away_and_run_with_example_parameters(server, browser):
    browser.get(server + "/query")
    buttons = WebDriverWait(browser, 20).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "#named-queries button")
    )
    ancestors = next(button for button in buttons if button.text == "Ancestors of a policy")
    ancestors.click()
    text = browser.find_element(By.ID, "query").get_attribute("value")
    assert "<https://w3id.org/klynge/id/policy/innovationskraft-2021-2024>" in text
    assert (
        "policy = https://w3id.org/klynge/id/policy/innovationskraft-2021-2024"
        in browser.find_element(By.ID, "status").text
    )
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 20).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "table.results tbody tr, #results .error")
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "#results .error")
    assert "Call for Innovationskraft clusters 2021-2024" in browser.find_element(By.ID, "results").text


def test_search_from_the_home_page_reaches_a_resource_page_with_its_lineage(server, browser):
    browser.get(server + "/")
    box = browser.find_element(By.CSS_SELECTOR, ".big-search input")
    box.send_keys("vaekstforum")
    box.submit()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, "ol.hits a")))
    browser.find_element(By.CSS_SELECTOR, "ol.hits a").click()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.lineage-svg")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Vækstforum"
    members = browser.find_elements(By.CSS_SELECTOR, "svg.lineage-svg g.member")
    assert len(members) >= 2
