"""Competency questions on evaluations, recommendations, the maturity index and the sources.

Covers data/evaluation.ttl and data/sources.ttl. Each test is one question a researcher asks, one SPARQL query
over the published graph, and the answer the sources give (ECCP country factsheet Denmark; DFIR brief 2024).
In the queries, ``kid:policy\\/x`` is the Turtle/SPARQL spelling of ``https://w3id.org/klynge/id/policy/x``.
"""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox

from .conftest import KID, KLYNGE, ask, select, select_terms, values

ORG = KID + "org/"
POLICY = KID + "policy/"
WORK = KID + "work/"
REC = KID + "recommendation/"
XSD = "http://www.w3.org/2001/XMLSchema#"
ECCP = KID + "source/eccp-factsheet-denmark"
DFIR_BRIEF = KID + "source/dfir-brief-2024"


def test_dfir_four_recommendations(graph: ox.Store) -> None:
    """What are DFIR's four recommendations for the future knowledge and business clusters, in order?"""
    rows = select(
        graph,
        r"""SELECT ?rec ?n ?label WHERE {
              ?rec a klynge:Recommendation ; klynge:recommendedBy kid:org\/dfir ;
                   klynge:resultOf kid:evaluation\/dfir-review-2024 ; skos:notation ?n ; rdfs:label ?label .
              FILTER(LANG(?label) = "en")
            } ORDER BY ?n""",
    )
    assert [(r["rec"], r["n"], r["label"]) for r in rows] == [
        (
            REC + "dfir-2024-1",
            "1",
            "Make collaboration between knowledge environments and SMEs the clusters' main task",
        ),
        (REC + "dfir-2024-2", "2", "Use the clusters as platforms for new innovation policy initiatives"),
        (
            REC + "dfir-2024-3",
            "3",
            "Give cluster funding a ten-year horizon with a midterm evaluation after five years",
        ),
        (REC + "dfir-2024-4", "4", "Raise private co-funding while keeping SMEs taking part"),
    ]


def test_recommendation_with_ten_year_horizon(graph: ox.Store) -> None:
    """Which recommendation sets a 10-year funding horizon, and in which year comes the midterm evaluation?"""
    rows = select_terms(
        graph,
        r"""SELECT ?rec ?horizon ?midterm WHERE {
              ?rec a klynge:Recommendation ; klynge:timeHorizonYears ?horizon .
              OPTIONAL { ?rec klynge:midtermEvaluationYear ?midterm }
            }""",
    )
    assert len(rows) == 1
    assert rows[0]["rec"] == ox.NamedNode(REC + "dfir-2024-3")
    assert rows[0]["horizon"] == ox.Literal("10", datatype=ox.NamedNode(XSD + "integer"))
    assert rows[0]["midterm"] == ox.Literal("5", datatype=ox.NamedNode(XSD + "integer"))
    # It concerns future cluster funding, not the past grant of Innovationskraft 2021-2024 (audit W04).
    assert not ask(graph, r"ASK { kid:recommendation\/dfir-2024-3 klynge:targets ?f . ?f a klynge:Funding }")


def test_recommendations_that_target_smes(graph: ox.Store) -> None:
    """Which of DFIR's recommendations are aimed at small and medium-sized enterprises?"""
    recs = values(
        graph,
        r"""SELECT ?rec WHERE { ?rec klynge:recommendedBy kid:org\/dfir ; klynge:targets klynge:SME }""",
    )
    assert recs == {REC + "dfir-2024-1", REC + "dfir-2024-4"}


def test_what_the_recommendations_are_about(graph: ox.Store) -> None:
    """What does each DFIR recommendation address: actors, the future programme, the funding?"""
    rows = select(
        graph,
        r"""SELECT ?n ?target WHERE {
              ?rec klynge:recommendedBy kid:org\/dfir ; skos:notation ?n ; klynge:targets ?target .
            }""",
    )
    targets: dict[str, set[str]] = {}
    for row in rows:
        targets.setdefault(row["n"], set()).add(row["target"].replace(KID, "kid:").replace(KLYNGE, "klynge:"))
    future = "kid:policy/cluster-programme-2025"
    assert targets == {
        "1": {"klynge:SME", "klynge:KnowledgeEnvironment", future},
        "2": {future},
        "3": {future},
        "4": {"klynge:SME", future},
    }


def test_dfir_review(graph: ox.Store) -> None:
    """Who reviewed which programme in 2024, on the basis of how many interviews and which data?"""
    rows = select(
        graph,
        r"""SELECT ?who ?what ?year ?data ?interviews WHERE {
              ?review a klynge:Review ; prov:wasAssociatedWith ?who ; klynge:evaluates ?what ;
                      schema:startDate ?year ; prov:used ?data .
              ?data a qb:DataSet .
              ?stat klynge:statisticOf ?review ; klynge:measure klynge:NumberOfInterviews ;
                    klynge:participantType klynge:ClusterDirector ; sdmx-measure:obsValue ?interviews .
            }""",
    )
    assert [(r["who"], r["what"], r["year"], r["data"], int(r["interviews"])) for r in rows] == [
        (
            ORG + "dfir",
            POLICY + "innovationskraft-2021-2024",
            "2024",
            KID + "dataset/cluster-statistics-2021-2023",
            12,
        )
    ]


def test_dfir_review_conclusions_and_report(graph: ox.Store) -> None:
    """What does DFIR conclude about the clusters, and where is the full report?"""
    notes = values(
        graph,
        r"""SELECT ?n WHERE { kid:evaluation\/dfir-review-2024 skos:note ?n FILTER(LANG(?n) = "en") }""",
    )
    assert len(notes) == 7
    assert all(note.startswith("Conclusion: ") for note in notes)
    assert any("important part of the Danish innovation system" in note for note in notes)
    report = values(
        graph,
        r"""SELECT ?title WHERE { kid:evaluation\/dfir-review-2024 rdfs:seeAlso ?w .
              ?w dcterms:title ?title ; dcterms:publisher kid:org\/dfir ; dcterms:issued "2024"^^xsd:gYear }""",
    )
    assert report == {"Det danske klyngeprogram Klyngeprogrammet Innovationskraft, 2021-2024"}


def test_frigast_committee_recommendation(graph: ox.Store) -> None:
    """Who recommended streamlining the cluster scheme, and which programme did that concern?"""
    rows = select(
        graph,
        r"""SELECT ?rec ?who ?target WHERE {
              ?rec a klynge:Recommendation ; klynge:recommendedBy ?who ; klynge:targets ?target .
              ?who rdfs:label "Frigast Committee"@en .
            }""",
    )
    assert [(r["rec"], r["who"], r["target"]) for r in rows] == [
        (REC + "frigast-committee-streamline-scheme", ORG + "frigast-committee", POLICY + "innovationskraft-2021-2024")
    ]


def test_maturity_scores_of_denmark(graph: ox.Store) -> None:
    """What did Denmark score on each dimension of the ECCP cluster-policy maturity index, against the maximum?"""
    rows = select(
        graph,
        r"""SELECT ?dimension ?score ?maximum WHERE {
              ?s a klynge:MaturityScore ; qb:dataSet kid:maturity\/eccp-denmark-2020 ;
                 klynge:dimension ?d ; klynge:score ?score ; klynge:maximumScore ?maximum .
              ?d rdfs:label ?dimension .
            }""",
    )
    assert {(r["dimension"], Decimal(r["score"]), Decimal(r["maximum"])) for r in rows} == {
        ("Policy scope", 2, 2),
        ("Consistency of cluster policies", 2, 2),
        ("Evidence of performance", 1, 1),
        ("Instruments", 2, 2),
    }


def test_maturity_total_and_data_year(graph: ox.Store) -> None:
    """How many of the possible maturity points did Denmark reach, and in which year were the data collected?"""
    rows = select(
        graph,
        r"""SELECT (SUM(?score) AS ?total) (SUM(?maximum) AS ?possible) ?year WHERE {
              kid:maturity\/eccp-denmark-2020 schema:startDate ?year ; prov:wasAttributedTo kid:org\/eccp .
              ?s klynge:assessment kid:maturity\/eccp-denmark-2020 ; klynge:score ?score ;
                 klynge:maximumScore ?maximum .
            } GROUP BY ?year""",
    )
    assert [(int(r["total"]), int(r["possible"]), r["year"]) for r in rows] == [(7, 7, "2020")]


def test_maturity_dimension_maxima_and_scoring_rules(graph: ox.Store) -> None:
    """Which dimensions does the maturity index have, what is each one's maximum, and is its scoring rule stated?"""
    rows = select(
        graph,
        r"""SELECT ?label ?maximum ?rule WHERE {
              kid:scheme\/maturity-dimensions skos:hasTopConcept ?d .
              ?d a klynge:MaturityDimension ; skos:inScheme kid:scheme\/maturity-dimensions ;
                 rdfs:label ?label ; klynge:maximumScore ?maximum ; skos:scopeNote ?rule .
            }""",
    )
    assert {(r["label"], int(r["maximum"])) for r in rows} == {
        ("Policy scope", 2),
        ("Consistency of cluster policies", 2),
        ("Evidence of performance", 1),
        ("Instruments", 2),
    }
    assert all(r["rule"].startswith("Scoring: ") for r in rows)


def test_consistency_assessment(graph: ox.Store) -> None:
    """How does the ECCP assess the consistency of Danish cluster policy?"""
    notes = values(
        graph,
        r"""SELECT ?note WHERE {
              ?s klynge:dimension kid:maturity\/consistency-of-cluster-policies ; skos:note ?note .
            }""",
    )
    assert notes == {"> 10 years (but with clear continuity)"}


def test_policy_approach_of_denmark(graph: ox.Store) -> None:
    """What is Denmark's cluster policy approach according to the ECCP factsheet?"""
    approaches = values(graph, r"SELECT ?a WHERE { kid:maturity\/eccp-denmark-2020 klynge:policyApproach ?a }")
    assert approaches == {
        "Policy support for the activities of cluster organisations",
        "Broad-based framework policies to support cooperation effectiveness",
    }


def test_evaluation_availability_of_innovationskraft(graph: ox.Store) -> None:
    """Which kind of evaluation does the ECCP factsheet foresee for Innovationskraft, and does one exist?

    The table cell says only when an evaluation is foreseen (ex-post); no evaluation resource is made from it
    (audit U14).
    """
    availability = values(
        graph, r"SELECT ?a WHERE { kid:policy\/innovationskraft-2021-2024 klynge:evaluationAvailability ?a }"
    )
    assert availability == {"ex-post"}
    assert not ask(graph, r"ASK { ?e a klynge:Evaluation ; klynge:evaluationAvailability ?a }")


# -- Sources and the cited bibliography ----------------------------------------------------------------------


def test_works_published_by_forsknings_og_innovationsstyrelsen(graph: ox.Store) -> None:
    """Which works does the ECCP factsheet cite that Forsknings- og Innovationsstyrelsen published, and when?"""
    rows = select(
        graph,
        r"""SELECT ?title ?year WHERE {
              kid:source\/eccp-factsheet-denmark dcterms:references ?w .
              ?w dcterms:publisher kid:org\/forsknings-og-innovationsstyrelsen ; dcterms:title ?title ;
                 dcterms:issued ?year .
            }""",
    )
    assert {(r["title"], r["year"]) for r in rows} == {
        ("Rådet for Teknologi og Innovation Handleplan. InnovationDanmark 2007-2010", "2006"),
        ("InnovationDanmark 2009 Resultater og evalueringsstrategi", "2010"),
        ("Performanceregnskab for innovationsmiljøerne 2006", "2006"),
    }


def test_works_cited_by_the_dfir_brief(graph: ox.Store) -> None:
    """Which works does the DFIR brief cite, who published them and when?"""
    rows = select(
        graph,
        r"""SELECT ?w ?publisher ?year WHERE {
              kid:source\/dfir-brief-2024 dcterms:references ?w .
              ?w a klynge:CitedWork ; dcterms:source kid:source\/dfir-brief-2024 ; dcterms:publisher ?publisher .
              OPTIONAL { ?w dcterms:issued ?year }
            }""",
    )
    assert {(r["w"], r["publisher"], r["year"]) for r in rows} == {
        (WORK + "dfir-brief-42-2023", ORG + "dfir", "2023"),
        (WORK + "reg-lab-videnbroer-til-vaekst-2017", ORG + "reg-lab", "2017"),
        (WORK + "dfir-cluster-programme-report-2024", ORG + "dfir", "2024"),
        (WORK + "ufm-cluster-statistics", ORG + "ministry-of-higher-education-and-science", None),
    }


def test_cited_works_that_document_a_policy(graph: ox.Store) -> None:
    """Which policies of the graph does the factsheet's bibliography document, and with which work?"""
    rows = select(
        graph,
        r"""SELECT ?w ?policy WHERE {
              kid:source\/eccp-factsheet-denmark dcterms:references ?w .
              ?w dcterms:subject ?policy . ?policy a prov:Plan .
            }""",
    )
    pairs = {(r["w"][len(WORK) :], r["policy"][len(POLICY) :]) for r in rows}
    assert pairs == {
        ("innovationskraft-call-2021-2024", "call-innovationskraft-2020"),
        ("innovationskraft-call-2021-2024", "innovationskraft-2021-2024"),
        ("business-promotion-in-denmark-2020-2023", "business-promotion-in-denmark-2020-2023"),
        ("innovation-denmark-2007-2010-action-plan", "innovation-denmark-2007-2010"),
        ("innovation-denmark-2009-results", "innovation-denmark-2007-2010"),
        ("cluster-strategy-2-0", "cluster-strategy-2-0-2016-2018"),
        ("strategy-cluster-policy-2013", "strategy-cluster-policy-2013"),
        ("guidelines-innovation-networks-2019-2020", "guidelines-innovation-networks-2019-2020"),
        ("ufm-cluster-locations-2020", "innovationskraft-2021-2024"),
    }


def test_factsheet_bibliography_is_complete(graph: ox.Store) -> None:
    """How many works does the ECCP factsheet cite, and which of them did the European Commission publish?"""
    cited = values(graph, r"SELECT ?w WHERE { kid:source\/eccp-factsheet-denmark dcterms:references ?w }")
    assert len(cited) == 17  # 13 in the bibliography, a footnote, and three works named in the text
    by_commission = values(
        graph,
        r"""SELECT ?w WHERE { kid:source\/eccp-factsheet-denmark dcterms:references ?w .
              ?w dcterms:publisher kid:org\/european-commission ; dcterms:issued "2020"^^xsd:gYear }""",
    )
    assert by_commission == {WORK + "eu-industrial-strategy-2020"}


def test_cited_work_addresses_are_typed_web_addresses(graph: ox.Store) -> None:
    """Does every cited work's address come as an xsd:anyURI web address, and its year as an xsd:gYear?"""
    rows = select_terms(
        graph,
        r"""SELECT ?w ?url ?year WHERE {
              ?w a klynge:CitedWork . OPTIONAL { ?w schema:url ?url } OPTIONAL { ?w dcterms:issued ?year }
            }""",
    )
    urls = [r["url"] for r in rows if r["url"] is not None]
    assert len(urls) == 14
    assert all(u.datatype == ox.NamedNode(XSD + "anyURI") and u.value.startswith("http") for u in urls)
    years = [r["year"] for r in rows if r["year"] is not None]
    assert all(y.datatype == ox.NamedNode(XSD + "gYear") for y in years)


def test_source_documents(graph: ox.Store) -> None:
    """What are the two source documents: title, publisher and year?"""
    rows = select(
        graph,
        r"""SELECT ?doc ?title ?publisher ?year WHERE {
              ?doc a klynge:SourceDocument ; dcterms:title ?title ; dcterms:publisher ?publisher ;
                   dcterms:issued ?year ; rdfs:label ?label .
              FILTER(LANG(?label) = "en")
            }""",
    )
    assert {(r["doc"], r["title"], r["publisher"], r["year"]) for r in rows} == {
        (ECCP, "Country factsheet: Denmark", ORG + "eccp", "2021"),
        (DFIR_BRIEF, "Strengthening Denmark's Cluster Program", ORG + "dfir", "2024"),
    }
