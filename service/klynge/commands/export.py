"""Write the published graph as a dump: the same bytes on every run, in five RDF syntaxes.

Diffs between releases and cache validators on ``/dumps/klynge.{ext}`` only work if an unchanged graph
gives an unchanged file, so blank nodes get canonical labels (RDFC-1.0) and every triple or quad is written
in sorted order. Turtle and TriG are written for people (no escaped local names), JSON-LD compacted with the
prefixes (``klynge.rdf.rdf_text``). ``klynge.rdf.dumps`` writes the bytes, which the web server reuses; ``run`` is
``klynge export``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from klynge.graph.build import SourceError, build_store
from klynge.rdf.dumps import FORMATS, export_bytes


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge export``."""
    parser.add_argument(
        "--format", choices=[*FORMATS, "xml"], default="ttl", help="RDF syntax (default: ttl; rdf and xml: RDF/XML)"
    )
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
