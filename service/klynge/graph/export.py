"""Write the published graph as a dump: the same bytes on every run, in five RDF syntaxes.

Diffs between releases and cache validators on ``/dumps/klynge.{ext}`` only work if an unchanged graph
gives an unchanged file, so blank nodes get canonical labels (RDFC-1.0) and every triple or quad is written
in sorted order. ``export_bytes`` is what the web server reuses; ``run`` is ``klynge export``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from klynge.graph.build import SourceError, build_store
from klynge.namespaces import PREFIXES


@dataclass(frozen=True)
class DumpFormat:
    """How one dump is written and served."""

    rdf_format: ox.RdfFormat
    media_type: str
    quads: bool = False


FORMATS: dict[str, DumpFormat] = {
    "ttl": DumpFormat(ox.RdfFormat.TURTLE, "text/turtle"),
    "nt": DumpFormat(ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    "jsonld": DumpFormat(ox.RdfFormat.JSON_LD, "application/ld+json"),
    "xml": DumpFormat(ox.RdfFormat.RDF_XML, "application/rdf+xml"),
    "trig": DumpFormat(ox.RdfFormat.TRIG, "application/trig", quads=True),
}



def canonical_quads(store: ox.Store) -> list[ox.Quad]:
    """Every quad with canonical blank-node labels, sorted by named graph so TriG writes each graph once."""
    dataset = ox.Dataset(store)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=lambda quad: (str(quad.graph_name), str(quad)))


def export_bytes(store: ox.Store, fmt: str) -> bytes:
    """The published graph of a store as one dump (``fmt``: a key of FORMATS); triples, or quads for TriG."""
    try:
        dump = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    quads = canonical_quads(store)
    if dump.quads:
        statements: list[ox.Quad] | list[ox.Triple] = quads
    else:
        statements = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    return ox.serialize(statements, format=dump.rdf_format, prefixes=PREFIXES)


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge export``."""
    parser.add_argument("--format", choices=list(FORMATS), default="ttl", help="RDF syntax (default: ttl)")
    parser.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    """Build the repository's published graph and write it; 2 if a source or the output cannot be used."""
    if args.out is not None and not args.out.parent.is_dir():
        print(f"error: cannot write {args.out}: folder {args.out.parent} does not exist", file=sys.stderr)
        return 2
    try:
        data = export_bytes(build_store(), args.format)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        args.out.write_bytes(data)
    except OSError as error:
        print(f"error: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 2
    return 0
