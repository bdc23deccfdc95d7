"""Check the published graph against the SHACL shapes (and, on request, HermiT): ``klynge validate``.

The shapes run over the published graph (sources plus materialised terms) with RDFS inference, so a fixture
is judged with the same vocabulary as the repository. Exit codes keep a broken fact apart from a broken
file: 0 valid, 1 violations or an inconsistent graph, 2 unreadable input or unusable arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
from pyparsing import ParseBaseException
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Node

from klynge.graph.build import (
    INFERRED_GRAPH,
    SourceError,
    default_sources,
    graph_name,
    load,
    materialise,
    parse_file,
)
from klynge.resources import asset_files
from klynge.validation.report import Violation, render, violations


class ShapesError(Exception):
    """The shapes cannot be used: pySHACL refused them, or a SPARQL constraint does not parse."""


@dataclass(frozen=True)
class ValidationResult:
    """The shapes' verdict on one graph: whether it conforms, the SHACL report, and its readable form."""

    conforms: bool
    graph: Graph
    violations: tuple[Violation, ...]
    text: str


def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """A pyoxigraph term as the rdflib term pySHACL needs; blank-node labels are kept for tracing results."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = URIRef(term.datatype.value)
    return Literal(term.value) if datatype == XSD.string else Literal(term.value, datatype=datatype)


def oxigraph_term(term: Node) -> ox.NamedNode | ox.BlankNode:
    """The store's term for a focus node of the report (always an IRI or a blank node)."""
    return ox.NamedNode(str(term)) if isinstance(term, URIRef) else ox.BlankNode(str(term))


@lru_cache(maxsize=256)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


class PreparedQueryGraph(Graph):
    """An rdflib graph that parses each distinct SPARQL text once.

    pySHACL sends a SPARQL constraint's text anew for every focus node, with only the bindings changing;
    parsing it each time made validation grow by a tenth of a second per focus node.
    """

    def query(self, query_object: str | Query, *args: Any, **kwargs: Any) -> Result:
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


def to_rdflib(statements: Iterable[ox.Quad] | Iterable[ox.Triple]) -> Graph:
    """Triples, or the union of a store's graphs, as one rdflib graph."""
    graph = PreparedQueryGraph()
    for statement in statements:
        graph.add((rdflib_term(statement.subject), rdflib_term(statement.predicate), rdflib_term(statement.object)))
    return graph


def load_shapes(paths: Iterable[Path] | None = None) -> Graph:
    """The shapes graph (by default every file in ``shapes/``); a syntax error raises SourceError."""
    files = asset_files("shapes") if paths is None else paths
    return to_rdflib(quad for path in files for quad in parse_file(path))


def _display(path: Path) -> str:
    """A file name relative to the working directory when it lies below it, as people type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class SourceLocator:
    """Names the file that stated a resource, from the named graph its triples came from."""

    def __init__(self, store: ox.Store, sources: Iterable[Path]) -> None:
        self.store = store
        self.files: Mapping[ox.NamedNode, str] = {graph_name(path): _display(path) for path in sources}

    def __call__(self, focus: Node) -> str:
        term = oxigraph_term(focus)
        stated = self._files(self.store.quads_for_pattern(term, None, None))
        if stated:
            return stated
        mentioned = self._files(self.store.quads_for_pattern(None, None, term))
        return f"not described; mentioned in {mentioned}" if mentioned else "not described in any file"

    def _files(self, quads: Iterable[ox.Quad]) -> str:
        graphs = sorted({quad.graph_name for quad in quads} - {INFERRED_GRAPH}, key=str)
        return ", ".join(self.files.get(graph, str(graph)) for graph in graphs)


ENGINES = ("pyshacl", "sparql")


def pyshacl_report(store: ox.Store, shapes: Graph) -> tuple[bool, Graph]:
    """pySHACL with RDFS inference over a copy of the store in rdflib: the reference, for small graphs."""
    try:
        conforms, report, _ = pyshacl.validate(
            to_rdflib(store), shacl_graph=shapes, inference="rdfs", inplace=True, allow_warnings=False
        )
    except ReportableRuntimeError as error:
        raise ShapesError(error.message) from None
    except ParseBaseException as error:
        raise ShapesError(f"a SPARQL constraint does not parse: {error}") from None
    return bool(conforms), report


def sparql_report(store: ox.Store, shapes: Graph) -> tuple[bool, Graph]:
    """The shapes compiled to SPARQL and run in the store itself: the same results, fast on large graphs.

    The store already holds the entailments that pySHACL's RDFS inference would add (see klynge.graph.build).
    """
    from klynge.validation.shacl_sparql import UnsupportedShape, compile_shapes, report_graph, run_checks

    try:
        found = run_checks(store, compile_shapes(shapes))
    except UnsupportedShape as error:
        raise ShapesError(f"{error}; validate with --engine pyshacl") from None
    except SyntaxError as error:
        raise ShapesError(f"a SPARQL constraint does not parse: {error}") from None
    return not found, report_graph(found)


def validate_store(
    store: ox.Store,
    shapes_paths: Iterable[Path] | None = None,
    sources: Iterable[Path] | None = None,
    engine: str = "pyshacl",
) -> ValidationResult:
    """Run the SHACL shapes (default: ``shapes/*.ttl``) over a store's published graph.

    ``sources`` are the files the store was built from, so the report can name them (default: the
    repository's files). ``engine`` is ``pyshacl`` (with RDFS inference) or ``sparql`` (compiled to SPARQL,
    for large graphs). Raises SourceError if a shapes file cannot be parsed and ShapesError if the shapes
    cannot be used.
    """
    shapes = load_shapes(shapes_paths)
    if next(iter(store.quads_for_pattern(None, None, None)), None) is None:
        text = (
            "The graph is empty, so it does not conform: a klynge graph has at least the ontology "
            "(a store left by an interrupted 'klynge load'?).\n"
        )
        return ValidationResult(conforms=False, graph=Graph(), violations=(), text=text)
    conforms, report = (sparql_report if engine == "sparql" else pyshacl_report)(store, shapes)
    locate = SourceLocator(store, default_sources() if sources is None else sources)
    found = tuple(violations(report, locate))
    return ValidationResult(conforms=bool(conforms), graph=report, violations=found, text=render(found))


def sources_for(files: list[Path]) -> list[Path]:
    """What to validate: the repository by default, else the given files together with the ontology."""
    if not files:
        return default_sources()
    ontology = asset_files("ontology")
    given = {path.resolve() for path in files}
    return [path for path in ontology if path.resolve() not in given] + files


def read_store(paths: Iterable[Path]) -> tuple[ox.Store, list[SourceError]]:
    """The published graph of the files, and every file that could not be read (then the store is partial)."""
    store = ox.Store()
    errors = []
    for path in paths:
        try:
            load(store, [path])
        except SourceError as error:
            errors.append(error)
    if not errors:
        materialise(store)
    return store, errors


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge validate``."""
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="RDF files to check together with the ontology (default: the repository's ontology and data)",
    )
    parser.add_argument("--report", type=Path, metavar="FILE", help="also write the SHACL validation report as Turtle")
    parser.add_argument("--reason", action="store_true", help="also run the HermiT consistency check (needs Java)")
    parser.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="check an on-disk store built by 'klynge load' instead of files (implies --engine sparql)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="pyshacl (the reference; default for files) or sparql (the shapes compiled to SPARQL and run in "
        "the store: the same results, in seconds on millions of triples; default with --store)",
    )


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def reason(store: ox.Store) -> int | None:
    """HermiT's verdict printed; 1 if inconsistent, 2 if it cannot run, None if consistent."""
    try:
        from klynge.validation.reasoning import ReasonerUnavailable, check_consistency
    except ImportError as error:
        return _error(f"--reason needs klynge.validation.reasoning (HermiT via owlready2), which is missing: {error}")
    try:
        result = check_consistency(store)
    except ReasonerUnavailable as error:
        return _error(str(error))
    print(result)
    return None if result.ok else 1


def run(args: argparse.Namespace) -> int:
    """Validate and print the report; the exit code says valid (0), violations (1) or unusable input (2)."""
    if args.report is not None and not args.report.parent.is_dir():
        return _error(f"cannot write the report to {args.report}: folder {args.report.parent} does not exist")
    if args.store is not None:
        if args.files:
            return _error("give either FILES or --store DIR, not both")
        from klynge.engines.load import StoreError, require_complete

        try:
            require_complete(args.store, "validate")
        except StoreError as error:
            return _error(str(error))
        paths, store = default_sources(), ox.Store.read_only(str(args.store))
    else:
        paths = sources_for(args.files)
        store, errors = read_store(paths)
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        if errors:
            return 2
    engine = args.engine or ("sparql" if args.store is not None else "pyshacl")
    try:
        result = validate_store(store, sources=paths, engine=engine)
    except SourceError as error:
        return _error(f"the shapes cannot be read: {error}")
    except ShapesError as error:
        return _error(f"the shapes cannot be used: {error}")
    print(result.text, end="")
    if args.report is not None:
        try:
            result.graph.serialize(destination=args.report, format="turtle")
        except OSError as error:
            return _error(f"cannot write the report to {args.report}: {error.strerror}")
    status = 0 if result.conforms else 1
    if args.reason:
        status = reason(store) or status
    return status
