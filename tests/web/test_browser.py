"""The pages in a real headless browser (Debian's chromium driven by Selenium), against a live server.

Skipped, with the reason, where chromium or chromedriver is missing; `.ci/run` installs both. The editor's
own tests are in test_editor.py, the accessibility and keyboard tests in test_accessibility.py.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.slow


def test_search_from_the_home_page_reaches_a_resource_page_with_its_lineage(live_server, browser):
    browser.get(live_server + "/")
    box = browser.find_element(By.CSS_SELECTOR, ".big-search input")
    box.send_keys("vaekstforum")
    box.submit()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, "ol.hits a")))
    browser.find_element(By.CSS_SELECTOR, "ol.hits a").click()
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.lineage-svg")))
    assert "Vækstforum" in browser.find_element(By.TAG_NAME, "h1").text
    # Names are marked with their language, so a screen reader says the Danish one in Danish.
    danish = browser.find_elements(By.CSS_SELECTOR, ".names .name[lang=da]")
    assert "Vækstforum" in [name.text.removesuffix(" da") for name in danish]
    members = browser.find_elements(By.CSS_SELECTOR, "svg.lineage-svg a")  # each member links to its page
    assert len(members) >= 2


def test_a_browser_asking_for_a_missing_page_gets_the_sites_404_page(live_server, browser):
    browser.get(live_server + "/no/such/page")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    assert "/no/such/page" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_element(By.CSS_SELECTOR, "main a[href='/search']")
