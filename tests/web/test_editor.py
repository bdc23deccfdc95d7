"""The SPARQL editor (/query) as a researcher uses it, in headless Chromium against a live server: completion
from the ontology and shapes, named queries bound by the server, paged results, safe links, downloads,
shareable URLs and parse errors in plain words. The completion endpoint is also checked without a browser.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from klynge.rdf import formats
from klynge.rdf.namespaces import PREFIXES
from klynge.settings import Settings
from klynge.web.app import create_app

KLYNGE = PREFIXES["klynge"]
POLICY = "https://w3id.org/klynge/id/policy/innovationskraft-2021-2024"
# The property shapes for klynge:ClusterOrganisation (shapes/clusters.ttl, and the shapes of its superclasses).
CLUSTER_SHAPE_PROPERTIES = {"klynge:hasArea", "klynge:isBudding", "klynge:appointedOn", "klynge:appointedBy"}

pytestmark = pytest.mark.slow


class UnusedEngine:
    """An engine that fails the test if anything asks it a question: completion must not query the store.
    It has no local store and no full-text index (as a remote one), which is all the app asks of an engine
    when it is made."""

    def local_store(self) -> None:
        return None

    def text_index(self) -> None:
        return None

    def __getattr__(self, name: str):
        raise AssertionError(f"the completion endpoint used the store ({name})")


def test_vocabulary_comes_from_the_ontology_and_shapes_not_the_store():
    client = TestClient(create_app(UnusedEngine(), Settings()))
    answer = client.get("/api/editor/vocabulary")
    assert answer.status_code == 200
    vocabulary = answer.json()
    assert {p["prefix"]: p["namespace"] for p in vocabulary["prefixes"]} == PREFIXES
    classes = {c["curie"]: c for c in vocabulary["classes"]}
    assert classes["klynge:ClusterOrganisation"]["label"] == "Cluster organisation"
    assert classes["klynge:ClusterOrganisation"]["definition"].startswith("A legally registered organisation")
    properties = {p["curie"]: p for p in vocabulary["properties"]}
    assert properties["klynge:hasArea"]["label"] == "has area"
    allowed = set(vocabulary["shapes"][KLYNGE + "ClusterOrganisation"])
    assert {KLYNGE + p.split(":")[1] for p in CLUSTER_SHAPE_PROPERTIES} <= allowed
    # Inherited: the label and source shapes target superclasses of cluster organisations.
    assert "http://www.w3.org/2000/01/rdf-schema#label" in allowed
    # A property a shape forbids (sh:maxCount 0, personal contact data) is never offered.
    assert not any("mbox" in p or "phone" in p for props in vocabulary["shapes"].values() for p in props)


def open_editor(browser, server: str, **params: str) -> None:
    """The editor at ``/query?…``, once its named queries and completion list have loaded."""
    browser.get(f"{server}/query?{urllib.parse.urlencode(params)}")
    WebDriverWait(browser, 20).until(
        lambda driver: driver.find_element(By.ID, "editor-app").get_attribute("data-ready") == "true"
    )


def run(browser) -> str:
    """Click Run and wait for the answer (or the problem); the status line."""
    browser.execute_script("document.getElementById('status').textContent = '';")
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 30).until(
        lambda driver: " in " in driver.find_element(By.ID, "status").text or driver.find_element(By.ID, "problem").text
    )
    return browser.find_element(By.ID, "status").text


def editor_text(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, ".cm-content").text


def complete_at_end(browser) -> list[str]:
    """Put the cursor at the end of the query, press Ctrl+Space, and read the offered names in order."""
    browser.find_element(By.CSS_SELECTOR, ".cm-content").click()
    ActionChains(browser).key_down(Keys.CONTROL).send_keys(Keys.END).send_keys(" ").key_up(Keys.CONTROL).perform()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".cm-tooltip-autocomplete li"))
    return [
        item.find_element(By.CSS_SELECTOR, ".cm-completionLabel").text
        for item in browser.find_elements(By.CSS_SELECTOR, ".cm-tooltip-autocomplete li")
    ]


def test_after_a_class_the_properties_its_shapes_allow_come_first(live_server, browser):
    query = f"PREFIX klynge: <{KLYNGE}>\nSELECT * WHERE {{\n  ?x a klynge:ClusterOrganisation ;\n    "
    open_editor(browser, live_server, query=query)
    # CodeMirror's own styles apply under the pages' content security policy (it writes them into <style>).
    assert browser.find_element(By.CSS_SELECTOR, ".cm-editor").value_of_css_property("display") == "flex"
    offered = complete_at_end(browser)
    with urllib.request.urlopen(live_server + "/api/editor/vocabulary") as answer:
        vocabulary = json.load(answer)
    curies = {p["iri"]: p["curie"] for p in vocabulary["properties"]}
    allowed = {curies[iri] for iri in vocabulary["shapes"][KLYNGE + "ClusterOrganisation"]}
    assert allowed >= CLUSTER_SHAPE_PROPERTIES
    assert set(offered[: len(allowed)]) == allowed, offered
    assert offered[len(allowed)] not in allowed
    section = browser.find_element(By.CSS_SELECTOR, ".cm-tooltip-autocomplete completion-section").text
    assert section == "Allowed for klynge:ClusterOrganisation by the shapes"
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    assert not browser.find_elements(By.CSS_SELECTOR, ".cm-tooltip-autocomplete")


def test_completing_a_class_shows_its_label_and_adds_the_missing_prefix(live_server, browser):
    open_editor(browser, live_server, query="SELECT * WHERE { ?p a klynge:Programm")
    offered = complete_at_end(browser)
    assert offered[0] == "klynge:Programme"
    detail = browser.find_element(By.CSS_SELECTOR, ".cm-tooltip-autocomplete li .cm-completionDetail").text
    assert detail == "Programme"
    ActionChains(browser).send_keys(Keys.ENTER).send_keys(" }").perform()
    assert editor_text(browser) == f"PREFIX klynge: <{KLYNGE}>\nSELECT * WHERE {{ ?p a klynge:Programme }}"
    assert re.fullmatch(r"[1-9][0-9]* rows in [0-9.]+ s", run(browser))


def test_a_4000_row_answer_is_paged_and_the_page_stays_short(live_server, browser):
    query = "SELECT ?s ?p ?o ?copy WHERE { VALUES ?copy { 1 2 } ?s ?p ?o } LIMIT 4000"
    open_editor(browser, live_server, query=query)
    assert run(browser).startswith("4,000 rows")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")) == 50
    assert browser.find_element(By.CSS_SELECTOR, ".page-info").text == "Rows 1–50 of 4,000"
    assert browser.execute_script("return document.documentElement.scrollHeight") < 6000
    browser.find_element(By.CSS_SELECTOR, ".pager button[data-role=next]").click()
    assert browser.find_element(By.CSS_SELECTOR, ".page-info").text == "Rows 51–100 of 4,000"
    # Nothing overflows sideways: long IRIs and literals wrap.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_only_http_iris_are_links_and_a_javascript_iri_is_text(live_server, browser):
    query = (
        'SELECT ?link WHERE { VALUES ?text { "javascript:alert(document.domain)" "data:text/html,hello" '
        f'"{POLICY}" }} BIND(IRI(?text) AS ?link) }}'
    )
    open_editor(browser, live_server, query=query)
    assert re.fullmatch(r"[1-9][0-9]* rows in [0-9.]+ s", run(browser))
    cells = browser.find_elements(By.CSS_SELECTOR, "table.results tbody td")
    by_text = {cell.find_element(By.CSS_SELECTOR, "a, .iri").get_attribute("title"): cell for cell in cells}
    for hostile in ("javascript:alert(document.domain)", "data:text/html,hello"):
        assert not by_text[hostile].find_elements(By.TAG_NAME, "a")
        by_text[hostile].find_element(By.CSS_SELECTOR, ".iri").click()
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (reading it is the check)
    link = by_text[POLICY].find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href") == live_server + "/id/policy/innovationskraft-2021-2024"
    WebDriverWait(browser, 10).until(lambda _: by_text[POLICY].find_element(By.CSS_SELECTOR, ".label").text)
    assert by_text[POLICY].find_element(By.CSS_SELECTOR, ".label").text.startswith("Power of innovation - ")


def test_construct_and_describe_show_a_table_of_triples_that_fits_the_page(live_server, browser):
    open_editor(browser, live_server, query=f"DESCRIBE <{POLICY}>")
    status = run(browser)
    assert status.endswith("s") and "triples" in status
    headings = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "table.results thead th")]
    assert headings == ["subject", "predicate", "object"]
    assert "kid:policy/innovationskraft-2021-2024" in browser.find_element(By.CSS_SELECTOR, "table.results").text
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#download-format option")]
    assert options == [fmt.name for fmt in formats.GRAPH]  # the server's registry, not a list of the editor's


def download(browser, folder: Path, fmt: str) -> str:
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    browser.find_element(By.CSS_SELECTOR, f"#download-format option[value={fmt}]").click()
    browser.find_element(By.ID, "download").click()
    target = folder / f"klynge-results.{fmt}"
    WebDriverWait(browser, 20).until(lambda _: target.exists() and target.stat().st_size > 0)
    return target.read_text(encoding="utf-8")


def test_results_download_as_csv_tsv_and_json(live_server, browser, tmp_path):
    query = f"SELECT ?policy ?name WHERE {{ BIND(<{POLICY}> AS ?policy) ?policy <{PREFIXES['rdfs']}label> ?name }}"
    open_editor(browser, live_server, query=query)
    rows = list(csv.reader(io.StringIO(download(browser, tmp_path, "csv"))))
    assert rows[0] == ["policy", "name"]
    assert [POLICY, "Innovationskraft - Danske klynger for viden og erhverv 2021-2024"] in rows
    tsv = download(browser, tmp_path, "tsv").splitlines()
    assert tsv[0] == "?policy\t?name"
    assert f'<{POLICY}>\t"Innovationskraft - Danske klynger for viden og erhverv 2021-2024"@da' in tsv
    answer = json.loads(download(browser, tmp_path, "srj"))
    assert answer["head"]["vars"] == ["policy", "name"]


def test_a_named_query_and_its_parameters_live_in_the_url(live_server, browser):
    open_editor(browser, live_server, named="policy-ancestors", policy=POLICY)
    assert browser.find_element(By.ID, "named").get_attribute("value") == "policy-ancestors"
    field = browser.find_element(By.ID, "param-policy")
    assert field.get_attribute("value") == POLICY
    assert "# Ancestors of a policy" in editor_text(browser)
    assert run(browser).endswith(" s")
    assert "Call for Innovationskraft clusters 2021-2024" in browser.find_element(By.ID, "results").text
    field.clear()
    field.send_keys("https://w3id.org/klynge/id/policy/cluster-strategy-2-0-2016-2018")
    shared = urllib.parse.urlparse(browser.current_url)
    shared_values = urllib.parse.parse_qs(shared.query)
    assert shared_values["named"] == ["policy-ancestors"]
    assert shared_values["policy"] == ["https://w3id.org/klynge/id/policy/cluster-strategy-2-0-2016-2018"]


def test_a_bad_parameter_gets_the_servers_message_on_its_field(live_server, browser):
    open_editor(browser, live_server, named="policy-ancestors", policy="not an IRI")
    run(browser)
    problem = browser.find_element(By.ID, "problem").text
    assert problem.startswith("400: parameter 'policy'")
    assert browser.find_element(By.ID, "param-policy").get_attribute("aria-invalid") == "true"


def test_an_edited_query_is_restored_from_its_url(live_server, browser):
    open_editor(browser, live_server)
    content = browser.find_element(By.CSS_SELECTOR, ".cm-content")
    content.click()
    ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
    content.send_keys("ASK { ?s ?p ?o }")
    run(browser)
    assert browser.find_element(By.ID, "results").text == "Answer: yes (true)"
    shared = browser.current_url
    browser.get("about:blank")
    browser.get(shared)
    assert editor_text(browser) == "ASK { ?s ?p ?o }"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { ?s ?p }", "Line 1, column 25: expected a value for the property"),
        ("SELECT * WHERE { ?s a ?class ; ?p }", "Line 1, column 36: expected a value for the property"),
        ('SELECT * WHERE { ?s ?p "open }', "expected the closing quote of the string"),
        ("SELECT * WHERE { ?s a skos:Concept }", "Add the line PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"),
        ("SELEC * {}", "expected a query form: SELECT, CONSTRUCT, ASK or DESCRIBE"),
    ],
    ids=["missing object", "missing object after ;", "open string", "undeclared prefix", "misspelt form"],
)
def test_a_parse_error_is_marked_and_said_in_plain_words(live_server, browser, query, expected):
    open_editor(browser, live_server, query=query)
    run(browser)
    problem = browser.find_element(By.ID, "problem").text
    assert expected in problem
    assert "SERVICE" not in problem and "LATERAL" not in problem and "[_]" not in problem
    assert browser.find_elements(By.CSS_SELECTOR, ".cm-lintRange-error")
