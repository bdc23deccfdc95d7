"""``klynge export``: build the published graph and write it as one dump (``klynge.rdf.dumps`` writes the bytes,
the same on every run, which the web server's ``/dumps`` reuse)."""

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
