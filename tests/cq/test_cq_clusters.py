"""Competency questions on clusters, business and technology areas, the ECCP figures and Innovationskraft's design.

Data: data/clusters.ttl, data/codelists.ttl, data/programme.ttl. Each test is one question a researcher asks, one
SPARQL query over the published graph, and the exact answer the ECCP country factsheet for Denmark gives. In the
queries, ``kid:cluster\\/x`` is the Turtle/SPARQL spelling of ``https://w3id.org/klynge/id/cluster/x``.
"""

from __future__ import annotations

import pyoxigraph as ox

from .conftest import KID, KLYNGE, ask, select, select_terms, values

CLUSTER = KID + "cluster/"
AREA = KID + "area/"
ORG = KID + "org/"
XSD = "http://www.w3.org/2001/XMLSchema#"

ALL_CLUSTERS = {
    CLUSTER + slug
    for slug in (
        "clean",
        "energy-cluster-denmark",
        "food-bio-cluster-denmark",
        "marlog",
        "danish-life-science-cluster",
        "we-build-denmark",
        "lifestyle-design-cluster",
        "made",
        "digitallead",
        "copenhagen-fintech",
        "odense-robotics",
        "vision-denmark",
        "danish-sound-cluster",
        "censec",
    )
}


def test_budding_clusters(graph: ox.Store) -> None:
    """Which of the appointed clusters are budding, and for which areas?"""
    rows = select(
        graph,
        """SELECT ?cluster ?area WHERE {
              ?cluster a klynge:ClusterOrganisation ; klynge:isBudding true ; klynge:hasArea ?area .
            }""",
    )
    assert {(r["cluster"], r["area"]) for r in rows} == {
        (CLUSTER + "odense-robotics", AREA + "robot-and-drone-technology"),
        (CLUSTER + "vision-denmark", AREA + "animation-games-and-movies"),
        (CLUSTER + "danish-sound-cluster", AREA + "sound-technology"),
        (CLUSTER + "censec", AREA + "defence-space-and-security"),
    }


def test_cluster_for_energy_technology(graph: ox.Store) -> None:
    """Which cluster organisation covers energy technology?"""
    assert values(
        graph,
        r"""SELECT ?name WHERE {
              ?cluster klynge:hasArea ?area ; rdfs:label ?name .
              ?area skos:prefLabel "Energy technology"@en .
            }""",
    ) == {"Energy Cluster Denmark"}


def test_fourteen_clusters_appointed_on_1_october_2020_by_the_minister(graph: ox.Store) -> None:
    """Which clusters were appointed on 1 October 2020, by whom, and for which programme?"""
    rows = select_terms(
        graph,
        r"""SELECT ?cluster ?by ?programme WHERE {
              ?cluster a klynge:ClusterOrganisation ;
                       klynge:appointedOn "2020-10-01"^^xsd:date ;
                       klynge:appointedBy ?by ;
                       klynge:appointedUnder ?programme .
            }""",
    )
    assert {r["cluster"].value for r in rows} == ALL_CLUSTERS
    assert {r["by"].value for r in rows} == {KID + "post/minister-for-higher-education-and-science"}
    assert {r["programme"].value for r in rows} == {KID + "policy/innovationskraft-2021-2024"}
    assert ask(
        graph,
        r"""ASK { kid:post\/minister-for-higher-education-and-science
                    rdfs:label "Minister of Education and Research"@en }""",
    )


def test_one_cluster_per_area(graph: ox.Store) -> None:
    """Does every business and technology area have exactly one appointed cluster, and every cluster one area?"""
    rows = select(
        graph,
        """SELECT ?area (COUNT(DISTINCT ?cluster) AS ?n) WHERE {
              ?area a klynge:BusinessArea ; skos:inScheme kid:scheme\\/business-areas .
              OPTIONAL { ?cluster klynge:hasArea ?area }
            } GROUP BY ?area""",
    )
    assert len(rows) == 14
    assert {r["n"] for r in rows} == {"1"}
    assert not ask(graph, "ASK { ?c klynge:hasArea ?a , ?b . FILTER(?a != ?b) }")


def test_cluster_found_by_its_long_name(graph: ox.Store) -> None:
    """Which clusters are 'Maritime & Logistics Innovation Denmark' and 'The Cluster for Advanced Production'?"""
    rows = select(
        graph,
        """SELECT ?long ?short WHERE {
              VALUES ?long { "Maritime & Logistics Innovation Denmark"@en "The Cluster for Advanced Production"@en }
              ?cluster a klynge:ClusterOrganisation ; skos:altLabel ?long ; rdfs:label ?short .
            }""",
    )
    assert {(r["long"], r["short"]) for r in rows} == {
        ("Maritime & Logistics Innovation Denmark", "MARLOG"),
        ("The Cluster for Advanced Production", "MADE"),
    }


def test_funders_of_every_cluster(graph: ox.Store) -> None:
    """Who funds the selected cluster organisations?"""
    rows = select(
        graph, "SELECT ?cluster ?funder WHERE { ?cluster a klynge:ClusterOrganisation ; schema:funder ?funder }"
    )
    funders = {ORG + "ministry-of-higher-education-and-science", ORG + "danish-business-promotion-board"}
    assert {r["funder"] for r in rows} == funders
    assert {r["cluster"] for r in rows} == ALL_CLUSTERS
    assert len(rows) == 2 * len(ALL_CLUSTERS)


def test_strength_positions_and_budding_areas(graph: ox.Store) -> None:
    """Which areas did the Business Promotion Board designate as strength positions and which as budding areas?"""
    rows = select(
        graph,
        """SELECT ?collection (COUNT(DISTINCT ?area) AS ?n) WHERE {
              ?collection a skos:Collection ; skos:member ?area .
              ?area a klynge:BusinessArea .
            } GROUP BY ?collection""",
    )
    assert {(r["collection"], int(r["n"])) for r in rows} == {
        (KID + "collection/strength-positions", 10),
        (KID + "collection/budding-areas", 2),
        (KID + "collection/additional-emerging-areas", 2),
    }
    assert values(
        graph,
        r"SELECT ?l WHERE { kid:collection\/budding-areas skos:member ?a . ?a rdfs:label ?l }",
    ) == {"Robot and drone technology", "Animation, games and movies"}


def test_construction_variants_are_one_area(graph: ox.Store) -> None:
    """Are 'Construction' and 'Building and Construction' the same area, and which cluster covers it?"""
    rows = select(
        graph,
        """SELECT DISTINCT ?area ?cluster WHERE {
              ?area a klynge:BusinessArea .
              { ?area skos:altLabel "Construction"@en } UNION { ?area skos:altLabel "Building and Construction"@en }
              ?cluster klynge:hasArea ?area .
            }""",
    )
    assert rows == [{"area": AREA + "building-and-construction", "cluster": CLUSTER + "we-build-denmark"}]


def test_eccp_registered_and_active_cluster_organisations(graph: ox.Store) -> None:
    """How many cluster organisations in Denmark are registered on the ECCP, and how many were active in H1 2021?"""
    rows = select_terms(
        graph,
        """SELECT ?measure ?value ?start ?end WHERE {
              ?s a klynge:ParticipationStatistic ; klynge:statisticOf kid:org\\/eccp ;
                 klynge:measure ?measure ; sdmx-measure:obsValue ?value .
              OPTIONAL { ?s schema:startDate ?start } OPTIONAL { ?s schema:endDate ?end }
            }""",
    )
    got = {r["measure"].value: (int(r["value"].value), r["start"], r["end"]) for r in rows}
    date = ox.NamedNode(XSD + "date")
    assert got == {
        KLYNGE + "NumberOfClusterOrganisations": (31, None, None),
        KLYNGE + "NumberOfActiveClusterOrganisations": (
            6,
            ox.Literal("2021-01-01", datatype=date),
            ox.Literal("2021-06-30", datatype=date),
        ),
    }


def test_fourteen_industrial_ecosystems(graph: ox.Store) -> None:
    """How many industrial ecosystems did the Industrial Strategy select, and which does the factsheet name?

    The factsheet names only four (audit W01): the graph holds those four and the count, not the other ten.
    """
    assert values(graph, r"SELECT ?n WHERE { kid:scheme\/industrial-ecosystems klynge:count ?n }") == {"14"}
    named = values(
        graph, r"SELECT ?label WHERE { ?e skos:inScheme kid:scheme\/industrial-ecosystems ; rdfs:label ?label }"
    )
    assert named == {
        "Digital",
        "Cultural and creative industries",
        "Health",
        "Proximity, social economy and civil security",
    }
    assert not ask(
        graph,
        r"""ASK { ?e dcterms:references kid:work\/eu-industrial-strategy-2020 ;
                     skos:inScheme kid:scheme\/industrial-ecosystems .
                  FILTER NOT EXISTS { ?e skos:scopeNote ?note } }""",
    )


def test_requirements_on_cluster_organisations(graph: ox.Store) -> None:
    """What must a cluster organisation be to receive Innovationskraft funding?"""
    labels = values(
        graph,
        r"""SELECT ?label WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:hasRequirement ?r . ?r rdfs:label ?label }""",
    )
    assert {
        "Independent organisation",
        "Privately based",
        "Own CVR number",
        "Non-profit operation",
        "Neutral platform for collaboration",
        "International outlook",
        "Works with other cluster organisations on shared challenges",
    } <= labels
    assert len(labels) == 11


def test_objectives_of_innovationskraft(graph: ox.Store) -> None:
    """How many objectives does Innovationskraft state, and is greener production among them?"""
    rows = select(
        graph,
        r"""SELECT ?o ?label WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:hasObjective ?o .
              ?o a klynge:Objective ; rdfs:label ?label ; dcterms:source kid:source\/eccp-factsheet-denmark .
            }""",
    )
    assert len({r["o"] for r in rows}) == 14
    assert KID + "objective/green-production" in {r["o"] for r in rows}


def test_beneficiaries_of_innovationskraft(graph: ox.Store) -> None:
    """Who are Innovationskraft's beneficiaries?"""
    rows = select(
        graph,
        r"""SELECT ?b ?name WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:beneficiary ?b . ?b rdfs:label|skos:altLabel ?name }""",
    )
    assert len({r["b"] for r in rows}) == 7
    names = {r["name"] for r in rows}
    assert {
        "SMEs",
        "Cluster organisations",
        "Research organisations",
        "Academic institutions",
        "Start-ups",
        "Large firms",
        "Technology centres",
    } <= names


def test_instruments_by_kind(graph: ox.Store) -> None:
    """How many financial instruments and other forms of assistance does Innovationskraft use?"""
    rows = select(
        graph,
        r"""SELECT ?kind (COUNT(DISTINCT ?i) AS ?n) WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:hasInstrument ?i .
              ?i a ?kind . VALUES ?kind { klynge:FinancialInstrument klynge:NonFinancialInstrument }
            } GROUP BY ?kind""",
    )
    assert {(r["kind"], int(r["n"])) for r in rows} == {
        (KLYNGE + "FinancialInstrument", 8),
        (KLYNGE + "NonFinancialInstrument", 5),
    }


def test_eu_priorities(graph: ox.Store) -> None:
    """With which EU priorities is Innovationskraft aligned?"""
    assert values(
        graph,
        r"""SELECT ?label WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:alignedWith ?p .
              ?p a klynge:EuPriority ; rdfs:label ?label }""",
    ) == {"Green economy", "Digitalisation", "Social inclusion"}


def test_focus_areas_are_the_twelve_designated(graph: ox.Store) -> None:
    """Which areas does Innovationskraft focus on, and are the two extra emerging areas among them?"""
    focus = values(graph, r"SELECT ?a WHERE { kid:policy\/innovationskraft-2021-2024 klynge:focusArea ?a }")
    designated = values(
        graph,
        r"""SELECT ?a WHERE { VALUES ?c { kid:collection\/strength-positions kid:collection\/budding-areas }
                              ?c skos:member ?a }""",
    )
    assert len(focus) == 12
    assert focus == designated
    assert AREA + "sound-technology" not in focus
