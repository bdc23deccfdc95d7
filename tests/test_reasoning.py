"""HermiT's verdict on the repository graph and on small graphs that break the ontology's axioms."""

from __future__ import annotations

import sys
from pathlib import Path

import owlready2
import pyoxigraph as ox
import pytest

from klynge.graph.build import build_store, published_triples
from klynge.rdf.namespaces import turtle_prologue
from klynge.resources import asset_files
from klynge.validation.reasoning import (
    ReasonerUnavailable,
    _load_world,
    check_consistency,
    disjointness_clashes,
    java_executable,
    without_data_cube_punning_warnings,
)

PREFIXES = turtle_prologue(("klynge", "xsd", "schema"))
POLICY_AND_MINISTRY = """
<https://w3id.org/klynge/id/policy/both> a klynge:Programme, klynge:Ministry ;
    schema:startDate "2021"^^xsd:gYear .
"""
AREA_AND_ECOSYSTEM = """
<https://w3id.org/klynge/id/area/both> a klynge:BusinessArea, klynge:IndustrialEcosystem .
"""
RANK_ZERO = """
<https://w3id.org/klynge/id/node/sector/DK01-0> a klynge:SectoralNode ; klynge:rank "0"^^xsd:integer .
"""
CLASS_UNDER_DISJOINT_CLASSES = """
klynge:PolicyOrganisation a <http://www.w3.org/2002/07/owl#Class> ;
    <http://www.w3.org/2000/01/rdf-schema#subClassOf> klynge:Policy, klynge:Agency .
"""


@pytest.fixture()
def java() -> None:
    """Skip a HermiT test, saying why and what to install, where no Java runtime is on PATH."""
    try:
        java_executable()
    except ReasonerUnavailable as missing:
        pytest.skip(f"HermiT runs on Java: {missing}")


needs_java = pytest.mark.usefixtures("java")


def with_ontology(tmp_path: Path, turtle: str) -> list[Path]:
    fixture = tmp_path / "fixture.ttl"
    fixture.write_text(PREFIXES + turtle)
    return [*asset_files("ontology"), fixture]


@pytest.mark.slow
@needs_java
def test_repository_graph_is_consistent() -> None:
    result = check_consistency()
    assert result.ok, str(result)
    assert result.triples > 600


@pytest.mark.slow
@needs_java
def test_individual_in_disjoint_classes_is_inconsistent_and_explained(tmp_path: Path) -> None:
    result = check_consistency(with_ontology(tmp_path, POLICY_AND_MINISTRY))
    assert not result.consistent
    assert "<https://w3id.org/klynge/id/policy/both> is both a" in result.explanation
    assert "Policy" in result.explanation and "Organization" in result.explanation


@pytest.mark.slow
@needs_java
def test_literal_outside_range_is_inconsistent_with_a_hint(tmp_path: Path) -> None:
    result = check_consistency(build_store(with_ontology(tmp_path, RANK_ZERO)))
    assert not result.consistent
    assert "outside a property's declared range" in result.explanation


def test_disjointness_clashes_name_individual_and_classes(tmp_path: Path) -> None:
    store = build_store(with_ontology(tmp_path, AREA_AND_ECOSYSTEM + POLICY_AND_MINISTRY))
    clashes = disjointness_clashes(store)
    assert any("area/both" in c and "BusinessArea" in c and "IndustrialEcosystem" in c for c in clashes)
    assert any("policy/both" in c and "Policy" in c for c in clashes)


def test_disjointness_clashes_empty_for_the_ontology_alone() -> None:
    assert disjointness_clashes(build_store(asset_files("ontology"))) == []


def test_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(owlready2, "JAVA_EXE", "klynge-no-such-java")
    with pytest.raises(ReasonerUnavailable, match="needs Java.*install a Java runtime"):
        check_consistency(asset_files("ontology"))


@pytest.mark.slow
@needs_java
def test_class_under_disjoint_classes_is_reported_unsatisfiable(tmp_path: Path) -> None:
    result = check_consistency(with_ontology(tmp_path, CLASS_UNDER_DISJOINT_CLASSES))
    assert result.consistent and not result.ok
    assert result.unsatisfiable == ("https://w3id.org/klynge/ontology#PolicyOrganisation",)
    assert "can have no members" in str(result)


def test_loading_the_repository_graph_for_hermit_prints_no_owlready_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """owlready2 once printed 17 "belongs to more than one entity types" lines on every `make validate`: one per
    Data Cube component property, which the standard types both as a qb property and as an OWL property."""
    ntriples = tmp_path / "published.nt"
    ox.serialize(published_triples(build_store()), output=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
    _load_world(ntriples).close()
    assert "Owlready2" not in capsys.readouterr().err


def test_only_the_data_cube_punning_warnings_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    data_cube = (
        "* Owlready2 * WARNING: ObjectProperty https://w3id.org/klynge/ontology#region belongs to more than one "
        "entity types: [cube.CodedProperty, cube.ComponentProperty, cube.DimensionProperty, owl.ObjectProperty, "
        "dimension.refArea]; I'm trying to fix it..."
    )
    other = (
        "* Owlready2 * WARNING: ObjectProperty http://example.org/p belongs to more than one entity types: "
        "[example.Kind, owl.ObjectProperty]; I'm trying to fix it..."
    )
    with without_data_cube_punning_warnings():
        print(data_cube, file=sys.stderr)
        print(other, file=sys.stderr)
        print("something else", file=sys.stderr)
    assert capsys.readouterr().err == f"{other}\nsomething else\n"
