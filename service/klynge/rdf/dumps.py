"""The bytes of a dump, for ``klynge export`` and the web server's ``/dumps``: blank nodes with canonical
labels (RDFC-1.0), statements sorted, so an unchanged graph gives an unchanged file (see
``klynge.commands.export``)."""

from __future__ import annotations

import pyoxigraph as ox

from klynge.rdf import formats
from klynge.rdf.namespaces import PREFIXES
from klynge.rdf.rdf_text import serialize

# The dumps, by their keys (``rdf`` is RDF/XML's extension; ``xml`` names it too); TriG keeps the named graphs.
QUAD_DUMPS = (formats.TRIG,)
DUMPS = (formats.TURTLE, formats.N_TRIPLES, formats.JSON_LD, formats.RDF_XML, *QUAD_DUMPS)
FORMATS: dict[str, formats.Format] = {dump.key: dump for dump in DUMPS}


def canonical_quads(store: ox.Store) -> list[ox.Quad]:
    """Every quad with canonical blank-node labels, sorted by named graph so TriG writes each graph once."""
    dataset = ox.Dataset(store)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=lambda quad: (str(quad.graph_name), str(quad)))


def export_bytes(store: ox.Store, fmt: str) -> bytes:
    """The published graph of a store as one dump (``fmt``: a key of a dump format, ``xml`` for RDF/XML too);
    triples, or quads for TriG."""
    try:
        dump = formats.by_key(fmt, DUMPS)
    except KeyError as error:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}") from error
    assert dump.rdf is not None
    quads = canonical_quads(store)
    if dump in QUAD_DUMPS:
        statements: list[ox.Quad] | list[ox.Triple] = quads
    else:
        statements = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    return serialize(statements, dump.rdf, PREFIXES)
