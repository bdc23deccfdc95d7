"""``klynge diff`` on real changes to the repository's data, made in a temporary git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.cli import main
from klynge.resources import asset_dir

KID = "https://w3id.org/klynge/id/"

INNOVATIONSKRAFT = "kid:policy/innovationskraft-2021-2024"
INNOVATIONSKRAFT_LABEL = "Power of innovation - Danish clusters for knowledge and business 2021-2024"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=klynge test", "-c", "user.email=test@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository holding a copy of the repository's ontology and data, committed; the working directory."""
    root = tmp_path / "repo"
    for folder in ("ontology", "data"):
        shutil.copytree(asset_dir(folder), root / folder)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "as in the repository")
    monkeypatch.chdir(root)
    return root


def change(repo: Path, file: str, old: str, new: str, count: int = 1) -> None:
    """Replace text in a data file (it must occur exactly ``count`` times) and commit the change."""
    path = repo / "data" / file
    text = path.read_text()
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {file}"
    path.write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", f"change {file}")


def diff_json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 1) -> dict:
    assert main(["diff", *args, "--format", "json"]) == code
    return json.loads(capsys.readouterr().out)


def test_a_changed_date_is_one_changed_value(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(
        repo,
        "lineage.ttl",
        '    schema:startDate "2021"^^xsd:gYear ;\n    schema:endDate "2024"',
        '    schema:startDate "2022"^^xsd:gYear ;\n    schema:endDate "2024"',
    )
    found = diff_json(capsys, "HEAD~1", "HEAD")
    assert found["lineage"] == [] and found["renamed"] == []
    assert found["resources"] == [
        {
            "resource": INNOVATIONSKRAFT,
            "label": INNOVATIONSKRAFT_LABEL,
            "status": "changed",
            "changed": [{"property": "schema:startDate", "old": '"2021"^^xsd:gYear', "new": '"2022"^^xsd:gYear'}],
            "removed": [],
            "added": [],
        }
    ]


def test_head_1_to_head_gives_the_expected_markdown(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(
        repo,
        "lineage.ttl",
        '    schema:startDate "2021"^^xsd:gYear ;\n    schema:endDate "2024"',
        '    schema:startDate "2022"^^xsd:gYear ;\n    schema:endDate "2024"',
    )
    assert main(["diff", "HEAD~1", "HEAD", "--format", "markdown"]) == 1
    assert capsys.readouterr().out == (
        "### klynge diff: `HEAD~1` → `HEAD`\n"
        "\n"
        "HEAD~1 -> HEAD: 1 resource changed.\n"
        "\n"
        f"#### `{INNOVATIONSKRAFT}` {INNOVATIONSKRAFT_LABEL}\n"
        "\n"
        '- changed `schema:startDate`: `"2021"^^xsd:gYear` → `"2022"^^xsd:gYear`\n'
    )


def test_an_added_cluster_is_a_new_resource_with_its_label(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo / "data" / "clusters.ttl"
    path.write_text(
        path.read_text()
        + """
<https://w3id.org/klynge/id/cluster/test-robotics-north>
    a klynge:ClusterOrganisation ;
    rdfs:label "Test Robotics North"@en ;
    klynge:hasArea <https://w3id.org/klynge/id/area/defence-space-and-security> ;
    dcterms:source <https://w3id.org/klynge/id/source/eccp-factsheet-denmark> .
"""
    )
    git(repo, "commit", "-q", "-am", "add a cluster")
    found = diff_json(capsys, "HEAD~1", "HEAD")
    assert [(r["resource"], r["label"], r["status"]) for r in found["resources"]] == [
        ("kid:cluster/test-robotics-north", "Test Robotics North", "added")
    ]
    assert {(a["property"], a["value"]) for a in found["resources"][0]["added"]} == {
        ("rdf:type", "klynge:ClusterOrganisation"),
        ("rdfs:label", '"Test Robotics North"@en'),
        ("klynge:hasArea", "kid:area/defence-space-and-security"),
        ("dcterms:source", "kid:source/eccp-factsheet-denmark"),
    }
    assert main(["diff", "HEAD~1", "HEAD"]) == 1
    text = capsys.readouterr().out
    assert "kid:cluster/test-robotics-north (Test Robotics North)  [added]" in text
    assert '  + rdfs:label  "Test Robotics North"@en' in text


def test_a_removed_lineage_link_is_listed_first_as_lineage(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change(repo, "lineage.ttl", f"    klynge:implements <{KID}policy/innovation-denmark-2007-2010> ;\n", "")
    found = diff_json(capsys, "HEAD~1", "HEAD")
    (link,) = found["lineage"]
    assert {key: link[key] for key in ("change", "subject", "property", "object", "subject_label")} == {
        "change": "removed",
        "subject": "kid:policy/innovation-network-denmark",
        "property": "klynge:implements",
        "object": "kid:policy/innovation-denmark-2007-2010",
        "subject_label": "Innovation Network Denmark",
    }
    assert link["object_label"].startswith("Innovation Denmark 2007")
    assert found["resources"] == [], "a lineage change is not listed twice"
    assert main(["diff", "HEAD~1", "HEAD"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "Lineage"
    network = "kid:policy/innovation-network-denmark (Innovation Network Denmark)"
    assert lines[3].startswith(f"  - {network}  klynge:implements  ")


def test_a_renamed_iri_is_one_rename_with_its_references(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for file in ("clusters.ttl", "institutions.ttl"):
        path = repo / "data" / file
        text = path.read_text().replace(f"<{KID}cluster/censec>", f"<{KID}cluster/censec-denmark>")
        path.write_text(text)
    git(repo, "commit", "-q", "-am", "rename CenSec")
    found = diff_json(capsys, "HEAD~1", "HEAD")
    assert found["renamed"] == [
        {"old": "kid:cluster/censec", "new": "kid:cluster/censec-denmark", "label": "CenSec", "references": 0}
    ]
    assert found["resources"] == [] and found["lineage"] == []


def test_a_renamed_policy_carries_its_references(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = "<https://w3id.org/klynge/id/policy/innovation-network-denmark>"
    uses = sum((repo / "data" / f).read_text().count(old) for f in ("lineage.ttl",))
    assert uses > 1
    path = repo / "data" / "lineage.ttl"
    path.write_text(path.read_text().replace(old, old[:-1] + "-2008>"))
    git(repo, "commit", "-q", "-am", "rename")
    found = diff_json(capsys, "HEAD~1", "HEAD")
    (rename,) = found["renamed"]
    assert (rename["old"], rename["new"]) == (
        "kid:policy/innovation-network-denmark",
        "kid:policy/innovation-network-denmark-2008",
    )
    assert rename["references"] >= 1


def test_equal_sides_exit_0_in_every_form(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "HEAD", "HEAD"]) == 0
    assert "the stated graphs are equal" in capsys.readouterr().out
    assert main(["diff", "HEAD", str(repo)]) == 0, "a revision against the checkout it came from"
    files = ",".join(str(p) for folder in ("ontology", "data") for p in sorted((repo / folder).glob("*.ttl")))
    assert main(["diff", files, str(repo)]) == 0, "files joined with commas against a directory"
    capsys.readouterr()


def test_blank_nodes_are_matched_by_content_not_label(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.ttl"
    old.write_text("""@prefix ex: <https://example.org/> .
ex:policy ex:step [ ex:to ex:earlier ; ex:kind "succeeds" ] , [ ex:to ex:other ; ex:kind "prolongs" ] .
""")
    relabelled = tmp_path / "relabelled.nt"
    relabelled.write_bytes(ox.serialize(ox.parse(path=str(old)), format=ox.RdfFormat.N_TRIPLES))
    assert main(["diff", str(old), str(relabelled)]) == 0
    capsys.readouterr()
    changed = tmp_path / "changed.ttl"
    changed.write_text(old.read_text().replace('"prolongs"', '"consolidates"'))
    found = diff_json(capsys, str(old), str(changed))
    step = '[ <https://example.org/kind> "{}" ; <https://example.org/to> <https://example.org/other> ]'
    assert found["resources"] == [
        {
            "resource": "<https://example.org/policy>",
            "label": "",
            "status": "changed",
            "changed": [
                {
                    "property": "<https://example.org/step>",
                    "old": step.format("prolongs"),
                    "new": step.format("consolidates"),
                }
            ],
            "removed": [],
            "added": [],
        }
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("no-such-revision", "HEAD", "no-such-revision: not a file, a directory or a git revision"),
        ("HEAD", "broken.ttl", "broken.ttl:1:"),
        ("HEAD", "empty", "empty: the directory holds no RDF files"),
        ("HEAD", "a.ttl,missing.ttl", "missing.ttl: no such file"),
    ],
    ids=["unknown-revision", "syntax-error", "empty-directory", "missing-file"],
)
def test_unreadable_input_exits_2(
    repo: Path, old: str, new: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "broken.ttl").write_text("<a> <b> .\n")
    (repo / "empty").mkdir()
    (repo / "a.ttl").write_text("")
    assert main(["diff", old, new]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def test_a_long_rdf_list_and_a_blank_node_cycle_neither_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = " ".join(f'"item {n}"' for n in range(5000))
    old = tmp_path / "old.ttl"
    old.write_text(
        f"<https://example.org/s> <https://example.org/items> ( {items} ) .\n"
        "_:a <https://example.org/next> _:b . _:b <https://example.org/next> _:a .\n"
    )
    same = tmp_path / "same.nt"
    same.write_bytes(ox.serialize(ox.parse(path=str(old)), format=ox.RdfFormat.N_TRIPLES))
    assert main(["diff", str(old), str(same)]) == 0
    new = tmp_path / "new.ttl"
    new.write_text(old.read_text().replace('"item 4999"', '"item five thousand"'))
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert '~ <https://example.org/items>  [ rdf:first "item 0" ; rdf:rest [ rdf:first "item 1" ;' in out
    assert "[ … ]" in out, "deep nesting is cut in the output"
