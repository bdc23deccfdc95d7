"""What the editor shows after each step is the answer to the query on screen, in headless Chromium: a failed
run or a newly chosen named query leaves no earlier table or error behind, a shared named-query link shows its
answer without a click, and result cells keep words whole."""

from __future__ import annotations

import urllib.parse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from web.test_editor import open_editor, run

pytestmark = pytest.mark.slow

POLICY = "https://w3id.org/klynge/id/policy/innovationskraft-2021-2024"


def result_rows(browser) -> list:
    return browser.find_elements(By.CSS_SELECTOR, "#results table.results tbody tr")


def problem(browser) -> str:
    return browser.find_element(By.ID, "problem").text


def replace_query(browser, text: str) -> None:
    content = browser.find_element(By.CSS_SELECTOR, ".cm-content")
    content.click()
    ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
    content.send_keys(text)


def test_a_failed_run_and_a_new_named_query_leave_no_earlier_answer(live_server, browser):
    open_editor(browser, live_server)
    run(browser)
    assert result_rows(browser)  # the default query's table
    replace_query(browser, "SELECT * WHERE { ?s ?p ")
    run(browser)
    assert "Line 1" in problem(browser)
    assert not result_rows(browser), "the earlier query's table stayed under the error"
    assert browser.find_elements(By.CSS_SELECTOR, ".cm-lintRange-error")
    Select(browser.find_element(By.ID, "named")).select_by_value("sectoral-nodes")
    WebDriverWait(browser, 10).until(lambda driver: "sector" in driver.find_element(By.ID, "parameters").text)
    assert problem(browser) == "", "the earlier query's error stayed under the new query"
    assert not result_rows(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, ".cm-lintRange-error")
    assert browser.find_element(By.ID, "status").text == ""


def test_a_named_query_run_after_a_table_and_failing_clears_the_table(live_server, browser):
    open_editor(browser, live_server, named="policy-ancestors", policy=POLICY)
    WebDriverWait(browser, 30).until(lambda driver: result_rows(driver))
    field = browser.find_element(By.ID, "param-policy")
    field.clear()
    field.send_keys("not an IRI")
    run(browser)
    assert problem(browser).startswith("400: parameter 'policy'")
    assert not result_rows(browser)


def test_a_shared_named_query_link_fills_the_form_and_shows_the_answer(live_server, browser):
    sector = "https://w3id.org/klynge/id/nace/C21"
    open_editor(browser, live_server, named="sectoral-nodes", sector=sector)
    # No click on Run: the link shows what it showed to the person who shared it.
    WebDriverWait(browser, 30).until(lambda driver: result_rows(driver))
    assert browser.find_element(By.ID, "param-sector").get_attribute("value") == sector
    assert " in " in browser.find_element(By.ID, "status").text
    shared = urllib.parse.parse_qs(urllib.parse.urlparse(browser.current_url).query)
    assert shared == {"named": ["sectoral-nodes"], "sector": [sector]}


WORDS_SPLIT = """
const split = [];  // words of text and of IRIs alike (an IRI may wrap after "/", "#" or ":", not inside a word)
for (const cell of document.querySelectorAll("#results table.results td")) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/[\\p{L}\\p{N}]+/gu)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) split.push(match[0]);
    }
  }
}
return split;
"""


@pytest.mark.parametrize("width", [1280, 700])
def test_result_cells_keep_words_whole(live_server, browser, width):
    browser.set_window_size(width, 1000)
    try:
        open_editor(browser, live_server, named="sectoral-nodes", sector="https://w3id.org/klynge/id/nace/C21")
        WebDriverWait(browser, 30).until(lambda driver: result_rows(driver))
        words = browser.execute_script("return document.querySelectorAll('#results td').length")
        assert words > 4
        assert browser.execute_script(WORDS_SPLIT) == []
    finally:
        browser.set_window_size(1280, 1000)
