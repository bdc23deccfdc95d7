"""``klynge validate``: exit 0 valid, 1 violations, 2 unreadable input; the readable and the Turtle report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
import xmlschema
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SH

from klynge.cli import main
from klynge.graph.build import SourceError, build_store
from klynge.rdf.namespaces import PREFIXES, turtle_prologue
from klynge.resources import ASSET_DIRS, asset_dir, asset_files
from klynge.validation import reasoning, report
from klynge.validation.reasoning import ConsistencyResult
from klynge.validation.validate import ShapesError, validate_store

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = FIXTURES / "broken" / "start-after-end.ttl"
SYNTAX = sorted((FIXTURES / "syntax").glob("*.ttl"))
ONTOLOGY = asset_files("ontology")[0]
KID = "<https://w3id.org/klynge/id/"  # a resource IRI as the report writes it: whole, so it pastes into Turtle


def test_known_good_repository_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == "The graph conforms to the klynge shapes: no violations.\n"


def test_known_bad_file_exits_1_with_report_grouped_by_focus_node(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BROKEN)]) == 1
    lines = capsys.readouterr().out.splitlines()
    header = lines.index(KID + "policy/backwards>")
    start_line = 1 + BROKEN.read_text().splitlines().index('    schema:startDate "2024"^^xsd:gYear ;')
    assert lines[header + 1].split() == [
        f"{BROKEN.relative_to(Path.cwd()) if BROKEN.is_relative_to(Path.cwd()) else BROKEN}:{start_line}:",
        "ksh:StartNotAfterEnd",
        "schema:startDate",
        "=",
        '"2024"^^xsd:gYear',
    ], "each violation names the file and line of the statement it is about"
    assert lines[header + 2].strip().startswith("The start date (2024) is after the end date (2021)")
    assert lines[-1] == "1 violation on 1 resource."


def test_report_writes_iris_so_they_paste_back_into_turtle(capsys: pytest.CaptureFixture[str]) -> None:
    """``kid:policy/egg``, as the report once wrote it, is no Turtle ("'/' is not allowed at the beginning of a
    prefix name"): every IRI the report writes, in its messages too, must parse where a person pastes it."""
    assert main(["validate", str(FIXTURES / "broken" / "lineage-cycle.ttl")]) == 1
    out = capsys.readouterr().out
    assert f"this policy is influenced by {KID}policy/egg>, which leads back" in out
    known = "|".join(PREFIXES)
    names = set(re.findall(rf"<https?://[^>\s]+>|(?<![\w/<.-])(?:{known}):[^\s,;()<>\"]*[^\s,;()<>\".]", out))
    assert any(name.startswith("ksh:") for name in names) and any(name.startswith(KID) for name in names)
    for name in names:
        document = turtle_prologue() + f"<urn:s> <urn:p> {name} .\n"
        assert len(list(ox.parse(document.encode(), format=ox.RdfFormat.TURTLE))) == 1, name


def test_syntax_errors_exit_2_naming_file_line_and_column_without_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "validate", *map(str, SYNTAX)],
        capture_output=True,
        text=True,
        check=False,
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
        (
            'ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:sparql [ sh:select "SELECT $this WHERE {" ] .',
            ShapesError,
            "a SPARQL constraint does not parse",
        ),
        (
            "ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:property [ sh:minCount 1 ] .",
            ShapesError,
            "not a well-formed SHACL PropertyShape",
        ),
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


# -- In context, with the lines, for CI -----------------------------------------------------------------------

NEW_POLICY = """@prefix klynge: <https://w3id.org/klynge/ontology#> .
@prefix kid: <https://w3id.org/klynge/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <http://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .

kid:policy\\/test-programme-2030
    a klynge:Programme ;
    rdfs:label "Test programme 2030"@en ;
    skos:definition "A programme made up for this test."@en ;
    schema:startDate "2030"^^xsd:gYear ;
    klynge:succeeds kid:policy\\/cluster-programme-2025 ;
    prov:qualifiedInfluence kid:influence\\/test-programme-2030--succeeds--cluster-programme-2025 ;
    dcterms:source kid:source\\/dfir-brief-2024 .

kid:influence\\/test-programme-2030--succeeds--cluster-programme-2025
    a prov:Influence ;
    prov:influencer kid:policy\\/cluster-programme-2025 ;
    klynge:relation klynge:succeeds ;
    klynge:evidence klynge:Stated ;
    dcterms:source kid:source\\/dfir-brief-2024 ;
    klynge:locator "introduction"@en .
"""


START_2021 = '    schema:startDate "2021"^^xsd:gYear ;\n    schema:endDate "2024"'  # Innovationskraft's period


def data_copy(tmp_path: Path, name: str, old: str = "", new: str = "") -> tuple[Path, int]:
    """A changed copy of a repository data file under tmp_path/data/, and the line of the change."""
    text = (asset_dir("data") / name).read_text()
    if old:
        assert old in text, f"{old!r} is not in data/{name}"
        text = text.replace(old, new, 1)
    path = tmp_path / "data" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    line = 1 + text[: text.index(new)].count("\n") if old else 0
    return path, line


def test_misspelt_property_fails_with_file_line_and_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, line = data_copy(tmp_path, "lineage.ttl", "    klynge:succeeds <", "    klynge:succeds <")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        f"  {path}:{line}: klynge:succeds is not declared in the klynge ontology; did you mean klynge:succeeds?"
    ) in out.splitlines()
    # The qualified form of the step (data/evidence.ttl) is left without its link, which the shapes report too.
    assert out.splitlines()[-1] == "1 unknown or misused term; 1 violation on 1 resource."


def test_correct_new_file_validates_in_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = tmp_path / "new.ttl"
    new.write_text(NEW_POLICY)
    assert main(["validate", str(new)]) == 0, capsys.readouterr().out
    capsys.readouterr()
    assert main(["validate", "--only", str(new)]) == 1, "without the data its links point nowhere"
    assert "A policy needs at least one source" in capsys.readouterr().out


def test_changed_copy_of_a_data_file_replaces_the_repository_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = data_copy(tmp_path, "lineage.ttl")
    assert main(["validate", "--format", "json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"conforms": True, "vocabulary": [], "violations": []}


def test_violations_name_the_line_of_the_statement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, line = data_copy(tmp_path, "lineage.ttl", START_2021, START_2021.replace("2021", "2026"))
    assert main(["validate", "--format", "json", str(path)]) == 1
    found = {v["shape"]: v for v in json.loads(capsys.readouterr().out)["violations"]}
    assert (found["ksh:StartNotAfterEnd"]["source"], found["ksh:StartNotAfterEnd"]["line"]) == (str(path), line)
    later = found["ksh:NoInfluenceFromLaterPolicy"]
    stated = path.read_text().splitlines()[later["line"] - 1]
    assert later["source"] == str(path)
    assert stated.strip() == "klynge:succeeds <https://w3id.org/klynge/id/policy/innovationskraft-2021-2024> ;", (
        "an entailed prov:wasInfluencedBy is located at the stated link it comes from"
    )


def test_dangling_lineage_target_points_at_the_line_with_the_typo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, line = data_copy(
        tmp_path,
        "lineage.ttl",
        "guidelines-innovation-networks-2019-2020> ;",
        "guidelines-innovation-networks-2019-202> ;",
    )
    assert main(["validate", "--format", "json", str(path)]) == 1
    found = json.loads(capsys.readouterr().out)["violations"]
    # The typo also leaves the step's qualified form (data/evidence.ttl) without its link: reported apart.
    (violation,) = [v for v in found if v["value"] == KID + "policy/guidelines-innovation-networks-2019-202>"]
    assert (violation["source"], violation["line"]) == (str(path), line)
    assert violation["path"].startswith("(klynge:"), "an alternative path is written out, not a blank node"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo, check=True, capture_output=True
    )


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with a copy of data/lineage.ttl committed, as the working directory."""
    root = tmp_path / "checkout"
    (root / "data").mkdir(parents=True)
    shutil.copy(asset_dir("data") / "lineage.ttl", root / "data" / "lineage.ttl")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "start")
    monkeypatch.chdir(root)
    return root


def test_changed_checks_the_files_that_differ_from_a_revision(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--changed"]) == 0
    assert "nothing to check" in capsys.readouterr().err
    lineage = checkout / "data" / "lineage.ttl"
    lineage.write_text(lineage.read_text().replace("    klynge:succeeds <", "    klynge:succeds <", 1))
    (checkout / "new.ttl").write_text(NEW_POLICY)
    assert main(["validate", "--changed", "HEAD", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert "data/lineage.ttl, new.ttl" in captured.err
    problems = json.loads(captured.out)["vocabulary"]
    assert [(p["file"], p["term"]) for p in problems] == [("data/lineage.ttl", "klynge:succeds")]
    git(checkout, "add", ".")
    git(checkout, "commit", "-q", "-m", "typo")
    assert main(["validate", "--changed", "HEAD~1"]) == 1
    assert main(["validate", "--changed", "HEAD"]) == 0
    capsys.readouterr()


def test_changed_with_an_unknown_revision_exits_2(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--changed", "no-such-revision"]) == 2
    assert "--changed no-such-revision:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only"], "--only needs FILES"),
        (["--changed", "HEAD", "--store", "."], "give either --changed or --store DIR, not both"),
    ],
)
def test_unusable_arguments_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("form", ["text", "json", "junit", "github"])
def test_syntax_error_exits_2_in_every_format(form: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", form, str(SYNTAX[0])]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"{SYNTAX[0]}:8:1:" in captured.err


# -- The CI formats against their schema and syntax -----------------------------------------------------------


@pytest.fixture(scope="session")
def junit_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Jenkins' JUnit schema (junit-10.xsd, the one pytest tests its own XML with), from pytest's sdist on PyPI."""
    folder = tmp_path_factory.mktemp("junit-xsd")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"pytest=={pytest.__version__}",
            "-d",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    archives = list(folder.glob("pytest-*.tar.gz"))
    if done.returncode != 0 or not archives:
        pytest.skip(f"cannot download pytest's sdist for junit-10.xsd: {done.stderr.strip()[:200]}")
    with tarfile.open(archives[0]) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("testing/example_scripts/junit-10.xsd"))
        (folder / "junit-10.xsd").write_bytes(archive.extractfile(member).read())
    return folder / "junit-10.xsd"


def test_junit_is_valid_and_has_one_case_per_shape_and_focus_node(
    tmp_path: Path, junit_schema: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo, typo_line = data_copy(tmp_path, "lineage.ttl", "    klynge:succeeds <", "    klynge:succeds <")
    assert main(["validate", "--format", "junit", str(BROKEN), str(typo)]) == 1
    report = capsys.readouterr().out
    xmlschema.XMLSchema(str(junit_schema)).validate(report)
    root = ElementTree.fromstring(report)
    suites = {suite.get("name"): suite for suite in root}
    case = suites["ksh:DatedShape"].find(f"testcase[@name='{KID}policy/backwards>']")
    assert case is not None and case.get("classname") == "ksh:DatedShape"
    (failure,) = case.findall("failure")
    assert failure.get("type") == "ksh:StartNotAfterEnd"
    assert failure.text.startswith(f"{BROKEN.relative_to(Path.cwd())}:23: ksh:StartNotAfterEnd schema:startDate")
    passing = suites["ksh:PolicyShape"].find(f"testcase[@name='{KID}policy/backwards>']")
    assert passing is not None and len(passing) == 0, "a focus node that conforms to a shape passes its case"
    (vocabulary_case,) = suites["vocabulary"].findall("testcase")
    assert vocabulary_case.find("failure").text.startswith(f"{typo}:{typo_line}: klynge:succeds")
    assert root.get("failures") == "3"  # the typo also leaves the step's qualified form without its link
    assert int(root.get("tests")) == sum(len(suite) for suite in root) > 500


def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the Actions runner reads it (ActionCommand.TryParseV2): ``::name k=v,k=v::data``."""
    assert line.startswith("::"), line
    head, separator, data = line[2:].partition("::")
    assert separator, f"no '::' before the message: {line}"
    name, _, properties = head.partition(" ")

    def unescape(text: str, *, prop: bool) -> str:
        pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else []) + [("%25", "%")]
        for code, char in pairs:
            text = text.replace(code, char)
        return text

    fields = {}
    for item in filter(None, properties.split(",")):
        key, equals, value = item.partition("=")
        assert equals and key, f"malformed property {item!r} in {line}"
        fields[key] = unescape(value, prop=True)
    assert not re.search(r"[\r\n]", data)
    return name, fields, unescape(data, prop=False)


def test_github_annotations_follow_the_workflow_command_syntax(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, line = data_copy(tmp_path, "lineage.ttl", START_2021, START_2021.replace("2021", "2026"))
    typo = tmp_path / "typo.rq"
    typo.write_text("PREFIX klynge: <https://w3id.org/klynge/ontology#>\nSELECT * WHERE { ?p klynge:succeds ?q }\n")
    assert main(["validate", "--format", "github", str(path), str(typo)]) == 1
    lines = capsys.readouterr().out.splitlines()
    commands = [parse_workflow_command(text) for text in lines[:-1]]
    assert lines[-1] == "1 unknown or misused term; 2 violations on 2 resources."
    for name, fields, _ in commands:
        assert name == "error" and set(fields) == {"file", "line", "title"}
        assert Path(fields["file"]).is_file() and int(fields["line"]) >= 1
    assert (
        "error",
        {"file": str(typo), "line": "2", "title": "klynge vocabulary"},
        "klynge:succeds is not declared in the klynge ontology; did you mean klynge:succeeds?",
    ) in commands
    start = next(c for c in commands if c[1]["title"] == "ksh:StartNotAfterEnd")
    assert start[1]["line"] == str(line)
    assert start[2].startswith(f"{KID}policy/innovationskraft-2021-2024> schema:startDate: The start date (2026)")


def test_github_escaping_keeps_percent_newlines_colons_and_commas() -> None:
    annotation = report._annotation("a,b:c.ttl", 3, "t:1,2", "50% done\nnext line")
    assert parse_workflow_command(annotation) == (
        "error",
        {"file": "a,b:c.ttl", "line": "3", "title": "t:1,2"},
        "50% done\nnext line",
    )


@pytest.fixture
def second_clone(tmp_path: Path) -> Path:
    """Another checkout of the repository's graph (every asset folder: the releases too), not the installed one."""
    root = tmp_path / "klynge2"
    for folder in ASSET_DIRS:
        shutil.copytree(asset_dir(folder), root / folder)
    return root


def test_validate_checks_the_repository_around_the_working_directory(
    second_clone: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """From a second clone, klynge installed from the first checks the second, and says so (newcomer S12)."""
    lineage = second_clone / "data" / "lineage.ttl"
    lineage.write_text(lineage.read_text().replace("    klynge:succeeds <", "    klynge:succeds <", 1))
    monkeypatch.chdir(second_clone / "data")
    assert main(["validate"]) == 1
    captured = capsys.readouterr()
    assert f"checking the repository in the working directory, {second_clone}" in captured.err
    assert "lineage.ttl" in captured.out and "klynge:succeds is not declared" in captured.out


def test_validate_outside_any_checkout_names_the_graph_it_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    captured = capsys.readouterr()
    where = "(ontology/, data/, shapes/, queries/, releases/)"
    assert f"no klynge repository {where} in {tmp_path} or above" in captured.err
    assert str(asset_dir("ontology").parent) in captured.err
