"""The recorded releases in the DCAT-AP description: a ``dcat:DatasetSeries`` with one ``dcat:Dataset`` per release.

Each release dataset is ``https://w3id.org/klynge/releases/VERSION`` (``dcat:inSeries`` the series,
``dcat:version``, ``dct:issued``, ``adms:versionNotes`` with what its patch adds and deletes,
``dcat:prev`` the release before), and its N-Quads dump and its RDF Patch from the release before are its
distributions, with size and SHA-256. What DCAT-AP asks of every dataset and that does not change between
releases (publisher, contact, licence, themes, keywords, place, time, languages, access rights) is copied
from the description of the served dataset, so a release passes the same shapes it does. A harvester that
converts to DCAT-AP 2.1.1 drops the DCAT 3 terms (``DatasetSeries``, ``inSeries``, ``version``, ``prev``,
``first``, ``last``) and keeps datasets that still pass 2.1.1's shapes.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox

from klynge.answers.dataset import (
    AVAILABILITY,
    DCAT,
    DCATAP,
    DCT,
    EU,
    IANA,
    LICENCE,
    SPDX,
    XSD,
    Site,
    Triples,
    typed,
)
from klynge.graph.releases import PATCH_MEDIA_TYPE, History, patch_counts, read_history

ADMS = "http://www.w3.org/ns/adms#"
SERIES_PATH = "releases"
# The served dataset's statements a release shares (the rest are about the served graph, or each release's own).
SHARED = {
    DCT + p for p in ("publisher", "license", "spatial", "language", "accessRights", "temporal", "conformsTo")
} | {DCAT + p for p in ("contactPoint", "theme", "keyword")}
RDF_PATCH = "https://afs.github.io/rdf-patch/"  # the format's specification (it has no IANA registration)


def release_history(engine: object) -> History:
    """The releases an engine time-travels over (the service's), else those recorded in the repository."""
    archive = getattr(engine, "archive", None)
    return archive.history if archive is not None else read_history()


def add_series(out: Triples, site: Site, dataset: ox.NamedNode, catalogue: ox.NamedNode, history: History) -> None:
    """The series and its releases, into ``out`` (which already describes ``dataset``)."""
    if not history.releases:
        return
    shared = [t for t in out if t.subject == dataset and t.predicate.value in SHARED]
    series = site.iri(SERIES_PATH)
    out.a(series, DCAT + "DatasetSeries")
    out.add(series, DCT + "title", "klynge releases")
    out.add(
        series,
        DCT + "description",
        "Every release of the klynge graph, each one queryable, citable and "
        "mirrorable: its dump, and an RDF Patch from the release before it.",
    )
    # not in the catalogue's dcat:dataset, whose range shape wants a dcat:Dataset: reached through dcat:inSeries
    for triple in shared:
        if triple.predicate.value in (DCT + "publisher", DCAT + "contactPoint"):
            out.add(series, triple.predicate.value, triple.object)
    out.add(series, DCAT + "first", site.iri(f"{SERIES_PATH}/{history.releases[0].version}"))
    out.add(series, DCAT + "last", site.iri(f"{SERIES_PATH}/{history.releases[-1].version}"))
    for release in history.releases:
        node = site.iri(f"{SERIES_PATH}/{release.version}")
        when = typed(release.issued.strftime("%Y-%m-%dT%H:%M:%SZ"), XSD + "dateTime")
        patch = history.patch(release.version)
        added, deleted = patch_counts(patch.decode())
        out.a(node, DCAT + "Dataset")
        out.add(catalogue, DCAT + "dataset", node)
        out.add(node, DCAT + "inSeries", series)
        out.add(node, DCT + "title", f"klynge {release.version}")
        out.add(
            node,
            DCT + "description",
            f"Release {release.version} of the klynge graph: {release.quads} "
            "statements, each in the named graph of the source file that states it.",
        )
        out.add(node, DCT + "identifier", ox.Literal(release.doi or node.value))
        out.add(node, DCAT + "version", ox.Literal(release.version))
        out.add(node, DCT + "issued", when)
        out.add(node, DCT + "modified", when)
        out.add(
            node,
            ADMS + "versionNotes",
            f"Against {release.previous or 'nothing (the first release)'}: "
            f"{added} statements added, {deleted} deleted; the per-class notes are in CHANGELOG.md.",
        )
        if release.previous:
            out.add(node, DCAT + "prev", site.iri(f"{SERIES_PATH}/{release.previous}"))
        for triple in shared:
            out.add(node, triple.predicate.value, triple.object)
        add_file(
            out,
            site,
            node,
            "klynge.nq",
            history.nquads(release.version),
            "application/n-quads",
            "RDF_N_QUADS",
            f"Release {release.version} in one file (N-Quads, one named graph per source file).",
        )
        add_file(
            out,
            site,
            node,
            "patch.rdfp",
            patch,
            PATCH_MEDIA_TYPE,
            None,
            f"RDF Patch from {release.previous or 'the empty graph'} to {release.version}.",
        )


def add_file(
    out: Triples,
    site: Site,
    dataset: ox.NamedNode,
    name: str,
    body: bytes,
    media_type: str,
    file_type: str | None,
    description: str,
) -> None:
    """One file of a release as a distribution, with its size and checksum."""
    path = f"{dataset.value[len(site.base_iri) :]}/{name}"
    distribution = site.iri(f"{path}#distribution")
    download = site.url("/" + path)
    out.add(dataset, DCAT + "distribution", distribution)
    out.a(distribution, DCAT + "Distribution")
    out.add(distribution, DCT + "title", name)
    out.add(distribution, DCT + "description", description)
    out.add(distribution, DCAT + "accessURL", download)
    out.add(distribution, DCAT + "downloadURL", download)
    if file_type is not None:  # registered: the IANA type and the EU file type
        out.add(distribution, DCAT + "mediaType", out.a(ox.NamedNode(IANA + media_type), DCT + "MediaType"))
        out.add(
            distribution,
            DCT + "format",
            out.concept(
                EU + f"file-type/{file_type}", EU + "file-type", file_type.replace("_", " "), DCT + "MediaTypeOrExtent"
            ),
        )
    else:  # RDF Patch is in neither list: its specification names the format
        out.add(distribution, DCT + "format", out.a(ox.NamedNode(RDF_PATCH), DCT + "MediaTypeOrExtent"))
    out.add(distribution, DCT + "license", ox.NamedNode(LICENCE))
    out.add(distribution, DCT + "rights", site.iri("dataset#rights"))
    out.add(distribution, DCATAP + "availability", ox.NamedNode(AVAILABILITY))
    out.add(distribution, DCAT + "byteSize", typed(str(len(body)), XSD + "nonNegativeInteger"))
    checksum = site.iri(f"{path}#sha256")
    out.add(distribution, SPDX + "checksum", out.a(checksum, SPDX + "Checksum"))
    out.add(checksum, SPDX + "algorithm", ox.NamedNode(SPDX + "checksumAlgorithm_sha256"))
    out.add(checksum, SPDX + "checksumValue", typed(hashlib.sha256(body).hexdigest(), XSD + "hexBinary"))
