"""The named-query REST API: the list, one route per query with typed parameters, JSON and CSV, and its errors."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from klynge.catalogue import catalogue
from klynge.engines.base import QueryTimeout, QueryTooLarge
from klynge.settings import Settings
from klynge.web.api_queries import Answer
from klynge.web.app import create_app

KID = "https://w3id.org/klynge/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
INNOVATIONSKRAFT = KID + "policy/innovationskraft-2021-2024"


# ``client`` and ``engine`` (tests/web/conftest.py): the real app on the repository's graph.


def test_list_documents_every_named_query(client):
    response = client.get("/api/queries")
    assert response.status_code == 200
    entries = {entry["name"]: entry for entry in response.json()["queries"]}
    assert set(entries) == set(catalogue())
    ancestors = entries["policy-ancestors"]
    assert ancestors["title"] == "Ancestors of a policy"
    assert ancestors["method"] == "GET" and "lineage" in ancestors["tags"]
    parameters = {parameter["name"]: parameter for parameter in ancestors["parameters"]}
    assert set(parameters) == {"policy", "evidence"}
    assert parameters["policy"] == {
        "name": "policy",
        "type": "iri",
        "required": False,
        "default": INNOVATIONSKRAFT,
        "description": "The policy (programme, strategy, agreement...) whose ancestors are listed.",
        "example": KID + "policy/strategy-cluster-policy-2013",
        "enum": None,
    }
    assert parameters["evidence"]["default"] == "all" and parameters["evidence"]["enum"] == ["all", "stated"]
    assert "?_policy_iri" in ancestors["sparql"]


@pytest.mark.parametrize("name", list(catalogue()))
def test_every_query_answers_over_http_as_its_schema_says(client, name):
    query = catalogue()[name]
    response = client.get(f"/api/queries/{name}", params={p.name: p.example for p in query.parameters})
    assert response.status_code == 200, response.text
    if query.form != "SELECT":
        assert response.headers["content-type"].startswith("text/turtle")
        return
    answer = Answer.model_validate(response.json())
    assert answer.columns == list(query.columns)
    assert answer.parameters == {p.name: p.example for p in query.parameters}
    assert all(set(row) <= set(query.columns) for row in answer.rows)


def test_query_with_a_parameter_answers_compact_json(client):
    policy = KID + "policy/cluster-strategy-2-0-2016-2018"
    response = client.get("/api/queries/policy-ancestors", params={"policy": policy})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["query"] == "policy-ancestors"
    assert body["parameters"] == {"policy": policy, "evidence": "all"}
    assert body["columns"] == ["ancestor", "ancestorLabel", "type", "types", "start", "end", "period", "note"]
    rows = {row["ancestor"]["value"]: row for row in body["rows"]}
    strategy = rows[KID + "policy/strategy-cluster-policy-2013"]
    assert strategy["ancestor"] == {"type": "uri", "value": KID + "policy/strategy-cluster-policy-2013"}
    assert strategy["ancestorLabel"] == {
        "type": "literal",
        "value": "Strategy for Denmark's Cluster Policy",
        "lang": "en",
    }
    assert strategy["start"] == {"type": "literal", "value": "2013", "datatype": XSD + "gYear"}
    assert strategy["type"] == {"type": "uri", "value": "https://w3id.org/klynge/ontology#Strategy"}
    assert "end" not in strategy  # unbound: left out


def test_plain_strings_carry_no_datatype(client):
    rows = client.get("/api/queries/body-timeline").json()["rows"]
    assert {"type": "literal", "value": "started"} in [row["kind"] for row in rows]


def test_defaults_apply_and_are_reported(client):
    body = client.get("/api/queries/statistics-of-period").json()
    assert body["parameters"] == {"from": "2021", "to": "2023"}
    values = {row["value"]["value"] for row in body["rows"]}
    assert {"11050", "3083"} <= values


def test_integer_parameters(client):
    body = client.get("/api/queries/statistics-of-period", params={"from": "2009", "to": "2009"}).json()
    assert {"22", "6000"} <= {row["value"]["value"] for row in body["rows"]}


def test_language_tagged_parameter(client):
    body = client.get("/api/queries/resources-named", params={"name": "DEB@da"}).json()
    assert [row["resource"]["value"] for row in body["rows"]] == [KID + "org/danish-business-promotion-board"]


@pytest.mark.parametrize(
    ("headers", "params"), [({"Accept": "text/csv"}, {}), ({"Accept": "application/json"}, {"format": "csv"})]
)
def test_csv_on_request(client, headers, params):
    response = client.get("/api/queries/funding", params={"item": INNOVATIONSKRAFT, **params}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    header = table[0]
    assert header == list(catalogue()["funding"].columns)
    funders = {row[header.index("funder")] for row in table[1:]} - {""}  # the joint record names no one funder
    assert funders == {
        KID + "org/ministry-of-higher-education-and-science",
        KID + "org/danish-business-promotion-board",
    }


@pytest.mark.parametrize(
    "value",
    ["<x> } ; DROP ALL #", '"> ?s ?p ?o', f"{INNOVATIONSKRAFT}> ?s ?p ?o . <{INNOVATIONSKRAFT}", "not an iri"],
)
def test_injection_attempt_is_a_400(client, engine, value):
    before = engine.triple_count()
    response = client.get("/api/queries/policy-ancestors", params={"policy": value})
    assert response.status_code == 400
    detail = response.json()["detail"]
    example = next(p.example for p in catalogue()["policy-ancestors"].parameters if p.name == "policy")
    assert "parameter 'policy'" in detail and "not a valid IRI" in detail and example in detail
    assert engine.triple_count() == before


def test_bad_integer_is_a_400(client):
    response = client.get("/api/queries/policies-in-force", params={"year": "2009 OR 1=1"})
    assert response.status_code == 400
    assert "parameter 'year'" in response.json()["detail"]


@pytest.mark.parametrize("name", ["policy-ancestors", "policy-descendants"])
def test_evidence_takes_only_its_two_values(client, name):
    response = client.get(f"/api/queries/{name}", params={"evidence": "statd"})
    assert response.status_code == 400
    assert "parameter 'evidence'" in response.json()["detail"] and "not one of all, stated" in response.json()["detail"]
    documented = client.get("/openapi.json").json()["paths"][f"/api/queries/{name}"]["get"]["parameters"]
    assert next(p for p in documented if p["name"] == "evidence")["schema"]["enum"] == ["all", "stated"]
    stated = {
        row["ancestor" if name == "policy-ancestors" else "descendant"]["value"]
        for row in client.get(f"/api/queries/{name}", params={"evidence": "stated"}).json()["rows"]
    }
    every = {
        row["ancestor" if name == "policy-ancestors" else "descendant"]["value"]
        for row in client.get(f"/api/queries/{name}", params={"evidence": "all"}).json()["rows"]
    }
    assert stated < every, "stated steps reach fewer plans than all steps"


def test_unknown_parameter_is_a_400(client):
    response = client.get("/api/queries/policy-ancestors", params={"polcy": INNOVATIONSKRAFT})
    assert response.status_code == 400
    assert "takes no such parameter (it takes: evidence, policy)" in response.json()["detail"]


def test_repeated_parameter_is_a_400(client):
    response = client.get(f"/api/queries/policy-ancestors?policy={INNOVATIONSKRAFT}&policy={INNOVATIONSKRAFT}")
    assert response.status_code == 400
    assert "more than once" in response.json()["detail"]


def test_unknown_query_is_a_404_with_the_names(client):
    response = client.get("/api/queries/no-such-question")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "no-such-question" in detail and "policy-ancestors" in detail and "funding" in detail


def test_a_named_query_answers_in_tsv_too_written_as_sparql_writes_it(client, engine):
    """TSV is one entry of ``formats.TABLE``; nothing else had to change for the named queries to give it."""
    response = client.get("/api/queries/funding", params={"item": INNOVATIONSKRAFT, "format": "tsv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/tab-separated-values")
    header, *rows = response.text.splitlines()
    assert header.split("\t") == ["?" + column for column in catalogue()["funding"].columns]
    assert any(f"<{KID}org/danish-business-promotion-board>" in row for row in rows)


def test_unacceptable_format(client):
    assert client.get("/api/queries/funding", headers={"Accept": "image/png"}).status_code == 406
    unknown = {"format": "xls"}
    assert client.get("/api/queries/funding", params=unknown, headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/api/queries/funding", params=unknown, headers={"Accept": "text/csv"}).status_code == 200


def test_describe_answers_rdf(client):
    response = client.get("/api/queries/describe-resource", params={"resource": KID + "org/dfir"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    assert "Danish Council for Research and Innovation Policy" in response.text
    response = client.get(
        "/api/queries/describe-resource",
        params={"resource": KID + "org/dfir"},
        headers={"Accept": "application/n-triples"},
    )
    assert response.headers["content-type"].startswith("application/n-triples")
    assert f"<{KID}org/dfir>" in response.text


class FailingEngine:
    """An engine whose every query fails the way a limited engine does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def select(self, query, bindings):
        raise self.error

    def text_index(self) -> None:
        return None  # not an embedded store: no full-text index


@pytest.mark.parametrize(("error", "status"), [(QueryTimeout("10 s"), 422), (QueryTooLarge("10000 rows"), 422)])
def test_engine_limits_become_statuses(error, status):
    response = TestClient(create_app(FailingEngine(error), Settings())).get("/api/queries/funding")
    assert response.status_code == status
    assert str(error) in response.json()["detail"]


def test_openapi_lists_each_named_query_with_its_parameters(client):
    schema = client.get("/openapi.json").json()
    for query in catalogue().values():
        operation = schema["paths"][f"/api/queries/{query.name}"]["get"]
        assert operation["summary"] == query.title
        assert operation["description"] == query.description
        parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
        # format is the API's own; release (any route may time-travel) is declared by web.releases
        assert set(parameters) == {p.name for p in query.parameters} | {"format", "release"}
        for parameter in query.parameters:
            documented = parameters[parameter.name]
            assert documented["in"] == "query"
            assert documented["required"] == parameter.required
            assert str(documented["example"]) == parameter.example
            assert parameter.description in documented["description"]
    period = {p["name"]: p for p in schema["paths"]["/api/queries/statistics-of-period"]["get"]["parameters"]}
    assert period["from"]["schema"] == {"type": "integer", "default": 2021}
    ancestors = schema["paths"]["/api/queries/policy-ancestors"]["get"]
    assert ancestors["parameters"][0]["schema"]["format"] == "uri"
    content = ancestors["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(content)
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Answer"}
    assert "/api/queries/{name}" not in schema["paths"]
