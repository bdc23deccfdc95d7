"""Competency questions on regions, NACE divisions and regionally relevant specialisation nodes.

Data: data/regions.ttl and the code lists of data/codelists.ttl. Each test is one question a researcher asks, one
SPARQL query over the published graph, and the exact answer of the ECCP country factsheet for Denmark (table 1:
sectoral nodes; table 2: ecosystem nodes). ``kid:region\\/DK01`` is the SPARQL spelling of
``https://w3id.org/klynge/id/region/DK01``.
"""

from __future__ import annotations

import pyoxigraph as ox

from .conftest import KID, ask, select, values

REGION = KID + "region/"
ECOSYSTEM = KID + "ecosystem/"


def test_region_with_most_sectoral_nodes(graph: ox.Store) -> None:
    """Which region has the most regionally relevant sectoral nodes, and how many?"""
    rows = select(
        graph,
        r"""SELECT ?region ?label ?n WHERE {
              ?c a klynge:RegionalNodeCount ; qb:dataSet kid:dataset\/sectoral-node-counts ;
                 sdmx-dimension:refArea ?region ; klynge:nodeCount ?n .
              ?region rdfs:label ?label .
            } ORDER BY DESC(?n) LIMIT 2""",
    )
    assert (rows[0]["region"], rows[0]["label"], int(rows[0]["n"])) == (REGION + "DK01", "Capital", 12)
    assert int(rows[1]["n"]) == 5


def test_node_counts_per_region(graph: ox.Store) -> None:
    """How many sectoral and how many ecosystem nodes does each region have?"""
    rows = select(
        graph,
        """SELECT ?notation ?dataset ?n WHERE {
              ?c a klynge:RegionalNodeCount ; qb:dataSet/dcterms:relation ?dataset ; sdmx-dimension:refArea ?r ;
                 klynge:nodeCount ?n .
              ?r skos:notation ?notation .
            }""",
    )
    got = {(r["notation"], r["dataset"].rsplit("/", 1)[1], int(r["n"])) for r in rows}
    assert got == {
        ("DK01", "sectoral-nodes", 12),
        ("DK02", "sectoral-nodes", 4),
        ("DK03", "sectoral-nodes", 5),
        ("DK04", "sectoral-nodes", 5),
        ("DK05", "sectoral-nodes", 5),
        ("DK01", "ecosystem-nodes", 3),
        ("DK02", "ecosystem-nodes", 2),
        ("DK03", "ecosystem-nodes", 1),
        ("DK04", "ecosystem-nodes", 1),
        ("DK05", "ecosystem-nodes", 1),
    }


def test_national_totals_match_regional_counts(graph: ox.Store) -> None:
    """How many regionally relevant nodes does Denmark have in all, and do the regions' counts add up to it?"""
    rows = select(
        graph,
        """SELECT ?dataset ?total (SUM(?n) AS ?sum) WHERE {
              ?dataset a qb:DataSet ; klynge:count ?total .
              ?c a klynge:RegionalNodeCount ; qb:dataSet/dcterms:relation ?dataset ; klynge:nodeCount ?n .
            } GROUP BY ?dataset ?total""",
    )
    got = {(r["dataset"].rsplit("/", 1)[1], int(r["total"]), int(r["sum"])) for r in rows}
    assert got == {("sectoral-nodes", 31, 31), ("ecosystem-nodes", 8, 8)}


def test_regions_with_pharmaceuticals_node(graph: ox.Store) -> None:
    """Which regions have C21 (manufacture of pharmaceuticals) as a sectoral node, and at which rank?"""
    rows = select(
        graph,
        """SELECT ?notation ?rank WHERE {
              ?node a klynge:SectoralNode ; klynge:sector ?s ; sdmx-dimension:refArea ?r ; klynge:rank ?rank .
              ?s skos:notation "C21" . ?r skos:notation ?notation .
            }""",
    )
    assert {(r["notation"], int(r["rank"])) for r in rows} == {("DK01", 2), ("DK02", 1), ("DK04", 1), ("DK05", 1)}


def test_top_ecosystem_nodes_of_capital(graph: ox.Store) -> None:
    """What are the top-3 ecosystem nodes of the Capital region, in order?"""
    rows = select(
        graph,
        r"""SELECT ?label WHERE {
              ?node a klynge:EcosystemNode ; sdmx-dimension:refArea kid:region\/DK01 ;
                    klynge:ecosystem ?e ; klynge:rank ?rank .
              ?e rdfs:label ?label .
            } ORDER BY ?rank""",
    )
    assert [r["label"] for r in rows] == ["Digital", "Cultural and creative industries", "Health"]


def test_ecosystem_node_in_all_five_regions(graph: ox.Store) -> None:
    """Which industrial ecosystem is a regionally relevant node in all five regions?"""
    assert values(
        graph,
        """SELECT ?e WHERE {
              ?node a klynge:EcosystemNode ; klynge:ecosystem ?e ; sdmx-dimension:refArea ?r .
            } GROUP BY ?e HAVING (COUNT(DISTINCT ?r) = 5)""",
    ) == {ECOSYSTEM + "health"}


def test_zealand_ecosystem_nodes(graph: ox.Store) -> None:
    """Which ecosystems are nodes in Zealand, in rank order?"""
    rows = select(
        graph,
        r"""SELECT ?e WHERE {
              ?node a klynge:EcosystemNode ; sdmx-dimension:refArea kid:region\/DK02 ; klynge:ecosystem ?e ;
                    klynge:rank ?rank .
            } ORDER BY ?rank""",
    )
    assert [r["e"] for r in rows] == [ECOSYSTEM + "health", ECOSYSTEM + "proximity-social-economy-and-civil-security"]


def test_sectors_that_are_nodes_in_only_one_region(graph: ox.Store) -> None:
    """Which NACE divisions appear among the ranked sectoral nodes of one region only, and of which region?"""
    rows = select(
        graph,
        """SELECT ?code (SAMPLE(?rn) AS ?region) WHERE {
              ?node a klynge:SectoralNode ; klynge:sector ?s ; sdmx-dimension:refArea ?r .
              ?s skos:notation ?code . ?r skos:notation ?rn .
            } GROUP BY ?code HAVING (COUNT(DISTINCT ?r) = 1)""",
    )
    assert {(r["code"], r["region"]) for r in rows} == {
        ("H50", "DK01"),
        ("R91", "DK01"),
        ("J58", "DK01"),
        ("K65", "DK01"),
        ("H53", "DK03"),
    }


def test_top_sectoral_node_per_region(graph: ox.Store) -> None:
    """What is each region's most specialised sectoral node?"""
    rows = select(
        graph,
        """SELECT ?region ?code WHERE {
              ?node a klynge:SectoralNode ; klynge:rank 1 ; klynge:sector ?s ; sdmx-dimension:refArea ?r .
              ?s skos:notation ?code . ?r skos:notation ?region .
            }""",
    )
    assert {(r["region"], r["code"]) for r in rows} == {
        ("DK01", "H50"),
        ("DK02", "C21"),
        ("DK03", "Q88"),
        ("DK04", "C21"),
        ("DK05", "C21"),
    }


def test_ranked_nodes_never_exceed_the_count(graph: ox.Store) -> None:
    """Does any region list more ranked nodes than it counts (and which lists fewer than five)?"""
    rows = select(
        graph,
        """SELECT ?dataset ?region ?n (COUNT(DISTINCT ?node) AS ?listed) WHERE {
              ?c a klynge:RegionalNodeCount ; qb:dataSet/dcterms:relation ?dataset ; sdmx-dimension:refArea ?region ;
                 klynge:nodeCount ?n .
              ?node a klynge:SpecialisationNode ; qb:dataSet ?dataset ; sdmx-dimension:refArea ?region .
            } GROUP BY ?dataset ?region ?n""",
    )
    assert len(rows) == 10
    assert all(int(r["listed"]) == min(int(r["n"]), 5) for r in rows)
    short = {r["region"] for r in rows if r["dataset"].endswith("sectoral-nodes") and int(r["listed"]) < 5}
    assert short == {REGION + "DK02"}


def test_region_codes_match_eu_nuts(graph: ox.Store) -> None:
    """What are the NUTS codes and names of the five regions, and which EU NUTS IRIs do they match?"""
    rows = select(
        graph,
        """SELECT ?notation ?label ?match WHERE {
              ?r a klynge:NutsRegion ; skos:inScheme kid:scheme\\/nuts-2 ; skos:notation ?notation ;
                 rdfs:label ?label ; skos:exactMatch ?match .
            }""",
    )
    assert {(r["notation"], r["label"], r["match"]) for r in rows} == {
        (code, name, "http://data.europa.eu/nuts/code/" + code)
        for code, name in [
            ("DK01", "Capital"),
            ("DK02", "Zealand"),
            ("DK03", "South Denmark"),
            ("DK04", "Central Jutland"),
            ("DK05", "North Jutland"),
        ]
    }


def test_nace_division_of_water_transport(graph: ox.Store) -> None:
    """What is the NACE code of water transport, its EU IRI, and how many 2-digit activities were screened?"""
    rows = select(
        graph,
        """SELECT ?notation ?match WHERE {
              ?d a klynge:NaceDivision ; rdfs:label "Water transport"@en ; skos:notation ?notation ;
                 skos:exactMatch ?match .
            }""",
    )
    assert rows == [{"notation": "H50", "match": "http://data.europa.eu/ux2/nace2/50"}]
    assert values(graph, r"SELECT ?n WHERE { kid:scheme\/nace-divisions klynge:count ?n }") == {"88"}
    assert len(values(graph, "SELECT ?d WHERE { ?d a klynge:NaceDivision }")) == 11


def test_specialisation_method(graph: ox.Store) -> None:
    """Which thresholds make an activity a specialisation node and regionally relevant?"""
    rows = select(
        graph,
        r"""SELECT ?d WHERE { kid:dataset\/sectoral-nodes dcterms:description ?d }""",
    )
    assert len(rows) == 1
    text = rows[0]["d"]
    assert "location quotient" in text and "1.5" in text and "1%" in text and "88" in text


def test_nodes_reference_only_code_list_concepts(graph: ox.Store) -> None:
    """Does every node point at a region, sector or ecosystem of the code lists?"""
    assert not ask(
        graph,
        """ASK {
              ?node a klynge:SpecialisationNode ; sdmx-dimension:refArea ?r .
              FILTER NOT EXISTS { ?r skos:inScheme kid:scheme\\/nuts-2 }
            }""",
    )
    assert not ask(
        graph,
        """ASK {
              { ?node klynge:sector ?c FILTER NOT EXISTS { ?c skos:inScheme kid:scheme\\/nace-divisions } }
              UNION
              { ?node klynge:ecosystem ?c FILTER NOT EXISTS { ?c skos:inScheme kid:scheme\\/industrial-ecosystems } }
            }""",
    )
