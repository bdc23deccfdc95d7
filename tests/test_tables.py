"""`klynge export --format tables`: a Frictionless Data Package of tidy CSV tables (issue 21), valid by the
frictionless validator, loaded in pandas, and the same package the service serves zipped and DCAT names."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import frictionless
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from klynge.cli import main
from klynge.engines.store import EmbeddedEngine
from klynge.graph import tables
from klynge.graph.build import build_store
from klynge.settings import Limits, Settings
from klynge.web.app import create_app

KID = "https://w3id.org/klynge/id/"
KLYNGE = "https://w3id.org/klynge/ontology#"
IK = KID + "policy/innovationskraft-2021-2024"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables") / "out"
    assert main(["export", "--format", "tables", "--out", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def frames(package: Path) -> dict[str, pd.DataFrame]:
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: pd.read_csv(package / r["path"], keep_default_na=False) for r in descriptor["resources"]}


def test_the_package_is_valid_by_the_frictionless_validator(package):
    report = frictionless.validate(package / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    assert len(report.tasks) == len(tables.TABLES) >= 14


def test_every_table_loads_in_pandas_with_its_schemas_columns(package, frames):
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        frame = frames[resource["name"]]
        assert list(frame.columns) == [f["name"] for f in resource["schema"]["fields"]]
        assert len(frame) > 0, resource["name"]
        key = resource["schema"]["primaryKey"]
        assert not frame.duplicated(subset=key).any(), f"{resource['name']}: one row per {key}"


def test_the_tables_hold_the_facts_of_the_sources(frames):
    clusters = frames["clusters"]
    assert len(clusters) == 14
    assert clusters["budding"].astype(str).str.lower().isin({"true", "false"}).all()
    energy = clusters.set_index("cluster").loc[KID + "cluster/energy-cluster-denmark"]
    assert (energy["label"], energy["area"]) == ("Energy Cluster Denmark", KID + "area/energy-technology")
    assert energy["appointedOn"] == "2020-10-01"
    companies = frames["statistics"].set_index("statistic").loc[KID + "stat/companies-participating-2021-2023"]
    assert float(companies["value"]) == 11050
    nodes = frames["regional-nodes"]
    pharma = nodes[(nodes["nodeKind"] == "sectoral") & (nodes["categoryNotation"] == "C21")]
    assert sorted(zip(pharma["regionNotation"], pharma["rank"], strict=True)) == [
        ("DK01", 2),
        ("DK02", 1),
        ("DK04", 1),
        ("DK05", 1),
    ]


def test_a_joint_amount_is_one_row_and_its_funders_another_table(frames):
    funding = frames["funding"]
    joint = funding[funding["funding"] == KID + "funding/innovationskraft-2021-2024"]
    assert len(joint) == 1  # not once per funder (newcomer S7)
    amount = frames["amounts"].set_index("amount").loc[joint["amount"].iloc[0]]
    assert (float(amount["value"]), amount["currency"]) == (640_000_000, "DKK")
    funders = frames["funders"]
    assert set(funders[funders["funded"] == KID + "funding/innovationskraft-2021-2024"]["funder"]) == {
        KID + "org/ministry-of-higher-education-and-science",
        KID + "org/danish-business-promotion-board",
    }


def test_every_lineage_step_has_its_evidence_and_a_source(frames):
    steps, sources = frames["lineage-steps"], frames["sources"]
    assert set(steps["evidence"]) <= {KLYNGE + "Stated", KLYNGE + "Inferred"}
    assert (steps["evidence"] != "").all()
    cited = set(sources["resource"])
    assert set(steps["step"]) <= cited
    inferred = steps[steps["evidence"] == KLYNGE + "Inferred"]
    assert (inferred["note"] != "").all(), "an inferred step says whose reading it is"
    assert IK in set(steps["later"]) | set(steps["earlier"])


def test_names_and_changes_over_time(frames):
    names = frames["organisation-names"]
    ufm = names[names["organisation"] == KID + "org/ministry-of-higher-education-and-science"]
    assert ("Uddannelses- og Forskningsministeriet", "da", "main") in set(
        zip(ufm["name"], ufm["language"], ufm["nameKind"], strict=True)
    )
    changes = frames["organisation-changes"]
    to_dba = changes[changes["resulting"] == KID + "org/danish-business-authority"]
    assert set(to_dba["date"]) == {"2025-01-01"}
    kinds = frames["kinds"]
    assert len(kinds[kinds["resource"] == KID + "policy/innovation-denmark-2007-2010"]) == 2  # plan and strategy


def test_the_service_serves_the_same_package_zipped_and_dcat_names_it(package):
    engine = EmbeddedEngine(build_store(), limits=Limits(workers=1))
    try:
        client = TestClient(create_app(engine, Settings()))
        response = client.get("/dumps/klynge-tables.zip")
        assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            for name in ["datapackage.json", *(t.path for t in tables.TABLES)]:
                assert archive.read(f"{tables.PACKAGE}/{name}") == (package / name).read_bytes(), name
        turtle = client.get("/dataset", headers={"Accept": "application/n-triples"}).text
        distribution = "<https://w3id.org/klynge/dataset#tables>"
        assert f"<https://w3id.org/klynge/dataset> <http://www.w3.org/ns/dcat#distribution> {distribution}" in turtle
        assert "/dumps/klynge-tables.zip>" in turtle and "tabular-data-package" in turtle
    finally:
        engine.close()


def test_bad_output_folders_get_a_clear_error(tmp_path, capsys):
    assert main(["export", "--format", "tables"]) == 2
    assert "--out DIR" in capsys.readouterr().err
    a_file = tmp_path / "file.csv"
    a_file.write_text("x")
    assert main(["export", "--format", "tables", "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
