"""``klynge validate``: exit 0 valid, 1 violations, 2 unreadable input; the readable and the Turtle report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SH

from klynge.cli import main
from klynge.graph.build import SourceError, build_store
from klynge.resources import asset_files
from klynge.validation import reasoning
from klynge.validation.reasoning import ConsistencyResult
from klynge.validation.validate import ShapesError, validate_store

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = FIXTURES / "broken" / "start-after-end.ttl"
SYNTAX = sorted((FIXTURES / "syntax").glob("*.ttl"))
ONTOLOGY = asset_files("ontology")[0]


def test_known_good_repository_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == "The graph conforms to the klynge shapes: no violations.\n"


def test_known_bad_file_exits_1_with_report_grouped_by_focus_node(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BROKEN)]) == 1
    lines = capsys.readouterr().out.splitlines()
    header = lines.index("kid:policy/backwards")
    start_line = 1 + BROKEN.read_text().splitlines().index('    schema:startDate "2024"^^xsd:gYear ;')
    assert lines[header + 1].split() == [
        f"{BROKEN.relative_to(Path.cwd()) if BROKEN.is_relative_to(Path.cwd()) else BROKEN}:{start_line}:",
        "ksh:StartNotAfterEnd", "schema:startDate", "=", '"2024"^^xsd:gYear',
    ], "each violation names the file and line of the statement it is about"
    assert lines[header + 2].strip().startswith("The start date (2024) is after the end date (2021)")
    assert lines[-1] == "1 violation on 1 resource."


def test_report_shortens_iris_in_messages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIXTURES / "broken" / "lineage-cycle.ttl")]) == 1
    out = capsys.readouterr().out
    assert "this policy is influenced by kid:policy/egg, which leads back" in out
    assert "https://w3id.org/klynge/id/" not in out


def test_syntax_errors_exit_2_naming_file_line_and_column_without_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "validate", *map(str, SYNTAX)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2
    assert f"{SYNTAX[0]}:8:1: A dot is expected" in done.stderr
    assert f"{SYNTAX[1]}:6:1: The prefix ex: has not been declared" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no-such-file.ttl"]) == 2
    assert "no-such-file.ttl: no such file" in capsys.readouterr().err


def test_report_is_written_as_a_shacl_report_in_turtle(tmp_path: Path) -> None:
    report_file = tmp_path / "report.ttl"
    assert main(["validate", str(BROKEN), "--report", str(report_file)]) == 1
    report = Graph().parse(report_file, format="turtle")
    node = report.value(predicate=RDF.type, object=SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(False)
    results = list(report.objects(node, SH.result))
    assert len(results) == 1
    assert str(report.value(results[0], SH.focusNode)) == "https://w3id.org/klynge/id/policy/backwards"


def test_report_into_missing_folder_exits_2_before_validating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(BROKEN), "--report", str(tmp_path / "absent" / "report.ttl")]) == 2
    captured = capsys.readouterr()
    assert "folder" in captured.err and "does not exist" in captured.err
    assert captured.out == ""


@pytest.mark.parametrize(
    ("verdict", "code"),
    [
        (ConsistencyResult(consistent=True, triples=1), 0),
        (ConsistencyResult(consistent=False, triples=1, explanation="a clash"), 1),
        (ConsistencyResult(consistent=True, triples=1, unsatisfiable=("klynge:Nothing",)), 1),
    ],
    ids=["consistent", "inconsistent", "unsatisfiable-class"],
)
def test_reason_adds_the_reasoner_verdict_to_a_shape_valid_graph(
    verdict: ConsistencyResult, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(reasoning, "check_consistency", lambda store: verdict)
    assert main(["validate", "--only", str(ONTOLOGY)]) == 0
    assert main(["validate", "--only", str(ONTOLOGY), "--reason"]) == code
    assert str(verdict) in capsys.readouterr().out


def test_reason_without_the_reasoning_module_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "klynge.validation.reasoning", None)
    assert main(["validate", str(BROKEN), "--reason"]) == 2
    assert "--reason needs klynge.validation.reasoning" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("shape", "error", "message"),
    [
        ('ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:sparql [ sh:select "SELECT $this WHERE {" ] .',
         ShapesError, "a SPARQL constraint does not parse"),
        ("ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:property [ sh:minCount 1 ] .",
         ShapesError, "not a well-formed SHACL PropertyShape"),
        ("ex:S a sh:NodeShape ; sh:targetClass ex:C", SourceError, "shapes.ttl:3:1: Unexpected end"),
    ],
    ids=["bad-sparql", "property-without-path", "turtle-syntax"],
)
def test_unusable_shapes_raise_a_clear_error(tmp_path: Path, shape: str, error: type, message: str) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .\n" + shape + "\n"
    )
    with pytest.raises(error, match=message):
        validate_store(build_store([ONTOLOGY]), shapes_paths=[shapes])
