"""A resource's RDF opens with the resource: ``@graph[0]`` of its JSON-LD and the first Turtle statement are
about it, not about a neighbour whose label rides along."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from klynge.rdf.namespaces import KLYNGE_BASE

RESOURCES = [
    "id/org/danish-business-authority",
    "id/policy/innovationskraft-2021-2024",
    "id/cluster/energy-cluster-denmark",
]


@pytest.mark.parametrize("path", RESOURCES)
def test_json_ld_puts_the_subject_first_in_its_graph(client, path):
    document = client.get("/" + path, headers={"Accept": "application/ld+json"}).json()
    first = document["@graph"][0]["@id"]
    prefix, _, local = first.partition(":")
    assert (document["@context"].get(prefix, prefix + ":") + local) == KLYNGE_BASE + path
    assert len(document["@graph"]) > 1  # the neighbours' labels are still there, after it


@pytest.mark.parametrize("path", RESOURCES)
def test_turtle_and_n_triples_open_with_the_subject(client, path):
    iri = ox.NamedNode(KLYNGE_BASE + path)
    for media_type, syntax in [("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES)]:
        body = client.get("/" + path, headers={"Accept": media_type}).content
        assert next(iter(ox.parse(body, format=syntax))).subject == iri
