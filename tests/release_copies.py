"""Copies of the repository with releases cut from real changes, for the release and time-travel tests.

The copy gets changes to cut a second and third release from: a changed end date, a renamed resource
(``klynge diff`` finds the rename) and a removed one, so every check runs on a real delta, not a fixture file.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from klynge.commands.release import cut
from klynge.graph.releases import read_history, version_key
from klynge.resources import asset_root


def next_minor(version: str) -> str:
    major, minor, _ = version_key(version)
    return f"{major}.{minor + 1}.0"


# The copies' releases come after the repository's own newest one.
REPOSITORY_LATEST = read_history().latest.version
SECOND = next_minor(REPOSITORY_LATEST)
THIRD = next_minor(SECOND)

ROOT = asset_root()
ID = "https://w3id.org/klynge/id/"
STRATEGY = ID + "policy/cluster-strategy-2-0-2016-2018"
START_DATE = "http://schema.org/startDate"  # the date the copies change (every release has it)
RENAMED_FROM, RENAMED_TO = ID + "org/dfir", ID + "org/danish-innovation-fund-renamed-for-a-test"
REMOVED = ID + "requirement/one-cluster-per-area"
AT_0_2 = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
AT_0_3 = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def copy_repository(target: Path) -> Path:
    for folder in ("ontology", "data", "releases"):
        shutil.copytree(ROOT / folder, target / folder)
    shutil.copy(ROOT / "CHANGELOG.md", target / "CHANGELOG.md")
    return target


def rewrite(path: Path, change) -> None:
    """Apply ``change`` to a Turtle file's quads and write the file back."""
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    quads = list(change(list(store)))
    path.write_bytes(ox.serialize((q.triple for q in quads), format=ox.RdfFormat.TURTLE))


def change_for_0_2(root: Path) -> None:
    """The second release of this test: a start date moves to 2015, DFIR gets a new IRI, a requirement goes."""

    def rename(term):
        return ox.NamedNode(RENAMED_TO) if term == ox.NamedNode(RENAMED_FROM) else term

    for path in sorted((root / "data").glob("*.ttl")):

        def change(quads):
            for q in quads:
                if REMOVED in (q.subject.value, getattr(q.object, "value", None)):
                    continue
                obj = q.object
                if q.subject.value == STRATEGY and q.predicate.value == START_DATE:
                    obj = ox.Literal("2015", datatype=obj.datatype)
                yield ox.Quad(rename(q.subject), q.predicate, rename(obj))

        rewrite(path, change)


def cut_repository_copies(tmp_path_factory) -> tuple[Path, Path]:
    """Two copies of the repository: one with 0.2.0 cut from a real change after the repository's own
    releases, one with a 0.3.0 (another end date) after that, to show later releases leave earlier ones alone."""
    cut_twice = copy_repository(tmp_path_factory.mktemp("repo"))
    change_for_0_2(cut_twice)
    cut(SECOND, root=cut_twice, now=AT_0_2, validate=False)
    root = tmp_path_factory.mktemp("repo3")
    for name in ("ontology", "data", "releases"):
        shutil.copytree(cut_twice / name, root / name)
    shutil.copy(cut_twice / "CHANGELOG.md", root / "CHANGELOG.md")
    rewrite(
        root / "data" / "lineage.ttl",
        lambda quads: (
            ox.Quad(q.subject, q.predicate, ox.Literal("2014", datatype=q.object.datatype))
            if q.subject.value == STRATEGY and q.predicate.value == START_DATE
            else q
            for q in quads
        ),
    )
    cut(THIRD, root=root, now=AT_0_3, validate=False)
    return cut_twice, root


def sources(root: Path) -> list[Path]:
    return sorted((root / "ontology").glob("*.ttl")) + sorted((root / "data").glob("*.ttl"))
