"""``klynge release``: releases cut on a copy of the repository, their records, notes, patches and time travel.

The copy gets real changes to cut a second and third release from: a changed end date, a renamed resource
(``klynge diff`` finds the rename) and a removed one, so every check runs on a real delta, not a fixture file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from klynge.commands import diff
from klynge.commands.release import RefusedRelease, class_counts, cut
from klynge.graph.build import build_store
from klynge.graph.releases import (
    FIRST_DUMP,
    PATCH,
    ReleaseError,
    canonical_lines,
    digest,
    quads_of,
    read_history,
    stated_quads,
)
from release_copies import (
    AT_0_2,
    AT_0_3,
    RENAMED_FROM,
    RENAMED_TO,
    REPOSITORY_LATEST,
    ROOT,
    SECOND,
    THIRD,
    copy_repository,
    cut_repository_copies,
    sources,
)


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> tuple[Path, Path]:
    return cut_repository_copies(tmp_path_factory)


@pytest.fixture(scope="module")
def cut_twice(copies) -> Path:
    """A copy of the repository with 0.2.0 cut from a real change (0.1.0 is the repository's own record)."""
    return copies[0]


@pytest.fixture(scope="module")
def cut_thrice(copies) -> Path:
    """The same with a 0.3.0 after it (another end date), to show later releases leave earlier ones alone."""
    return copies[1]


# -- The record ------------------------------------------------------------------------------------------------


def test_the_repository_records_0_1_0_as_the_graph_it_was_cut_from():
    history = read_history()
    first = history.get("0.1.0")
    assert first.previous is None and (first.folder / FIRST_DUMP).is_file()
    lines = history.lines("0.1.0")
    assert digest(lines) == first.sha256 and len(lines) == first.quads


def test_a_later_release_is_a_patch_that_rebuilds_it_exactly(cut_twice):
    history = read_history(cut_twice)
    assert history.versions[-2:] == [REPOSITORY_LATEST, SECOND]
    second = history.get(SECOND)
    assert (second.folder / PATCH).is_file() and not (second.folder / FIRST_DUMP).exists()
    assert history.lines(SECOND) == canonical_lines(build_store(sources(cut_twice)))
    assert second.renamed == {RENAMED_FROM: RENAMED_TO}
    ontology = (cut_twice / "ontology" / "klynge.ttl").read_text()
    assert f'owl:versionInfo "{SECOND}"' in ontology and f"<https://w3id.org/klynge/ontology/{SECOND}>" in ontology
    assert 'dcterms:modified "2026-12-09"^^xsd:date' in ontology
    assert (second.folder / "CITATION.cff").read_text().count(f"version: {SECOND}") == 1


def test_a_hand_edited_record_is_refused(cut_twice, tmp_path):
    root = tmp_path
    shutil.copytree(cut_twice / "releases", root / "releases")
    patch = root / "releases" / SECOND / PATCH
    extra = '<https://example.org/x> <https://example.org/y> "z" .'
    patch.write_text(patch.read_text().replace("\nA ", f"\nA {extra}\nA ", 1))
    with pytest.raises(ReleaseError, match="does not match its recorded SHA-256"):
        read_history(root).lines(SECOND)


@pytest.mark.parametrize("version", [SECOND.rsplit(".", 1)[0] + ".1", REPOSITORY_LATEST, "1.0", "v9.0.0"])
def test_a_release_is_refused_when_nothing_changed_or_the_number_is_wrong(cut_twice, version):
    before = sorted(p.name for p in (cut_twice / "releases").iterdir())
    with pytest.raises(RefusedRelease, match="nothing changed|not above|not a release number|cut already"):
        cut(version, root=cut_twice, now=AT_0_3, validate=False)
    assert sorted(p.name for p in (cut_twice / "releases").iterdir()) == before


def test_a_graph_that_fails_validation_is_not_released(tmp_path, capsys):
    root = copy_repository(tmp_path)
    ontology_before = (root / "ontology" / "klynge.ttl").read_text()
    # a policy that names no title and a start date that is no date: the shapes reject it
    with (root / "data" / "lineage.ttl").open("a") as turtle:
        turtle.write(
            "\n<https://w3id.org/klynge/id/policy/test-broken> a <https://w3id.org/klynge/ontology#Policy> ;\n"
            '    <http://schema.org/startDate> "soon" .\n'
        )
    with pytest.raises(RefusedRelease, match="klynge validate fails"):
        cut(SECOND, root=root, now=AT_0_2)
    assert not (root / "releases" / SECOND).exists()
    assert (root / "ontology" / "klynge.ttl").read_text() == ontology_before
    assert "violations on 1 resource" in capsys.readouterr().out


# -- The notes -------------------------------------------------------------------------------------------------


def generated_sections(changelog: str) -> dict[str, str]:
    """Each release's generated data section, by version."""
    found = {}
    heading = r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}\n(.*?)(?=^## \[|\Z)"
    for match in re.finditer(heading, changelog, re.M | re.S):
        section = re.search(r"<!-- klynge release:.*?<!-- /klynge release -->", match.group(2), re.S)
        if section:
            found[match.group(1)] = section.group(0)
    return found


def check_notes_against_diff(root: Path) -> int:
    """Every figure of every generated section equals what klynge diff says between the recorded releases."""
    history = read_history(root)
    sections = generated_sections((root / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert set(sections) == set(history.versions), "a release without generated notes, or notes without a release"
    checked = 0
    for release in history.releases:
        old_quads = stated_quads(quads_of(history.lines(release.previous))) if release.previous else []
        old = diff.side_of("old", old_quads)
        new = diff.side_of("new", stated_quads(quads_of(history.lines(release.version))))
        difference = diff.compare(old, new)
        text = sections[release.version]
        added = sum(1 for change, _ in difference.lineage if change == "added")
        assert f"Lineage statements: {added} added, {len(difference.lineage) - added} removed." in text
        assert f"Renamed resources: {len(difference.renamed)}." in text
        rows = {
            m.group(1): tuple(map(int, m.group(2, 3, 4)))
            for m in re.finditer(r"^\| `([^`]+)` \| (\d+) \| (\d+) \| (\d+) \|$", text, re.M)
        }
        expected = {
            name: (c["added"], c["removed"], c["changed"]) for name, c in class_counts(difference, old, new).items()
        }
        assert rows == expected, release.version
        assert sum(sum(row) for row in rows.values()) == len(difference.resources)
        checked += len(rows)
    return checked


def test_every_figure_in_the_repository_release_notes_is_the_diff():
    assert check_notes_against_diff(ROOT) > 0


def test_the_generated_notes_of_a_real_change_agree_with_the_diff(cut_twice):
    assert check_notes_against_diff(cut_twice) > 0
    notes = generated_sections((cut_twice / "CHANGELOG.md").read_text())[SECOND]
    assert "Renamed resources: 1." in notes and "org/danish-innovation-fund-renamed-for-a-test" in notes
    assert "| `klynge:Requirement` | 0 | 1 | 0 |" in notes
    changelog = (cut_twice / "CHANGELOG.md").read_text()
    assert (
        changelog.index("## Unreleased")
        < changelog.index(f"## [{SECOND}] - 2026-12-09")
        < changelog.index(f"## [{REPOSITORY_LATEST}]")
    )


def test_a_figure_typed_by_hand_is_caught(cut_twice, tmp_path):
    root = tmp_path
    shutil.copytree(cut_twice / "releases", root / "releases")
    changelog = (cut_twice / "CHANGELOG.md").read_text()
    (root / "CHANGELOG.md").write_text(
        changelog.replace("| `klynge:Requirement` | 0 | 1 | 0 |", "| `klynge:Requirement` | 0 | 2 | 0 |", 1)
    )
    with pytest.raises(AssertionError):
        check_notes_against_diff(root)


# -- Patches, read by a reader the project did not write ------------------------------------------------------


class SameLabels(dict):
    """rdflib's blank-node context keeping each label's node, so the dump and the patches name the same nodes."""

    def get(self, key, default=None):
        return rdflib.BNode(key)


def test_rdflib_applies_every_patch_to_the_first_dump_and_reaches_the_latest(cut_thrice):
    history = read_history(cut_thrice)
    assert history.versions[-2:] == [SECOND, THIRD] and len(history.versions) >= 3
    built = rdflib.Dataset()
    first = history.releases[0]
    built.parse(data=history.nquads(first.version).decode(), format="nquads", bnode_context=SameLabels())
    for release in history.releases[1:]:
        patch = (release.folder / PATCH).read_text()
        assert patch.startswith(f"H id <{release.iri}/patch> .\nH prev <") and "\nTX .\n" in patch
        assert patch.endswith("TC .\n")
        built.parse(data=patch, format="patch")
    latest = rdflib.Dataset()
    latest.parse(data=history.nquads(history.latest.version).decode(), format="nquads")
    names = {g.identifier for g in built.graphs() if len(g)}
    assert names == {g.identifier for g in latest.graphs() if len(g)}
    for name in names:
        assert isomorphic(built.graph(name), latest.graph(name)), name
    assert sum(len(built.graph(n)) for n in names) == history.latest.quads


def test_rdflib_rebuilds_the_repository_latest_release_from_its_first_dump_and_patches():
    history = read_history()
    built = rdflib.Dataset()
    built.parse(data=history.nquads(history.releases[0].version).decode(), format="nquads", bnode_context=SameLabels())
    for release in history.releases[1:]:
        built.parse(data=(release.folder / PATCH).read_text(), format="patch")
    latest = rdflib.Dataset()
    latest.parse(data=history.nquads(history.latest.version).decode(), format="nquads")
    names = {g.identifier for g in latest.graphs() if len(g)}
    assert names == {g.identifier for g in built.graphs() if len(g)}
    assert all(isomorphic(built.graph(name), latest.graph(name)) for name in names)
