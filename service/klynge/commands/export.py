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

from klynge.graph import tables
from klynge.graph.build import SourceError, build_store
from klynge.rdf.dumps import FORMATS, export_bytes


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge export``."""
    parser.add_argument(
        "--format",
        choices=[*FORMATS, "xml", "tables"],
        default="ttl",
        help="RDF syntax (default: ttl; rdf and xml: RDF/XML), or tables: CSV files and datapackage.json "
        "(a Frictionless Data Package) in the folder --out names",
    )
    parser.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    """Build the repository's published graph and write it; 2 if a source or the output cannot be used."""
    if args.format == "tables":
        return run_tables(args.out)
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


def run_tables(folder: Path | None) -> int:
    """``--format tables``: the data package in a folder (made if missing, beside files already there)."""
    if folder is None:
        print("error: --format tables writes several files: name a folder with --out DIR", file=sys.stderr)
        return 2
    if folder.exists() and not folder.is_dir():
        print(f"error: --out {folder} is a file; --format tables needs a folder", file=sys.stderr)
        return 2
    try:
        written = tables.write_package(build_store(), folder)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write the tables into {folder}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {len(written) - 1} tables and datapackage.json to {folder}", file=sys.stderr)
    return 0
