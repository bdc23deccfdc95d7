"""The queries the benchmark runs: the ship's named queries, bound to resources of the synthetic graph.

Every engine receives the same text, so parameters are bound here by a VALUES block at the start of the
WHERE group (the same binding klynge uses for remote stores). Answers are reduced to a comparable key:
a multiset of rows for SELECT, a set of triples for DESCRIBE, with blank nodes and numeric spellings evened out.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from klynge.engines.remote.binding import bind_terms

QUERY_DIR = Path(__file__).resolve().parent.parent / "queries"
SYNTH = "https://w3id.org/klynge/id/synth/dk/"
JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


@dataclass(frozen=True)
class BenchQuery:
    name: str
    kind: str  # "lookup" or "aggregate"
    text: str
    accept: str


def named(name: str, kind: str, accept: str = JSON, **bindings: str) -> BenchQuery:
    """A named query from queries/, with its parameters bound: ``_x_iri`` to IRIs of the synthetic graph,
    ``_x_string`` to plain literals (a query leaves an unbound parameter's default to the service)."""
    text = (QUERY_DIR / f"{name}.rq").read_text()
    terms = {
        variable: ox.Literal(value) if variable.endswith("_string") else ox.NamedNode(value)
        for variable, value in bindings.items()
    }
    return BenchQuery(name, kind, bind_terms(text, terms), accept)


QUERIES = [
    named("policy-ancestors", "lookup", _policy_iri=SYNTH + "policy/plan-14", _evidence_string="all"),
    named("cluster-relations", "aggregate"),
    named("participation-by-area", "aggregate"),
    named("describe-resource", "lookup", NTRIPLES, _resource_iri=SYNTH + "cluster/cluster-03"),
]


def literal_key(term: dict) -> tuple:
    """A literal by value, numbers compared as numbers (engines spell decimals differently)."""
    datatype = term.get("datatype", "")
    if datatype.startswith("http://www.w3.org/2001/XMLSchema#") and datatype[33:] in {
        "integer", "decimal", "double", "float", "long", "int",
    }:  # fmt: skip
        try:
            return ("number", Decimal(term["value"]).normalize())
        except InvalidOperation:
            pass
    if datatype == "http://www.w3.org/2001/XMLSchema#boolean" and term["value"] in {"0", "1", "false", "true"}:
        return ("boolean", term["value"] in {"1", "true"})  # two spellings of each value (Virtuoso writes 0 and 1)
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        datatype = ""
    # GROUP_CONCAT joins in no defined order (the queries separate with "; "), so compare the parts as a set.
    value = "; ".join(sorted(term["value"].split("; ")))
    return ("literal", value, datatype, term.get("xml:lang", ""))


def answer_key(query: BenchQuery, body: bytes, media_type: str) -> object:
    """A comparable form of one answer."""
    rdf_format = ox.RdfFormat.from_media_type(media_type.split(";")[0].strip())
    if rdf_format is None and query.accept == NTRIPLES and body.lstrip().startswith(b"<?xml"):
        rdf_format = ox.RdfFormat.RDF_XML  # rdflib-endpoint sends graphs as RDF/XML labelled sparql-results+xml
    if rdf_format is not None:
        triples = ox.parse(body, format=rdf_format)
        return frozenset(
            tuple("_:b" if isinstance(t, ox.BlankNode) else str(t) for t in (x.subject, x.predicate, x.object))
            for x in triples
        )
    results = json.loads(body)
    if "boolean" in results:
        return results["boolean"]
    rows = Counter()
    for binding in results["results"]["bindings"]:
        row = []
        for var in sorted(binding):
            term = binding[var]
            if term["type"] == "bnode":
                row.append((var, "bnode"))
            elif term["type"] == "uri":
                row.append((var, "uri", term["value"]))
            else:
                row.append((var, *literal_key(term)))
        rows[tuple(row)] += 1
    return rows
