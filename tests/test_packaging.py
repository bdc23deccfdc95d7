"""A wheel carries the ontology, data, shapes and queries, and works from any directory."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = out.glob("klynge-*.whl")
    target = out / "site"
    zipfile.ZipFile(wheel).extractall(target)
    return target


def in_wheel(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run Python with the unpacked wheel ahead of the editable checkout on the path."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env={"PYTHONPATH": str(site)}
    )


@pytest.mark.slow
def test_wheel_ships_every_asset(unpacked_wheel: Path) -> None:
    assets = unpacked_wheel / "klynge" / "assets"
    for folder, pattern in (("ontology", "*.ttl"), ("data", "*.ttl"), ("shapes", "*.ttl"), ("queries", "*.rq")):
        shipped = sorted(p.name for p in (assets / folder).glob(pattern))
        in_repo = sorted(p.name for p in (ROOT / folder).glob(pattern))
        assert shipped == in_repo and shipped, folder


@pytest.mark.slow
def test_wheel_ships_the_service_queries(unpacked_wheel: Path) -> None:
    shipped = sorted(p.name for p in (unpacked_wheel / "klynge" / "sparql").glob("*.rq"))
    assert shipped == sorted(p.name for p in (ROOT / "service" / "klynge" / "sparql").glob("*.rq")) and shipped


@pytest.mark.slow
def test_installed_package_validates_from_another_directory(unpacked_wheel: Path, tmp_path: Path) -> None:
    where = in_wheel(unpacked_wheel, "-c", "import klynge.resources as r; print(r.asset_root())", cwd=tmp_path)
    assert where.stdout.strip() == str(unpacked_wheel / "klynge" / "assets"), where.stderr
    done = in_wheel(unpacked_wheel, "-m", "klynge.cli", "validate", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no violations" in done.stdout


@pytest.mark.slow
def test_wheel_ships_the_built_editor(unpacked_wheel: Path) -> None:
    """The editor's bundle (built by npm, not in git) is in the wheel, so an installed service has its editor."""
    shipped = unpacked_wheel / "klynge" / "web" / "static" / "build" / "editor.js"
    built = ROOT / "service" / "klynge" / "web" / "static" / "build" / "editor.js"
    assert shipped.read_bytes() == built.read_bytes()
    notices = (shipped.parent / "THIRD-PARTY.txt").read_text(encoding="utf-8")
    assert "@codemirror/view" in notices and "MIT License" in notices


def test_the_lock_file_satisfies_every_range_in_pyproject() -> None:
    """`make` installs requirements.lock; a dependency added to pyproject.toml without `make lock` fails here."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pinned[canonicalize_name(name)] = version
    for text in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        requirement = Requirement(text)
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements.lock: run 'make lock'"
        assert requirement.specifier.contains(version), f"{requirement.name}=={version} is outside {requirement}"
