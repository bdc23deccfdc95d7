"""The ``klynge`` command: one sub-command per job, each implemented by the module that owns that job.

A sub-command's module exposes ``configure(parser)`` (its arguments) and ``run(args) -> int`` (its exit
code). Only the module of the command being run is imported, so ``klynge validate`` does not pay for the
web stack.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("klynge.validation.validate", "check the graph with the SHACL shapes (and HermiT with --reason)"),
    "diff": ("klynge.commands.diff", "show what a change does to the graph: statements added, removed, changed"),
    "export": ("klynge.commands.export", "write the published graph as Turtle, N-Triples, JSON-LD, RDF/XML or TriG"),
    "serve": ("klynge.web.serve", "serve the graph: SPARQL endpoint, REST API, linked data and pages"),
    "load": ("klynge.commands.load", "bulk-load RDF files into an on-disk store or a remote SPARQL store"),
    "synth": ("klynge.commands.synth", "stream a synthetic EU-scale graph for benchmarks"),
    "publish": ("klynge.commands.publish", "write the static site: pages, Turtle, JSON-LD, dumps, catalogue, rewrites"),
    "release": ("klynge.commands.release", "cut a release: bump the version, record it in releases/, write its notes"),
}
DESCRIPTION = (
    "klynge: the knowledge graph of Danish cluster and innovation policy, and its query service. "
    "Run `klynge COMMAND --help` for a command's options."
)


class Parser(argparse.ArgumentParser):
    """The top-level parser, which keeps its sub-commands' parsers (``commands``) for their usage lines."""

    commands: dict[str, argparse.ArgumentParser]


def build_parser(command: str | None) -> Parser:
    """The parser, with the full arguments of ``command`` (only that module is imported)."""
    parser = Parser(prog="klynge", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.commands = sub.choices
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
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        refuse_unknown(parser, args.command, unknown)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130


def refuse_unknown(parser: Parser, command: str | None, unknown: list[str]) -> None:
    """Exit 2 naming the arguments no option takes, with the command's own usage and the options closest to a
    mistyped one (``--fromat`` -> ``--format``); argparse alone prints the top-level usage and no suggestion."""
    target = parser.commands.get(command or "", parser)
    options = [option for action in target._actions for option in action.option_strings]
    hints = []
    for word in unknown:
        flag = word.split("=", 1)[0]
        if flag.startswith("-") and (close := difflib.get_close_matches(flag, options, n=1, cutoff=0.6)):
            hints.append(f"did you mean {close[0]} (not {flag})?")
    target.error("; ".join([f"unrecognized arguments: {' '.join(unknown)}", *hints]))


if __name__ == "__main__":
    sys.exit(main())
