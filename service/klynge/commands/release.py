"""``klynge release VERSION``: cut a release of the graph and record it on main.

It refuses while ``klynge validate`` fails, when VERSION is not above the last release, and when the graph
states nothing new since the last release (the version header aside). Otherwise it

1. bumps the ontology header (``owl:versionInfo``, ``owl:versionIRI``, ``dcterms:modified``);
2. records the release under ``releases/VERSION/`` (see ``klynge.graph.releases``): the first release's
   canonical N-Quads, or the RDF Patch from the release before; ``release.json``; ``CITATION.cff`` and
   ``datacite.json`` (the citation metadata; a DOI only if ``--doi`` passes one);
3. writes the release's section of ``CHANGELOG.md``: the notes under "Unreleased" move below the new heading,
   after a data section generated from ``klynge diff`` between the two releases' stated graphs (lineage
   statements first, then renames, then per class the resources added, removed and changed), so no figure
   in it is typed by hand.

To re-cut a release (after more corrections were merged, say): delete ``releases/VERSION/`` and the
release's ``## [VERSION]`` section of CHANGELOG.md (put its hand-written notes back under "Unreleased"), then
run ``klynge release VERSION`` again. Only the newest release can be re-cut this way; docs/releases.md says more.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from klynge.commands import diff
from klynge.graph.build import SourceError, build_store
from klynge.graph.releases import (
    FIRST_DUMP,
    PATCH,
    Release,
    ReleaseError,
    canonical_lines,
    digest,
    patch_text,
    quads_of,
    read_history,
    release_iri,
    releases_dir,
    stated_quads,
    version_key,
    write_release,
)
from klynge.rdf.namespaces import KLYNGE_BASE, ONTOLOGY_IRI, PREFIXES
from klynge.resources import asset_root

OWL, DCTERMS = PREFIXES["owl"], PREFIXES["dcterms"]
# What bumping the version changes: ignored when asking whether anything changed since the last release.
VERSION_HEADER = {OWL + "versionInfo", OWL + "versionIRI", DCTERMS + "modified"}
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
UNRELEASED = "## Unreleased"
UNRELEASED_INTRO = "Changes on the way to the next release."
DATA_START = "<!-- klynge release: generated from klynge diff; do not edit (re-cut the release instead) -->"
DATA_END = "<!-- /klynge release -->"
TITLE = "klynge: Danish cluster and innovation policy as linked data"
CREATOR = "The klynge project"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


class RefusedRelease(Exception):
    """Why a release is not cut, in words saying what to do."""


# -- What changed ----------------------------------------------------------------------------------------------


def without_version_header(quads: list[ox.Quad]) -> set[diff.Statement]:
    """Stated statements (blank nodes as values, so labels do not matter), the ontology's version header left out."""
    return {
        (subject, predicate, obj)
        for subject, predicate, obj in diff.side_of("", stated_quads(quads)).statements
        if not (getattr(subject, "value", None) == ONTOLOGY_IRI and predicate.value in VERSION_HEADER)
    }


def types_of(side: diff.Side) -> dict[object, list[str]]:
    """Each resource's classes in one side, shortened (``klynge:Policy``), sorted."""
    found: dict[object, list[str]] = {}
    for subject, predicate, obj in side.statements:
        if predicate.value == diff.RDF_TYPE and isinstance(obj, ox.NamedNode):
            found.setdefault(subject, []).append(diff.show(obj))
    return {subject: sorted(names) for subject, names in found.items()}


def class_of(names: list[str] | None) -> str:
    """The class a resource is counted under: its klynge class if it has one, else its first class."""
    if not names:
        return "(no class)"
    own = [name for name in names if name.startswith("klynge:")]
    return (own or names)[0]


def class_counts(difference: diff.Difference, old: diff.Side, new: diff.Side) -> dict[str, Counter[str]]:
    """Resources added, removed and changed, per class (a removed one by its class in the old graph)."""
    old_types, new_types = types_of(old), types_of(new)
    counts: dict[str, Counter[str]] = {}
    for change in difference.resources:
        names = (old_types if change.status == "removed" else new_types).get(change.resource)
        counts.setdefault(class_of(names), Counter())[change.status] += 1
    return dict(sorted(counts.items()))


def data_section(difference: diff.Difference, old: diff.Side, new: diff.Side) -> list[str]:
    """The generated data notes of a release: lineage first, renames, then the per-class table."""
    labels = {**old.labels, **new.labels}
    lines = [DATA_START, f"### Data ({difference.old} → {difference.new})", ""]
    added = sum(1 for change, _ in difference.lineage if change == "added")
    removed = len(difference.lineage) - added
    lines.append(f"Lineage statements: {added} added, {removed} removed.")
    for change, (subject, predicate, obj) in difference.lineage:
        lines.append(
            f"- {change} {diff._md_named(subject, labels)} {diff._code(diff.show(predicate))} "
            f"{diff._md_named(obj, labels)}"
        )
    lines += ["", f"Renamed resources: {len(difference.renamed)}."]
    lines += [f"- {diff._code(diff.show(r.old))} → {diff._code(diff.show(r.new))}" for r in difference.renamed]
    lines += ["", "| class | added | removed | changed |", "|---|---:|---:|---:|"]
    for name, counter in class_counts(difference, old, new).items():
        lines.append(f"| {diff._code(name)} | {counter['added']} | {counter['removed']} | {counter['changed']} |")
    lines += ["", DATA_END]
    return lines


# -- Writing the release ---------------------------------------------------------------------------------------


def bump_header(text: str, version: str, date: str) -> str:
    """The ontology file with its version header set to ``version`` and ``date``; RefusedRelease if the
    header does not have the three lines to set."""
    replacements = (
        (r"(owl:versionIRI <)[^>]*(>)", rf"\g<1>{KLYNGE_BASE}ontology/{version}\g<2>"),
        (r'(owl:versionInfo ")[^"]*(")', rf"\g<1>{version}\g<2>"),
        (r'(dcterms:modified ")[^"]*("\^\^xsd:date)', rf"\g<1>{date}\g<2>"),
    )
    for pattern, replacement in replacements:
        text, found = re.subn(pattern, replacement, text, count=1)
        if found != 1:
            raise RefusedRelease(f"the ontology header has no line matching {pattern!r} to bump")
    return text


def changelog_with(text: str, version: str, date: str, data: list[str]) -> str:
    """CHANGELOG.md with the release's section: heading, generated data, then the notes that were Unreleased.

    A section for ``version`` written by hand before any release was cut (no generated data in it) is folded
    in below the Unreleased notes, under the new heading; one the command wrote is refused (re-cut instead).
    """
    head, marker, rest = text.partition(UNRELEASED + "\n")
    if not marker:
        raise RefusedRelease(f"CHANGELOG.md has no '{UNRELEASED}' heading to turn into the release")
    sections = re.split(r"^(?=## \[)", rest, flags=re.M)
    notes, older = sections[0], sections[1:]
    folded = []
    for section in older:
        if section.startswith(f"## [{version}]"):
            if DATA_START in section:
                raise RefusedRelease(
                    f"CHANGELOG.md already has the generated section of {version}: remove it "
                    "to re-cut (see klynge release --help)"
                )
            folded.append(section.split("\n", 1)[1].strip("\n"))
    older = [section for section in older if not section.startswith(f"## [{version}]")]
    kept = [line for line in notes.strip("\n").splitlines() if not line.startswith("Changes on the way")]
    body = "\n".join(kept).strip("\n")
    section = "\n".join([f"## [{version}] - {date}", "", *data]) + "\n"
    for part in (body, *folded):
        if part:
            section += "\n" + part + "\n"
    return (
        head + f"{UNRELEASED}\n\n{UNRELEASED_INTRO}\n\n" + section + "".join("\n" + o.strip("\n") + "\n" for o in older)
    )


def citation_cff(release: Release) -> str:
    """CITATION.cff (Citation File Format 1.2.0) for one release."""
    identifier = (
        f"  - type: doi\n    value: {release.doi}\n" if release.doi else f"  - type: url\n    value: {release.iri}\n"
    )
    return (
        "cff-version: 1.2.0\n"
        "message: If you use this release of the klynge graph, please cite it as below.\n"
        "type: dataset\n"
        f'title: "{TITLE}"\n'
        f"version: {release.version}\n"
        f"date-released: {release.date}\n"
        "authors:\n"
        f"  - name: {CREATOR}\n"
        "license: CC-BY-4.0\n"
        f"url: {release.iri}\n"
        "identifiers:\n"
        f"{identifier}"
    )


def datacite(release: Release) -> dict[str, object]:
    """DataCite Metadata Schema 4.5 as JSON (the ``attributes`` the DataCite REST API takes) for one release."""
    related = [
        {"relatedIdentifier": f"{KLYNGE_BASE}releases", "relatedIdentifierType": "URL", "relationType": "IsPartOf"}
    ]
    if release.previous:
        related.append(
            {
                "relatedIdentifier": release_iri(release.previous),
                "relatedIdentifierType": "URL",
                "relationType": "IsNewVersionOf",
            }
        )
    record: dict[str, object] = {
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Knowledge graph"},
        "titles": [{"title": TITLE, "lang": "en"}],
        "creators": [{"name": CREATOR, "nameType": "Organizational"}],
        "publisher": {"name": CREATOR},
        "publicationYear": release.issued.year,
        "version": release.version,
        "dates": [{"date": release.date, "dateType": "Issued"}],
        "rightsList": [
            {
                "rights": "Creative Commons Attribution 4.0 International",
                "rightsUri": LICENCE_URL,
                "rightsIdentifier": "cc-by-4.0",
                "rightsIdentifierScheme": "SPDX",
            }
        ],
        "url": release.iri,
        "alternateIdentifiers": [{"alternateIdentifier": release.iri, "alternateIdentifierType": "URL"}],
        "relatedIdentifiers": related,
        "formats": ["application/n-quads", "application/rdf-patch"],
    }
    if release.doi:
        record["doi"] = release.doi
    return record


def cut(version: str, *, root: Path, now: datetime, doi: str | None = None, validate: bool = True) -> Release:
    """Cut ``version`` from the sources under ``root``; RefusedRelease says why not."""
    try:
        version_key(version)
    except ReleaseError as error:
        raise RefusedRelease(str(error)) from None
    if doi is not None and not DOI.match(doi):
        raise RefusedRelease(f"{doi!r} is not a DOI: pass one as 10.NNNN/suffix, as the registration agency gave it")
    history = read_history(root)
    previous = history.latest
    if (releases_dir(root) / version).exists():
        raise RefusedRelease(f"releases/{version}/ exists: release {version} was cut already (see --help to re-cut)")
    if previous is not None and version_key(version) <= version_key(previous.version):
        raise RefusedRelease(f"{version} is not above the last release, {previous.version}")
    sources = sorted((root / "ontology").glob("*.ttl")) + sorted((root / "data").glob("*.ttl"))
    if validate:
        from klynge.cli import main as klynge

        if klynge(["validate", *map(str, sources)]) != 0:
            raise RefusedRelease("klynge validate fails (report above): fix the graph before cutting a release")
    try:
        current = build_store(sources)
    except SourceError as error:
        raise RefusedRelease(f"the graph cannot be read: {error}") from None
    old_quads = stated_quads(quads_of(history.lines(previous.version))) if previous else []
    if previous and without_version_header(old_quads) == without_version_header(list(current)):
        raise RefusedRelease(f"nothing changed since release {previous.version}: there is nothing to release")

    date = now.date().isoformat()
    ontology = root / "ontology" / "klynge.ttl"
    original = ontology.read_text(encoding="utf-8")
    changelog = root / "CHANGELOG.md"
    try:
        ontology.write_text(bump_header(original, version, date), encoding="utf-8")
        lines = canonical_lines(build_store(sources))
        new_quads = quads_of(lines)
        old_side = diff.side_of(previous.version if previous else "nothing", old_quads)
        new_side = diff.side_of(version, stated_quads(new_quads))
        difference = diff.compare(old_side, new_side)
        notes = changelog_with(
            changelog.read_text(encoding="utf-8"), version, date, data_section(difference, old_side, new_side)
        )
    except BaseException:
        ontology.write_text(original, encoding="utf-8")  # a refused release leaves the sources as they were
        raise

    folder = releases_dir(root) / version
    folder.mkdir(parents=True)
    if previous is None:
        (folder / FIRST_DUMP).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    release = Release(
        version=version,
        issued=now,
        previous=previous.version if previous else None,
        sha256=digest(lines),
        quads=len(lines),
        triples=len({(q.subject, q.predicate, q.object) for q in new_quads}),
        folder=folder,
        renamed={r.old.value: r.new.value for r in difference.renamed},
        doi=doi,
    )
    if previous is not None:
        (folder / PATCH).write_text(patch_text(release, history.lines(previous.version), lines), encoding="utf-8")
    write_release(release)
    (folder / "CITATION.cff").write_text(citation_cff(release), encoding="utf-8")
    (folder / "datacite.json").write_text(json.dumps(datacite(release), indent=2) + "\n", encoding="utf-8")
    (root / "CITATION.cff").write_text(citation_cff(release), encoding="utf-8")
    changelog.write_text(notes, encoding="utf-8")
    return release


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge release``."""
    parser.epilog = (
        "To re-cut the newest release: delete releases/VERSION/ and the '## [VERSION]' section of CHANGELOG.md "
        "(moving its hand-written notes back under '## Unreleased'), then run klynge release VERSION again."
    )
    parser.add_argument("version", metavar="VERSION", help="the new release number, MAJOR.MINOR.PATCH (e.g. 0.2.0)")
    parser.add_argument("--doi", help="the DOI a registration agency gave this release (10.NNNN/...); never invented")
    parser.add_argument("--at", metavar="DATETIME", help="the release's issue time, ISO 8601 in UTC (default: now)")


def run(args: argparse.Namespace) -> int:
    """Cut the release; 0 when cut, 1 when refused, 2 for a bad argument."""
    try:
        now = datetime.fromisoformat(args.at.replace("Z", "+00:00")) if args.at else datetime.now(UTC)
    except ValueError:
        print(f"error: --at {args.at!r} is not an ISO 8601 date-time (e.g. 2026-12-07T15:00:00Z)", file=sys.stderr)
        return 2
    now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
    try:
        release = cut(args.version, root=asset_root(), now=now, doi=args.doi)
    except (RefusedRelease, ReleaseError) as error:
        print(f"klynge release: {error}", file=sys.stderr)
        return 1
    print(
        f"klynge release: cut {release.version} ({release.quads} quads, sha256 {release.sha256[:12]}…) in "
        f"{release.folder}; review CHANGELOG.md and commit releases/{release.version}/ with it"
    )
    return 0
