"""Evidence a researcher can check (issue 8): stated and inferred facts apart, locators, counts, the audit's items.

The fact audit (``../shared/reviews/2026-12-fact-audit.md``) found facts the sources do not state, readings kept
only in Turtle comments, duplicate statements and one-thing-two-IRI slips. Each test below pins one of its items
so that it does not come back, and the figures the competency questions answer are checked against the source
texts themselves (``../shared/sources/``), not transcribed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.graph.build import VOCABULARY_GRAPH, build_store, default_sources
from klynge.validation.lines import parse_located
from klynge.validation.repeats import repeats_in
from shared import shared_path

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX klynge: <https://w3id.org/klynge/ontology#>
PREFIX kid: <https://w3id.org/klynge/id/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <http://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
"""
KID = "https://w3id.org/klynge/id/"
FACTSHEET = "000_ea44c16095afaad3.txt"
BRIEF = "001_62fd75fca2c3d4d6.txt"
NAMESPACE = {True: "http://www.w3.org/ns/prov#", False: "https://w3id.org/klynge/ontology#"}
SOURCE_FILES = {KID + "source/eccp-factsheet-denmark": FACTSHEET, KID + "source/dfir-brief-2024": BRIEF}


@pytest.fixture(scope="module")
def graph(published_store: ox.Store) -> ox.Store:
    return published_store


def rows(graph: ox.Store, query: str) -> list[dict[str, str]]:
    result = graph.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def ask(graph: ox.Store, query: str) -> bool:
    return bool(graph.query(PREFIXES + query, use_default_graph_as_union=True))


def short(iri: str) -> str:
    return iri[len(KID) :] if iri.startswith(KID) else iri.rsplit("#", 1)[-1]


def source_text(name: str) -> str:
    """A source file's text with its whitespace runs made single spaces (the extraction breaks lines)."""
    return " ".join(shared_path("sources", name).read_text(encoding="utf-8").split())


# -- Evidence as data: the contract's qualified influences ---------------------------------------------------


def steps(graph: ox.Store) -> dict[tuple[str, str, str], dict[str, str]]:
    found = rows(
        graph,
        """SELECT ?later ?q ?relation ?earlier ?evidence ?doc ?locator ?note WHERE {
             ?later prov:qualifiedInfluence ?q .
             ?q a prov:Influence ; prov:influencer ?earlier ; klynge:relation ?relation ; klynge:evidence ?evidence ;
                dcterms:source ?doc ; klynge:locator ?locator .
             OPTIONAL { ?q skos:editorialNote ?note FILTER(LANG(?note) = "en") }
           }""",
    )
    return {(short(r["later"]), short(r["relation"]), short(r["earlier"])): r for r in found}


def test_every_direct_lineage_link_between_plans_has_its_qualified_form(graph: ox.Store) -> None:
    links = rows(
        graph,
        "SELECT ?later ?earlier WHERE { ?later a prov:Plan ; prov:wasInfluencedBy ?earlier . ?earlier a prov:Plan }",
    )
    qualified = {(later, earlier) for later, _, earlier in steps(graph)}
    assert {(short(r["later"]), short(r["earlier"])) for r in links} <= qualified
    assert len(links) == 15


def test_each_qualified_step_follows_the_contract(graph: ox.Store) -> None:
    found = steps(graph)
    for (later, relation, earlier), row in found.items():
        assert row["q"] == f"{KID}influence/{later.rsplit('/', 1)[1]}--{relation}--{earlier.rsplit('/', 1)[1]}"
        assert row["evidence"] in (
            KID.replace("id/", "ontology#") + "Stated",
            KID.replace("id/", "ontology#") + "Inferred",
        )
        assert row["doc"] in SOURCE_FILES
        # The specific relation is the one the data states.
        assert ask(
            graph,
            f"ASK {{ <{KID}{later}> <{NAMESPACE[relation == 'wasInfluencedBy']}{relation}> <{KID}{earlier}> }}",
        )
        if row["evidence"].endswith("Inferred"):
            assert row["note"], f"{row['q']} is inferred and needs a note"


def test_which_steps_are_stated_and_which_are_our_reading(graph: ox.Store) -> None:
    """The audit's unstated links (U02-U04, U06, U09, U13) are gone or marked inferred; the stated ones stay."""
    evidence = {key: row["evidence"].rsplit("#", 1)[1] for key, row in steps(graph).items()}
    inferred = {key for key, kind in evidence.items() if kind == "Inferred"}
    assert inferred == {
        ("policy/policy-1998", "wasInfluencedBy", "policy/research-business-cofinancing-1990s"),
        ("policy/ministry-of-science-study-2006", "wasInfluencedBy", "policy/policy-1998"),
        ("policy/cluster-strategy-2-0-2016-2018", "wasInfluencedBy", "policy/strategy-cluster-policy-2013"),
        ("policy/guidelines-innovation-networks-2019-2020", "wasInfluencedBy", "policy/cluster-strategy-2-0-2016-2018"),
        ("policy/call-innovationskraft-2020", "implements", "policy/business-promotion-in-denmark-2020-2023"),
        ("policy/innovationskraft-2021-2024", "establishedBy", "policy/call-innovationskraft-2020"),
        ("policy/innovationskraft-2021-2024", "wasInfluencedBy", "policy/guidelines-innovation-networks-2019-2020"),
        ("policy/cluster-programme-2025", "succeeds", "policy/innovationskraft-2021-2024"),
    }
    # 9 stated steps, plus the DFIR brief's consolidation step and the review's 5 steps (the 2026-12-07 audit).
    assert len(evidence) - len(inferred) == 15
    # U03: the programme does not succeed the guidelines. U02 is settled by the brief's stated consolidation
    # (M-L1 of the 2026-12-07 audit): Innovation Network Denmark is the one plan the programme consolidates.
    assert not ask(graph, r"ASK { kid:policy\/innovationskraft-2021-2024 klynge:succeeds ?x }")
    consolidated = rows(graph, r"SELECT ?x WHERE { kid:policy\/innovationskraft-2021-2024 klynge:consolidates ?x }")
    assert [short(r["x"]) for r in consolidated] == ["policy/innovation-network-denmark"]


def test_every_locator_quotes_its_source(graph: ox.Store) -> None:
    """Each phrase a locator quotes (between “ ”) is in one of the source documents its resource names."""
    found = rows(graph, "SELECT ?s ?doc ?locator WHERE { ?s klynge:locator ?locator ; dcterms:source ?doc }")
    texts = {iri: source_text(name) for iri, name in SOURCE_FILES.items()}
    sources: dict[tuple[str, str], list[str]] = {}
    for row in found:
        sources.setdefault((row["s"], row["locator"]), []).append(texts.get(row["doc"], ""))
    checked = 0
    for (subject, locator), candidates in sources.items():
        for phrase in re.findall(r"“([^”]+)”", locator):
            assert any(phrase in text for text in candidates), f"{short(subject)}: {phrase!r} is not in its source"
            checked += 1
    assert checked >= 150


def test_every_lineage_plan_and_observation_has_a_locator(graph: ox.Store) -> None:
    missing = rows(
        graph,
        """SELECT DISTINCT ?s WHERE {
             { ?s a prov:Influence ; prov:influencer ?x } UNION { ?s a rdf:Statement } UNION
             { GRAPH <https://w3id.org/klynge/graph/lineage> { ?s a klynge:Policy } } UNION
             { ?s a qb:DataSet } UNION { ?s a klynge:SpecialisationNode } UNION { ?s a klynge:RegionalNodeCount }
             FILTER NOT EXISTS { ?s klynge:locator ?l }
             FILTER NOT EXISTS { ?s a klynge:Participation }
           }""",
    )
    assert {short(r["s"]) for r in missing} <= {
        "policy/business-promotion-in-denmark-2020-2023",  # facts from three places of the factsheet
        "policy/innovationskraft-2021-2024",  # facts from both sources and many places
    }


def test_mission_walk_from_the_1990s_to_2025_over_stated_and_inferred_steps(graph: ox.Store) -> None:
    assert ask(
        graph,
        r"""ASK { kid:policy\/cluster-programme-2025 (prov:qualifiedInfluence/prov:influencer)+
                   kid:policy\/innovationskraft-2021-2024 .
                 kid:policy\/innovationskraft-2021-2024 (prov:qualifiedInfluence/prov:influencer)+
                   kid:policy\/research-business-cofinancing-1990s }""",
    )
    # Over the stated steps alone the programme reaches back through the brief's consolidation step (D:37) to
    # Innovation Network Denmark and what that programme states it came from; the other links are reading.
    stated = {
        short(r["a"])
        for r in rows(
            graph,
            r"SELECT ?a WHERE { kid:policy\/innovationskraft-2021-2024 (klynge:statedInfluence/prov:influencer)+ ?a }",
        )
    }
    assert stated == {
        "policy/innovation-network-denmark",
        "policy/innovation-denmark-2007-2010",
        "policy/cluster-and-network-programmes-before-2008",
        "policy/ministry-of-science-study-2006",
    }
    stated_2013 = {
        short(r["a"])
        for r in rows(
            graph,
            r"""SELECT ?a WHERE {
                   kid:policy\/strategy-cluster-policy-2013 (klynge:statedInfluence/prov:influencer)+ ?a }""",
        )
    }
    assert stated_2013 == {
        "policy/innovation-denmark-2007-2010",
        "policy/innovation-network-denmark",
        "policy/cluster-and-network-programmes-before-2008",
        "policy/ministry-of-science-study-2006",
    }


def test_named_lineage_queries_take_evidence() -> None:
    from klynge.catalogue import catalogue
    from klynge.engines.store import EmbeddedEngine

    queries = catalogue()
    engine = EmbeddedEngine(build_store())
    try:

        def walk(name: str, column: str, policy: str, evidence: str | None) -> set[str]:
            query = queries[name]
            values = {"policy": KID + policy} | ({"evidence": evidence} if evidence else {})
            return {short(row[column].value) for row in engine.select(query.sparql, query.bindings(values))}

        everything = walk("policy-ancestors", "ancestor", "policy/strategy-cluster-policy-2013", None)
        assert walk("policy-ancestors", "ancestor", "policy/strategy-cluster-policy-2013", "all") == everything
        stated = walk("policy-ancestors", "ancestor", "policy/strategy-cluster-policy-2013", "stated")
        assert stated == {
            "policy/innovation-denmark-2007-2010",
            "policy/innovation-network-denmark",
            "policy/cluster-and-network-programmes-before-2008",
            "policy/ministry-of-science-study-2006",
        }
        assert everything == stated | {"policy/policy-1998", "policy/research-business-cofinancing-1990s"}
        later = walk("policy-descendants", "descendant", "policy/innovation-denmark-2007-2010", "stated")
        # Stated all the way: the networks, the 2013 strategy, the programme that consolidated the networks
        # (DFIR brief, recommendation 3), the DFIR review of it and the review's four recommendations.
        assert later == {
            "policy/innovation-network-denmark",
            "policy/strategy-cluster-policy-2013",
            "policy/innovationskraft-2021-2024",
            "evaluation/dfir-review-2024",
        } | {f"recommendation/dfir-2024-{n}" for n in range(1, 5)}
        assert "policy/cluster-programme-2025" in walk(
            "policy-descendants", "descendant", "policy/innovation-denmark-2007-2010", "all"
        )
    finally:
        engine.close()


# -- Other readings: described statements marked inferred ---------------------------------------------------


def readings(graph: ox.Store) -> set[tuple[str, str]]:
    found = rows(
        graph,
        """SELECT ?s ?p ?o WHERE {
             ?r a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; klynge:evidence klynge:Inferred ;
                dcterms:source ?doc ; klynge:locator ?l ; skos:editorialNote ?n .
             ?s ?p ?o . ?s skos:editorialNote ?n .
           }""",
    )
    return {(short(r["s"]), r["p"].rsplit("/", 1)[-1].rsplit("#", 1)[-1]) for r in found}


@pytest.mark.parametrize(
    ("audit", "subject", "predicate"),
    [
        ("U10", "source/eccp-factsheet-denmark", "issued"),
        ("U11", "policy/call-innovationskraft-2020", "startDate"),
        ("U11", "work/innovationskraft-call-2021-2024", "publisher"),
        ("U11", "work/business-promotion-in-denmark-2020-2023", "publisher"),
        ("U07", "policy/cluster-programme-2025", "type"),
        ("U08", "policy/cluster-programme-2025", "startDate"),
        ("U17", "event/cluster-administration-to-danish-business-authority-2025", "originalOrganization"),
        ("U18", "stat/companies-outside-core-strengths-share", "startDate"),
        ("U18", "stat/companies-outside-core-strengths-share", "dataSet"),
        ("U19", "policy/study-public-grant-system", "temporal"),
        ("U20", "policy/cluster-and-network-programmes-before-2008", "endDate"),
        ("U21", "stat/innovation-network-denmark-networks-2009", "endDate"),
        ("DUP-01", "org/region-midtjylland", "spatial"),
        ("DUP-02", "org/region-syddanmark", "spatial"),
        ("DUP-03", "policy/innovation-denmark-2007-2010", "endDate"),
        ("DUP-05", "org/ministry-of-higher-education-and-science", "altLabel"),
        ("DUP-06", "org/vaekstforum-region-midtjylland", "label"),
    ],
)
def test_a_reading_is_marked_as_one(graph: ox.Store, audit: str, subject: str, predicate: str) -> None:
    assert (subject, predicate) in readings(graph), audit


def test_no_reading_lives_only_in_a_turtle_comment() -> None:
    """Comments inside a resource's description said what we read into it; those readings are data now."""
    for path in default_sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            assert not line.startswith("    #"), f"{path.name}:{number}: a comment inside a description"


# -- The audit's other items ----------------------------------------------------------------------------------


def test_w01_u01_only_the_ecosystems_a_source_names(graph: ox.Store) -> None:
    named = {r["l"] for r in rows(graph, r"SELECT ?l WHERE { ?e a klynge:IndustrialEcosystem ; rdfs:label ?l }")}
    assert named == {
        "Digital",
        "Cultural and creative industries",
        "Health",
        "Proximity, social economy and civil security",
    }
    text = source_text(FACTSHEET)
    assert all(name.split(",")[0].lower() in text.lower() for name in named)
    assert not ask(graph, "ASK { ?e a klynge:IndustrialEcosystem ; dcterms:references ?w }")


def test_w02_no_english_label_copies_a_danish_one(graph: ox.Store) -> None:
    copies = rows(
        graph,
        """SELECT ?s ?p ?l WHERE {
             VALUES ?p { rdfs:label skos:prefLabel skos:altLabel dcterms:title }
             ?s ?p ?en . FILTER(LANG(?en) = "en")
             ?s rdfs:label|skos:prefLabel|skos:altLabel|dcterms:title ?da . FILTER(LANG(?da) = "da")
             FILTER(STR(?en) = STR(?da)) BIND(STR(?en) AS ?l)
           }""",
    )
    assert copies == []
    unlabelled = rows(
        graph,
        """SELECT ?s WHERE { ?s rdfs:label ?l . FILTER(STRSTARTS(STR(?s), "https://w3id.org/klynge/id/"))
             FILTER NOT EXISTS { ?s rdfs:label ?en FILTER(LANG(?en) = "en") } }""",
    )
    assert unlabelled == []


def test_w03_continuity_since_2006_is_its_own_resource(graph: ox.Store) -> None:
    assert not ask(graph, r"ASK { kid:policy\/ministry-of-science-study-2006 skos:scopeNote ?n }")
    assert ask(
        graph,
        r"""ASK { kid:policy\/network-facilitation-and-cluster-support-since-2006 a klynge:PolicyInitiative ;
                   schema:startDate "2006"^^xsd:gYear ; schema:funder kid:org\/danish-government }""",
    )


def test_w05_no_organisation_in_a_lineage_step(graph: ox.Store) -> None:
    assert not ask(
        graph,
        """ASK { ?a ?p ?b . ?p rdfs:subPropertyOf prov:wasInfluencedBy .
                 FILTER(STRSTARTS(STR(?p), "https://w3id.org/klynge/ontology#"))
                 { ?a a org:Organization } UNION { ?b a org:Organization } }""",
    )
    assert ask(
        graph,
        r"ASK { kid:org\/danish-business-promotion-board klynge:setUpUnder kid:policy\/business-promotion-act-2018 }",
    )


def test_u14_no_evaluation_made_from_an_availability_cell(graph: ox.Store) -> None:
    assert not ask(
        graph,
        r"""ASK { ?e a klynge:Evaluation ; klynge:evaluates kid:policy\/innovationskraft-2021-2024 ;
                    klynge:evaluationAvailability ?a }""",
    )
    assert ask(graph, r'ASK { kid:policy\/innovationskraft-2021-2024 klynge:evaluationAvailability "ex-post" }')


def test_u16_jes_broeng_is_not_a_member_of_the_council(graph: ox.Store) -> None:
    assert not ask(graph, r"ASK { kid:person\/jes-broeng org:memberOf ?x }")


def test_dup_03_one_iri_for_innovation_denmark(graph: ox.Store) -> None:
    assert not ask(graph, r"ASK { kid:policy\/innovation-denmark-prolonged-to-2013 ?p ?o }")
    assert not ask(graph, r"ASK { ?s ?p kid:policy\/innovation-denmark-prolonged-to-2013 }")


def test_dup_04_a_plan_and_its_document_do_not_share_a_label(graph: ox.Store) -> None:
    shared = rows(
        graph,
        """SELECT ?l WHERE { ?p a klynge:Policy ; rdfs:label|skos:altLabel ?l .
                            ?w a klynge:CitedWork ; rdfs:label|skos:altLabel ?l }""",
    )
    assert shared == []


def test_dup_05_the_ministry_of_science_is_a_body_of_its_own(graph: ox.Store) -> None:
    assert ask(
        graph, r"ASK { kid:org\/ministry-of-science klynge:responsibleFor kid:policy\/ministry-of-science-study-2006 }"
    )
    assert not ask(
        graph, r'ASK { kid:org\/ministry-of-higher-education-and-science skos:altLabel "Ministry of Science"@en }'
    )


def test_dup_07_no_invented_programme_name(graph: ox.Store) -> None:
    labels = {r["l"] for r in rows(graph, r"SELECT ?l WHERE { kid:policy\/cluster-programme-2025 rdfs:label ?l }")}
    assert labels == {"Re-announced cluster funding (2025)"}


def test_u12_a_passed_act_has_no_start_date(graph: ox.Store) -> None:
    assert not ask(graph, r"ASK { kid:policy\/business-promotion-act-2018 schema:startDate ?d }")


# The nine missing and three partial facts: each is now data (F = factsheet, D = DFIR brief).
MISSING_FACTS = [
    (
        "F020",
        r"kid:dataset\/sectoral-nodes dcterms:provenance ?p . kid:dataset\/ecosystem-nodes dcterms:provenance ?p ."
        r" ?p rdfs:label ?text",
        "Eurostat",
    ),
    (
        "F146",
        r"kid:policy\/innovationskraft-2021-2024 klynge:hasRequirement ?r . ?r skos:definition ?text",
        "other cluster organisations",
    ),
    ("F256", r"kid:policy\/strategy-cluster-policy-2013 skos:scopeNote ?text", "2020"),
    ("F270", r"kid:org\/vaekstforum skos:scopeNote ?text", "cluster networks"),
    ("D011", r"kid:work\/dfir-brief-42-2023 skos:scopeNote ?text", "political attention"),
    ("D056", r"kid:recommendation\/dfir-2024-3 dcterms:description ?text", "front of innovation"),
    ("D059", r"kid:recommendation\/dfir-2024-4 dcterms:description ?text", "companies value them"),
    ("D060", r"kid:recommendation\/dfir-2024-4 dcterms:description ?text", "competitive funding"),
    ("D062", r"kid:recommendation\/dfir-2024-4 dcterms:description ?text", "hubs"),
    ("F106", r"kid:policy\/innovationskraft-2021-2024 dcterms:description ?text", "GTSs"),
    (
        "F231",
        r"kid:policy\/network-facilitation-and-cluster-support-since-2006 schema:startDate ?year ."
        r" BIND(STR(?year) AS ?text)",
        "2006",
    ),
    ("F272", r"kid:org\/vaekstforum klynge:numberOfNetworks ?n . BIND(STR(?n) AS ?text)", "6"),
]


@pytest.mark.parametrize(("fact", "pattern", "words"), MISSING_FACTS, ids=[f[0] for f in MISSING_FACTS])
def test_missing_fact_is_now_data(graph: ox.Store, fact: str, pattern: str, words: str) -> None:
    texts = {r["text"] for r in rows(graph, f"SELECT ?text WHERE {{ {pattern} }}")}
    assert any(words in text for text in texts), fact


# -- Figures of the competency questions, checked against the source texts ------------------------------------

# (figure as the graph holds it, the graph pattern that holds it, source file, the source's own words)
FIGURES = [
    ("640000000", r"kid:amount\/innovationskraft-total-budget schema:value ?v", FACTSHEET, "approx. DKK 640 million"),
    ("86070000", r"kid:amount\/innovationskraft-total-budget-eur schema:value ?v", FACTSHEET, "EUR 86.07 million"),
    ("80000000", r"kid:amount\/innovationskraft-annual-ufm schema:value ?v", FACTSHEET, "approx. 80 mio. DKK annually"),
    ("10760000", r"kid:amount\/innovationskraft-annual-eur schema:value ?v", FACTSHEET, "(EUR 10.76 million)"),
    (
        "400000000",
        r"kid:amount\/innovation-denmark-2007-2010-budget schema:value ?v",
        FACTSHEET,
        "more than EUR 400 million",
    ),
    (
        "20",
        r"kid:stat\/innovation-network-denmark-supported-cluster-organisations sdmx-measure:obsValue ?v",
        FACTSHEET,
        "to around 20",
    ),
    (
        "22",
        r"kid:stat\/innovation-network-denmark-networks-2009 sdmx-measure:obsValue ?v",
        FACTSHEET,
        "22 innovation networks",
    ),
    (
        "6000",
        r"kid:stat\/innovation-network-denmark-enterprises-2009 sdmx-measure:obsValue ?v",
        FACTSHEET,
        "more than 6,000 Danish enterprises",
    ),
    (
        "80",
        r"kid:stat\/innovation-network-denmark-sme-share-2009 sdmx-measure:obsValue ?v",
        FACTSHEET,
        "more than 80% were SMEs",
    ),
    (
        "31",
        r"kid:stat\/eccp-cluster-organisations-registered-denmark sdmx-measure:obsValue ?v",
        FACTSHEET,
        "There are 31 cluster organisations",
    ),
    (
        "6",
        r"kid:stat\/eccp-cluster-organisations-active-denmark-2021 sdmx-measure:obsValue ?v",
        FACTSHEET,
        "6 of which can be considered active",
    ),
    ("31", r"kid:dataset\/sectoral-nodes klynge:count ?v", FACTSHEET, "totalling 31 in the country"),
    ("8", r"kid:dataset\/ecosystem-nodes klynge:count ?v", FACTSHEET, "which total 8 in the country"),
    ("14", r"kid:scheme\/industrial-ecosystems klynge:count ?v", FACTSHEET, "selected 14 industrial ecosystems"),
    ("12", r"kid:node\/sector-count\/DK01 klynge:nodeCount ?v", FACTSHEET, "DK01: Capital (region) 12"),
    ("4", r"kid:node\/sector-count\/DK02 klynge:nodeCount ?v", FACTSHEET, "DK02: Zealand 4"),
    ("3", r"kid:node\/ecosystem-count\/DK01 klynge:nodeCount ?v", FACTSHEET, "DK01: Capital (region) 3 Digital"),
    (
        "10",
        r"kid:policy\/business-promotion-in-denmark-2020-2023 klynge:numberOfLeadingIndustries ?v",
        FACTSHEET,
        "ten leading and two emerging industries",
    ),
    (
        "3",
        r"kid:policy\/strategy-cluster-policy-2013 klynge:numberOfClusterLeagues ?v",
        FACTSHEET,
        "the three 'cluster leagues'",
    ),
    (
        "3",
        r"kid:policy\/agreement-simplifying-business-promotion-2019 klynge:politicalLevelsBefore ?v",
        FACTSHEET,
        "from three to two",
    ),
    ("6", r"kid:org\/vaekstforum klynge:numberOfNetworks ?v", FACTSHEET, "The six regional Vækstforum networks"),
    (
        "2020-10-01",
        r"kid:cluster\/clean klynge:appointedOn ?v",
        FACTSHEET,
        "On 1 October 2020, the Minister of Education and Research appointed",
    ),
    (
        "2018-12-13",
        r"kid:policy\/business-promotion-act-2018 schema:legislationDate ?v",
        FACTSHEET,
        "passed on December 13th, 2018",
    ),
    (
        "1998",
        r"kid:policy\/policy-1998 schema:startDate ?v",
        FACTSHEET,
        "In 1998, the government fully established the policy",
    ),
    (
        "1996",
        r"kid:org\/working-group-1996 schema:startDate ?v",
        FACTSHEET,
        "in 1996, the then government established a working group",
    ),
    (
        "2014",
        r"kid:funding\/innovation-networks-government-funding schema:endDate ?v",
        FACTSHEET,
        "continued until 2014",
    ),
    ("2013", r"kid:policy\/innovation-denmark-2007-2010 schema:endDate ?v", FACTSHEET, "prolonged until 2013"),
    ("2", r"kid:maturity\/eccp-denmark-2020-policy-scope klynge:score ?v", FACTSHEET, "Policy scope 2 2"),
    (
        "1",
        r"kid:maturity\/eccp-denmark-2020-evidence-of-performance klynge:score ?v",
        FACTSHEET,
        "Evidence of performance 1 1",
    ),
    (
        "11050",
        r"kid:stat\/companies-participating-2021-2023 sdmx-measure:obsValue ?v",
        BRIEF,
        "**11.050** Danish companies",
    ),
    (
        "3083",
        r"kid:stat\/company-activities-2021-2023 sdmx-measure:obsValue ?v",
        BRIEF,
        "**3.083** activities during 2021–2023",
    ),
    (
        "5784",
        r"kid:stat\/knowledge-environment-participations-2021-2023 sdmx-measure:obsValue ?v",
        BRIEF,
        "participated **5.784**",
    ),
    (
        "2284",
        r"kid:stat\/knowledge-environment-activities-2021-2023 sdmx-measure:obsValue ?v",
        BRIEF,
        "times in **2.284** Activities",
    ),
    ("365000000", r"kid:amount\/innovationskraft-spent-2021-2023 schema:value ?v", BRIEF, "365 mio. DKK."),
    ("850000000", r"kid:amount\/cluster-external-funding-secured schema:value ?v", BRIEF, "850 mio. DKK."),
    (
        "12",
        r"kid:stat\/dfir-review-interviews-2024 sdmx-measure:obsValue ?v",
        BRIEF,
        "interviews with 12 cluster directors",
    ),
    (
        "50",
        r"kid:stat\/companies-outside-core-strengths-share sdmx-measure:obsValue ?v",
        BRIEF,
        "around half of the companies",
    ),
    ("10", r"kid:recommendation\/dfir-2024-3 klynge:timeHorizonYears ?v", BRIEF, "10-Year Time Horizon"),
    ("5", r"kid:recommendation\/dfir-2024-3 klynge:midtermEvaluationYear ?v", BRIEF, "Midterm Evaluation at Year 5"),
    (
        "2025-01-01",
        r"kid:event\/cluster-administration-to-danish-business-authority-2025 schema:startDate ?v",
        BRIEF,
        "from January 1, 2025",
    ),
]


@pytest.mark.parametrize(
    ("figure", "pattern", "source", "words"), FIGURES, ids=[f"{f[2][:3]}:{f[3][:30]}" for f in FIGURES]
)
def test_figure_is_in_the_source_and_in_the_graph(
    graph: ox.Store, figure: str, pattern: str, source: str, words: str
) -> None:
    text = source_text(source)
    assert words in text, f"{words!r} is not in {source}"
    digits = re.sub(r"[^0-9]", "", figure)
    spelled = {"2": "two", "3": "three", "6": "six", "10": "ten", "50": "half"}.get(figure, "")
    number_forms = {digits[:2] if len(digits) >= 8 else digits, spelled} - {""}
    words_digits = re.sub(r"[.,]", "", words)
    assert any(form in words_digits.lower() or form in words.lower() for form in number_forms) or figure[:4] in words, (
        f"{words!r} does not show {figure}"
    )
    assert {r["v"] for r in rows(graph, f"SELECT ?v WHERE {{ {pattern} }}")} == {figure}


# -- Counts: each statement once --------------------------------------------------------------------------------


def test_no_statement_is_made_in_two_files() -> None:
    assert [str(r) for r in repeats_in({path: parse_located(path) for path in default_sources()})] == []


def test_counting_the_default_graph_counts_each_triple_once(graph: ox.Store) -> None:
    counted = rows(graph, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    distinct = rows(graph, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")[0]["n"]
    assert int(counted) == int(distinct)
    funders = rows(graph, r"SELECT (COUNT(*) AS ?n) WHERE { kid:policy\/innovationskraft-2021-2024 schema:funder ?f }")
    assert funders[0]["n"] == "2"


def test_validate_names_both_files_and_lines_of_a_repeated_statement(tmp_path: Path) -> None:
    first, second = tmp_path / "first.ttl", tmp_path / "second.ttl"
    prefixes = "@prefix kid: <https://w3id.org/klynge/id/> .\n@prefix schema: <http://schema.org/> .\n\n"
    first.write_text(prefixes + 'kid:policy\\/x\n    schema:startDate "2020" ;\n    schema:endDate "2021" .\n')
    second.write_text(prefixes + '# the same end\nkid:policy\\/x schema:endDate "2021" .\n')
    done = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "validate", str(first), str(second)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert re.search(
        r"first\.ttl:6: .*is stated here and again at \S*second\.ttl:5; keep it in one file", done.stdout
    ), done.stdout[-1500:]


# -- What the standard vocabularies entail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entailment", "query"),
    [
        (
            "ORG: org:Organization is foaf:Organization",
            "ASK { ?o a org:Organization FILTER NOT EXISTS { ?o a foaf:Organization } }",
        ),
        (
            "PROV-O: prov:influenced is the inverse of prov:wasInfluencedBy",
            "ASK { ?a prov:wasInfluencedBy ?b FILTER NOT EXISTS { ?b prov:influenced ?a } }",
        ),
        (
            "PROV-O: the range of prov:wasAssociatedWith is prov:Agent",
            "ASK { ?a prov:wasAssociatedWith ?b FILTER NOT EXISTS { ?b a prov:Agent } }",
        ),
        (
            "PROV-O: prov:used is a kind of prov:wasInfluencedBy",
            "ASK { ?a prov:used ?b FILTER NOT EXISTS { ?a prov:wasInfluencedBy ?b } }",
        ),
        (
            "SKOS: skos:broader is the inverse of skos:narrower",
            "ASK { ?a skos:narrower ?b FILTER NOT EXISTS { ?b skos:broader ?a } }",
        ),
        (
            "Data Cube: an observation is qb:Attachable",
            "ASK { ?o a qb:Observation FILTER NOT EXISTS { ?o a qb:Attachable } }",
        ),
        (
            "klynge: the objects of schema:funder are schema:Organization",
            "ASK { ?a schema:funder ?b FILTER NOT EXISTS { ?b a schema:Organization } }",
        ),
    ],
)
def test_standard_entailment_is_materialised(graph: ox.Store, entailment: str, query: str) -> None:
    assert not ask(graph, query), entailment


def test_the_vocabularies_axioms_are_not_published(graph: ox.Store) -> None:
    assert not list(graph.quads_for_pattern(None, None, None, VOCABULARY_GRAPH))
    assert not ask(graph, "ASK { prov:used rdfs:subPropertyOf prov:wasInfluencedBy }")
