"""The DCAT-AP/VoID description and the dumps it advertises."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DATASET = "https://w3id.org/klynge/dataset"


@pytest.fixture(scope="module")
def void(client) -> ox.Store:
    response = client.get("/.well-known/void")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    store = ox.Store()
    store.load(response.content, format=ox.RdfFormat.TURTLE)
    return store


def values(store: ox.Store, subject: str, predicate: str) -> list[ox.Term]:
    return [q.object for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)]


def instances(store: ox.Store, cls: str) -> list[ox.Term]:
    return [q.subject for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(cls))]


def test_dcat_ap_mandatory_properties_are_present(void):
    for catalogue in instances(void, DCAT + "Catalog"):
        for prop in ("title", "description", "publisher"):
            assert values(void, catalogue.value, DCT + prop), prop
    (dataset,) = [d for d in instances(void, DCAT + "Dataset") if not values(void, d.value, DCAT + "inSeries")]
    assert dataset.value == DATASET  # the served graph; the others are the releases, each in the series
    assert values(void, DATASET, DCT + "title") and values(void, DATASET, DCT + "description")
    for service in instances(void, DCAT + "DataService"):
        assert values(void, service.value, DCAT + "endpointURL") and values(void, service.value, DCT + "title")
    for agent in instances(void, FOAF + "Agent"):
        assert values(void, agent.value, FOAF + "name")


def test_licence_spatial_conformance_and_endpoint(void):
    assert values(void, DATASET, DCT + "license") == [
        ox.NamedNode("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
    ]
    assert ox.NamedNode("http://publications.europa.eu/resource/authority/country/DNK") in values(
        void, DATASET, DCT + "spatial"
    )
    assert values(void, DATASET, DCT + "conformsTo") == [ox.NamedNode("https://w3id.org/klynge/ontology")]
    (endpoint,) = values(void, DATASET, VOID + "sparqlEndpoint")
    assert endpoint.value.endswith("/sparql")


def test_triple_count_and_vocabularies_come_from_the_graph(void, engine, client):
    """void:triples counts distinct triples; each statement is made in one file only, so it equals the quads."""
    (triples,) = values(void, DATASET, VOID + "triples")
    distinct = set(ox.parse(client.get("/dumps/klynge.nt").content, format=ox.RdfFormat.N_TRIPLES))
    assert int(triples.value) == len(distinct) == engine.triple_count()
    vocabularies = {v.value for v in values(void, DATASET, VOID + "vocabulary")}
    assert {
        "http://www.w3.org/ns/org#",
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/2004/02/skos/core#",
        "https://w3id.org/klynge/ontology#",
    } <= vocabularies
    subsets = values(void, DATASET, VOID + "subset")
    assert {s.value for s in subsets} == set(engine.graph_counts())
    assert sum(int(values(void, s.value, VOID + "triples")[0].value) for s in subsets) == engine.triple_count()
    partitions = values(void, DATASET, VOID + "classPartition")
    assert len(partitions) == int(values(void, DATASET, VOID + "classes")[0].value)


def test_every_distribution_downloads_and_parses(void, client):
    distributions = values(void, DATASET, DCAT + "distribution")
    assert len(distributions) == 6  # five RDF dumps and the tables package (tests/test_tables.py)
    formats = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/ld+json": ox.RdfFormat.JSON_LD,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
        "application/trig": ox.RdfFormat.TRIG,
    }
    for distribution in distributions:
        if distribution.value.endswith("#tables"):
            continue  # CSV in a zip, checked with the frictionless validator in tests/test_tables.py
        (url,) = values(void, distribution.value, DCAT + "downloadURL")
        assert values(void, distribution.value, DCAT + "accessURL") == [url]
        (media,) = values(void, distribution.value, DCAT + "mediaType")
        media_type = media.value.split("/media-types/", 1)[1]
        response = client.get(urlsplit(url.value).path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        parsed = list(ox.parse(response.content, format=formats[media_type]))
        assert len(parsed) > 1000


def test_unknown_dump_is_404(client):
    response = client.get("/dumps/klynge.zip")
    assert response.status_code == 404
    assert "ttl" in response.json()["detail"]


def test_dataset_page_for_people_and_rdf_for_harvesters(client, void):
    page = client.get("/dataset", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "/dumps/klynge.ttl" in page.text
    (triples,) = values(void, DATASET, VOID + "triples")
    assert f"{int(triples.value):,} distinct triples" in page.text
    jsonld = client.get("/dataset", headers={"Accept": "application/ld+json"})
    assert any(t.subject.value == DATASET for t in ox.parse(jsonld.content, format=ox.RdfFormat.JSON_LD))


def test_dataset_page_embeds_schema_org_dataset(client, void):
    """Search engines read schema.org JSON-LD from the page; a data block, not a script, so a CSP allows it."""
    page = client.get("/dataset", headers={"Accept": "text/html"}).text
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block)
    assert data["@type"] == "Dataset" and data["@id"] == DATASET
    assert data["version"] == values(void, DATASET, DCAT + "version")[0].value
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    sizes = {d["contentUrl"].rsplit(".", 1)[1]: d["contentSize"] for d in data["distribution"]}
    assert sizes["ttl"] == f"{len(client.get('/dumps/klynge.ttl').content)} B"


def test_a_large_graph_gets_no_dump_measurements(engine, monkeypatch):
    """Measuring means writing every dump: above the limit the description says where, not how big."""
    from klynge.answers.dataset import Site
    from klynge.web import dataset as web_dataset

    site = Site("https://w3id.org/klynge/", "http://127.0.0.1", "http://127.0.0.1/sparql")
    assert all(f.size and f.sha256 for f in web_dataset.dump_files(engine, site))
    monkeypatch.setattr(web_dataset, "MEASURED_DUMPS_MAX_TRIPLES", engine.triple_count() - 1)
    files = web_dataset.dump_files(engine, site)
    assert len(files) == 6 and all(f.size is None and f.sha256 is None for f in files)  # 5 dumps, the tables
