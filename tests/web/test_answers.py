"""Lineage, shortest path and search's error statuses over HTTP, against the repository's graph."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from klynge.answers.lineage import lineage
from klynge.engines.base import QueryTimeout, QueryTooLarge
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store, default_sources
from klynge.settings import Limits
from klynge.web import api_answers
from klynge.web.dependencies import get_engine

KID = "https://w3id.org/klynge/id/"
KLYNGE = "https://w3id.org/klynge/ontology#"
INNOVATIONSKRAFT = "policy/innovationskraft-2021-2024"


def steps_between(steps: list[dict], later: str, earlier: str) -> list[dict]:
    return [s for s in steps if s["from"]["iri"] == KID + later and s["to"]["iri"] == KID + earlier]


def test_lineage_of_a_policy_names_each_step_with_relation_years_and_sources(client):
    response = client.get(f"/api/lineage/{INNOVATIONSKRAFT}")
    assert response.status_code == 200
    answer = response.json()
    assert answer["resource"]["start"] == "2021" and answer["resource"]["end"] == "2024"
    (call,) = steps_between(answer["ancestors"], INNOVATIONSKRAFT, "policy/call-innovationskraft-2020")
    assert call["relation"] == {"iri": KLYNGE + "establishedBy", "label": "established by"}
    assert call["to"]["start"] == "2020"
    assert {s["iri"] for s in call["sources"]} >= {KID + "source/eccp-factsheet-denmark"}
    (successor,) = steps_between(answer["descendants"], "policy/cluster-programme-2025", INNOVATIONSKRAFT)
    assert successor["relation"]["iri"] == KLYNGE + "succeeds"
    assert all(step["sources"] for step in answer["ancestors"] + answer["descendants"])


def test_lineage_reaches_ancestors_of_ancestors(client):
    answer = client.get("/api/lineage/policy/cluster-programme-2025").json()
    earlier = {step["to"]["iri"] for step in answer["ancestors"]}
    assert KID + INNOVATIONSKRAFT in earlier
    assert KID + "policy/call-innovationskraft-2020" in earlier


def test_lineage_of_an_organisation_follows_change_events(client):
    answer = client.get("/api/lineage/org/vaekstforum").json()
    (step,) = steps_between(answer["descendants"], "org/danish-business-promotion-board", "org/vaekstforum")
    assert step["relation"]["iri"] == "http://www.w3.org/ns/org#ChangeEvent"
    assert step["event"]["iri"] == KID + "event/vaekstforum-replaced-by-business-promotion-board"
    assert step["event"]["date"] == "2019"
    assert step["sources"]


def test_lineage_by_full_iri_equals_lineage_by_id(client):
    by_iri = client.get("/api/lineage", params={"iri": KID + INNOVATIONSKRAFT}).json()
    assert by_iri == client.get(f"/api/lineage/{INNOVATIONSKRAFT}").json()


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ],
)
def test_lineage_as_rdf(client, accept, fmt):
    response = client.get(f"/api/lineage/{INNOVATIONSKRAFT}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    triples = set(ox.parse(response.content, format=fmt))
    assert (
        ox.Quad(
            ox.NamedNode(KID + "policy/cluster-programme-2025"),
            ox.NamedNode(KLYNGE + "succeeds"),
            ox.NamedNode(KID + INNOVATIONSKRAFT),
        )
        in triples
    )
    labels = {t.subject for t in triples if t.predicate.value.endswith("#label")}
    assert ox.NamedNode(KID + "policy/call-innovationskraft-2020") in labels


def test_lineage_errors(client):
    unknown = client.get("/api/lineage/policy/no-such-policy")
    assert unknown.status_code == 404
    assert "no-such-policy" in unknown.json()["detail"]
    assert client.get("/api/lineage/policy/not an id").status_code == 400
    assert client.get(f"/api/lineage/{INNOVATIONSKRAFT}", headers={"Accept": "image/png"}).status_code == 406


def test_path_of_one_step_is_the_specific_stated_property(client):
    answer = client.get("/api/path", params={"from": "policy/cluster-programme-2025", "to": INNOVATIONSKRAFT}).json()
    assert answer["length"] == 1
    (step,) = answer["steps"]
    assert step["predicate"] == {"iri": KLYNGE + "succeeds", "label": "succeeds"}
    assert step["direction"] == "forward"
    assert step["sources"]


def test_path_is_a_connected_chain_from_start_to_end(client):
    answer = client.get("/api/path", params={"from": INNOVATIONSKRAFT, "to": "org/vaekstforum"}).json()
    steps = answer["steps"]
    assert answer["length"] == len(steps) >= 2
    assert steps[0]["from"]["iri"] == KID + INNOVATIONSKRAFT
    assert steps[-1]["to"]["iri"] == KID + "org/vaekstforum"
    for before, after in zip(steps, steps[1:], strict=False):
        assert before["to"]["iri"] == after["from"]["iri"]
    assert all(step["predicate"]["iri"] and step["direction"] in {"forward", "inverse"} for step in steps)


def inner_nodes(answer: dict) -> list[str]:
    return [step["to"]["iri"] for step in answer["steps"][:-1]]


def test_path_follows_relations_between_things_never_vocabulary_nodes(client):
    """S6: from the 1990s co-financing to the 2025 funding the chain went through the evidence value
    klynge:Inferred, which every inferred step shares. Two inferred steps share it directly: no chain may."""
    answer = client.get(
        "/api/path",
        params={"from": "policy/research-business-cofinancing-1990s", "to": "policy/cluster-programme-2025"},
    ).json()
    nodes = inner_nodes(answer)
    assert nodes and all(node.startswith(KID) for node in nodes), nodes
    first = "influence/policy-1998--wasInfluencedBy--research-business-cofinancing-1990s"
    last = "influence/cluster-programme-2025--succeeds--innovationskraft-2021-2024"
    between = client.get("/api/path", params={"from": first, "to": last}).json()
    assert KLYNGE + "Inferred" not in inner_nodes(between)
    assert between["length"] > 2  # through the evidence value it was 2
    for node in inner_nodes(between):
        assert node.startswith(KID) and "/scheme/" not in node and "/reading/" not in node, node
    assert all(step["predicate"]["iri"] != KLYNGE + "evidence" for step in between["steps"])


def test_path_reverses_to_the_same_length(client):
    there = client.get("/api/path", params={"from": INNOVATIONSKRAFT, "to": "org/vaekstforum"}).json()
    back = client.get("/api/path", params={"from": "org/vaekstforum", "to": INNOVATIONSKRAFT}).json()
    assert there["length"] == back["length"]


def test_path_none_within_the_limit_is_404_with_a_message(client):
    params = {"from": "policy/research-business-cofinancing-1990s", "to": "policy/cluster-programme-2025"}
    response = client.get("/api/path", params={**params, "max_length": 1})
    assert response.status_code == 404
    assert "no chain of at most 1" in response.json()["detail"]
    assert client.get("/api/path", params={"from": INNOVATIONSKRAFT, "to": "org/nobody"}).status_code == 404
    assert client.get("/api/path", params={"from": INNOVATIONSKRAFT, "to": "x", "max_length": 9}).status_code == 422


class LimitedEngine:
    """An engine whose every query fails the way a query past the service's limits does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def select(self, query, bindings=None):
        raise self.error

    ask = construct = select

    def text_index(self):
        return None  # as a remote store: search runs search.rq, which fails as every query here does


@pytest.mark.parametrize(
    ("error", "status"),
    [(QueryTimeout("the query ran past the 10 s limit"), 422), (QueryTooLarge("more than 100000 results"), 422)],
)
def test_engine_limits_are_answered_with_a_status_and_message(error, status):
    app = FastAPI()  # no create_app: the route is given the engine by its dependency, swapped here
    app.include_router(api_answers.router)
    app.dependency_overrides[get_engine] = lambda: LimitedEngine(error)
    response = TestClient(app).get("/api/search", params={"q": "innovation"})
    assert response.status_code == status
    assert str(error) in response.json()["detail"]


def test_a_plain_influence_step_is_named_even_without_a_label_in_the_graph(client):
    answer = client.get("/api/lineage/policy/policy-1998").json()
    (step,) = steps_between(answer["ancestors"], "policy/policy-1998", "policy/research-business-cofinancing-1990s")
    assert step["relation"] == {"iri": "http://www.w3.org/ns/prov#wasInfluencedBy", "label": "was influenced by"}


def test_every_lineage_step_says_its_evidence_kind_and_stated_keeps_only_stated_steps(client):
    every = client.get(f"/api/lineage/{INNOVATIONSKRAFT}").json()
    stated = client.get(f"/api/lineage/{INNOVATIONSKRAFT}", params={"evidence": "stated"}).json()
    assert every["evidence"] == "all" and stated["evidence"] == "stated"
    for step in stated["ancestors"] + stated["descendants"]:
        assert step["evidence"] == "stated" or step["event"] is not None
    inferred = [s for s in every["ancestors"] + every["descendants"] if s["evidence"] == "inferred"]
    for step in inferred:
        assert step["note"], "an inferred step carries its reading"
    assert len(stated["ancestors"]) <= len(every["ancestors"])
    assert client.get(f"/api/lineage/{INNOVATIONSKRAFT}", params={"evidence": "maybe"}).status_code == 422


def test_the_walk_from_the_1990s_to_innovationskraft_and_on_to_2025(client):
    answer = client.get(f"/api/lineage/{INNOVATIONSKRAFT}").json()
    reached = {s["to"]["iri"] for s in answer["ancestors"]} | {s["from"]["iri"] for s in answer["descendants"]}
    assert KID + "policy/research-business-cofinancing-1990s" in reached
    assert KID + "policy/cluster-programme-2025" in reached


def test_the_policy_page_draws_the_lineage_and_lists_each_step_with_evidence_and_source(client):
    page = client.get(f"/id/{INNOVATIONSKRAFT}").text
    assert 'class="lineage-svg"' in page  # laid out by Graphviz
    assert "1990s" in page  # the period as the source words it
    steps = page.split('<ol class="steps">', 1)[1].split("</ol>", 1)[0]
    assert steps.count("<li") >= 12
    assert "Source:" in steps


def test_a_clusters_activities_are_on_its_page_but_not_in_its_lineage(tmp_path):
    """An activity a cluster organises is associated with it, so prov:wasInfluencedBy it by PROV's entailments;
    it is what the cluster does, not where it comes from, and its lineage would otherwise draw every one."""
    extra = tmp_path / "activity.ttl"
    extra.write_text(
        f"""@prefix klynge: <{KLYNGE}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <{KID}activity/censec-meeting> a klynge:ClusterActivity ; rdfs:label "A CenSec meeting"@en ;
            klynge:organisedBy <{KID}cluster/censec> ."""
    )
    store = build_store([*default_sources(), extra])
    influenced = "ASK { ?a <http://www.w3.org/ns/prov#wasInfluencedBy> ?c }"
    activity, censec = ox.NamedNode(KID + "activity/censec-meeting"), ox.NamedNode(KID + "cluster/censec")
    bound = {ox.Variable("a"): activity, ox.Variable("c"): censec}
    assert store.query(influenced, substitutions=bound, use_default_graph_as_union=True)
    engine = EmbeddedEngine(store, limits=Limits(workers=1))
    try:
        answer = lineage(engine, censec)
    finally:
        engine.close()
    reached = {step.from_.iri for step in answer.descendants} | {step.to.iri for step in answer.ancestors}
    assert activity.value not in reached and answer.descendants == []


def test_lineage_steps_come_by_date_and_in_the_same_order_every_time(client):
    """C7: the README's lineage curl answered its rows in no order. Ancestors run from the earliest later end;
    a member dated only by its decade (the 1990s co-financing) sits at the decade's start, undated ones last."""
    answer = client.get(f"/api/lineage/{INNOVATIONSKRAFT}").json()

    def when(member: dict) -> str:
        return member.get("start") or (member.get("temporal") or "")[:4] or member.get("end") or "~"

    keys = [(when(step["from"]), when(step["to"])) for step in answer["ancestors"]]
    assert keys == sorted(keys)
    assert client.get(f"/api/lineage/{INNOVATIONSKRAFT}").json() == answer


def test_lineage_as_rdf_says_the_authority_took_tasks_over_not_that_the_change_made_it():
    """The 2026-12-07 audit, section 2.3: no source says the 2025 change created the Danish Business Authority
    (the DFIR brief names it as existing in 2024); the lineage's RDF says what the data says."""
    from klynge.answers.lineage import lineage_triples

    engine = EmbeddedEngine(build_store())
    triples = lineage_triples(engine, ox.NamedNode(KID + "org/danish-business-authority"))
    event = ox.NamedNode(KID + "event/cluster-administration-to-danish-business-authority-2025")
    authority = ox.NamedNode(KID + "org/danish-business-authority")
    assert ox.Triple(event, ox.NamedNode(KLYNGE + "receivingOrganization"), authority) in triples
    assert ox.Triple(event, ox.NamedNode("http://www.w3.org/ns/org#resultingOrganization"), authority) not in triples
