"""As of a year: the answers for 1998, 2008, 2013, 2020, 2022 and 2025, checked against what the sources say.

Each expectation names the source passage it comes from (F: the ECCP factsheet, D: the DFIR brief).
"""

from __future__ import annotations

import pytest

KID = "https://w3id.org/klynge/id/"


def plans(client, year: int) -> set[str]:
    answer = client.get(f"/api/as-of/{year}")
    assert answer.status_code == 200
    return {policy["iri"].removeprefix(KID) for policy in answer.json()["policies"]}


def test_1998_the_policy_the_government_fully_established(client):
    # F: "In 1998, the government fully established the policy"; the 1990s co-financing has no start year.
    assert "policy/policy-1998" in plans(client, 1998)


def test_2008_innovation_denmark_and_innovation_network_denmark(client):
    # F: Innovation Denmark 2007-2010; "in 2008 ... gathered into one national programme, Innovation Network Denmark".
    found = plans(client, 2008)
    assert {"policy/innovation-denmark-2007-2010", "policy/innovation-network-denmark"} <= found
    assert "policy/policy-1998" not in found  # replaced once Innovation Denmark began (2007)


def test_2013_the_strategy_for_denmarks_cluster_policy(client):
    # F: "In 2013, the Strategy for Denmark's Cluster Policy ..."
    assert "policy/strategy-cluster-policy-2013" in plans(client, 2013)


def test_2020_business_promotion_strategy_and_the_fourteen_clusters_appointed(client):
    # F: "As of 2020, Denmark has a new Business Promotion in Denmark 2020-2023 strategy"; "On 1 October 2020 ...
    # officially appointed 14 new clusters".
    answer = client.get("/api/as-of/2020").json()
    assert "policy/business-promotion-in-denmark-2020-2023" in {p["iri"].removeprefix(KID) for p in answer["policies"]}
    assert len(answer["clusters"]) == 14
    assert {c["appointed_on"] for c in answer["clusters"]} == {"2020-10-01"}


def test_2022_innovationskraft_its_bodies_clusters_areas_and_budget(client):
    # F: operation period 2021-2024, approx. DKK 640 million; the board and the ministry select and fund.
    answer = client.get("/api/as-of/2022").json()
    assert "policy/innovationskraft-2021-2024" in {p["iri"].removeprefix(KID) for p in answer["policies"]}
    bodies = {b["iri"].removeprefix(KID) for b in answer["bodies"]}
    assert {"org/ministry-of-higher-education-and-science", "org/danish-business-promotion-board"} <= bodies
    assert len(answer["clusters"]) == 14 and all(cluster["areas"] for cluster in answer["clusters"])
    assert "640000000" in {budget["value"] for budget in answer["budgets"]}


def test_2025_the_administration_under_the_danish_business_authority(client):
    # D: "from January 1, 2025, the administration ... consolidated under the Danish Business Authority".
    answer = client.get("/api/as-of/2025").json()
    found = {p["iri"].removeprefix(KID) for p in answer["policies"]}
    assert "org/danish-business-authority" in {b["iri"].removeprefix(KID) for b in answer["bodies"]}
    (change,) = [c for c in answer["changes"] if c["date"].startswith("2025-01-01")]
    assert [body["iri"].removeprefix(KID) for body in change["resulting"]] == ["org/danish-business-authority"]
    assert "policy/innovationskraft-2021-2024" not in found  # it ran 2021-2024


def test_policies_in_force_2025_lists_no_old_policy_study_or_call(client):
    rows = client.get("/api/queries/policies-in-force", params={"year": "2025"}).json()["rows"]
    found = {row["policy"]["value"].removeprefix(KID) for row in rows}
    wrong = {"policy/policy-1998", "policy/ministry-of-science-study-2006", "policy/call-innovationskraft-2020"}
    assert not found & wrong
    assert "policy/innovationskraft-2021-2024" not in found


def test_year_pages_link_the_years_before_and_after(client):
    page = client.get("/as-of/2013")
    assert page.status_code == 200
    assert 'href="/as-of/2012"' in page.text and 'href="/as-of/2014"' in page.text
    assert "Strategy for Denmark" in page.text


@pytest.mark.parametrize("year", ["1800", "abcd"])
def test_a_year_out_of_range_is_refused(client, year):
    assert client.get(f"/api/as-of/{year}").status_code == 422


def test_as_of_is_in_the_openapi_description(client):
    assert "/api/as-of/{year}" in client.get("/openapi.json").json()["paths"]
