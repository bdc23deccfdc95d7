"""/browse of a class too large to sort by label: listed in the store's order a page at a time, by queries whose
LIMIT and OFFSET bound the work, its size read from the statistics counted at load; and the table API paged.

The repository's classes are small, so the size from which a state is paged (SORTED_AT_MOST) is lowered here;
every page together must give exactly the instances the sorted list gives, each once.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest

from klynge.answers import browse as answers
from klynge.catalogue import internal
from klynge.web.templating import templates

POLICY = "klynge:Policy"


def table(client, key: str, **params: object) -> tuple[list[dict[str, str]], dict[str, str]]:
    response = client.get(f"/api/browse/{key}/table?" + urlencode({"format": "csv", **params}))
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text))), dict(response.headers)


def sorted_items(client, key: str, **facets: str) -> list[str]:
    rows, headers = table(client, key, **facets)
    assert int(headers["x-total-count"]) == len(rows) and "link" not in headers
    return [row["item"] for row in rows]


@pytest.fixture
def small_sort(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(answers, "SORTED_AT_MOST", 7)
    return 7


def test_every_page_together_lists_each_instance_once(client, small_sort: int) -> None:
    first = client.get(f"/api/browse/{POLICY}").json()
    assert first["by_label"] is False and first["total"] > small_sort
    seen: list[str] = []
    for page in range(1, first["pages"] + 1):
        state = client.get(f"/api/browse/{POLICY}?page={page}").json()
        assert state["total"] == first["total"] and not state["by_label"]
        assert len(state["items"]) <= answers.PAGE_SIZE
        seen += [item["iri"] for item in state["items"]]
    assert len(seen) == len(set(seen)) == first["total"]
    assert client.get(f"/api/browse/{POLICY}?page={first['pages'] + 1}").status_code == 400


def test_the_paged_list_holds_what_the_sorted_list_holds(client, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = sorted_items(client, POLICY)
    monkeypatch.setattr(answers, "SORTED_AT_MOST", 7)
    rows, headers = table(client, POLICY, per_page=5)
    assert int(headers["x-total-count"]) == len(whole) and len(rows) == 5
    found = [row["item"] for row in rows]
    link = headers["link"]
    while 'rel="next"' in link:
        (following,) = re.findall(r'<[^>]*/api/browse/([^>]*)>; rel="next"', link)
        response = client.get("/api/browse/" + following)
        assert response.status_code == 200
        found += [row["item"] for row in csv.DictReader(io.StringIO(response.text))]
        link = response.headers.get("link", "")
    assert sorted(found) == sorted(whole) and len(found) == len(set(found))


def test_a_facet_states_size_is_counted_by_the_engine(client, small_sort: int) -> None:
    """With a facet chosen the statistics do not know the size: browse-items-count.rq counts it."""
    kinds = client.get(f"/api/browse/{POLICY}").json()["facets"][0]
    value = max(kinds["values"], key=lambda v: v["count"])
    state = client.get(f"/api/browse/{POLICY}?" + urlencode({kinds["key"]: value["iri"]})).json()
    assert state["total"] == value["count"]
    if value["count"] > small_sort:
        assert not state["by_label"]


def test_a_small_state_is_sorted_by_label_and_whole_in_one_table(client) -> None:
    state = client.get(f"/api/browse/{POLICY}").json()
    assert state["by_label"] is True
    labels = [(item["label"] or item["iri"]).casefold() for item in state["items"]]
    assert labels == sorted(labels)
    assert len(sorted_items(client, POLICY)) == state["total"]


def test_the_page_says_the_list_is_in_the_stores_order(client, small_sort: int) -> None:
    page = client.get(f"/browse/{POLICY}", headers={"Accept": "text/html"}).text
    assert "listed in the store&#39;s order" in page or "listed in the store's order" in page


def test_the_table_paging_is_documented(client) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/browse/{key}/table"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"page", "per_page"} <= names
    assert "Link" in operation["responses"]["200"]["description"]
    assert client.get(f"/api/browse/{POLICY}/table?per_page=0").status_code in (400, 422)


def test_a_large_state_counts_its_kinds_from_the_statistics(client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too large to count every facet at each request: "kind" alone, its counts those the engine counts."""
    (kind,) = [f for f in client.get(f"/api/browse/{POLICY}").json()["facets"] if f["label"] == "kind"]
    monkeypatch.setattr(answers, "SORTED_AT_MOST", 7)
    facets = client.get(f"/api/browse/{POLICY}").json()["facets"]
    assert [f["key"] for f in facets] == [kind["key"]]
    assert {v["iri"]: v["count"] for v in facets[0]["values"]} == {v["iri"]: v["count"] for v in kind["values"]}


@pytest.mark.parametrize("key", ["klynge:Policy", "org:Organization"])
def test_a_year_of_a_large_class_is_read_among_the_years_members(client, monkeypatch, key: str) -> None:
    """The instances a year keeps, listed and counted among the as-of answer's members: what the whole class
    read and filtered gives."""
    whole = client.get(f"/api/browse/{key}?year=2022").json()
    monkeypatch.setattr(answers, "SORTED_AT_MOST", 7)
    among = client.get(f"/api/browse/{key}?year=2022").json()
    assert whole["total"] > 0 and among["by_label"]
    for field in ("total", "items", "facets", "sparql"):
        assert among[field] == whole[field], field


CLASSES = (
    "http://www.w3.org/2004/02/skos/core#Concept",
    "https://w3id.org/klynge/ontology#Policy",
    "http://www.w3.org/2002/07/owl#Class",
)


@pytest.mark.parametrize("iri", CLASSES)
def test_a_class_without_facets_pages_as_the_faceted_query_does(engine, iri: str) -> None:
    """browse-class-page.rq (no facet chosen) gives each page exactly as browse-items-page.rq does, in its order."""
    plain, faceted = internal("browse-class-page"), internal("browse-items-page")
    class_term = ox.NamedNode(iri)
    for offset in (0, 3, 50):
        one = engine.select(answers.sliced(plain.sparql, 20, offset), plain.bind(**{"class": class_term}))
        other = engine.select(answers.sliced(faceted.sparql, 20, offset), faceted.bind(**{"class": class_term}))
        assert one == other, (iri, offset)
        assert one or offset, iri


@pytest.mark.parametrize("iri", CLASSES)
def test_a_class_without_facets_lists_what_the_faceted_query_lists(engine, iri: str) -> None:
    """browse-class-items.rq (no facet chosen) gives the rows browse-items.rq gives."""
    class_term = ox.NamedNode(iri)

    def rows(name: str) -> list[tuple[str, str]]:
        query = internal(name)
        return sorted(
            (str(row["item"]), str(row.get("label")))
            for row in engine.select(query.sparql, query.bind(**{"class": class_term}))
        )

    assert rows("browse-class-items") == rows("browse-items") != []


def test_a_pages_counts_are_written_in_groups_of_three_digits() -> None:
    """At EU27 a class has 810,000 instances on 16,200 pages: the browse pages write them as a reader reads them."""
    written = templates.env.from_string("{{ total | grouped }} resources, page 1 of {{ pages | grouped }}")
    assert written.render(total=810000, pages=16200) == "810,000 resources, page 1 of 16,200"
    assert written.render(total=7, pages=1) == "7 resources, page 1 of 1"
