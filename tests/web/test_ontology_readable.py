"""/ontology reads as documentation, in headless Chromium: a table of contents, each term's label and
definition with its details folded (the page was 54,000 px tall), the ontology's metadata under names a reader
knows (not ``preferredNamespacePrefix`` or ``versionIRI``, ``seeAlso`` once) and the licence by its name."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.slow


def test_metadata_rows_have_readable_names_and_the_licence_its_name(client):
    page = client.get("/ontology", headers={"Accept": "text/html"}).text
    metadata = page.split('<table class="links metadata">')[1].split("</table>")[0]
    rows = [cell.split("</th>")[0] for cell in metadata.split('<th scope="row">')[1:]]
    assert rows[:2] == ["Version", "This version"]
    assert {"Licence", "Prefix", "Namespace", "See also", "Created", "Last modified"} <= set(rows)
    assert len(rows) == len(set(rows)), "a property is one row, with all its values"
    for raw in ("preferredNamespacePrefix", "preferredNamespaceUri", "versionIRI", "versionInfo", "seeAlso", "type"):
        assert raw not in rows
    assert "Creative Commons Attribution 4.0 International (CC BY 4.0)</a>" in metadata
    assert ">by/4.0<" not in metadata


def test_the_page_is_short_with_contents_and_folded_details(live_server, browser):
    browser.get(live_server + "/ontology")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    assert height < 20_000, f"/ontology is {height} px tall"
    contents = browser.find_element(By.CSS_SELECTOR, "nav.toc")
    kinds = [a.text for a in contents.find_elements(By.CSS_SELECTOR, "p a")][:6]
    assert kinds[0].startswith("Classes (") and kinds[-1].startswith("Standard terms reused (")
    term = browser.find_element(By.ID, "ClusterOrganisation")
    assert term.tag_name == "details" and term.get_attribute("open") is None
    summary = term.find_element(By.TAG_NAME, "summary")
    assert "Cluster organisation" in summary.text and "legally registered organisation" in summary.text
    table = term.find_element(By.CSS_SELECTOR, "table.links")
    assert not table.is_displayed()
    summary.click()
    assert table.is_displayed() and "Used in the data" in table.text
