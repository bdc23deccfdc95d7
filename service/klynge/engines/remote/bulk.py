"""The published graph as an N-Quads file for a store's own loader, with what the store's dialect adds.

A store that loads by SPARQL Update gets the graph from ``klynge load --sparql-endpoint``; a large graph, or a
store that takes no update at all (QLever builds an index from files), loads faster by its own loader:
``klynge load --nquads FILE --dialect NAME`` writes the quads that store must hold (``Dialect.stored_quads``:
for Virtuoso the source files' graphs and the union graph it is sent as the default graph) and prints the
loader's command (``Dialect.bulk_load``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from klynge.engines.remote.dialect import Dialect
from klynge.graph.build import build_store, default_sources, published_quads


def write_nquads(quads: Sequence[ox.Quad], out: Path, dialect: Dialect) -> int:
    """Write the quads the dialect's store must hold to ``out``; how many were written."""
    stored = list(dialect.stored_quads(quads))
    with out.open("wb") as file:
        ox.serialize(stored, file, format=ox.RdfFormat.N_QUADS)
    return len(stored)


def bulk_file(files: Sequence[Path], out: Path, dialect: Dialect) -> str:
    """Build the published graph from the sources and ``files``, write it for the dialect's loader, and say
    what was written and which command loads it."""
    written = write_nquads(published_quads(build_store(default_sources() + list(files))), out, dialect)
    command = " ".join(dialect.bulk_load(out.resolve()))
    how = f"load it with: {command}" if command else "load it with the store's own loader"
    return f"wrote {written:,} quads for {dialect.name} to {out}; {how}"
