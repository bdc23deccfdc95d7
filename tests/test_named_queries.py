"""Every named query parses and runs on the repository's graph, and the answers say what the sources say.

That Virtuoso gives the same answers to every named query is tested in tests/test_remote.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from klynge.catalogue import NamedQuery, catalogue
from klynge.engines import text_index
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store
from shared import shared_path

KID = "https://w3id.org/klynge/id/"
KLYNGE = "https://w3id.org/klynge/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
QUERIES = catalogue()
# Queries that answer nothing on the repository's graph by design, and where their rows are checked instead.
EMPTY_ON_THE_SOURCES = {
    "participation-by-area": "the sources publish national totals only; tests/test_synth.py checks its counts",
}


@pytest.fixture(scope="module")
def engine() -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(build_store())
    yield engine
    engine.close()


def plain(term: ox.Term) -> str:
    """A term as text: IRIs under kid: shortened to ``kid:…`` so that assertions read like the sources."""
    value = term.value
    return "kid:" + value[len(KID) :] if value.startswith(KID) else value


def answer(engine: EmbeddedEngine, query_name: str, **values: str) -> list[dict[str, str]]:
    """The rows of a named query, bound as the API binds them, as plain text."""
    query = QUERIES[query_name]
    rows = engine.select(query.sparql, query.bindings(values))
    return [{column: plain(row[column]) for column in query.columns if column in row} for row in rows]


def column(rows: list[dict[str, str]], name: str) -> set[str]:
    return {row[name] for row in rows if name in row}


@pytest.mark.parametrize("query", QUERIES.values(), ids=list(QUERIES))
def test_every_query_answers_with_its_defaults_and_with_its_examples(engine, query: NamedQuery):
    """A query's defaults and examples are what the API and the editor offer first: each must find something,
    in the columns the query declares."""
    for values in ({}, {p.name: p.example for p in query.parameters}):
        bindings = query.bindings(values)
        if query.form == "SELECT":
            rows = engine.select(query.sparql, bindings)
            assert bool(rows) != (query.name in EMPTY_ON_THE_SOURCES), f"{query.name}: {len(rows)} rows, {values}"
            variables = {parameter.variable for parameter in query.parameters}
            for row in rows:
                assert set(row) <= set(query.columns) | variables, query.name
                assert set(row) - variables, f"{query.name}: a row with no column bound"
        else:
            assert engine.construct(query.sparql, bindings), query.name


# --- answers checked against the sources ----------------------------------------------------------------------


def test_ancestors_of_innovationskraft(engine):
    ancestors = column(answer(engine, "policy-ancestors"), "ancestor")
    # The factsheet: the call is an extension of DEB's strategy Business Promotion in Denmark 2020-2023, which
    # resulted from the agreement with the minister.
    assert {
        "kid:policy/call-innovationskraft-2020",
        "kid:policy/business-promotion-in-denmark-2020-2023",
        "kid:policy/agreement-business-promotion-in-denmark-2020-2023",
    } <= ancestors
    assert "kid:policy/innovationskraft-2021-2024" not in ancestors
    assert "kid:policy/cluster-programme-2025" not in ancestors


def test_ancestors_reach_back_to_the_1990s(engine):
    rows = answer(engine, "policy-ancestors", policy=KID + "policy/cluster-strategy-2-0-2016-2018")
    assert {
        "kid:policy/strategy-cluster-policy-2013",
        "kid:policy/innovation-denmark-2007-2010",
        "kid:policy/ministry-of-science-study-2006",
        "kid:policy/policy-1998",
        "kid:policy/research-business-cofinancing-1990s",
    } <= column(rows, "ancestor")
    ancestors = [row["ancestor"] for row in rows]
    assert len(ancestors) == len(set(ancestors)), "one row per ancestor, however many paths or kinds it has (C7)"
    (innovation_denmark,) = [row for row in rows if row["ancestor"] == "kid:policy/innovation-denmark-2007-2010"]
    assert set(innovation_denmark["types"].split(", ")) == {"Strategy", "ActionPlan"}


def test_ancestors_come_once_each_and_by_date(engine):
    """C7: Innovation Denmark 2007-2010 came twice (ActionPlan and Strategy) and the rows in no date order."""
    rows = answer(engine, "policy-ancestors", policy=KID + "policy/innovationskraft-2021-2024")
    assert len(rows) == len({row["ancestor"] for row in rows})
    years = [(row.get("start") or row.get("period") or row.get("end") or "~")[:4] for row in rows]
    assert years == sorted(years)
    assert years[0] == "1990"  # the 1990s co-financing (F: "in the 1990's"), dated by its decade
    assert rows[0]["period"] == "1990s"
    # The order is the same on every call (a stable answer for a cited query).
    assert answer(engine, "policy-ancestors", policy=KID + "policy/innovationskraft-2021-2024") == rows


def test_stated_ancestors_say_why_they_are_empty(engine):
    """S13: for a policy whose own steps are all our reading, evidence=stated answered a bare header. The DFIR
    brief's step (D:37) now gives Innovationskraft stated ancestors; the 2025 funding's one step is inferred."""
    stated = answer(engine, "policy-ancestors", policy=KID + "policy/innovationskraft-2021-2024", evidence="stated")
    assert "kid:policy/innovation-network-denmark" in column(stated, "ancestor")
    assert not column(stated, "note")
    (row,) = answer(engine, "policy-ancestors", policy=KID + "policy/cluster-programme-2025", evidence="stated")
    assert "ancestor" not in row
    assert row["note"].startswith("No source states a lineage step of this policy: its 1 step is our reading")
    everything = answer(engine, "policy-ancestors", policy=KID + "policy/cluster-programme-2025")
    assert "kid:policy/innovationskraft-2021-2024" in column(everything, "ancestor")
    assert not column(everything, "note")


def test_descendants_of_innovation_denmark(engine):
    rows = answer(engine, "policy-descendants")
    assert {
        "kid:policy/innovation-network-denmark",
        "kid:policy/strategy-cluster-policy-2013",
        "kid:policy/cluster-strategy-2-0-2016-2018",
    } <= column(rows, "descendant")
    by_iri = {row["descendant"]: row for row in rows}
    assert by_iri["kid:policy/innovation-network-denmark"]["type"] == KLYNGE + "Programme"
    assert by_iri["kid:policy/innovation-network-denmark"]["start"] == "2008"


def test_what_succeeded_what(engine):
    rows = answer(engine, "what-replaced-what", relation=KLYNGE + "succeeds")
    steps = {(row["later"], row["earlier"]) for row in rows}
    # The factsheet does not say that Cluster Strategy 2.0 succeeded the 2013 strategy: that step is generic.
    assert ("kid:policy/cluster-strategy-2-0-2016-2018", "kid:policy/strategy-cluster-policy-2013") not in steps
    assert ("kid:policy/cluster-programme-2025", "kid:policy/innovationskraft-2021-2024") in steps
    assert column(rows, "relation") == {KLYNGE + "succeeds"}
    programme_2025 = next(row for row in rows if row["later"] == "kid:policy/cluster-programme-2025")
    assert (programme_2025["date"], programme_2025["earlierEnd"]) == ("2025", "2024")
    assert programme_2025["evidence"] == KLYNGE + "Inferred"  # D:5 says only that the funding is re-announced


def test_what_replaced_what_answers_replacements_only(engine):
    """S14: the rows were mostly plain influence ("DFIR review <- Political debate"). Now each row is a plan that
    took another's place, absorbed or ended it, or a body that took over from another, as the sources say:
    F:234 "were gathered into one national programme" (2008), F:238 Vækstforum "replaced by" the board (2019),
    D:37 today's clusters "established through the consolidation of networks and clusters", D:5 the
    administration "consolidated under the Danish Business Authority" (2025)."""
    factsheet = " ".join(shared_path("sources", "000_ea44c16095afaad3.txt").read_text(encoding="utf-8").split())
    brief = " ".join(shared_path("sources", "001_62fd75fca2c3d4d6.txt").read_text(encoding="utf-8").split())
    assert "were gathered into one national programme" in factsheet
    assert "consolidation of networks and clusters" in brief and "consolidated under the Danish Business" in brief
    rows = answer(engine, "what-replaced-what")
    steps = [(row["date"][:4], row["later"], row["relation"].rsplit("#", 1)[1], row["earlier"]) for row in rows]
    assert steps == [
        (
            "2008",
            "kid:policy/innovation-network-denmark",
            "consolidates",
            "kid:policy/cluster-and-network-programmes-before-2008",
        ),
        ("2019", "kid:org/danish-business-promotion-board", "receivingOrganization", "kid:org/vaekstforum"),
        ("2021", "kid:policy/innovationskraft-2021-2024", "consolidates", "kid:policy/innovation-network-denmark"),
        ("2025", "kid:policy/cluster-programme-2025", "succeeds", "kid:policy/innovationskraft-2021-2024"),
        (
            "2025",
            "kid:org/danish-business-authority",
            "receivingOrganization",
            "kid:org/danish-business-promotion-board",
        ),
        (
            "2025",
            "kid:org/danish-business-authority",
            "receivingOrganization",
            "kid:org/ministry-of-higher-education-and-science",
        ),
    ]
    # No influence, implementation or evaluation row, and every row says how it rests on its source.
    assert not {row["relation"] for row in rows} & {"http://www.w3.org/ns/prov#wasInfluencedBy", KLYNGE + "implements"}
    assert {row["evidence"] for row in rows} <= {KLYNGE + "Stated", KLYNGE + "Inferred"}
    assert len(rows) == len({(row["later"], row["earlier"], row["relation"]) for row in rows})


BUDDING = {
    "kid:cluster/odense-robotics",
    "kid:cluster/vision-denmark",
    "kid:cluster/danish-sound-cluster",
    "kid:cluster/censec",
}


def test_budding_clusters_are_exactly_the_four(engine):
    assert column(answer(engine, "budding-clusters"), "cluster") == BUDDING


def test_clusters_by_area(engine):
    rows = answer(engine, "clusters-by-area")
    assert len(rows) == 14 == len(column(rows, "cluster"))
    assert {row["cluster"] for row in rows if row["budding"] == "true"} == BUDDING
    energy = answer(engine, "clusters-by-area", area=KID + "area/energy-technology")
    assert [(row["cluster"], row["budding"]) for row in energy] == [("kid:cluster/energy-cluster-denmark", "false")]


def test_clusters_and_their_funders(engine):
    rows = answer(engine, "cluster-relations")
    assert len(rows) == 14
    for row in rows:
        assert row["funderCount"] == "2", row["cluster"]
        assert set(row["funders"].split("; ")) == {
            "Ministry of Higher Education and Science",
            "Danish Business Promotion Board",
        }
        assert (row["programme"], row["appointedOn"]) == ("kid:policy/innovationskraft-2021-2024", "2020-10-01")


def test_sectoral_nodes_of_the_capital_region(engine):
    rows = answer(engine, "sectoral-nodes", region=KID + "region/DK01")
    assert [(row["rank"], row["notation"]) for row in rows] == [
        ("1", "H50"), ("2", "C21"), ("3", "R91"), ("4", "J58"), ("5", "K65"),
    ]  # fmt: skip


def test_regions_specialised_in_pharmaceuticals(engine):
    rows = answer(engine, "sectoral-nodes", sector=KID + "nace/C21")
    ranks = {row["region"]: row["rank"] for row in rows}
    assert ranks == {"kid:region/DK01": "2", "kid:region/DK02": "1", "kid:region/DK04": "1", "kid:region/DK05": "1"}


def test_health_ecosystem_node_in_every_region(engine):
    rows = answer(engine, "ecosystem-nodes", ecosystem=KID + "ecosystem/health")
    assert column(rows, "region") == {f"kid:region/DK0{n}" for n in range(1, 6)}
    capital = answer(engine, "ecosystem-nodes", region=KID + "region/DK01")
    assert [row["ecosystem"] for row in capital] == [
        "kid:ecosystem/digital", "kid:ecosystem/cultural-and-creative-industries", "kid:ecosystem/health",
    ]  # fmt: skip


def test_node_counts_per_region(engine):
    counts = {(row["region"], row["dataset"]): row["nodeCount"] for row in answer(engine, "node-counts-by-region")}
    assert counts[("kid:region/DK01", "kid:dataset/sectoral-nodes")] == "12"
    assert counts[("kid:region/DK02", "kid:dataset/ecosystem-nodes")] == "2"
    assert sum(int(n) for (_, dataset), n in counts.items() if dataset == "kid:dataset/sectoral-nodes") == 31
    assert sum(int(n) for (_, dataset), n in counts.items() if dataset == "kid:dataset/ecosystem-nodes") == 8


def test_objectives_of_innovationskraft(engine):
    objectives = column(answer(engine, "programme-objectives"), "objective")
    assert len(objectives) == 14
    assert "kid:objective/cross-border-innovation-cooperation" in objectives


def test_design_of_innovationskraft(engine):
    rows = answer(engine, "programme-profile")
    by_aspect: dict[str, set[str]] = {}
    for row in rows:
        by_aspect.setdefault(row["aspect"], set()).add(row["item"])
    assert len(by_aspect["focus area"]) == 12
    assert len(by_aspect["beneficiary"]) == 7
    assert len(by_aspect["EU priority"]) == 3
    kinds = [row.get("kind") for row in rows if row["aspect"] == "instrument"]
    assert (kinds.count("FinancialInstrument"), kinds.count("NonFinancialInstrument")) == (8, 5)


def test_funders_of_innovationskraft(engine):
    """F:168-170: "A total of approx. DKK 640 million"; "UFM and DEB intend to set aside each approx. 80 mio. DKK
    annually"; "DEB and UFM each provide funding". The 640 million is paid jointly: one row, not one per funder
    (S7), so the column of amounts adds up to what the sources say."""
    factsheet = " ".join(shared_path("sources", "000_ea44c16095afaad3.txt").read_text(encoding="utf-8").split())
    assert "A total of approx. DKK 640 million" in factsheet and "each approx. 80 mio. DKK annually" in factsheet
    rows = answer(engine, "funding", item=KID + "policy/innovationskraft-2021-2024")
    assert column(rows, "funder") == {
        "kid:org/ministry-of-higher-education-and-science",
        "kid:org/danish-business-promotion-board",
    }
    amounts = sorted((row.get("funder", ""), row["value"], row.get("annual", ""), row["funderCount"]) for row in rows)
    assert amounts == [
        ("", "640000000", "", "2"),
        ("kid:org/danish-business-promotion-board", "80000000", "true", "1"),
        ("kid:org/ministry-of-higher-education-and-science", "80000000", "true", "1"),
    ]
    (joint,) = [row for row in rows if row["value"] == "640000000"]
    assert joint["funders"] == "Danish Business Promotion Board; Ministry of Higher Education and Science"
    # Asked for one funder, the joint record still comes once, with both funders named.
    deb = answer(engine, "funding", funder=KID + "org/danish-business-promotion-board")
    assert [row["funderCount"] for row in deb if row.get("value") == "640000000"] == ["2"]


def test_what_the_government_funded(engine):
    items = column(answer(engine, "funding", funder=KID + "org/danish-government"), "item")
    assert {"kid:policy/research-business-cofinancing-1990s", "kid:policy/innovation-network-denmark"} <= items


def test_budget_of_innovationskraft(engine):
    """F:168: approx. DKK 640 million; D:47-51: "365 mio. DKK." spent from the allocation 2021-2023 and
    "850 mio. DKK." secured from external sources (S7: both were in neither funding nor budgets)."""
    brief = shared_path("sources", "001_62fd75fca2c3d4d6.txt").read_text(encoding="utf-8")
    assert "365 mio. DKK." in brief and "850 mio. DKK." in brief
    rows = answer(engine, "budgets", policy=KID + "policy/innovationskraft-2021-2024")
    dkk = [(row["kind"], row["value"], row.get("approximation")) for row in rows if row.get("currency") == "DKK"]
    assert dkk == [
        ("budget", "640000000", KLYNGE + "Approximately"),
        ("amount spent", "365000000", None),
        ("external funding secured", "850000000", None),
    ]
    spent = [row for row in rows if row["kind"] == "amount spent"]
    assert [(row["start"], row["end"]) for row in spent] == [("2021", "2023")]


def test_timeline_of_vaekstforum(engine):
    rows = answer(engine, "body-timeline")
    facts = {(row["kind"], row.get("date"), row.get("related")) for row in rows}
    assert ("started", "2006", None) in facts
    assert ("ended", "2019", None) in facts
    assert ("terminated by", "2019", "kid:policy/agreement-simplifying-business-promotion-2019") in facts
    assert ("replaced by or handed over to", "2019", "kid:org/danish-business-promotion-board") in facts
    assert {("Vækstforum", "da"), ("Regional growth forums (Vækstforum)", "en")} <= {
        (row["name"], row["language"]) for row in rows if row["kind"] == "name"
    }


def test_timeline_of_the_business_promotion_board(engine):
    rows = answer(engine, "body-timeline", body=KID + "org/danish-business-promotion-board")
    facts = {(row["kind"], row.get("related")) for row in rows}
    assert ("established by", "kid:policy/business-promotion-act-2018") in facts
    assert ("took over from", "kid:org/vaekstforum") in facts
    assert {"DEB", "Danmarks Erhvervsfremmebestyrelse"} <= {row.get("name") for row in rows}


def test_statistics_2021_to_2023(engine):
    rows = answer(engine, "statistics-of-period")
    values = column(rows, "value")
    assert {"11050", "3083", "5784", "2284", "365000000"} <= values
    assert "6000" not in values and "22" not in values  # Innovation Network Denmark, 2009


def test_statistics_of_2009(engine):
    rows = answer(engine, "statistics-of-period", **{"from": "2009", "to": "2009"})
    assert {"22", "6000", "80"} <= column(rows, "value")
    assert "11050" not in column(rows, "value")


def test_everything_the_dfir_brief_states(engine):
    resources = column(answer(engine, "source-statements"), "resource")
    assert {f"kid:recommendation/dfir-2024-{n}" for n in range(1, 5)} <= resources
    assert {"kid:org/frigast-committee", "kid:policy/cluster-programme-2025"} <= resources
    assert "kid:policy/policy-1998" not in resources


def test_bibliography_of_the_dfir_brief(engine):
    rows = answer(engine, "source-bibliography", source=KID + "source/dfir-brief-2024")
    assert "kid:work/reg-lab-videnbroer-til-vaekst-2017" in column(rows, "work")
    assert len(rows) == len(column(rows, "work"))


def test_recommendations_for_the_2025_programme(engine):
    rows = answer(engine, "recommendations", target=KID + "policy/cluster-programme-2025")
    assert column(rows, "recommendation") == {f"kid:recommendation/dfir-2024-{n}" for n in range(1, 5)}
    assert column(rows, "recommender") == {"kid:org/dfir"}


def test_recommendations_without_target_are_listed(engine):
    rows = answer(engine, "recommendations")
    assert "kid:recommendation/working-group-1996-business-promotion-network" in column(rows, "recommendation")
    assert ("kid:recommendation/dfir-2024-1", KLYNGE + "SME") in {(r["recommendation"], r.get("target")) for r in rows}


def test_maturity_scores(engine):
    rows = answer(engine, "maturity-scores")
    scores = {row["dimensionLabel"]: (row["score"], row["maximumScore"]) for row in rows}
    assert scores == {
        "Policy scope": ("2", "2"),
        "Consistency of cluster policies": ("2", "2"),
        "Evidence of performance": ("1", "1"),
        "Instruments": ("2", "2"),
    }


def test_organisations_by_role_in_innovationskraft(engine):
    roles = {(row["role"], row["organisation"]) for row in answer(engine, "programme-organisations")}
    assert {
        ("funder", "kid:org/ministry-of-higher-education-and-science"),
        ("funder", "kid:org/danish-business-promotion-board"),
        ("reviewer", "kid:org/dfir"),
        ("recommender", "kid:org/frigast-committee"),
        ("appointed cluster organisation", "kid:cluster/censec"),
    } <= roles


def test_policy_timeline(engine):
    rows = answer(engine, "policy-timeline")
    by_policy = {row["policy"]: row for row in rows}
    assert by_policy["kid:policy/research-business-cofinancing-1990s"]["period"] == "1990s"
    innovationskraft = by_policy["kid:policy/innovationskraft-2021-2024"]
    assert (innovationskraft["start"], innovationskraft["end"]) == ("2021", "2024")
    assert set(innovationskraft["responsible"].split("; ")) == {
        "Ministry of Higher Education and Science",
        "Danish Business Promotion Board",
    }
    starts = [row["start"][:4] for row in rows if "start" in row]
    assert starts == sorted(starts)


def test_policies_in_force_in_2009(engine):
    policies = column(answer(engine, "policies-in-force"), "policy")
    assert {"kid:policy/innovation-denmark-2007-2010", "kid:policy/innovation-network-denmark"} <= policies
    assert "kid:policy/strategy-cluster-policy-2013" not in policies
    assert "kid:policy/research-business-cofinancing-1990s" not in policies  # the 1990s are over


def test_in_force_comes_from_stated_periods_never_from_influence():
    """Issue 20: dropping every lineage link (prov:wasInfluencedBy and the specific steps under it) changes no
    answer of policies-in-force in any year: only periods, ends and later years in force decide it."""
    store = build_store()
    full = EmbeddedEngine(store)
    years = range(1988, 2027)
    before = {year: answer(full, "policies-in-force", year=str(year)) for year in years}
    lineage = [
        quad
        for quad in store
        if quad.predicate.value == "http://www.w3.org/ns/prov#wasInfluencedBy"
        or quad.predicate.value.startswith("https://w3id.org/klynge/ontology#")
        and quad.predicate.value.rsplit("#", 1)[1]
        in {"succeeds", "prolongs", "consolidates", "basedOnLessonsOf", "establishedBy", "implements", "terminates"}
    ]
    assert len(lineage) > 20
    for quad in lineage:
        store.remove(quad)
    assert {year: answer(full, "policies-in-force", year=str(year)) for year in years} == before
    full.close()


def test_what_happened_in_2019(engine):
    rows = answer(engine, "happened-in-year")
    assert ("ended", "kid:org/vaekstforum") in {(row["what"], row["resource"]) for row in rows}
    assert all(row["date"].startswith("2019") for row in rows)


def test_names_resolve_to_one_iri(engine):
    for name in ("DEB@da", "Danmarks Erhvervsfremmebestyrelse@da", "Danish Business Promotion Board@en"):
        rows = answer(engine, "resources-named", name=name)
        assert column(rows, "resource") == {"kid:org/danish-business-promotion-board"}, name
    assert answer(engine, "resources-named", name="DEB@en") == []  # the abbreviation is recorded as Danish


def test_name_contains_ignores_case(engine):
    assert "kid:policy/innovation-network-denmark" in column(
        answer(engine, "name-contains", text="INNOVATION NETWORK"), "resource"
    )


# Names a text index must not mishandle: quotes, backslashes, line breaks, a NUL, FTS5 and SQL syntax, letters
# whose lower case is longer or depends on their place (İ, final Σ), decomposed accents, typed and tagged literals,
# blank nodes, a very long name.
HOSTILE_NAMES = (
    ox.Literal('Quote " and back\\slash', language="en"),
    ox.Literal("Line\nbreak\tand tab"),
    ox.Literal("NUL\x00inside"),
    ox.Literal("Ærø Økonomi og Åbenrå", language="da"),
    ox.Literal("Großer Straße Cluster", language="de"),
    ox.Literal("İstanbul ΟΔΟΣ Σύνδεσμος"),
    ox.Literal("Café Cafe\u0301 CAFÉ"),
    ox.Literal("Rocket 🚀 cluster"),
    ox.Literal('a OR b NEAR(c d) -x ^y *z "w" col : v {k l}'),
    ox.Literal("'; DROP TABLE names; --"),
    ox.Literal("Cluster 42", datatype=ox.NamedNode("https://example.org/type")),
    ox.Literal("Innovation Network Denmark", language="en-GB"),
    ox.Literal("Long " + "abc " * 2000 + "end"),
)
HOSTILE_TEXTS = (
    *("", "a", "ab", "Æ", "æ", "ø", "å", "ß", "ss", "İ", "i\u0307", "σ", "ας", "ΟΔΟΣ", "ς"),
    *('"', "\\", 'quote "', "*", "NEAR", "NEAR(c d)", "OR", "-x", "-", "^", "^y", "a OR b", "clu*", "col : v"),
    *("{k l}", "'; DROP", "%", "_", "🚀", "e\u0301", "é", "É", "cafe", "\n", "\t", "line\nbreak", "\x00", "l\x00i"),
    *("cluster", "Cluster 42", "innovation network", "INNOVATION NETWORK", "abc abc abc", "x" * 10_000, "abc " * 600),
)


def plain_answer(store: ox.Store, query: NamedQuery, text: str) -> list[tuple[ox.Term | None, ...]]:
    """The query's rows as it is written, run on the store itself: no name index lists its candidates."""
    variables = {ox.Variable(name): term for name, term in query.bind(text=ox.Literal(text)).items()}
    solutions = store.query(query.sparql, use_default_graph_as_union=True, substitutions=variables)
    return [tuple(solution[column] for column in query.columns) for solution in solutions]


def indexed_answer(engine: EmbeddedEngine, query: NamedQuery, text: str) -> list[tuple[ox.Term | None, ...]]:
    rows = engine.select(query.sparql, query.bind(text=ox.Literal(text)))
    return [tuple(row.get(column) for column in query.columns) for row in rows]


@pytest.fixture(scope="module")
def hostile_engine(engine: EmbeddedEngine) -> Iterator[EmbeddedEngine]:
    """The repository's graph and the hostile names, as labels, other names and titles of IRIs and blank nodes."""
    store = ox.Store()
    store.extend(engine.store.quads_for_pattern(None, None, None, None))
    graph = next(iter(store.named_graphs()))
    properties = [ox.NamedNode(RDFS + "label"), ox.NamedNode(SKOS + "altLabel"), ox.NamedNode(DCTERMS + "title")]
    for n, name in enumerate(HOSTILE_NAMES):
        subject = ox.BlankNode() if n % 2 else ox.NamedNode(f"{KID}test/hostile-{n}")
        store.add(ox.Quad(subject, properties[n % 3], name, graph))
    hostile = EmbeddedEngine(store)
    yield hostile
    hostile.close()


def test_name_contains_lists_its_candidates_from_the_index(engine):
    """The name index lists exactly the names that contain the text, written into the query in place of UNDEF,
    so that the engine reads a few names, not all of them."""
    query = QUERIES["name-contains"]
    index = engine.text_index()
    listed = index.listing_candidates(query, query.bind(text=ox.Literal("Innovation Network")))
    names = index.names_containing("Innovation Network")
    assert names is not None
    assert listed == query.sparql.replace("VALUES ?name { UNDEF }", "VALUES ?name { " + " ".join(names) + " }")
    properties = ("label", "altLabel", "prefLabel", "title")
    expected = {
        str(quad.object)
        for quad in engine.store.quads_for_pattern(None, None, None)
        if quad.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1] in properties
        and quad.predicate.value.startswith((RDFS, SKOS, DCTERMS))
        and isinstance(quad.object, ox.Literal)
        and "innovation network" in quad.object.value.lower()
    }
    assert set(names) == expected
    assert 0 < len(names) < index.names / 10


def test_name_contains_runs_as_written_where_too_many_names_contain_the_text(engine, monkeypatch):
    """Past MAX_CANDIDATES names the index lists none (it would list as many rows as the query reads): the query
    runs as written, and answers the same."""
    query = QUERIES["name-contains"]
    monkeypatch.setattr(text_index, "MAX_CANDIDATES", 3)
    index = engine.text_index()
    assert index.names_containing("e") is None
    assert index.listing_candidates(query, query.bind(text=ox.Literal("e"))) == query.sparql
    assert indexed_answer(engine, query, "e") == plain_answer(engine.store, query, "e")


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_name_contains_answers_as_written_with_the_index(hostile_engine, text: str):
    """Whatever the text, the rows with the index's candidates are the rows of the query as written, in order."""
    query = QUERIES["name-contains"]
    assert indexed_answer(hostile_engine, query, text) == plain_answer(hostile_engine.store, query, text)


def test_name_contains_answers_as_written_on_the_real_graph(engine):
    """Every word of every name of the repository's graph, and pieces of them, answer as the query written does."""
    query = QUERIES["name-contains"]
    texts = {"cluster strategy", "Innovation Network", "klynge", "vækst", "ERHVERV", "ministeriet for"}
    for quad in engine.store.quads_for_pattern(None, ox.NamedNode(RDFS + "label"), None):
        value = quad.object.value
        texts |= {value[:4], value[-5:].upper(), value[2:9]}
        if len(texts) > 60:
            break
    for text in sorted(texts):
        assert indexed_answer(engine, query, text) == plain_answer(engine.store, query, text), text


def test_describe_resource(engine):
    query = QUERIES["describe-resource"]
    triples = engine.construct(query.sparql, query.bindings({"resource": KID + "org/dfir"}))
    subjects = {t.subject for t in triples}
    assert ox.NamedNode(KID + "org/dfir") in subjects


# --- organisations: roles and changes, checked against the sources ----------------------------------------------


def source_text(name: str) -> str:
    """One source document's text with its white space folded (the extraction breaks lines anywhere)."""
    return " ".join(shared_path("sources", name).read_text(encoding="utf-8").split())


FACTSHEET = "000_ea44c16095afaad3.txt"
DFIR_BRIEF = "001_62fd75fca2c3d4d6.txt"


def test_what_the_danish_business_authority_takes_on_in_2025(engine):
    # DFIR: "from January 1, 2025, the administration of knowledge and business clusters will be consolidated
    # under the Danish Business Authority".
    assert "from January 1, 2025, the administration of knowledge and business clusters" in source_text(DFIR_BRIEF)
    rows = answer(engine, "body-responsibilities", body=KID + "org/danish-business-authority")
    administers = [row for row in rows if row["role"] == "administers"]
    assert {row["policy"] for row in administers} == {"kid:policy/cluster-programme-2025"}
    assert administers[0]["start"] == "2025-01-01"


def test_the_ministry_ran_innovationskraft_and_appointed_its_fourteen_clusters(engine):
    # The factsheet: the ministry and the board select the clusters; the minister appointed 14 of them for
    # 2021-2024 (DKK 640 million).
    text = source_text(FACTSHEET)
    assert "the Ministry of Higher Education and Science" in text and "appointed 14 new clusters" in text
    rows = answer(engine, "body-responsibilities")  # the default body is the ministry
    roles = {(row["role"], row["policy"]) for row in rows}
    assert ("responsible for", "kid:policy/innovationskraft-2021-2024") in roles
    assert ("administers", "kid:policy/innovationskraft-2021-2024") in roles
    funded = {row["policy"] for row in rows if row["role"] == "funds"}
    assert len({policy for policy in funded if policy.startswith("kid:cluster/")}) == 14
    innovationskraft = next(row for row in rows if row["policy"] == "kid:policy/innovationskraft-2021-2024")
    assert (innovationskraft["start"], innovationskraft["end"]) == ("2021", "2024")


def test_organisation_changes_are_the_two_the_sources_state(engine):
    # The factsheet: the six Vækstforum networks ended in 2019 with the agreement on simplifying business
    # promotion (its bibliography: "Vækstforum erstattes af Danmarks Erhvervsfremmebestyrelse"); DFIR: cluster
    # administration moves to the Danish Business Authority from 1 January 2025.
    text = source_text(FACTSHEET)
    assert "Vækstforum networks were terminated in 2019" in text
    assert "Vækstforum erstattes af Danmarks Erhvervsfremmebestyrelse" in text
    rows = answer(engine, "organisation-changes")
    changes = {(row["original"], row["resulting"], row.get("date")) for row in rows}
    assert changes == {
        ("kid:org/vaekstforum", "kid:org/danish-business-promotion-board", "2019"),
        ("kid:org/danish-business-promotion-board", "kid:org/danish-business-authority", "2025-01-01"),
        ("kid:org/ministry-of-higher-education-and-science", "kid:org/danish-business-authority", "2025-01-01"),
    }
    causes = {row["event"]: row.get("cause") for row in rows}
    assert causes["kid:event/vaekstforum-replaced-by-business-promotion-board"] == (
        "kid:policy/agreement-simplifying-business-promotion-2019"
    )
    assert [row["date"] for row in rows] == sorted(row["date"] for row in rows)  # oldest first
