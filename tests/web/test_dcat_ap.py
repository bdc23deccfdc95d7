"""The /dataset description against the DCAT-AP 3.0.1 shapes from ../shared/conformance (never copied here),
with no background knowledge: what the ITB validator and data.europa.eu's harvester check first."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pyshacl
import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from shared import shared_path

DCATAP = rdflib.Namespace("http://data.europa.eu/r5r/")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DATASET = rdflib.URIRef("https://w3id.org/klynge/dataset")
# The DCAT 3 terms DCAT-AP 2.1.1 does not have; a 2.1.1 harvester drops them.
DCAT3 = rdflib.Namespace(str(DCAT))
DCAT3_ONLY = {
    DCAT3[term]
    for term in (
        "version",
        "hasVersion",
        "isVersionOf",
        "inSeries",
        "DatasetSeries",
        "previousVersion",
        "hasCurrentVersion",
        "first",
        "last",
        "prev",
    )
}
DCAT3_ONLY |= {DCATAP.applicableLegislation, DCATAP.hvdCategory}
# mandatory (shapes.ttl), recommended (shapes_recommended.ttl) and range (range.ttl) shapes of the 3.0.1 release
SHAPES = ("shapes.ttl", "shapes_recommended.ttl", "range.ttl")


@pytest.fixture(scope="module")
def description(client) -> rdflib.Graph:
    response = client.get("/dataset", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    return rdflib.Graph().parse(data=response.text, format="turtle")


def results(data: rdflib.Graph, shapes_file: str) -> list[str]:
    """Every validation result (violations and warnings alike), one readable line each."""
    shapes = rdflib.Graph().parse(shared_path("conformance", "dcat-ap-3.0.1", shapes_file))
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=False)
    return sorted(
        f"{report.value(r, SH.resultSeverity)} {report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}"
        for r in report.subjects(RDF.type, SH.ValidationResult)
    )


@pytest.mark.parametrize("shapes_file", SHAPES)
def test_description_passes_dcat_ap_3_shapes_without_background_knowledge(description, shapes_file):
    assert results(description, shapes_file) == []


def test_the_shapes_do_catch_a_gap(description):
    """The same shapes report a missing recommended property, so the passes above are not vacuous."""
    broken = rdflib.Graph() + description
    broken.remove((None, DCATAP.availability, None))
    broken.remove((DATASET, DCTERMS.temporal, None))
    found = results(broken, "shapes_recommended.ttl")
    distributions = set(description.subjects(RDF.type, DCAT.Distribution))  # the dumps and each release's files
    assert sum("availability" in line for line in found) == len(distributions) >= 5
    assert any("temporal" in line for line in found)


def test_what_the_quality_score_looks_for(description, client):
    for prop in (DCTERMS.issued, DCTERMS.modified, DCTERMS.accessRights):
        assert description.value(DATASET, prop) is not None, prop
    distributions = list(description.objects(DATASET, DCAT.distribution))
    assert len(distributions) == 6
    for distribution in distributions:
        for prop in (DCATAP.availability, DCTERMS.rights, DCAT.byteSize, SPDX.checksum):
            assert description.value(distribution, prop) is not None, (distribution, prop)
        body = client.get(urlsplit(str(description.value(distribution, DCAT.downloadURL))).path).content
        assert int(description.value(distribution, DCAT.byteSize)) == len(body)
        checksum = description.value(distribution, SPDX.checksum)
        assert description.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(description.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()


def test_degrades_to_dcat_ap_2_1_1(description):
    """DCAT-AP 2.1.1 lacks DCAT 3's versioning and series terms: the record uses dcat:version, and the release
    series (dcat:DatasetSeries, dcat:inSeries, dcat:first/last/prev); without them it still passes every
    mandatory, recommended and range shape."""
    used = set(description.predicates()) | set(description.objects(None, RDF.type))
    assert used & DCAT3_ONLY <= {
        DCAT3.version,
        DCAT3.DatasetSeries,
        DCAT3.inSeries,
        DCAT3.first,
        DCAT3.last,
        DCAT3.prev,
    }
    degraded = rdflib.Graph() + description
    for term in DCAT3_ONLY:
        degraded.remove((None, term, None))
        degraded.remove((None, RDF.type, term))
    series = set(description.subjects(RDF.type, DCAT.DatasetSeries))
    for node in series:  # a 2.1.1 harvester has no class for the series: its description goes with it
        for triple in list(degraded.triples((node, None, None))):
            degraded.remove(triple)
    dcat3 = sum(1 for term in DCAT3_ONLY for _ in description.triples((None, term, None)))
    dcat3 += sum(1 for term in DCAT3_ONLY for _ in description.triples((None, RDF.type, term)))
    assert len(degraded) == len(description) - dcat3 - sum(
        1 for node in series for p, _ in description.predicate_objects(node) if p not in DCAT3_ONLY and p != RDF.type
    )
    for shapes_file in SHAPES:
        assert results(degraded, shapes_file) == [], shapes_file
    assert description.value(DATASET, rdflib.OWL.versionInfo) is None  # 2.1.1's term, deprecated in 3.0.1
