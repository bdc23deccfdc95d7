"""Shared fixtures for the competency-question tests: the published graph and SPARQL helpers.

Each competency question is one SPARQL query over the union of every named graph (ontology, data files and the
materialised ``…/graph/inferred``), so a test sees exactly what the service publishes.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest

from klynge.rdf.namespaces import PREFIXES as PREFIXES_TABLE
from klynge.rdf.namespaces import sparql_prologue

PREFIXES = sparql_prologue()

KID = PREFIXES_TABLE["kid"]
KLYNGE = PREFIXES_TABLE["klynge"]


@pytest.fixture(scope="session")
def graph(published_store: ox.Store) -> ox.Store:
    """The published graph (ontology + data + materialised entailments), built once per run (tests/conftest.py)."""
    return published_store


def _plain(term: Any) -> Any:
    """A result term as a plain Python value: an IRI or literal as its lexical string, None if unbound."""
    if term is None:
        return None
    return term.value


def ask(graph: ox.Store, query: str) -> bool:
    """Run a SPARQL ASK query (the usual prefixes are prepended) over the union default graph."""
    result = graph.query(PREFIXES + query, use_default_graph_as_union=True)
    if not isinstance(result, ox.QueryBoolean):
        raise TypeError("ask() needs an ASK query")
    return bool(result)


def select(graph: ox.Store, query: str) -> list[dict[str, Any]]:
    """Run a SPARQL SELECT query over the union default graph; each row maps variable name to its plain value.

    IRIs come back as full IRI strings, literals as their lexical form (use ``STR()``/``DATATYPE()`` in the
    query when the datatype matters); unbound variables as ``None``.
    """
    result = graph.query(PREFIXES + query, use_default_graph_as_union=True)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("select() needs a SELECT query")
    names = [v.value for v in result.variables]
    return [{name: _plain(row[name]) for name in names} for row in result]


def select_terms(graph: ox.Store, query: str) -> list[dict[str, Any]]:
    """Like :func:`select` but keeps the pyoxigraph terms (to check a literal's datatype or language)."""
    result = graph.query(PREFIXES + query, use_default_graph_as_union=True)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("select_terms() needs a SELECT query")
    names = [v.value for v in result.variables]
    return [{name: row[name] for name in names} for row in result]


def values(graph: ox.Store, query: str) -> set[Any]:
    """The set of plain values of the first variable of a SELECT query (handy for exact-set answers)."""
    rows = select(graph, query)
    if not rows:
        return set()
    first = next(iter(rows[0]))
    return {row[first] for row in rows}
