"""/ontology documents klynge's own terms as pyLODE/Widoco do, and lists reused standard terms apart.

Checked against the ontology file read independently with rdflib: every own term is there with its label,
definition and relations from both ends; no standard term is documented as klynge's.
"""

from __future__ import annotations

import re
from html import unescape

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from klynge.engines.store import EmbeddedEngine
from klynge.graph import statistics
from klynge.resources import asset_dir
from klynge.web.ontology_doc import Ref, TermDoc, add_usage

KLYNGE = rdflib.Namespace("https://w3id.org/klynge/ontology#")
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(asset_dir("ontology") / "klynge.ttl")


@pytest.fixture(scope="module")
def page(client) -> str:
    response = client.get("/ontology", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.text


@pytest.fixture(scope="module")
def sections(page) -> dict[str, str]:
    """Each documented term's block of HTML, by its anchor."""
    blocks = re.split(r'(?=<details class="term" id=")', page.split('<section id="reused">')[0])
    return {re.match(r'<details class="term" id="([^"]+)"', b).group(1): b for b in blocks[1:]}


def declared(ontology: rdflib.Graph) -> set[rdflib.URIRef]:
    return {s for kind in KINDS for s in ontology.subjects(RDF.type, kind) if isinstance(s, rdflib.URIRef)}


def own_terms(ontology: rdflib.Graph) -> set[rdflib.URIRef]:
    return {t for t in declared(ontology) if (t, RDFS.isDefinedBy, None) in ontology and t.startswith(KLYNGE)}


def anchor(term: rdflib.URIRef) -> str:
    return str(term).rsplit("#", 1)[1]


def test_every_own_term_has_label_definition_and_anchor(ontology, sections):
    own = own_terms(ontology)
    assert len(own) > 100
    assert set(sections) == {anchor(t) for t in own}
    for term in own:
        block = unescape(sections[anchor(term)])
        assert str(ontology.value(term, RDFS.label)) in block, term
        assert str(ontology.value(term, SKOS.definition)) in block, term


def test_reused_standard_terms_are_listed_apart_not_as_klynges(ontology, page, sections):
    reused = declared(ontology) - own_terms(ontology)
    assert len(reused) > 50 and not any(t.startswith(KLYNGE) for t in reused)
    listing = page.split('<section id="reused">')[1]
    for term in reused:
        assert f'href="{term}"' in listing, term
    assert all(str(t) not in sections for t in reused)


@pytest.mark.parametrize(
    ("predicate", "outward", "inward"),
    [
        (RDFS.subClassOf, "Subclass of", "Superclass of"),
        (RDFS.subPropertyOf, "Subproperty of", "Has subproperties"),
        (OWL.inverseOf, "Inverse of", "Inverse of"),
        (RDFS.domain, "Domain", "In domain of"),
        (RDFS.range, "Range", "In range of"),
    ],
)
def test_relations_are_shown_from_both_ends(ontology, sections, predicate, outward, inward):
    pairs = [(s, o) for s, o in ontology.subject_objects(predicate) if s.startswith(KLYNGE) and o.startswith(KLYNGE)]
    assert pairs, predicate
    for subject, obj in pairs:
        assert re.search(
            rf"<th scope=\"row\">{outward}</th>\s*<td>[^\n]*href=\"#{anchor(obj)}\"", sections[anchor(subject)]
        ), (subject, outward, obj)
        assert re.search(
            rf"<th scope=\"row\">{inward}</th>\s*<td>[^\n]*href=\"#{anchor(subject)}\"", sections[anchor(obj)]
        ), (obj, inward, subject)


def test_examples_are_statements_of_the_data(sections, engine):
    examples = 0
    for name, block in sections.items():
        found = re.search(r'<td class="example"><code><a href="(/[^"]+)"', block)
        if found is None:
            continue
        examples += 1
        subject, term = ox.NamedNode("https://w3id.org/klynge" + found.group(1)), ox.NamedNode(str(KLYNGE[name]))
        assert engine.ask(f"ASK {{ GRAPH ?g {{ {subject} ?p ?o FILTER(?p = {term} || ?o = {term}) }} }}", {}), name
    assert examples > 80


@pytest.mark.parametrize("counted", [False, True], ids=["scanned", "counted at load"])
def test_a_class_whose_resources_are_all_blank_nodes_has_its_count_and_no_example(counted):
    """A user's data may type only blank nodes with a klynge class: the page counts them and shows no example (an
    example is a resource a reader can open), from the scan and from the statistics counted at load alike."""
    cls = str(KLYNGE.Cluster)
    store = ox.Store()
    data = ox.NamedNode("https://w3id.org/klynge/graph/user-data")
    for _ in range(2):
        store.add(ox.Quad(ox.BlankNode(), ox.NamedNode(str(RDF.type)), ox.NamedNode(cls), data))
    if counted:
        statistics.publish(store)
    terms = {cls: TermDoc(Ref(cls, "cluster organisation", True), "class")}
    engine = EmbeddedEngine(store)
    try:
        add_usage(engine, terms)
    finally:
        engine.close()
    assert terms[cls].uses == 2 and terms[cls].example is None
