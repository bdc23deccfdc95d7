"""Competency questions on the institutions of Danish cluster policy (data/institutions.ttl).

Each test is one question a researcher asks, one SPARQL query over the published graph, and the answer the
sources give (ECCP country factsheet Denmark; DFIR brief 2024). In the queries, ``kid:org\\/x`` is the
Turtle/SPARQL spelling of ``https://w3id.org/klynge/id/org/x``.
"""

from __future__ import annotations

import pyoxigraph as ox

from .conftest import KID, ask, select, select_terms, values

POLICY = KID + "policy/"
ORG = KID + "org/"
INSTITUTIONS_GRAPH = "<https://w3id.org/klynge/graph/institutions>"


def names(graph: ox.Store, iri: str) -> set[tuple[str, str]]:
    """Every name (label or alternative label) of a resource, with its language tag."""
    rows = select_terms(graph, f"SELECT ?n WHERE {{ <{iri}> rdfs:label|skos:altLabel ?n }}")
    return {(r["n"].value, r["n"].language or "") for r in rows}


def test_names_of_the_business_promotion_board(graph: ox.Store) -> None:
    """What names does the Danish Business Promotion Board go by?"""
    assert names(graph, ORG + "danish-business-promotion-board") == {
        ("Danish Business Promotion Board", "en"),
        ("Danmarks Erhvervsfremmebestyrelse", "da"),
        ("Danish Executive Board for Business Development and Growth", "en"),
        ("Business Promotion Board", "en"),
        ("DEB", "da"),
    }


def test_names_of_the_ministry(graph: ox.Store) -> None:
    """Under which names does the ministry for higher education and science (UFM) appear in the sources?"""
    assert names(graph, ORG + "ministry-of-higher-education-and-science") == {
        ("Ministry of Higher Education and Science", "en"),
        ("Uddannelses- og Forskningsministeriet", "da"),
        ("UFM", "da"),
        ("Danish Ministry of Higher Education and Science", "en"),
        ("Ministry of Education and Research", "en"),
        ("Ministry of Science and Higher Education", "en"),
        ("Ministry of Science, Innovation, and Higher Education", "en"),
    }
    # The 2006 study's "Ministry of Science" is a body of its own (audit DUP-05); the two names whose identity
    # with this ministry the sources do not state are marked as our reading.
    assert names(graph, ORG + "ministry-of-science") == {("Ministry of Science", "en")}
    inferred = values(
        graph,
        """SELECT ?name WHERE {
             ?r rdf:subject kid:org\\/ministry-of-higher-education-and-science ; rdf:predicate skos:altLabel ;
                rdf:object ?name ; klynge:evidence klynge:Inferred ; skos:editorialNote ?note }""",
    )
    assert inferred == {
        "Ministry of Science, Innovation, and Higher Education",
        "Ministry of Science and Higher Education",
    }


def test_each_name_denotes_one_body(graph: ox.Store) -> None:
    """Does any name (of any language) belong to two different organisations?"""
    shared = select(
        graph,
        """SELECT ?name (COUNT(DISTINCT ?o) AS ?n) WHERE {
             ?o a org:Organization ; rdfs:label|skos:altLabel ?l .
             BIND(LCASE(STR(?l)) AS ?name)
           } GROUP BY ?name HAVING (COUNT(DISTINCT ?o) > 1)""",
    )
    assert shared == []


def test_who_administers_cluster_funding_from_2025(graph: ox.Store) -> None:
    """Which body administers the cluster programme from 1 January 2025, and which bodies did so before?"""
    rows = select(
        graph,
        """SELECT ?from ?to ?date WHERE {
             ?e a org:ChangeEvent ; org:originalOrganization ?from ; org:resultingOrganization ?to ;
                schema:startDate ?date .
             FILTER(DATATYPE(?date) = xsd:date && ?date = "2025-01-01"^^xsd:date)
           }""",
    )
    assert {r["to"] for r in rows} == {ORG + "danish-business-authority"}
    assert {r["from"] for r in rows} == {
        ORG + "ministry-of-higher-education-and-science",
        ORG + "danish-business-promotion-board",
    }
    admin = select(
        graph,
        """SELECT ?org ?start WHERE {
             ?policy klynge:administration ?a .
             ?a a klynge:Administration ; klynge:administrator ?org ; schema:startDate ?start .
             FILTER(STR(?start) >= "2025")
           }""",
    )
    assert admin == [{"org": ORG + "danish-business-authority", "start": "2025-01-01"}]


def test_administration_periods_of_innovationskraft(graph: ox.Store) -> None:
    """Which bodies ran Innovationskraft, over which years?"""
    rows = select(
        graph,
        r"""SELECT ?org ?start ?end WHERE {
              kid:policy\/innovationskraft-2021-2024 klynge:administration ?a .
              ?a klynge:administrator ?org ; schema:startDate ?start ; schema:endDate ?end .
            }""",
    )
    assert {(r["org"], r["start"], r["end"]) for r in rows} == {
        (ORG + "ministry-of-higher-education-and-science", "2021", "2024"),
        (ORG + "danish-business-promotion-board", "2021", "2024"),
    }


def test_who_is_responsible_for_innovationskraft(graph: ox.Store) -> None:
    """Which authorities are responsible for and fund Innovationskraft 2021-2024?"""
    responsible = values(
        graph, r"SELECT ?o WHERE { ?o klynge:responsibleFor kid:policy\/innovationskraft-2021-2024 }"
    )
    funders = values(graph, r"SELECT ?o WHERE { kid:policy\/innovationskraft-2021-2024 schema:funder ?o }")
    expected = {ORG + "ministry-of-higher-education-and-science", ORG + "danish-business-promotion-board"}
    assert responsible == expected
    assert funders == expected


def test_who_appointed_the_clusters_and_when(graph: ox.Store) -> None:
    """Who appointed the Innovationskraft clusters, on which date, and how many were appointed?"""
    rows = select(
        graph,
        """SELECT ?post ?ministry ?date (COUNT(DISTINCT ?c) AS ?n) WHERE {
             ?c klynge:appointedBy ?post ; klynge:appointedOn ?date .
             ?post a org:Post ; rdfs:label "Minister of Education and Research"@en ; org:postIn ?ministry .
           } GROUP BY ?post ?ministry ?date""",
    )
    assert rows == [
        {
            "post": KID + "post/minister-for-higher-education-and-science",
            "ministry": ORG + "ministry-of-higher-education-and-science",
            "date": "2020-10-01",
            "n": "14",
        }
    ]


def test_people_of_dfir(graph: ox.Store) -> None:
    """Who chairs DFIR, and who heads its analysis programme on knowledge-based innovation?

    The brief makes Jes Broeng head of a DFIR programme, not a member of the council (audit U16).
    """
    rows = select(
        graph,
        r"""SELECT ?name ?role ?head ?member WHERE {
              ?p a foaf:Person ; foaf:name ?name ; schema:jobTitle ?role ;
                 org:memberOf|schema:affiliation kid:org\/dfir .
              BIND(EXISTS { ?p org:headOf kid:org\/dfir } AS ?head)
              BIND(EXISTS { ?p org:memberOf kid:org\/dfir } AS ?member)
            }""",
    )
    assert {(r["name"], r["role"], r["head"], r["member"]) for r in rows} == {
        ("Frede Blaabjerg", "Chair of DFIR", "true", "true"),
        ("Jes Broeng", "Head of DFIR's Analysis Program on Knowledge-Based Innovation", "false", "false"),
    }


def test_no_contact_data_for_persons(graph: ox.Store) -> None:
    """Does the graph hold a phone number or e-mail address of the DFIR contacts or anyone (it must not)?"""
    assert not ask(
        graph,
        """ASK {
             { ?s foaf:mbox|foaf:phone|schema:email|schema:telephone|foaf:mbox_sha1sum ?o }
             UNION
             { ?s ?p ?o .
               FILTER(isLiteral(?o) && (REGEX(STR(?o), "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+[.][A-Za-z]")
                                        || REGEX(STR(?o), "[0-9]{2} [0-9]{2} [0-9]{2} [0-9]{2}"))) }
             UNION
             { ?s ?p ?o . FILTER(isIRI(?o) && (STRSTARTS(STR(?o), "mailto:") || STRSTARTS(STR(?o), "tel:"))) }
           }""",
    )
    persons = values(graph, "SELECT ?p WHERE { ?p a foaf:Person }")
    assert {KID + "person/frede-blaabjerg", KID + "person/jes-broeng"} <= persons


def test_what_replaced_vaekstforum(graph: ox.Store) -> None:
    """Which body replaced the regional Vækstforum networks in 2019, and under which agreement?"""
    rows = select(
        graph,
        r"""SELECT ?new ?year ?agreement WHERE {
              ?e a org:ChangeEvent ; org:originalOrganization kid:org\/vaekstforum ;
                 org:resultingOrganization ?new ; schema:startDate ?year ; prov:wasInfluencedBy ?agreement .
              ?agreement a klynge:PoliticalAgreement .
            }""",
    )
    assert rows == [
        {
            "new": ORG + "danish-business-promotion-board",
            "year": "2019",
            "agreement": POLICY + "agreement-simplifying-business-promotion-2019",
        }
    ]


def test_vaekstforum_networks(graph: ox.Store) -> None:
    """What was Vækstforum, how many regional networks did it have, and which one does the factsheet single out?

    Six regional networks under one name (audit DUP-06, F272): the network is an organisation with a count of
    six, and the one forum the factsheet names is one of its parts.
    """
    assert ask(graph, r"ASK { kid:org\/vaekstforum a org:Organization ; klynge:numberOfNetworks 6 }")
    assert not ask(graph, r"ASK { kid:org\/vaekstforum a klynge:RegionalGrowthForum }")
    parts = select(
        graph,
        r"""SELECT ?forum ?region WHERE {
              ?forum org:subOrganizationOf kid:org\/vaekstforum ; org:linkedTo ?region .
              ?region a klynge:Region .
            }""",
    )
    assert parts == [{"forum": ORG + "vaekstforum-region-midtjylland", "region": ORG + "region-midtjylland"}]


def test_the_1996_working_group(graph: ox.Store) -> None:
    """Who set up the 1996 working group, and what did it recommend?"""
    rows = select(
        graph,
        r"""SELECT ?by ?year ?rec WHERE {
              kid:org\/working-group-1996 a klynge:WorkingGroup ; klynge:appointedBy ?by ;
                  schema:startDate ?year .
              ?rec klynge:recommendedBy kid:org\/working-group-1996 .
            }""",
    )
    assert rows == [
        {
            "by": ORG + "danish-government",
            "year": "1996",
            "rec": KID + "recommendation/working-group-1996-business-promotion-network",
        }
    ]


def test_why_the_programme_was_debated_in_2024(graph: ox.Store) -> None:
    """Why was the cluster programme debated politically in 2024, and whose recommendation fed the debate?"""
    rows = select(
        graph,
        """SELECT ?committee ?target WHERE {
             ?debate a klynge:Event ; schema:startDate "2024"^^xsd:gYear ; prov:wasInfluencedBy ?rec .
             ?rec a klynge:Recommendation ; klynge:recommendedBy ?committee ; klynge:targets ?target .
           }""",
    )
    assert rows == [{"committee": ORG + "frigast-committee", "target": POLICY + "innovationskraft-2021-2024"}]


def test_bodies_behind_innovation_denmark(graph: ox.Store) -> None:
    """Which council was responsible for Innovation Denmark 2007-2010 and Innovation Network Denmark?"""
    responsible = values(
        graph,
        r"SELECT ?p WHERE { kid:org\/danish-council-for-technology-and-innovation klynge:responsibleFor ?p }",
    )
    assert responsible == {POLICY + "innovation-denmark-2007-2010", POLICY + "innovation-network-denmark"}
    assert names(graph, ORG + "danish-council-for-technology-and-innovation") == {
        ("Danish Council for Technology and Innovation", "en"),
        ("Rådet for Teknologi og Innovation", "da"),
    }


def test_every_organisation_is_typed_named_and_sourced(graph: ox.Store) -> None:
    """Is each organisation of the institutions file an org:Organization with a label and a source?"""
    orgs = values(
        graph,
        f"""SELECT DISTINCT ?o WHERE {{
              GRAPH {INSTITUTIONS_GRAPH} {{ ?o a ?c }}
              FILTER(STRSTARTS(STR(?o), "{ORG}"))
            }}""",
    )
    assert len(orgs) == 19
    rows = select(
        graph,
        f"""SELECT ?o (COUNT(DISTINCT ?l) AS ?labels) (COUNT(DISTINCT ?s) AS ?sources) WHERE {{
              GRAPH {INSTITUTIONS_GRAPH} {{ ?o a ?c }}
              FILTER(STRSTARTS(STR(?o), "{ORG}"))
              ?o a org:Organization ; skos:definition ?d ; dcterms:source ?s .
              ?o rdfs:label ?l . FILTER(LANG(?l) = "en")
            }} GROUP BY ?o""",
    )
    assert {r["o"] for r in rows} == orgs
    assert all(r["labels"] == "1" and int(r["sources"]) >= 1 for r in rows)
    public = values(
        graph, f"SELECT ?o WHERE {{ GRAPH {INSTITUTIONS_GRAPH} {{ ?o a ?c }} ?o a klynge:PublicAuthority }}"
    )
    assert ORG + "danish-business-promotion-board" in public
    assert ORG + "working-group-1996" not in public
