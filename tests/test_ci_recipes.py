"""The CI recipes of docs/ci.md and the pre-commit hook, run as CI and pre-commit would run them.

The GitHub Actions and GitLab CI jobs are taken from the document and their shell steps run in a temporary git
repository with an ``origin`` (a bare repository beside it) and a change on a branch, so the document cannot
drift from what the commands accept. Steps that need the forge itself (``pip install``, posting the comment) are
the only ones left out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from pre_commit.clientlib import load_manifest

from klynge.resources import asset_dir

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ci.md"
BIN = str(Path(sys.executable).parent)
START_2021 = '    schema:startDate "2021"^^xsd:gYear ;\n    schema:endDate "2024"'


def yaml_blocks() -> list[object]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)]


def github_workflow() -> dict:
    return next(b for b in yaml_blocks() if isinstance(b, dict) and "jobs" in b)


def gitlab_job() -> dict:
    return next(b for b in yaml_blocks() if isinstance(b, dict) and "klynge" in b)["klynge"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A checkout of a branch ``pr`` one commit ahead of ``origin/main``, both holding the repository's data."""
    work = tmp_path / "work"
    for folder in ("ontology", "data"):
        shutil.copytree(asset_dir(folder), work / folder)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "main")
    git(tmp_path, "clone", "-q", "--bare", str(work), "origin.git")
    git(work, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(work, "fetch", "-q", "origin")
    git(work, "checkout", "-q", "-b", "pr")
    return work


def commit_change(repo: Path, old: str, new: str) -> int:
    path = repo / "data" / "lineage.ttl"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    git(repo, "commit", "-q", "-am", "change")
    return 1 + text[: text.index(old)].count("\n")


def run_step(script: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], **env}
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=repo,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def github_steps(repo: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every step of the documented workflow that runs klynge, by name, with the base branch ``main``."""
    (job,) = github_workflow()["jobs"].values()
    results = {}
    for step in job["steps"]:
        script = step.get("run", "")
        if "klynge" not in script or "gh pr comment" in script:
            continue
        results[step["name"]] = run_step(script.replace("${{ github.base_ref }}", "main"), repo, {})
    return results


def test_github_job_passes_a_correct_change_and_writes_the_diff(pull_request: Path) -> None:
    commit_change(pull_request, START_2021, START_2021.replace("2021", "2022"))
    steps = github_steps(pull_request)
    assert set(steps) == {"Validate the changed files in context", "JUnit report", "Diff for review"}
    for name, done in steps.items():
        assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
    assert steps["Validate the changed files in context"].stdout.strip() == (
        "The graph conforms to the klynge shapes: no violations."
    )
    ElementTree.parse(pull_request / "klynge-junit.xml")
    comment = (pull_request / "klynge-diff.md").read_text()
    assert comment.startswith("### klynge diff: `origin/main` → `HEAD`")
    assert '- changed `schema:startDate`: `"2021"^^xsd:gYear` → `"2022"^^xsd:gYear`' in comment


def test_github_job_marks_a_misspelt_term_on_its_line(pull_request: Path) -> None:
    line = commit_change(pull_request, "    klynge:succeeds <", "    klynge:succeds <")
    validate = github_steps(pull_request)["Validate the changed files in context"]
    assert validate.returncode == 1
    assert (
        f"::error file=data/lineage.ttl,line={line},title=klynge vocabulary::klynge%3Asucceds" not in validate.stdout
    ), "only properties are escaped, not the message"
    assert (
        f"::error file=data/lineage.ttl,line={line},title=klynge vocabulary::klynge:succeds is not declared "
        "in the klynge ontology; did you mean klynge:succeeds?"
    ) in validate.stdout.splitlines()


def test_gitlab_job_fails_on_a_violation_and_keeps_the_junit_report(pull_request: Path) -> None:
    commit_change(pull_request, START_2021, START_2021.replace("2021", "2026"))
    job = gitlab_job()
    assert job["artifacts"]["reports"]["junit"] == "klynge-junit.xml"
    script = "\n".join(line for line in job["script"] if not line.startswith("pip install"))
    done = run_step(script, pull_request, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "KLYNGE_BOT_TOKEN": ""})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ksh:StartNotAfterEnd" in done.stdout, "the readable report is in the job log"
    report = ElementTree.parse(pull_request / "klynge-junit.xml").getroot()
    assert report.get("failures") == "2"
    assert "changed `schema:startDate`" in (pull_request / "klynge-diff.md").read_text()


def test_every_klynge_command_in_the_document_is_accepted(tmp_path: Path) -> None:
    from klynge.cli import build_parser

    table = [line for line in DOC.read_text().splitlines() if line.startswith("| ")]
    commands = [command for line in table for command in re.findall(r"`(klynge [^`]+)`", line)]
    assert len(commands) >= 5
    for command in commands:
        words = command.split()[1:]
        build_parser(words[0]).parse_args(words)


# -- pre-commit ----------------------------------------------------------------------------------------------


def test_pre_commit_manifest_is_valid_and_runs_klynge_on_the_staged_files(tmp_path: Path) -> None:
    (hook,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "klynge-validate" and hook["language"] == "python" and hook["pass_filenames"]
    files = re.compile(hook["files"])
    assert files.search("data/lineage.ttl") and files.search("queries/budgets.rq") and not files.search("x.py")
    good = tmp_path / "data" / "lineage.ttl"
    good.parent.mkdir()
    good.write_text((asset_dir("data") / "lineage.ttl").read_text())
    bad = tmp_path / "new.ttl"
    bad.write_text("@prefix klynge: <https://w3id.org/klynge/ontology#> .\n<urn:x:a> klynge:succeds <urn:x:b> .\n")
    environment = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}
    for staged, code in (([good], 0), ([good, bad], 1)):
        done = subprocess.run(
            [*hook["entry"].split(), *map(str, staged)], env=environment, capture_output=True, text=True, check=False
        )
        assert done.returncode == code, done.stdout + done.stderr
    assert f"{bad}:2: klynge:succeds is not declared" in done.stdout
