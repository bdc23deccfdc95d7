"""The closed-world vocabulary check: misspelt and misused terms are caught, with file:line and a suggestion."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.graph.build import SourceError, parse_file
from klynge.resources import asset_dir, asset_files
from klynge.validation import vocabulary
from klynge.validation.vocabulary import (
    BUILT_VOCABULARIES,
    TERMS_DIR,
    Checker,
    build_terms,
    read_terms,
    standard_vocabularies,
    uses_in_file,
)

HEADER = """@prefix klynge: <https://w3id.org/klynge/ontology#> .
@prefix kid: <https://w3id.org/klynge/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix rov: <http://www.w3.org/ns/regorg#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
"""


def ontology() -> list[ox.Quad]:
    return [quad for path in asset_files("ontology") for quad in parse_file(path)]


def repository_files() -> list[Path]:
    return asset_files("ontology") + asset_files("data") + asset_files("shapes") + asset_files("queries", "*.rq")


def problems_of(tmp_path: Path, name: str, body: str) -> list[tuple[int, str]]:
    path = tmp_path / name
    path.write_text(body)
    return [(problem.line, problem.message) for problem in Checker(ontology()).check(uses_in_file(path))]


def test_repository_uses_only_existing_terms_in_their_roles() -> None:
    files = repository_files()
    uses = [use for path in files for use in uses_in_file(path)]
    checker = Checker(ontology())
    checked = {use.term for use in uses if checker.vocabulary_of(use.term) is not None}
    assert len(checked) > 250, "the check must see the terms the repository uses"
    assert {"klynge", "schema", "prov", "org", "skos", "dcterms", "qb", "rov", "sdmx-dimension"} <= {
        checker.vocabulary_of(term).prefix for term in checked
    }
    assert checker.check(uses) == []


def test_misspelt_klynge_property_in_a_copy_of_the_lineage_names_line_and_suggests(tmp_path: Path) -> None:
    text = (asset_dir("data") / "lineage.ttl").read_text()
    assert "klynge:succeeds <" in text
    copy = text.replace("klynge:succeeds <", "klynge:succeds <", 1)
    expected_line = copy.splitlines().index(next(line for line in copy.splitlines() if "klynge:succeds" in line)) + 1
    assert problems_of(tmp_path, "lineage.ttl", copy) == [
        (expected_line, "klynge:succeds is not declared in the klynge ontology; did you mean klynge:succeeds?")
    ]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            'kid:x schema:startdate "2020" .',
            "schema:startdate is not a term of the schema vocabulary (checked against rdflib's SDO namespace); "
            "did you mean schema:startDate?",
        ),
        (
            'kid:x rov:legalname "X" .',
            "rov:legalname is not a term of the rov vocabulary (checked against terms/rov.tsv); "
            "did you mean rov:legalName?",
        ),
        (
            'kid:x dcat:endDat "2020" .',
            "dcat:endDat is not a term of the dcat vocabulary (checked against terms/dcat.tsv); "
            "did you mean dcat:endDate?",
        ),
        (
            "kid:x a prov:Plann .",
            "prov:Plann is not a term of the prov vocabulary (checked against rdflib's PROV namespace); "
            "did you mean prov:Plan?",
        ),
        ("kid:x klynge:Policy kid:y .", "klynge:Policy is a class, used here as a property"),
        ("kid:x a klynge:succeeds .", "klynge:succeeds is a property, used here as a class"),
        ("kid:x a schema:startDate .", "schema:startDate is a property, used here as a class"),
        ("kid:S sh:path klynge:Programme .", "klynge:Programme is a class, used here as a property"),
        ("kid:S sh:targetClass klynge:succeeds .", "klynge:succeeds is a property, used here as a class"),
    ],
    ids=[
        "schema-rdflib",
        "rov-built-list",
        "dcat-built-list",
        "prov-class",
        "class-as-property",
        "property-as-class",
        "standard-property-as-class",
        "shape-path-class",
        "shape-target-property",
    ],
)
def test_unknown_or_misused_term_is_reported_on_its_line(tmp_path: Path, statement: str, message: str) -> None:
    assert problems_of(tmp_path, "new.ttl", HEADER + "\n" + statement + "\n") == [(10, message)]


def test_correct_terms_of_every_source_pass(tmp_path: Path) -> None:
    body = (
        HEADER
        + """
kid:x a klynge:Programme ; schema:startDate "2020" ; rov:legalName "X" ; dcat:endDate "2021" ;
    klynge:succeeds kid:y ; prov:wasInfluencedBy kid:y .
"""
    )
    assert problems_of(tmp_path, "new.ttl", body) == []


def test_terms_outside_the_checked_vocabularies_are_left_alone(tmp_path: Path) -> None:
    body = HEADER + "@prefix ex: <https://example.org/> .\n"
    body += "kid:x ex:anything ex:Whatever ; klynge:succeeds kid:nowhere .\n"
    assert problems_of(tmp_path, "new.ttl", body) == []


def test_query_terms_are_checked_outside_comments_strings_and_full_iris(tmp_path: Path) -> None:
    query = """PREFIX klynge: <https://w3id.org/klynge/ontology#>
PREFIX k: <https://w3id.org/klynge/ontology#>
PREFIX schema: <http://schema.org/>
# klynge:inAComment is not a use
SELECT ?p WHERE {
  ?p a klynge:Polcy ; schema:startDate ?d ;
     klynge:succeeds/k:succeds ?x .
  FILTER(?d != "klynge:inAString" && ?x != <https://w3id.org/klynge/ontology#Programm>)
}
"""
    assert problems_of(tmp_path, "q.rq", query) == [
        (6, "klynge:Polcy is not declared in the klynge ontology; did you mean klynge:Policy?"),
        (7, "klynge:succeds is not declared in the klynge ontology; did you mean klynge:succeeds?"),
        (8, "klynge:Programm is not declared in the klynge ontology; did you mean klynge:Programme?"),
    ]


def test_a_far_fetched_misspelling_gets_no_suggestion(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "new.ttl", HEADER + "\nkid:x klynge:zzzqqq kid:y .\n") == [
        (10, "klynge:zzzqqq is not declared in the klynge ontology")
    ]


def test_unreadable_file_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        uses_in_file(tmp_path / "absent.rq")
    broken = tmp_path / "broken.ttl"
    broken.write_text(HEADER + "kid:x klynge:succeeds .\n")
    with pytest.raises(SourceError, match=r"broken\.ttl:9:"):
        uses_in_file(broken)


# -- The term lists built from the published vocabulary files ------------------------------------------------


@pytest.mark.parametrize("prefix", BUILT_VOCABULARIES)
def test_committed_term_list_says_how_it_was_built(prefix: str) -> None:
    path = TERMS_DIR / f"{prefix}.tsv"
    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    assert any(f"python -m klynge.validation.vocabulary build-terms {prefix}=" in line for line in header)
    assert any("sha256 " in line for line in header)
    terms = read_terms(path)
    assert terms and set(terms.values()) <= {"class", "property", "individual", "term"}
    assert f"`{prefix}.tsv`" in (TERMS_DIR / "README.md").read_text(), "the README names the list's source"


def test_known_terms_of_the_built_lists() -> None:
    vocabularies = {v.prefix: v for v in standard_vocabularies().values()}
    assert vocabularies["rov"].kinds["RegisteredOrganization"] == "class"
    assert vocabularies["rov"].kinds["legalName"] == "property"
    assert vocabularies["dcat"].kinds["Dataset"] == "class"
    assert vocabularies["dcat"].kinds["inSeries"] == "property", "DCAT 3 terms are in the list"
    assert vocabularies["sdmx-dimension"].kinds["refArea"] == "property"


def test_build_terms_writes_every_declared_term_with_its_kind(tmp_path: Path) -> None:
    source = tmp_path / "regorg.ttl"
    source.write_text("""@prefix rov: <http://www.w3.org/ns/regorg#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
rov:Thing a owl:Class ; rdfs:label "Thing" .
rov:name a rdf:Property, owl:DatatypeProperty .
rov:active a rov:Status .
rov:mentioned rdfs:label "described, untyped" .
<http://example.org/other> a owl:Class .
""")
    out = build_terms("rov", source, tmp_path)
    assert read_terms(out) == {"Thing": "class", "name": "property", "active": "individual", "mentioned": "term"}
    assert "build-terms rov=regorg.ttl" in out.read_text()


def test_build_terms_refuses_a_file_of_another_vocabulary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "other.ttl"
    source.write_text("<http://example.org/a> a <http://www.w3.org/2002/07/owl#Class> .\n")
    assert vocabulary.main(["build-terms", f"rov={source}", "--out", str(tmp_path)]) == 2
    assert "declares no term in http://www.w3.org/ns/regorg#" in capsys.readouterr().err
    assert vocabulary.main(["build-terms", f"nosuch={source}"]) == 2
    assert "expected PREFIX=FILE" in capsys.readouterr().err
