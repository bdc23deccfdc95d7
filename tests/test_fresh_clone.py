"""klynge installs and runs from a plain checkout on a machine without Node, as other people's CI runs it.

A plain checkout is what git holds (no ``node_modules``, no editor bundle, no ``.venv``). Each route a user
takes is run from one, with a PATH that has no ``npm`` or ``node``: ``pip install .``, ``pip install -e .``,
``pip wheel``, ``pip install "klynge @ git+file://…"``, the GitHub Actions and GitLab jobs of docs/ci.md with
their ``pip install .`` step, and the pre-commit hook as pre-commit installs it (from a clone of the hook
repository, in an environment of its own). The installs go into a temporary virtual environment that sees the
dependencies of the test's own environment, so only klynge itself is built (the pre-commit hook's environment
resolves its own from the package index, as it does for users).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from test_ci_recipes import START_2021, commit_change, git, github_workflow, gitlab_job

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = Path("service/klynge/web/static/build")
TOOLS = ("git", "bash", "sh", "env", "cat", "ls", "rm", "mkdir", "cp", "mv", "sed", "grep", "uname", "dirname")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as a fresh clone has it: the files git tracks (as they are in the working tree), one commit."""
    target = tmp_path_factory.mktemp("fresh") / "klynge"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    assert not (target / BUNDLE).exists() and not (target / "node_modules").exists()
    git(target, "init", "-q", "-b", "main")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "fresh clone")
    return target


@pytest.fixture(scope="module")
def no_node(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of the few programs the jobs call, standing in for a PATH without npm and node."""
    tools = tmp_path_factory.mktemp("bin")
    for name in TOOLS:
        found = shutil.which(name)
        assert found, name
        (tools / name).symlink_to(found)
    assert shutil.which("npm", path=str(tools)) is None and shutil.which("node", path=str(tools)) is None
    return tools


class Venv:
    """A temporary virtual environment whose dependencies are this environment's (a .pth line), not klynge."""

    def __init__(self, where: Path, tools: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True)
        purelib = Path(sysconfig.get_path("purelib", vars={"base": str(where), "platbase": str(where)}))
        (purelib / "klynge-test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
        self.bin = where / "bin"
        self.env = {
            "PATH": f"{self.bin}{os.pathsep}{tools}",
            "HOME": os.environ.get("HOME", str(where)),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            **{key: value for key, value in os.environ.items() if key.startswith("PIP_") or key == "SSL_CERT_FILE"},
        }

    def run(self, script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )


@pytest.fixture
def venv(tmp_path: Path, no_node: Path) -> Venv:
    return Venv(tmp_path / "venv", no_node)


def clone(checkout: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(checkout), where.name)
    return where


def test_pip_install_from_a_plain_checkout_without_node(checkout: Path, venv: Venv, tmp_path: Path) -> None:
    repo = clone(checkout, tmp_path / "repo")
    done = venv.run("pip install -v --no-deps --no-build-isolation .", repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "'npm ci && npm run build'" in done.stdout + done.stderr, "the build says how to include the editor"
    installed = venv.run("python -c 'import klynge.resources as r; print(r.asset_root())'", tmp_path)
    assert installed.stdout.strip().startswith(str(tmp_path / "venv")), installed.stderr
    validated = venv.run("klynge validate", repo)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.stdout == "The graph conforms to the klynge shapes: no violations.\n"
    page = venv.run(
        "python -c 'from fastapi.testclient import TestClient; from klynge.web.app import create_app; "
        "from klynge.engines.store import EmbeddedEngine; from klynge.graph.build import build_store; "
        "from klynge.settings import Settings; "
        'c = TestClient(create_app(EmbeddedEngine(build_store()), Settings())); r = c.get("/query"); '
        "print(r.status_code); print(r.text)'",
        tmp_path,
    )
    assert page.stdout.startswith("200\n"), page.stdout[-2000:] + page.stderr[-2000:]
    assert "The editor's script is not part of this installation" in page.stdout
    assert "npm ci &amp;&amp; npm run build" in page.stdout


def test_editable_install_before_any_npm_step(checkout: Path, venv: Venv, tmp_path: Path) -> None:
    repo = clone(checkout, tmp_path / "repo")
    done = venv.run("pip install --no-deps -e .", repo)  # isolated, as make and users run it
    assert done.returncode == 0, done.stdout + done.stderr
    where = venv.run("python -c 'import klynge.resources as r; print(r.asset_root())'", tmp_path)
    assert where.stdout.strip() == str(repo), where.stderr
    assert venv.run("klynge validate data/lineage.ttl", repo).returncode == 0


def test_pip_wheel_and_install_from_git_url(checkout: Path, venv: Venv, tmp_path: Path) -> None:
    built = venv.run(
        f"pip wheel --no-deps --no-build-isolation -q -w {tmp_path / 'wheels'} .", clone(checkout, tmp_path / "repo")
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("klynge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "klynge/assets/ontology/klynge.ttl" in names and "klynge/web/templates/editor.html" in names
    assert not [name for name in names if "/static/build/" in name], "no bundle without npm"
    # the host is spelt out: the venv's pip (23.2, with Python 3.11) refuses a git+file URL without one
    done = venv.run(f"pip install --no-deps --no-build-isolation 'klynge @ git+file://localhost{checkout}'", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert venv.run("klynge validate", tmp_path).returncode == 0


# -- docs/ci.md and the pre-commit hook, every step as written ---------------------------------------------------


@pytest.fixture
def pull_request(checkout: Path, tmp_path: Path) -> Path:
    """A clone of the plain checkout on a branch ``pr`` off ``origin/main``, as the CI jobs check out."""
    repo = clone(checkout, tmp_path / "pr")
    git(repo, "checkout", "-q", "-b", "pr")
    return repo


def test_github_job_from_a_fresh_clone_without_node(pull_request: Path, venv: Venv) -> None:
    commit_change(pull_request, START_2021, START_2021.replace("2021", "2022"))
    (job,) = github_workflow()["jobs"].values()
    ran = []
    for step in job["steps"]:
        script = step.get("run", "")
        if not script or "gh pr comment" in script:
            continue
        done = venv.run(script.replace("${{ github.base_ref }}", "main"), pull_request)
        assert done.returncode == 0, f"{step['name']}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
        ran.append(step["name"])
    assert ran == ["Install klynge", "Validate the changed files in context", "JUnit report", "Diff for review"]
    ElementTree.parse(pull_request / "klynge-junit.xml")
    assert "changed `schema:startDate`" in (pull_request / "klynge-diff.md").read_text()


def test_gitlab_job_from_a_fresh_clone_without_node(pull_request: Path, venv: Venv) -> None:
    commit_change(pull_request, START_2021, START_2021.replace("2021", "2026"))
    job = gitlab_job()
    assert job["script"][0] == "pip install ."
    done = venv.run(
        "\n".join(job["script"]), pull_request, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main", KLYNGE_BOT_TOKEN=""
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ksh:StartNotAfterEnd" in done.stdout
    assert ElementTree.parse(pull_request / "klynge-junit.xml").getroot().get("failures") == "2"


def test_pre_commit_hook_installs_from_a_fresh_clone_of_the_hook_repository(
    checkout: Path, pull_request: Path, venv: Venv, tmp_path: Path
) -> None:
    """pre-commit clones the hook repository at ``rev`` and pip-installs it into an environment of its own."""
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=checkout, check=True, capture_output=True, text=True
    ).stdout.strip()
    (pull_request / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {checkout}\n    rev: {revision}\n    hooks:\n      - id: klynge-validate\n"
    )
    git(pull_request, "add", ".pre-commit-config.yaml")
    git(pull_request, "commit", "-q", "-m", "hook")
    pre_commit = f"{Path(sys.executable).parent / 'pre-commit'} run --files data/lineage.ttl"
    home = str(tmp_path / "pre-commit-home")
    done = venv.run(pre_commit, pull_request, PRE_COMMIT_HOME=home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "klynge validate" in done.stdout and "Passed" in done.stdout
    lineage = pull_request / "data" / "lineage.ttl"
    lineage.write_text(lineage.read_text().replace("    klynge:succeeds <", "    klynge:succeds <", 1))
    failed = venv.run(pre_commit, pull_request, PRE_COMMIT_HOME=home)
    assert failed.returncode == 1, failed.stdout[-3000:] + failed.stderr[-3000:]
    assert "klynge:succeds is not declared in the klynge ontology; did you mean klynge:succeeds?" in failed.stdout
