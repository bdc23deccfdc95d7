"""Turtle written for people: a subject's statements together, a predicate's objects in one list (C7)."""

from __future__ import annotations

import pyoxigraph as ox

from klynge.rdf.rdf_text import serialize

KID = "https://w3id.org/klynge/id/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def test_a_subjects_types_are_declared_once_whatever_order_the_statements_come_in():
    programme, other = ox.NamedNode(KID + "policy/p"), ox.NamedNode(KID + "policy/q")
    kinds = [ox.NamedNode(f"https://w3id.org/klynge/ontology#{name}") for name in ("Policy", "Plan", "Programme")]
    statements = [
        ox.Triple(programme, RDF_TYPE, kinds[0]),
        ox.Triple(other, LABEL, ox.Literal("Q", language="en")),
        ox.Triple(programme, LABEL, ox.Literal("P", language="en")),
        ox.Triple(programme, RDF_TYPE, kinds[1]),
        ox.Triple(other, RDF_TYPE, kinds[0]),
        ox.Triple(programme, RDF_TYPE, kinds[2]),
    ]
    text = serialize(statements, ox.RdfFormat.TURTLE, {"kid": KID}).decode()
    p, q = f"<{KID}policy/p>", f"<{KID}policy/q>"  # a name with a slash is written whole
    assert text.count(p) == 1 and text.count(q) == 1
    assert sum(1 for line in text.splitlines() if line.strip().startswith("a ") or " a " in line) == 2
    assert {quad.triple for quad in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)} == set(statements)
    # The subject that came first is written first.
    assert text.index(p) < text.index(q)
