"""The ``klynge`` command: one sub-command per job, each implemented by the module that owns that job.

A sub-command's module exposes ``configure(parser)`` (its arguments) and ``run(args) -> int`` (its exit
code). Only the module of the command being run is imported, so ``klynge validate`` does not pay for the
web stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("klynge.validation.validate", "check the graph with the SHACL shapes (and HermiT with --reason)"),
    "diff": ("klynge.graph.diff", "show what a change does to the graph: statements added, removed, changed"),
    "export": ("klynge.graph.export", "write the published graph as Turtle, N-Triples, JSON-LD, RDF/XML or TriG"),
    "serve": ("klynge.web.serve", "serve the graph: SPARQL endpoint, REST API, linked data and pages"),
    "load": ("klynge.engines.load", "bulk-load RDF files into an on-disk store or a remote SPARQL store"),
    "synth": ("klynge.graph.synth", "stream a synthetic EU-scale graph for benchmarks"),
    "publish": ("klynge.graph.publish", "write the static site: pages, Turtle, JSON-LD, dumps, catalogue, rewrites"),
    "release": ("klynge.commands.release", "cut a release: bump the version, record it in releases/, write its notes"),
}


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The parser, with the full arguments of ``command`` (only that module is imported)."""
    parser = argparse.ArgumentParser(prog="klynge", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, summary) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=summary, description=summary)
        if name == command:
            importlib.import_module(module_name).configure(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the chosen sub-command; its return value is the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
