"""As of a year: the answers for 1998, 2008, 2013, 2020, 2022 and 2025, checked against what the sources say.

Each expectation names the source passage it comes from (F: the ECCP factsheet, D: the DFIR brief).
"""

from __future__ import annotations

import pytest

from shared import shared_path

KID = "https://w3id.org/klynge/id/"


def factsheet() -> str:
    """The ECCP factsheet with its whitespace runs made single spaces (the extraction breaks lines)."""
    return " ".join(shared_path("sources", "000_ea44c16095afaad3.txt").read_text(encoding="utf-8").split())


def plans(client, year: int) -> set[str]:
    answer = client.get(f"/api/as-of/{year}")
    assert answer.status_code == 200
    return {policy["iri"].removeprefix(KID) for policy in answer.json()["policies"]}


def begun_without_end(client, year: int) -> set[str]:
    return {policy["iri"].removeprefix(KID) for policy in client.get(f"/api/as-of/{year}").json()["started_no_end"]}


@pytest.mark.parametrize("year", [1990, 1995, 1996, 1999])
def test_the_1990s_co_financing_counts_in_each_year_of_the_decade(client, year):
    # F: "The first steps towards a cluster policy were taken by the then Danish government in the 1990's, where
    # the government co-financed cooperation activities" (the graph: dcterms:temporal "1990s"; S17).
    assert "in the 1990's, where the government co-financed cooperation activities" in factsheet()
    answer = client.get(f"/api/as-of/{year}").json()
    assert "policy/research-business-cofinancing-1990s" in {p["iri"].removeprefix(KID) for p in answer["policies"]}
    assert "org/danish-government" in {b["iri"].removeprefix(KID) for b in answer["bodies"]}
    assert "policy/research-business-cofinancing-1990s" not in plans(client, 2000)


def test_1995_page_names_the_co_financing(client):
    page = client.get("/as-of/1995")
    assert "no plan in force" not in page.text
    assert "Government co-financing of research-business cooperation" in page.text


def test_1998_the_policy_the_government_fully_established(client):
    # F: "In 1998, the government fully established the policy"; no source gives it an end, so later years list it
    # apart, as begun with no end, and never as in force.
    assert "In 1998, the government fully established the policy" in factsheet()
    assert "policy/policy-1998" in plans(client, 1998)
    assert "policy/policy-1998" in begun_without_end(client, 2008)
    assert "policy/policy-1998" not in plans(client, 1999) | plans(client, 2008)
    assert "whether they still held in 2008 the sources do not say" in client.get("/as-of/2008").text


def test_2008_innovation_denmark_and_innovation_network_denmark(client):
    # F: Innovation Denmark 2007-2010; "in 2008 ... gathered into one national programme, Innovation Network Denmark".
    found = plans(client, 2008)
    assert {"policy/innovation-denmark-2007-2010", "policy/innovation-network-denmark"} <= found


@pytest.mark.parametrize("year", range(2013, 2021))
def test_innovation_network_denmark_stays_in_force_to_2020(client, year):
    # F: "The innovation networks were continued under this strategy and in the form they appear in 2020": a
    # continuation, not a replacement (issue 20; the 2026-12-07 audit, section 3).
    assert "The innovation networks were continued under this strategy and in the form they appear in 2020" in (
        factsheet()
    )
    assert "policy/innovation-network-denmark" in plans(client, year)


@pytest.mark.parametrize("year", [2019, 2020])
def test_the_2016_2018_strategy_is_in_force_in_2019_and_2020(client, year):
    # F: "The 2016-2018 strategy has continued, as no new strategy has been implemented yet" (data of 2020).
    assert "The 2016-2018 strategy has continued, as no new strategy has been implemented yet" in factsheet()
    answer = client.get(f"/api/as-of/{year}").json()
    (strategy,) = [p for p in answer["policies"] if p["iri"] == KID + "policy/cluster-strategy-2-0-2016-2018"]
    assert (strategy["start"], strategy["planned_end"], strategy["end"]) == ("2016", "2018", None)
    assert (strategy["in_force_until"], strategy["basis"]) == ("2020", "continued")
    assert {"policy/innovation-network-denmark", "policy/guidelines-innovation-networks-2019-2020"} <= {
        p["iri"].removeprefix(KID) for p in answer["policies"]
    }
    page = client.get(f"/as-of/{year}").text
    assert "planned to 2018; still in force in 2020, the sources say" in page


def test_after_2020_the_sources_say_nothing_of_the_2016_2018_strategy(client):
    # The factsheet's data are of 2020; no source says the strategy or the networks held in 2021.
    found = plans(client, 2021)
    assert not {"policy/cluster-strategy-2-0-2016-2018", "policy/innovation-network-denmark"} & found


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
    in_force = {row["policy"]["value"].removeprefix(KID) for row in rows if row["basis"]["value"] != "no end stated"}
    listed = {row["policy"]["value"].removeprefix(KID) for row in rows}
    assert not listed & {"policy/ministry-of-science-study-2006", "policy/call-innovationskraft-2020"}
    assert "policy/policy-1998" not in in_force  # begun in 1998, with no end in the sources: listed as such
    assert "policy/innovationskraft-2021-2024" not in listed


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


def test_policies_in_force_leaves_out_plans_only_known_to_have_begun(engine):
    """Other answers (browse's year facet) ask which plans were in force: a plan with no end in the sources is
    not among them after its first year (F: "In 1998, the government fully established the policy")."""
    from klynge.answers.as_of import plans_of_year, policies_in_force

    in_force = {policy.iri for policy in policies_in_force(engine, 2008)}
    every = {policy.iri for policy in plans_of_year(engine, 2008)}
    assert KID + "policy/policy-1998" in every - in_force
    assert KID + "policy/innovation-network-denmark" in in_force
