"""A wheel carries the ontology, data, shapes and queries, and works from any directory."""

import re
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


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """A lock file's pins: each package's version and the sha256 hashes its files may have."""
    from packaging.utils import canonicalize_name

    pins: dict[str, tuple[str, list[str]]] = {}
    text = (ROOT / name).read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        words = requirement.split()
        package, _, version = words[0].partition("==")
        assert version, f"{name}: {line!r} is not pinned with =="
        hashes = [word.removeprefix("--hash=sha256:") for word in words[1:] if word.startswith("--hash=sha256:")]
        pins[canonicalize_name(package)] = (version, hashes)
    return pins


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", ["dev"]), ("requirements-bench.lock", ["dev", "bench"])]
)
def test_each_lock_pins_every_range_in_pyproject_with_hashes(lock: str, extras: list[str]) -> None:
    """`make` installs requirements.lock and `make bench` requirements-bench.lock, both with --require-hashes;
    a dependency added to pyproject.toml without `make lock` fails here."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = locked(lock)
    ranges = [*project["dependencies"], *(text for extra in extras for text in project["optional-dependencies"][extra])]
    for text in ranges:
        requirement = Requirement(text)
        version, _ = pins.get(canonicalize_name(requirement.name), (None, []))
        assert version is not None, f"{requirement.name} is not in {lock}: run 'make lock'"
        assert requirement.specifier.contains(version), f"{requirement.name}=={version} is outside {requirement}"
    unhashed = sorted(name for name, (_, hashes) in pins.items() if not hashes or any(len(h) != 64 for h in hashes))
    assert not unhashed, f"{lock}: no sha256 for {unhashed}"


def test_the_bench_lock_keeps_the_versions_of_the_dev_lock() -> None:
    """`make bench` installs into the same .venv: it must not move a package `make test` runs with."""
    dev, bench = locked("requirements.lock"), locked("requirements-bench.lock")
    moved = {name: (dev[name][0], bench[name][0]) for name in dev if bench.get(name, dev[name])[0] != dev[name][0]}
    assert set(dev) <= set(bench) and not moved, moved


def test_python_and_node_versions_are_pinned_for_the_tools() -> None:
    """.python-version (pyenv, setup-python's python-version-file) within requires-python; package.json's engines
    name the Node and npm the editor bundle is built with."""
    import json
    import tomllib

    from packaging.specifiers import SpecifierSet

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    version = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"3\.\d+", version) and SpecifierSet(requires).contains(f"{version}.0"), version
    engines = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["engines"]
    assert set(engines) == {"node", "npm"}
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["engines"] == engines
