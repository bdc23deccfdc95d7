"""The programme IRI an ECCP profile can cite: for each of the 14 clusters the factsheet lists, one request gives
the programme that appointed it, the appointing post, its body and the day, the programme's lineage with
evidence and the sources, as JSON-LD; checked against the factsheet's own text, read with rdflib."""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, ORG, PROV, RDFS

from web.factsheet import appointed_clusters, appointment_sentence, letters, programme_name

KLYNGE = rdflib.Namespace("https://w3id.org/klynge/ontology#")
STABLE = re.compile(r"^https://w3id\.org/klynge/id/policy/[a-z0-9-]+$")


def english(graph: rdflib.Graph, node: rdflib.term.Node) -> str:
    (label,) = [label for label in graph.objects(node, RDFS.label) if label.language == "en"]
    return str(label)


@pytest.fixture(scope="module")
def clusters(client) -> dict[str, str]:
    """The factsheet's full cluster name -> the IRI of the cluster the service lists under that name."""
    listed = client.get("/api/browse/klynge:ClusterOrganisation").json()["items"]
    found = {}
    for full_name in appointed_clusters():
        (item,) = [item for item in listed if item["label"].casefold() in full_name.casefold()]
        found[full_name] = item["iri"]
    return found


def answer(client, iri: str) -> rdflib.Graph:
    response = client.get(f"/programme-of/{iri.removeprefix('https://w3id.org/klynge/id/')}?format=jsonld")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    return rdflib.Graph().parse(data=response.text, format="json-ld")


def test_each_of_the_14_clusters_has_its_programme_answer_as_the_factsheet_says(client, clusters):
    assert len(clusters) == 14 and len(set(clusters.values())) == 14
    day, post = appointment_sentence()
    appointed = datetime.datetime.strptime(day, "%d %B %Y").date()
    for full_name, iri in clusters.items():
        graph = answer(client, iri)
        cluster = rdflib.URIRef(iri)
        (programme,) = graph.objects(cluster, KLYNGE.appointedUnder)
        assert STABLE.match(str(programme)), programme
        assert letters(english(graph, programme)) == letters(programme_name()), full_name
        (on,) = graph.objects(cluster, KLYNGE.appointedOn)
        assert on.toPython() == appointed, full_name
        (appointer,) = graph.objects(cluster, KLYNGE.appointedBy)
        assert english(graph, appointer) == post
        assert list(graph.objects(appointer, ORG.postIn)), "the post's body is named"
        sources = set(graph.objects(cluster, DCTERMS.source))
        assert any(str(t) == "Country factsheet: Denmark" for s in sources for t in graph.objects(s, DCTERMS.title))
        assert list(graph.objects(cluster, KLYNGE.locator)), "the place in the factsheet is given"
        # The lineage: the programme is reached, and every qualified step carries evidence, a source and a locator.
        influences = list(graph.subjects(PROV.influencer, None))
        assert influences
        assert programme in set(graph.subjects(PROV.wasInfluencedBy, None))
        for influence in influences:
            assert graph.value(influence, KLYNGE.evidence) in (KLYNGE.Stated, KLYNGE.Inferred)
            assert graph.value(influence, DCTERMS.source) is not None
            assert graph.value(influence, KLYNGE.locator) is not None
        # Each source cited is described with its title.
        cited = set(graph.objects(None, DCTERMS.source))
        assert all(graph.value(source, DCTERMS.title) for source in cited), full_name


def test_the_page_and_the_named_query_give_the_same_answer(client, clusters):
    iri = clusters["Energy Cluster Denmark"]
    graph = answer(client, iri)
    named = client.get(f"/api/queries/cluster-programme?cluster={quote(iri, safe='')}&format=jsonld")
    assert named.status_code == 200
    assert isomorphic(graph, rdflib.Graph().parse(data=named.text, format="json-ld"))
    page = client.get("/programme-of/cluster/energy-cluster-denmark", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    (programme,) = graph.objects(rdflib.URIRef(iri), KLYNGE.appointedUnder)
    assert f'<code class="cite">{programme}</code>' in page.text
    assert page.text.count('<li class="step-') == len(set(graph.subjects(PROV.influencer, None)))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/programme-of/org/danish-business-authority", 404),
        ("/programme-of/cluster/no-such-cluster", 404),
        ("/programme-of/cluster/a%20b", 400),
    ],
)
def test_what_is_no_appointed_cluster_is_said_clearly(client, path, status):
    response = client.get(path)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
