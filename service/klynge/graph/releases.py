"""The releases recorded in the repository (``releases/VERSION/``): what each holds, rebuilt from the record.

Git tags do not travel with every clone, so a release is recorded as files on main, enough for the service,
``klynge publish`` and the tests to rebuild it byte for byte:

* ``releases/VERSION/release.json``: version, issue time (UTC), the release before it, the SHA-256 of its
  canonical N-Quads, counts, the IRIs it renamed, and a DOI only when a publisher passed one;
* the first release: ``klynge.nq``, its published graph (entailments included) as canonical N-Quads (RDFC-1.0
  blank-node labels, lines sorted);
* every later release: ``patch.rdfp``, an RDF Patch (``application/rdf-patch``) from the release before it.

The repository so grows with the deltas, not with the number of releases; a release's N-Quads are the first
release's lines with each patch applied in turn, checked against the recorded SHA-256. Patches are computed on
the canonical lines, so applying one to the text of the release before it gives exactly the text of the next.
Rebuilt lines are kept in memory only for releases of moderate size (``KEPT_QUADS``); a larger release is
rebuilt when asked for, and what one resource states in the first release is read from the sorted dump by
binary search (``lines_with_prefix``), never by reading the file whole.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from klynge.rdf.namespaces import INFERRED_GRAPH, KLYNGE_BASE
from klynge.resources import asset_root

VERSION = re.compile(r"^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$")  # bounded: a number, not a megabyte
RECORD = "release.json"
FIRST_DUMP = "klynge.nq"
PATCH = "patch.rdfp"
PATCH_MEDIA_TYPE = "application/rdf-patch"
RELEASE_BASE = KLYNGE_BASE + "releases/"
KEPT_QUADS = 200_000  # a release's rebuilt lines stay in memory up to this size; larger ones are rebuilt each time
# The files a release offers (served under /releases/VERSION/, published beside it), with their media types.
RELEASE_FILES = {
    FIRST_DUMP: "application/n-quads",
    PATCH: PATCH_MEDIA_TYPE,
    "CITATION.cff": "application/yaml",
    "datacite.json": "application/vnd.datacite.datacite+json",
}


class ReleaseError(Exception):
    """A release record that cannot be used, or a release that does not exist: what and how to fix it."""


def version_key(version: str) -> tuple[int, int, int]:
    """A version's order (semantic versioning: 0.10.0 after 0.9.0)."""
    match = VERSION.match(version)
    if match is None:
        shown = version if len(version) <= 40 else version[:40] + "…"
        raise ReleaseError(f"{shown!r} is not a release number: use MAJOR.MINOR.PATCH, e.g. 0.2.0")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch)


def releases_dir(root: Path | None = None) -> Path:
    """Where the release records live: ``releases/`` beside ``ontology/`` and ``data/``."""
    return (root or asset_root()) / "releases"


def release_iri(version: str) -> str:
    """The IRI of one release (a dcat:Dataset in the series)."""
    return f"{RELEASE_BASE}{version}"


@dataclass(frozen=True)
class Release:
    """One recorded release, as ``release.json`` says."""

    version: str
    issued: datetime
    previous: str | None
    sha256: str
    quads: int
    triples: int
    folder: Path
    renamed: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    doi: str | None = None

    @property
    def iri(self) -> str:
        return release_iri(self.version)

    @property
    def date(self) -> str:
        return self.issued.date().isoformat()

    @property
    def cite_as(self) -> str:
        """What a citation names: the DOI the publisher passed, else the release's IRI (never an invented DOI)."""
        return f"https://doi.org/{self.doi}" if self.doi else self.iri

    def record(self) -> dict[str, object]:
        return {
            "version": self.version,
            "issued": self.issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "previous": self.previous,
            "sha256": self.sha256,
            "quads": self.quads,
            "triples": self.triples,
            "renamed": dict(sorted(self.renamed.items())),
            "doi": self.doi,
        }


def read_release(folder: Path) -> Release:
    """One release from its folder; ReleaseError naming the file when the record is broken."""
    path = folder / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        issued = datetime.strptime(record["issued"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        release = Release(
            version=record["version"],
            issued=issued,
            previous=record["previous"],
            sha256=record["sha256"],
            quads=int(record["quads"]),
            triples=int(record["triples"]),
            folder=folder,
            renamed=dict(record.get("renamed") or {}),
            doi=record.get("doi"),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ReleaseError(f"{path}: not a readable release record ({error})") from None
    if release.version != folder.name:
        raise ReleaseError(f"{path}: records release {release.version} in the folder of {folder.name}")
    return release


def write_release(release: Release) -> Path:
    path = release.folder / RECORD
    path.write_text(json.dumps(release.record(), indent=2) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class History:
    """Every recorded release, oldest first, and the N-Quads lines of each (rebuilt once, then kept)."""

    releases: tuple[Release, ...]

    def __post_init__(self) -> None:
        previous = None
        for release in self.releases:
            if release.previous != previous:
                raise ReleaseError(
                    f"{release.folder / RECORD}: says the release before it is {release.previous}, "
                    f"but the recorded one is {previous}"
                )
            previous = release.version

    @property
    def latest(self) -> Release | None:
        return self.releases[-1] if self.releases else None

    @property
    def versions(self) -> list[str]:
        return [release.version for release in self.releases]

    def get(self, version: str) -> Release:
        for release in self.releases:
            if release.version == version:
                return release
        known = ", ".join(self.versions) or "none yet"
        raise ReleaseError(f"no release {version!r}: the releases are {known}")

    def in_force_at(self, moment: datetime) -> Release:
        """The release a reader saw at ``moment``: the last issued at or before it (the first before any)."""
        if not self.releases:
            raise ReleaseError("no release has been cut yet")
        chosen = self.releases[0]
        for release in self.releases:
            if release.issued <= moment:
                chosen = release
        return chosen

    def lines(self, version: str) -> list[str]:
        """The release's canonical N-Quads lines, sorted."""
        return list(_lines(self, version))

    def first_lines_with(self, prefix: str) -> list[str]:
        """The first release's lines that start with ``prefix`` (a subject's, say), read from its sorted dump."""
        first = self.releases[0]
        return lines_with_prefix(first.folder / FIRST_DUMP, prefix)

    def iter_first_lines(self) -> Iterator[str]:
        """The first release's lines, streamed from its dump."""
        for raw in self.iter_first_raw_lines():
            yield raw.decode("utf-8")

    def iter_first_raw_lines(self) -> Iterator[bytes]:
        """The first release's lines as the dump's bytes (no newline), streamed; none before a first release."""
        if not self.releases:
            return
        with (self.releases[0].folder / FIRST_DUMP).open("rb") as dump:
            for raw in dump:
                yield raw.rstrip(b"\n")

    def patch_lines(self, version: str) -> tuple[list[str], list[str]]:
        """The statements the patch of ``version`` (a release after the first) deletes and adds."""
        release = self.get(version)
        try:
            patch = (release.folder / PATCH).read_text(encoding="utf-8")
        except OSError as error:
            raise ReleaseError(f"{release.folder / PATCH}: cannot read the patch ({error})") from None
        deleted = [line[2:] for line in patch.splitlines() if line.startswith("D ")]
        added = [line[2:] for line in patch.splitlines() if line.startswith("A ")]
        return deleted, added

    def nquads(self, version: str) -> bytes:
        return "".join(line + "\n" for line in _lines(self, version)).encode()

    def patch(self, version: str) -> bytes:
        """The RDF Patch from the release before ``version`` (from nothing for the first)."""
        release = self.get(version)
        if release.previous is None:
            return patch_text(release, [], self.lines(version)).encode()
        return (release.folder / PATCH).read_bytes()


_KEPT: dict[tuple[History, str], tuple[str, ...]] = {}


def _lines(history: History, version: str) -> tuple[str, ...]:
    """A release's lines, rebuilt from the record (kept for the next call when the release is of moderate size)."""
    kept = _KEPT.get((history, version))
    if kept is not None:
        return kept
    release = history.get(version)
    if release.previous is None:
        try:
            text = (release.folder / FIRST_DUMP).read_text(encoding="utf-8")
        except OSError as error:
            raise ReleaseError(f"{release.folder / FIRST_DUMP}: cannot read the first release ({error})") from None
        lines = set(text.splitlines())
    else:
        lines = set(_lines(history, release.previous))
        try:
            patch = (release.folder / PATCH).read_text(encoding="utf-8")
        except OSError as error:
            raise ReleaseError(f"{release.folder / PATCH}: cannot read the patch ({error})") from None
        apply_patch(lines, patch, release.folder / PATCH)
    result = tuple(sorted(lines))
    if digest(result) != release.sha256:
        raise ReleaseError(
            f"{release.folder}: the rebuilt release does not match its recorded SHA-256; the record was edited "
            "by hand or a file is missing (re-cut the release, see docs/releases.md)"
        )
    if release.quads <= KEPT_QUADS:
        _KEPT[(history, version)] = result
    return result


def lines_with_prefix(path: Path, prefix: str) -> list[str]:
    """The lines of a sorted UTF-8 text file that start with ``prefix``: a binary search over byte offsets, so
    a resource's statements in a dump of millions of lines take a few dozen reads (UTF-8 keeps code-point order)."""
    key = prefix.encode()
    with path.open("rb") as file:

        def line_at(offset: int) -> tuple[int, bytes]:
            """The first line starting at or after ``offset``, with where it starts."""
            if offset > 0:
                file.seek(offset - 1)
                file.readline()
            else:
                file.seek(0)
            return file.tell(), file.readline().rstrip(b"\n")

        size = file.seek(0, 2)
        low, high = 0, size
        while low < high:  # the smallest offset whose next line is not before the key
            middle = (low + high) // 2
            start, line = line_at(middle)
            if start < size and line < key:
                low = middle + 1
            else:
                high = middle
        file.seek(line_at(low)[0])
        found = []
        for raw in file:
            if not raw.startswith(key):
                break
            found.append(raw.rstrip(b"\n").decode("utf-8"))
        return found


def read_history(root: Path | None = None) -> History:
    """The releases recorded under ``releases/`` (none if the folder is absent), oldest first."""
    folder = releases_dir(root)
    if not folder.is_dir():
        return History(())
    found = [read_release(sub) for sub in folder.iterdir() if (sub / RECORD).is_file()]
    return History(tuple(sorted(found, key=lambda release: version_key(release.version))))


def digest(lines: Iterable[str]) -> str:
    """The SHA-256 of N-Quads lines as the dump file holds them (one per line, each ending in a newline)."""
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line.encode() + b"\n")
    return sha.hexdigest()


def canonical_lines(store: ox.Store) -> list[str]:
    """A store's quads as sorted N-Quads lines with RDFC-1.0 blank-node labels: the same text for the same graph."""
    dataset = ox.Dataset(store)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode()
    return sorted(set(text.splitlines()))


def quads_of(lines: Iterable[str]) -> list[ox.Quad]:
    """N-Quads lines as quads (blank nodes keep their labels' identity within one call)."""
    return list(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS))


def stated_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """What the sources state: every graph but the entailments'."""
    return [quad for quad in quads if quad.graph_name != INFERRED_GRAPH]


# -- RDF Patch -------------------------------------------------------------------------------------------------


def patch_text(release: Release, old: Iterable[str], new: Iterable[str]) -> str:
    """The RDF Patch turning ``old`` lines into ``new``: headers, one transaction, deletions then additions.

    The header ``id`` names this release's patch and ``prev`` the patch before it, so a mirror can check that
    it applies patches in order (RDF Patch §3, "Patch headers").
    """
    old_set, new_set = set(old), set(new)
    lines = [f"H id <{release.iri}/patch> ."]
    if release.previous is not None:
        lines.append(f"H prev <{release_iri(release.previous)}/patch> .")
    lines.append("TX .")
    lines += [f"D {line}" for line in sorted(old_set - new_set)]
    lines += [f"A {line}" for line in sorted(new_set - old_set)]
    lines.append("TC .")
    return "\n".join(lines) + "\n"


def apply_patch(lines: set[str], patch: str, where: Path | str) -> None:
    """Apply an RDF Patch (as ``patch_text`` writes it) to a set of N-Quads lines, in place."""
    for number, line in enumerate(patch.splitlines(), 1):
        operation, _, rest = line.partition(" ")
        if operation == "A":
            lines.add(rest)
        elif operation == "D":
            if rest not in lines:
                raise ReleaseError(f"{where}:{number}: deletes a statement the release before it does not hold")
            lines.discard(rest)
        elif operation not in ("H", "TX", "TC", "") and not line.startswith("#"):
            raise ReleaseError(f"{where}:{number}: unknown RDF Patch line {line[:40]!r}")


def patch_counts(patch: str) -> tuple[int, int]:
    """Statements a patch adds and deletes."""
    added = sum(1 for line in patch.splitlines() if line.startswith("A "))
    deleted = sum(1 for line in patch.splitlines() if line.startswith("D "))
    return added, deleted


def iter_subject_iris(lines: Iterable[str]) -> Iterator[str]:
    """The IRIs that are subjects in N-Quads lines."""
    for line in lines:
        if line.startswith("<"):
            yield line[1 : line.index(">")]
