"""SHACL-SPARQL constraints get their focus nodes by a join read from tokens, not by editing the text blindly."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from klynge.validation.shacl_sparql import UnsupportedShape, joined_to_targets

TARGETS = "{ SELECT DISTINCT ?this WHERE { ?this a <http://example.org/C> } }"
CONSTRAINT = URIRef("http://example.org/constraint")


def test_the_targets_open_the_where_group_and_a_where_in_a_comment_or_string_is_text():
    select = """SELECT $this ?value # not the WHERE {
    WHERE { $this <http://example.org/p> ?value . FILTER(?value = "WHERE { $PATH") }"""
    joined = joined_to_targets(select, TARGETS, "<http://example.org/p>", CONSTRAINT)
    assert joined.index(TARGETS) > joined.index("WHERE {", joined.index("\n"))
    assert '"WHERE { $PATH"' in joined and "# not the WHERE {" in joined
    store = ox.Store()
    ex = "http://example.org/"
    store.add(ox.Quad(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), ox.Literal("WHERE { $PATH")))
    store.add(ox.Quad(ox.NamedNode(ex + "b"), ox.NamedNode(ex + "p"), ox.Literal("WHERE { $PATH")))
    store.update(f"INSERT DATA {{ <{ex}a> a <{ex}C> }}")
    assert [row["this"] for row in store.query(joined)] == [ox.NamedNode(ex + "a")]  # b is not a target


def test_path_is_replaced_only_where_it_is_a_variable():
    select = 'SELECT $this WHERE { $this $PATH ?v FILTER(STR(?v) != "$PATH") }'
    joined = joined_to_targets(select, TARGETS, "<http://example.org/p>", CONSTRAINT)
    assert "$this <http://example.org/p> ?v" in joined and '"$PATH"' in joined


@pytest.mark.parametrize("variable", ["failure", "shapesGraph", "currentShape"])
def test_variables_it_cannot_give_their_meaning_are_refused(variable):
    with pytest.raises(UnsupportedShape, match=variable):
        joined_to_targets(f"SELECT $this ?{variable} WHERE {{ $this ?p ?o }}", TARGETS, None, CONSTRAINT)


def test_a_constraint_without_a_where_group_is_refused():
    with pytest.raises(UnsupportedShape, match="no WHERE"):
        joined_to_targets("SELECT $this {}", TARGETS, None, CONSTRAINT)
