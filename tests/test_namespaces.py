"""The one prefix table agrees with the sources and gives terms, never string methods."""

from __future__ import annotations

import re

import pyoxigraph as ox

from klynge.rdf import namespaces
from klynge.rdf.namespaces import DCTERMS, PREFIXES, sparql_prologue, turtle_prologue
from klynge.resources import asset_files

DECLARATION = re.compile(r"@prefix\s+([\w-]*):\s*<([^>]*)>", re.IGNORECASE)


def test_sources_declare_the_prefixes_the_table_gives() -> None:
    """A prefix a Turtle source declares means the same namespace as in the table (dumps and pages use it)."""
    disagreements = []
    for path in [*asset_files("ontology"), *asset_files("data"), *asset_files("shapes")]:
        for prefix, iri in DECLARATION.findall(path.read_text(encoding="utf-8")):
            if prefix in PREFIXES and PREFIXES[prefix] != iri:
                disagreements.append(f"{path.name}: {prefix}: <{iri}>, the table says <{PREFIXES[prefix]}>")
    assert not disagreements


def test_each_namespace_has_one_prefix() -> None:
    assert len(set(PREFIXES.values())) == len(PREFIXES)


def test_terms_are_named_nodes_even_where_str_has_a_method() -> None:
    assert DCTERMS.title == ox.NamedNode("http://purl.org/dc/terms/title")
    assert namespaces.SCHEMA["count"] == ox.NamedNode("http://schema.org/count")
    assert ox.NamedNode("https://w3id.org/klynge/graph/inferred") == namespaces.INFERRED_GRAPH


def test_prologues_parse() -> None:
    store = ox.Store()
    store.load(turtle_prologue() + "kid:x a klynge:Policy .", format=ox.RdfFormat.TURTLE)
    assert store.query(sparql_prologue() + "ASK { kid:x a klynge:Policy }")
