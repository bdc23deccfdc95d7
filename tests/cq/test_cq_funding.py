"""Competency questions on funding, budgets and participation statistics (data/funding.ttl, data/statistics.ttl).

Each test is one question a researcher asks, one SPARQL query over the published graph, and the answer the
sources give (ECCP country factsheet Denmark; DFIR brief 2024). In the queries, ``kid:policy\\/x`` is the
Turtle/SPARQL spelling of ``https://w3id.org/klynge/id/policy/x``.
"""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox

from .conftest import KID, KLYNGE, ask, select, select_terms, values

ORG = KID + "org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
UFM = ORG + "ministry-of-higher-education-and-science"
DEB = ORG + "danish-business-promotion-board"


def test_total_budget_of_innovationskraft_in_dkk(graph: ox.Store) -> None:
    """What was Innovationskraft's total budget in DKK, for which years, and is the figure approximate?"""
    rows = select_terms(
        graph,
        r"""SELECT ?value ?approx ?start ?end WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:hasBudget ?b .
              ?b a schema:MonetaryAmount ; schema:currency "DKK" ; schema:value ?value ;
                 schema:startDate ?start ; schema:endDate ?end .
              OPTIONAL { ?b klynge:approximation ?approx }
              FILTER NOT EXISTS { ?b klynge:annual true }
            }""",
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["value"].datatype == ox.NamedNode(XSD + "decimal")
    assert Decimal(row["value"].value) == Decimal(640_000_000)
    assert row["approx"] == ox.NamedNode(KLYNGE + "Approximately")
    assert (row["start"], row["end"]) == (
        ox.Literal("2021", datatype=ox.NamedNode(XSD + "gYear")),
        ox.Literal("2024", datatype=ox.NamedNode(XSD + "gYear")),
    )


def test_total_budget_in_euro(graph: ox.Store) -> None:
    """What is the total budget of Innovationskraft in euro, and is the figure approximate?

    The factsheet gives EUR 86.07 million in its budget table and rounds the same sum to EUR 86 million where it
    reports the appointments: one amount, recorded once (the rounding is a scope note, not a second amount).
    """
    rows = select(
        graph,
        r"""SELECT ?value ?approx WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:hasBudget ?dkk .
              ?dkk schema:currency "DKK" ; klynge:equivalentAmount ?eur .
              ?eur schema:currency "EUR" ; schema:value ?value ; klynge:approximation ?approx .
            }""",
    )
    assert {(Decimal(r["value"]), r["approx"]) for r in rows} == {
        (Decimal("86070000"), KLYNGE + "Approximately"),
    }


def test_who_funds_innovationskraft(graph: ox.Store) -> None:
    """Who funds Innovationskraft 2021-2024?"""
    funders = values(graph, r"SELECT ?f WHERE { kid:policy\/innovationskraft-2021-2024 schema:funder ?f }")
    assert funders == {UFM, DEB}
    # Both are organisations, as the interop contract promises for schema:funder.
    assert ask(
        graph,
        r"""ASK { FILTER NOT EXISTS {
              kid:policy\/innovationskraft-2021-2024 schema:funder ?f . FILTER NOT EXISTS { ?f a org:Organization }
            } }""",
    )


def test_annual_contribution_of_each_funder(graph: ox.Store) -> None:
    """How much does each funder intend to set aside per year for Innovationskraft, in DKK and in euro?"""
    rows = select(
        graph,
        r"""SELECT ?funder ?dkk ?approx ?eur WHERE {
              ?funding a klynge:Funding ; schema:fundedItem kid:policy\/innovationskraft-2021-2024 ;
                       schema:funder ?funder ; schema:amount ?a .
              ?a klynge:annual true ; schema:currency "DKK" ; schema:value ?dkk ; klynge:approximation ?approx ;
                 klynge:equivalentAmount ?e .
              ?e schema:currency "EUR" ; schema:value ?eur ; klynge:annual true .
            }""",
    )
    answer = {(r["funder"], Decimal(r["dkk"]), r["approx"], Decimal(r["eur"])) for r in rows}
    approx = KLYNGE + "Approximately"
    assert answer == {
        (UFM, Decimal(80_000_000), approx, Decimal(10_760_000)),
        (DEB, Decimal(80_000_000), approx, Decimal(10_760_000)),
    }


def test_annual_shares_add_up_to_the_total(graph: ox.Store) -> None:
    """Do the funders' annual shares over the four programme years add up to the programme's total budget?"""
    rows = select(
        graph,
        r"""SELECT (SUM(?v) * 4 AS ?fouryears) ?total WHERE {
              ?funding schema:fundedItem kid:policy\/innovationskraft-2021-2024 ; schema:amount ?a .
              ?a klynge:annual true ; schema:currency "DKK" ; schema:value ?v .
              kid:policy\/innovationskraft-2021-2024 klynge:hasBudget ?t .
              ?t schema:currency "DKK" ; schema:value ?total .
              FILTER NOT EXISTS { ?t klynge:annual true }
            } GROUP BY ?total""",
    )
    assert len(rows) == 1
    assert Decimal(rows[0]["fouryears"]) == Decimal(rows[0]["total"]) == Decimal(640_000_000)


def test_funding_is_not_operating_support(graph: ox.Store) -> None:
    """Is the joint UFM/DEB funding of Innovationskraft operating support for the cluster organisations?"""
    rows = select(
        graph,
        r"""SELECT ?funding ?op WHERE {
              ?funding a klynge:Funding ; schema:fundedItem kid:policy\/innovationskraft-2021-2024 ;
                       klynge:isOperatingSupport ?op .
            }""",
    )
    assert [(r["funding"], r["op"]) for r in rows] == [(KID + "funding/innovationskraft-2021-2024", "false")]
    funders = values(graph, r"SELECT ?f WHERE { kid:funding\/innovationskraft-2021-2024 schema:funder ?f }")
    assert funders == {UFM, DEB}


def test_deb_decision_on_financing_2023_2024(graph: ox.Store) -> None:
    """By when must the business promotion board decide how the business side of 2023-2024 is financed?

    The board decides; the factsheet does not name it as the funder of this part (audit U15).
    """
    rows = select(
        graph,
        r"""SELECT ?who ?due ?start ?end WHERE {
              ?funding a klynge:Funding ; schema:fundedItem kid:policy\/innovationskraft-2021-2024 ;
                       klynge:decisionDueBy ?due ; klynge:decisionBy ?who ;
                       schema:startDate ?start ; schema:endDate ?end .
              FILTER NOT EXISTS { ?funding schema:funder ?anyone }
            }""",
    )
    assert [(r["who"], r["due"], r["start"], r["end"]) for r in rows] == [(DEB, "2022", "2023", "2024")]


def test_spending_and_external_funding_2021_2023(graph: ox.Store) -> None:
    """How much of the Innovationskraft allocation was spent in 2021-2023, and how much was raised externally?"""
    rows = select(
        graph,
        r"""SELECT ?measure ?value ?currency ?start ?end ?approx WHERE {
              ?s a klynge:ParticipationStatistic ; klynge:statisticOf kid:policy\/innovationskraft-2021-2024 ;
                 klynge:measure ?measure ; schema:amount ?a ; dcterms:source kid:source\/dfir-brief-2024 .
              ?a schema:value ?value ; schema:currency ?currency .
              OPTIONAL { ?s schema:startDate ?start ; schema:endDate ?end }
              OPTIONAL { ?s klynge:approximation ?approx }
            }""",
    )
    answer = {(r["measure"], Decimal(r["value"]), r["currency"], r["start"], r["end"], r["approx"]) for r in rows}
    assert answer == {
        (KLYNGE + "AmountSpent", Decimal(365_000_000), "DKK", "2021", "2023", None),
        (KLYNGE + "ExternalFundingSecured", Decimal(850_000_000), "DKK", None, None, None),
    }


def test_dfir_four_year_investment(graph: ox.Store) -> None:
    """According to DFIR, how much has Denmark invested in the knowledge and business clusters over four years?"""
    rows = select(
        graph,
        r"""SELECT ?value ?approx WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:hasBudget ?b .
              ?b schema:currency "DKK" ; schema:value ?value ; klynge:approximation ?approx ;
                 dcterms:source kid:source\/dfir-brief-2024 .
            }""",
    )
    assert [(Decimal(r["value"]), r["approx"]) for r in rows] == [(Decimal(640_000_000), KLYNGE + "Approximately")]


def test_companies_and_activities_2021_2023(graph: ox.Store) -> None:
    """How many Danish companies took part in how many cluster activities in 2021-2023?"""
    rows = select_terms(
        graph,
        r"""SELECT ?measure ?value ?start ?end WHERE {
              ?s a klynge:ParticipationStatistic ; qb:dataSet kid:dataset\/cluster-statistics-2021-2023 ;
                 klynge:participantType klynge:Enterprise ; klynge:measure ?measure ;
                 sdmx-measure:obsValue ?value ; schema:startDate ?start ; schema:endDate ?end .
              FILTER NOT EXISTS { ?s klynge:approximation ?any }
            }""",
    )
    gyear = ox.NamedNode(XSD + "gYear")
    assert {r["start"] for r in rows} == {ox.Literal("2021", datatype=gyear)}
    assert {r["end"] for r in rows} == {ox.Literal("2023", datatype=gyear)}
    assert {(r["measure"].value, int(r["value"].value)) for r in rows} == {
        (KLYNGE + "NumberOfParticipatingEnterprises", 11050),
        (KLYNGE + "NumberOfActivities", 3083),
    }


def test_knowledge_environment_participation_2021_2023(graph: ox.Store) -> None:
    """How often did Danish knowledge environments take part in cluster activities in 2021-2023, and in how many?"""
    rows = select(
        graph,
        r"""SELECT ?measure ?value WHERE {
              ?s a qb:Observation ; qb:dataSet kid:dataset\/cluster-statistics-2021-2023 ;
                 klynge:participantType klynge:KnowledgeEnvironment ; klynge:measure ?measure ;
                 sdmx-measure:obsValue ?value ; schema:startDate "2021"^^xsd:gYear ;
                 schema:endDate "2023"^^xsd:gYear .
            }""",
    )
    assert {(r["measure"], int(r["value"])) for r in rows} == {
        (KLYNGE + "NumberOfParticipations", 5784),
        (KLYNGE + "NumberOfActivities", 2284),
    }


def test_share_of_companies_outside_core_strengths(graph: ox.Store) -> None:
    """What share of the companies in cluster-funded activities comes from outside the clusters' core strengths?"""
    rows = select(
        graph,
        r"""SELECT ?value ?unit ?approx WHERE {
              ?s klynge:measure klynge:ShareOutsideCoreStrengths ; sdmx-measure:obsValue ?value ;
                 klynge:unit ?unit ; klynge:approximation ?approx ; klynge:participantType klynge:Enterprise .
            }""",
    )
    assert [(int(r["value"]), r["unit"], r["approx"]) for r in rows] == [(50, "percent", KLYNGE + "Approximately")]


def test_statistics_come_from_the_ministry_cluster_statistics(graph: ox.Store) -> None:
    """Where do the 2021-2023 cluster figures come from, and which document reports them?"""
    rows = select(
        graph,
        r"""SELECT ?publisher ?title ?doc WHERE {
              kid:dataset\/cluster-statistics-2021-2023 dcterms:references ?work ; dcterms:source ?doc .
              ?work a klynge:CitedWork ; dcterms:publisher ?publisher ; dcterms:title ?title .
              ?doc dcterms:references ?work .
              FILTER(LANG(?title) = "en")
            }""",
    )
    assert [(r["publisher"], r["title"], r["doc"]) for r in rows] == [
        (UFM, "Danish Ministry of Higher Education and Science Cluster Statistics", KID + "source/dfir-brief-2024")
    ]
    # Every observation of the data set comes from the DFIR brief.
    observations = values(
        graph,
        r"""SELECT ?s WHERE { ?s qb:dataSet kid:dataset\/cluster-statistics-2021-2023 .
              FILTER NOT EXISTS { ?s dcterms:source kid:source\/dfir-brief-2024 } }""",
    )
    assert observations == set()


def test_every_amount_is_a_positive_decimal_with_currency(graph: ox.Store) -> None:
    """Is every amount of the funding data a decimal in full units with an ISO currency (no 'million' shorthands)?"""
    rows = select_terms(
        graph,
        r"""SELECT ?a ?v ?c WHERE {
              GRAPH <https://w3id.org/klynge/graph/funding> { ?a a schema:MonetaryAmount }
              ?a schema:value ?v ; schema:currency ?c .
            }""",
    )
    assert len(rows) == 7
    for row in rows:
        assert row["v"].datatype == ox.NamedNode(XSD + "decimal"), row["a"]
        assert Decimal(row["v"].value) >= 1_000_000, row["a"]
        assert row["c"].value in {"DKK", "EUR"}, row["a"]
