"""XLSX as one entry of the format registry (issue 18's "a Format carries its writer"; issue 21's tables):
every tabular answer downloads as a workbook with IRIs and labels in separate columns, which LibreOffice
opens as it is."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from klynge.rdf import formats, xlsx
from web.test_editor import open_editor, run

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KID = "https://w3id.org/klynge/id/"
CLUSTER = "https://w3id.org/klynge/ontology#ClusterOrganisation"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc"
)


def as_csv(workbook: bytes, folder: Path) -> list[list[str]]:
    """The workbook as LibreOffice reads it: converted headless to CSV in UTF-8 (and that CSV's rows)."""
    source = folder / "answer.xlsx"
    source.write_bytes(workbook)
    profile = folder / "profile"  # a profile of its own, so a desktop LibreOffice running elsewhere is not asked
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = folder / "answer.csv"
    assert done.returncode == 0 and converted.exists(), done.stdout + done.stderr
    assert "repair" not in (done.stdout + done.stderr).lower()
    return list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8"))))


def parts(workbook: bytes) -> dict[str, ElementTree.Element]:
    """Every XML part of the package, parsed (a malformed one raises)."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as package:
        assert package.testzip() is None
        return {
            name: ElementTree.fromstring(package.read(name))
            for name in package.namelist()
            if name.endswith((".xml", ".rels"))
        }


def test_a_named_query_downloads_as_xlsx_with_its_label_columns_once(client, tmp_path):
    response = client.get("/api/queries/clusters-by-area", params={"format": "xlsx"})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX_TYPE
    assert "xl/worksheets/sheet1.xml" in parts(response.content)
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    rows = as_csv(response.content, tmp_path)
    compact = client.get("/api/queries/clusters-by-area", params={"format": "json"}).json()
    assert rows[0] == compact["columns"]  # the query names its labels (?areaLabel): no second label column
    assert len(rows) - 1 == len(compact["rows"]) == 14
    energy = next(r for r in rows if r[compact["columns"].index("cluster")] == KID + "cluster/energy-cluster-denmark")
    assert "Energy Cluster Denmark" in energy


@needs_soffice
def test_a_sparql_select_downloads_as_xlsx_with_iris_and_labels_apart(client, tmp_path):
    query = f"SELECT ?cluster ?budding WHERE {{ ?cluster a <{CLUSTER}> ; <https://w3id.org/klynge/ontology#isBudding> ?budding }} ORDER BY ?cluster"  # noqa: E501
    response = client.post(
        "/sparql", content=query, headers={"Content-Type": "application/sparql-query", "Accept": XLSX_TYPE}
    )
    assert response.status_code == 200 and response.headers["content-type"] == XLSX_TYPE
    rows = as_csv(response.content, tmp_path)
    assert rows[0] == ["cluster", "cluster label", "budding"]
    assert len(rows) == 15
    by_iri = {row[0]: row for row in rows[1:]}
    assert by_iri[KID + "cluster/censec"][1:] == ["CenSec", "TRUE"]  # a boolean cell, the label beside the IRI
    assert by_iri[KID + "cluster/energy-cluster-denmark"][1:] == ["Energy Cluster Denmark", "FALSE"]
    again = client.get("/sparql", params={"query": query, "format": "xlsx"})
    assert again.status_code == 200 and again.headers["content-type"] == XLSX_TYPE


@needs_soffice
def test_awkward_values_stay_values(tmp_path):
    """Text that looks like a formula stays text, numbers are numbers, a huge integer keeps its digits, an
    over-long text is cut and says so, blank nodes and language-tagged text are written as themselves."""
    big = "123456789012345678901234567890"
    rows = [
        {"v": ox.Literal('=HYPERLINK("http://evil.example")')},
        {"v": ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))},
        {"v": ox.Literal(big, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))},
        {"v": ox.Literal("Vækstforum", language="da")},
        {"v": ox.BlankNode("b1")},
        {"v": ox.Literal("x" * 40_000)},
        {},
    ]
    table = formats.Table(["v"], rows, {})
    values = [row[0] if row else "" for row in as_csv(xlsx.write(table), tmp_path)]
    assert values[:6] == ["v", '=HYPERLINK("http://evil.example")', "42", big, "Vækstforum", "_:b1"]
    assert len(values[6]) <= xlsx.MAX_CELL and values[6].endswith(xlsx.CUT)
    assert values[7:] in ([], [""])


def test_an_ask_answers_as_a_one_cell_table(client):
    response = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "format": "xlsx"})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX_TYPE
    shared = parts(response.content)["xl/sharedStrings.xml"]
    assert "answer" in ElementTree.tostring(shared, encoding="unicode")


def test_the_service_description_leaves_out_a_format_without_a_w3c_iri(client):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert "spreadsheetml" not in response.text and "xlsx" not in response.text.lower()
    assert formats.XLSX.w3c is None and formats.XLSX in formats.RESULTS


def test_xlsx_is_one_registry_entry_with_its_own_writer():
    assert formats.XLSX.results is None and formats.XLSX.write is xlsx.write
    assert formats.choose(("xlsx",), None, formats.RESULTS) is formats.XLSX
    assert formats.choose((), XLSX_TYPE, formats.TABLE) is formats.XLSX
    assert formats.XLSX.engine_media_type == formats.SPARQL_XML.media_type


def test_the_editor_menus_come_from_the_registry(client):
    page = client.get("/query").text
    assert "XLSX (spreadsheet)" in page  # in the data-downloads attribute the editor reads
    for fmt in (*formats.RESULTS, *formats.GRAPH, *formats.TABLE):
        assert fmt.media_type in page


@pytest.mark.slow
def test_the_editor_downloads_a_named_query_as_xlsx(live_server, browser, tmp_path):
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    open_editor(browser, live_server, named="clusters-by-area")
    run(browser)
    menu = browser.find_elements(By.CSS_SELECTOR, "#download-format option")
    options = {option.get_attribute("value"): option.text for option in menu}
    assert options == {fmt.key: fmt.name for fmt in formats.TABLE}
    assert browser.find_element(By.ID, "download-format").get_attribute("value") == "csv"
    browser.find_element(By.CSS_SELECTOR, "#download-format option[value=xlsx]").click()
    browser.find_element(By.ID, "download").click()
    target = tmp_path / "klynge-results.xlsx"
    WebDriverWait(browser, 20).until(lambda _: target.exists() and target.stat().st_size > 0)
    assert "xl/workbook.xml" in parts(target.read_bytes())


def test_a_browse_list_downloads_whole_as_csv_and_xlsx(client, tmp_path):
    """A facet state's list (every page of it) as a table: the IRI and the display label in columns apart."""
    area = KID + "area/energy-technology"
    state = client.get("/api/browse/klynge:ClusterOrganisation", params={"klynge:hasArea": area}).json()
    page = client.get("/browse/klynge:ClusterOrganisation", params={"klynge:hasArea": area}).text
    link = re.search(r'href="(/api/browse/klynge:ClusterOrganisation/table\?[^"]*format=csv[^"]*)"', page)
    assert link, "the browse page links its list as CSV"
    listed = client.get(html.unescape(link[1]))
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(listed.text)))
    assert rows[0] == ["item", "itemLabel"]
    assert [(r[0], r[1]) for r in rows[1:]] == [(i["iri"], i["label"]) for i in state["items"]] and state["total"]
    every = client.get("/api/browse/klynge:Policy/table", params={"format": "csv"})
    assert len(list(csv.reader(io.StringIO(every.text)))) - 1 == client.get("/api/browse/klynge:Policy").json()["total"]
    workbook = client.get(
        "/api/browse/klynge:ClusterOrganisation/table", params={"klynge:hasArea": area, "format": "xlsx"}
    )
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX_TYPE
    assert "xl/worksheets/sheet1.xml" in parts(workbook.content)
    assert client.get("/api/browse/klynge:Policy/table", headers={"Accept": "text/turtle"}).status_code == 406
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    assert as_csv(workbook.content, tmp_path) == rows  # the label once: the list names it (itemLabel)
