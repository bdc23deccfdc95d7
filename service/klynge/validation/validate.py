"""Check the published graph against the SHACL shapes (and, on request, HermiT): ``klynge validate``.

The shapes run over the published graph (sources plus materialised terms) with RDFS inference, so a fixture
is judged with the same vocabulary as the repository. Exit codes keep a broken fact apart from a broken
file: 0 valid, 1 violations or an inconsistent graph, 2 unreadable input or unusable arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import traceback
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
from rdflib.namespace import RDF, SH, XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Node

from klynge.graph.build import (
    FORMATS as RDF_SUFFIXES,
)
from klynge.graph.build import (
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    Source,
    SourceError,
    default_sources,
    graph_name,
    load_published,
    materialise,
    parse_file,
    sources,
)
from klynge.graph.statistics import STATISTICS_GRAPH
from klynge.resources import ASSET_DIRS, asset_files, asset_root, checkout_around
from klynge.validation.lines import Locations, Term, display_path, parse_located
from klynge.validation.repeats import repeat_problems
from klynge.validation.report import FORMATS, Findings, Violation, compact, render, violations
from klynge.validation.scratch import Scratch, ScratchError, cleaned_up
from klynge.validation.vocabulary import Checker, Problem, uses_in_file, uses_in_quads


class ShapesError(Exception):
    """The shapes cannot be used: pySHACL refused them, or a SPARQL constraint does not parse."""


@dataclass(frozen=True)
class ValidationResult:
    """The shapes' verdict on one graph: whether it conforms, the SHACL report, and its readable form."""

    conforms: bool
    graph: Graph
    violations: tuple[Violation, ...]
    text: str
    shapes: Graph


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


def to_oxigraph(term: Node) -> Term:
    """An rdflib term of a report as the store's term, to look it up among the parsed statements."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))


class SourceLocator:
    """Names the file and line a result is about: the statement's own line where the parsed files hold it,
    else the line of the resource's first statement, else (for a store's graphs) the file it came from."""

    def __init__(self, store: ox.Store, sources: Iterable[Path], locations: Locations | None = None) -> None:
        self.store = store
        self.files: Mapping[ox.NamedNode, str] = {graph_name(path): display_path(path) for path in sources}
        self.locations = locations or Locations()

    def __call__(self, focus: Node, path: Node | None = None, value: Node | None = None) -> tuple[str, int]:
        term = oxigraph_term(focus)
        predicate = to_oxigraph(path) if isinstance(path, URIRef) else None
        where = self.locations.statement(term, predicate, to_oxigraph(value) if value is not None else None)
        if where is not None:
            return where.file, where.line
        stated = self._files(self.store.quads_for_pattern(term, None, None))
        if stated:
            return stated, 0
        mention = self.locations.mention(term)  # a resource no file describes: where it is pointed at
        if mention is not None:
            return mention.file, mention.line
        return self._files(self.store.quads_for_pattern(None, None, term)), 0

    def _files(self, quads: Iterable[ox.Quad]) -> str:
        graphs = sorted({quad.graph_name for quad in quads} - {INFERRED_GRAPH, STATISTICS_GRAPH}, key=str)
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
    return not found, report_graph(found, shapes)


def validate_store(
    store: ox.Store,
    shapes_paths: Iterable[Path] | None = None,
    sources: Iterable[Path] | None = None,
    engine: str = "pyshacl",
    locations: Locations | None = None,
) -> ValidationResult:
    """Run the SHACL shapes (default: ``shapes/*.ttl``) over a store's published graph.

    ``sources`` are the files the store was built from, so the report can name them (default: the
    repository's files), and ``locations`` where in them each statement was written. ``engine`` is
    ``pyshacl`` (with RDFS inference) or ``sparql`` (compiled to SPARQL, for large graphs). Raises
    SourceError if a shapes file cannot be parsed and ShapesError if the shapes cannot be used.
    """
    shapes = load_shapes(shapes_paths)
    if next(iter(store.quads_for_pattern(None, None, None)), None) is None:
        text = (
            "The graph is empty, so it does not conform: a klynge graph has at least the ontology "
            "(a store left by an interrupted 'klynge load'?).\n"
        )
        return ValidationResult(conforms=False, graph=Graph(), violations=(), text=text, shapes=shapes)
    conforms, report = (sparql_report if engine == "sparql" else pyshacl_report)(store, shapes)
    locate = SourceLocator(store, default_sources() if sources is None else sources, locations)
    found = tuple(violations(report, locate))
    return ValidationResult(conforms=bool(conforms), graph=report, violations=found, text=render(found), shapes=shapes)


# -- What to validate --------------------------------------------------------------------------------------------


@dataclass
class Sources:
    """The files of one run: the graph's sources (ontology first), the shapes, and the queries (vocabulary only)."""

    graph: list[Path]
    shapes: list[Path]
    queries: list[Path]

    @classmethod
    def repository(cls, root: Path | None = None) -> Sources:
        """The files of the checkout ``root`` (default: the installed package's)."""
        return cls(default_sources(root), asset_files("shapes", root=root), asset_files("queries", "*.rq", root))

    def add(self, files: Iterable[Path]) -> None:
        """Put files in, each replacing the repository file of the same folder and name (its changed version).

        A file in a folder named ``shapes`` is a shapes file and a ``.rq`` file a query; any other is a source
        of the graph.
        """
        for path in files:
            kind = self.queries if path.suffix == ".rq" else self.shapes if path.parent.name == "shapes" else self.graph
            self.remove([path])
            kind.append(path)

    def remove(self, files: Iterable[Path]) -> None:
        """Take out the repository files with these folders and names (files a change deletes)."""
        gone = {_key(path) for path in files} | {path.resolve() for path in files}
        for kind in (self.graph, self.shapes, self.queries):
            kind[:] = [p for p in kind if _key(p) not in gone and p.resolve() not in gone]


def _key(path: Path) -> tuple[str, str]:
    return path.parent.name, path.name


def context_sources(files: list[Path], only: bool = False, root: Path | None = None) -> Sources:
    """What to validate: the repository (the checkout ``root``, default the installed one) with the given files
    put in, or (``only``) the files with the ontology."""
    if only:
        sources = Sources(asset_files("ontology", root=root), asset_files("shapes", root=root), [])
    else:
        sources = Sources.repository(root)
    sources.add(files)
    return sources


def changed_files(revision: str) -> tuple[list[Path], list[Path]]:
    """The RDF and query files that differ from a git revision (untracked ones included), and those deleted.

    ``.xml`` files are left out: in a checkout they are far more often reports than RDF/XML sources.

    Raises ValueError with git's complaint when the revision or the repository cannot be used.
    """

    def git(*args: str) -> list[str]:
        try:
            done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise ValueError("--changed needs git, which is not installed") from None
        if done.returncode != 0:
            raise ValueError(done.stderr.strip() or f"git {' '.join(args)} failed")
        return [line for line in done.stdout.splitlines() if line]

    top = Path(git("rev-parse", "--show-toplevel")[0])
    git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    changed = git("diff", "--name-only", "--diff-filter=d", revision, "--")
    changed += git("ls-files", "--others", "--exclude-standard", "--full-name", ":/")
    deleted = git("diff", "--name-only", "--diff-filter=D", revision, "--")
    wanted = {*RDF_SUFFIXES, ".rq"} - {".xml"}  # reports such as JUnit's are .xml; RDF/XML is .rdf or .owl
    keep = sorted({top / name for name in changed if Path(name).suffix.lower() in wanted})
    return keep, sorted({top / name for name in deleted if Path(name).suffix.lower() in wanted})


BIG_FILE = 8 * 2**20  # larger files (bulk data) are located by file only: a line index would cost gigabytes
ON_DISK = 8 * 2**20  # bytes: files larger in all are built into a store on disk (EU27 took 7.5 GiB in memory)


@dataclass
class ReadGraph:
    """The published graph of a run's files, where each statement was written, and the files that failed.
    When the files are large the store is on disk in ``scratch``, a temporary folder that close() removes."""

    store: ox.Store
    errors: list[SourceError]
    locations: Locations
    located: dict[Path, tuple[list[ox.Quad], list[int]]]
    scratch: Scratch | None = None

    def close(self) -> None:
        """Let go of the store and remove its folder, if it is on disk (a no-op for a store in memory)."""
        if self.scratch is not None:
            self.store = ox.Store()  # the store on disk must be closed before its folder can go
            self.scratch.remove()


def on_disk(paths: Iterable[Path]) -> bool:
    """Whether files are too large to build their graph in memory (ON_DISK bytes in all, or one of BIG_FILE)."""
    sizes = [path.stat().st_size for path in paths if path.is_file()]
    return sum(sizes) > ON_DISK or any(size > BIG_FILE for size in sizes)


def read_located(paths: Iterable[Path], scratch: Path | None = None) -> ReadGraph:
    """Parse every file keeping its lines, then build the published graph unless a file could not be read
    (then it is not judged).

    Large files (ON_DISK in all) take ``klynge load``'s road: a store on disk in a temporary folder under
    ``scratch`` (default: the system's), the stated quads and their entailments written in one bulk write, the
    files above BIG_FILE streamed from the file and located by file only, so memory stays flat however large
    they are. The caller closes the result, which removes that folder; on an error here it is removed before
    the error leaves. ScratchError: the folder cannot be made or written.
    """
    paths = list(paths)
    room = Scratch(scratch) if on_disk(paths) else None
    read = ReadGraph(ox.Store(), [], Locations(), {}, room)
    try:
        if room is not None:
            read.store = ox.Store(str(room.make() / "store"))  # large non-N-Triples files are rewritten beside it
        _fill(read, paths)
    except BaseException as error:
        traceback.clear_frames(error.__traceback__)  # their references to the store would keep it open
        read.close()
        if isinstance(error, OSError) and room is not None:  # the engine's writes, or the files' beside it
            raise room.failed(error) from None
        raise
    return read


def _fill(read: ReadGraph, paths: list[Path]) -> None:
    """Read the files into the store: the small ones first, each parsed with its lines (a syntax error there
    stops the run before the large ones, which take minutes, are read); then, if every one could be read, the
    published graph. In memory: the quads added, then materialised. On disk, as ``klynge load`` builds a store
    (``disk_store.build``'s two steps): ``sources`` streams the large files (read from the file at each pass),
    and ``load_published`` writes the stated quads and what they entail in one bulk write."""
    bulk = [path for path in paths if path.is_file() and path.stat().st_size > BIG_FILE]
    for path in (path for path in paths if path not in bulk):
        try:
            quads, lines = parse_located(path)
        except SourceError as error:
            read.errors.append(error)
            continue
        read.locations.add(display_path(path), quads, lines)
        read.located[path] = (quads, lines)
    if read.errors:
        return
    stated = [quad for quads, _ in read.located.values() for quad in quads]
    if read.scratch is None or read.scratch.folder is None:
        read.store.extend(stated)
        materialise(read.store, described=False)  # validation reads no VoID statistics
        return
    try:
        load_published(read.store, [Source(lambda: stated), *sources(bulk, read.scratch.folder)])
    except SourceError as error:
        if read.scratch.names(error.message):
            raise read.scratch.failed(OSError(error.message)) from None
        read.errors.append(error)


def locate_files(paths: Iterable[Path]) -> Locations:
    """Where the statements of the files were written, for a store built from them (its blank nodes have other
    labels, so only statements between IRIs and literals are found; the rest is located by file)."""
    locations = Locations()
    for path in paths:
        if path.is_file() and path.stat().st_size <= BIG_FILE:
            quads, lines = parse_located(path)
            locations.add(display_path(path), quads, lines)
    return locations


def vocabulary_problems(read: ReadGraph, sources: Sources) -> list[Problem]:
    """The closed-world vocabulary check of every file of the run (bulk files aside), against its ontology."""
    checker = Checker(read.store.quads_for_pattern(None, None, None, ONTOLOGY_GRAPH))
    uses = [
        use for path, (quads, lines) in read.located.items() for use in uses_in_quads(display_path(path), quads, lines)
    ]
    for path in sources.shapes + sources.queries:
        uses += uses_in_file(path)
    return checker.check(uses)


def shape_cases(store: ox.Store, shapes: Graph) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """Each node shape's focus nodes in the store, and the node shape of each property shape and SPARQL
    constraint: what JUnit needs for one test case per shape and focus node."""

    def nodes(subject: ox.Term | None, predicate: ox.NamedNode, obj: ox.Term | None, pick: str) -> set[str]:
        quads = store.quads_for_pattern(subject, predicate, obj)
        return {compact(rdflib_term(getattr(quad, pick))) for quad in quads}

    rdf_type = ox.NamedNode(str(RDF.type))
    targets: dict[str, set[str]] = {}
    for shape, link, target in shapes.triples((None, None, None)):
        if link not in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            continue
        term = to_oxigraph(target)
        if link == SH.targetClass:
            found = nodes(None, rdf_type, term, "subject")
        elif link == SH.targetNode:
            found = {compact(target)}
        elif link == SH.targetSubjectsOf:
            found = nodes(None, term, None, "subject")
        else:
            found = nodes(None, term, None, "object")
        targets.setdefault(compact(shape), set()).update(found)
    parents = {
        compact(child): compact(shape)
        for link in (SH.property, SH.sparql)
        for shape, child in shapes.subject_objects(link)
    }
    return {shape: frozenset(focuses) for shape, focuses in targets.items()}, parents


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge validate``."""
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="RDF (or .rq) files to check in context: the repository's graph with these files put in, each "
        "replacing the repository file of the same folder and name (default: the repository as it is)",
    )
    parser.add_argument(
        "--only", action="store_true", help="check the FILEs together with the ontology only, without the data"
    )
    parser.add_argument(
        "--changed",
        nargs="?",
        const="HEAD",
        metavar="REV",
        help="check the files that differ from git revision REV (default HEAD; untracked files count), in context",
    )
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="text",
        help="text (default), json, junit (JUnit XML for CI dashboards) or github (annotations on the lines)",
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
        help="pyshacl (the reference; default for files of up to 8 MB in all) or sparql (the shapes compiled to "
        "SPARQL and run in the store: the same results, in seconds on millions of triples; default with --store "
        "and for larger files)",
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        metavar="DIR",
        help="where files of more than 8 MB in all are built into a temporary store on disk, as 'klynge load' "
        "builds one, removed afterwards (default: the TMPDIR variable, else /tmp; EU27 needs about 4 GB)",
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


def _usage_error(args: argparse.Namespace) -> str | None:
    if args.report is not None and not args.report.parent.is_dir():
        return f"cannot write the report to {args.report}: folder {args.report.parent} does not exist"
    if args.store is not None and (args.files or args.changed):
        return f"give either {'FILES' if args.files else '--changed'} or --store DIR, not both"
    if args.store is not None:
        from klynge.engines.disk_store import StoreError, require_complete

        try:
            require_complete(args.store, "validate")
        except StoreError as error:
            return str(error)
    if args.scratch is not None and not args.scratch.is_dir():
        return f"--scratch {args.scratch} is not a folder; give an existing folder for the temporary store"
    if args.scratch is not None and args.store is not None:
        return "--scratch is where files are built into a store; with --store nothing is built"
    if args.only and (args.changed or not args.files):
        return "--only needs FILES (it checks them with the ontology alone)"
    return None


def working_repository() -> Path | None:
    """The checkout to validate: the klynge repository around the working directory (None: the installed one's
    graph), said on stderr when it is not the one klynge runs from, so a run never checks another silently."""
    here = checkout_around(Path.cwd())
    if here is None:
        print(
            f"klynge validate: no klynge repository ({', '.join(d + '/' for d in ASSET_DIRS)}) in {Path.cwd()} or "
            f"above: checking the graph installed with klynge, {asset_root()}",
            file=sys.stderr,
        )
    elif here != asset_root():
        print(f"klynge validate: checking the repository in the working directory, {here}", file=sys.stderr)
    return here


def _gather(args: argparse.Namespace) -> tuple[Sources, ReadGraph | None] | int:
    """The run's files and their graph (None with --store), or an exit code when they cannot be had."""
    root = working_repository()
    if args.store is not None:
        return Sources.repository(root), None
    files = list(args.files)
    deleted: list[Path] = []
    if args.changed:
        try:
            changed, deleted = changed_files(args.changed)
        except ValueError as error:
            return _error(f"--changed {args.changed}: {error}")
        if not changed and not deleted:
            print(f"No RDF or query file differs from {args.changed}: nothing to check.", file=sys.stderr)
            return 0
        names = ", ".join(display_path(path) for path in changed + deleted)
        print(f"Checking the files that differ from {args.changed}, in context: {names}", file=sys.stderr)
        files += changed
    sources = context_sources(files, args.only, root)
    sources.remove(deleted)
    try:
        read = read_located(sources.graph, args.scratch)
    except ScratchError as error:
        return _error(str(error))
    for failed in read.errors:
        print(f"error: {failed}", file=sys.stderr)
    if read.errors:
        read.close()
        return 2
    return sources, read


def run(args: argparse.Namespace) -> int:
    """Validate and print the report; the exit code says valid (0), violations (1) or unusable input (2).
    A temporary store on disk is removed at the end, also on an error, Ctrl-C, SIGTERM or SIGHUP."""
    problem = _usage_error(args)
    if problem:
        return _error(problem)
    with cleaned_up():
        gathered = _gather(args)
        if isinstance(gathered, int):
            return gathered
        sources, read = gathered
        try:
            return _judge(args, sources, read)
        finally:
            if read is not None:
                read.close()


def _judge(args: argparse.Namespace, sources: Sources, read: ReadGraph | None) -> int:
    """Run the checks on the run's graph (``read``, or with --store the store on disk) and print the report."""
    if read is None:
        store, locations, problems = ox.Store.read_only(str(args.store)), locate_files(sources.graph), []
    else:
        store, locations = read.store, read.locations
    large = args.store is not None or (read is not None and read.scratch is not None)
    engine = args.engine or ("sparql" if large else "pyshacl")
    try:
        if read is not None:
            problems = vocabulary_problems(read, sources) + repeat_problems(read.located, display_path)
        result = validate_store(store, sources.shapes, sources.graph, engine, locations)
    except SourceError as error:
        return _error(f"the shapes cannot be read: {error}")
    except ShapesError as error:
        return _error(f"the shapes cannot be used: {error}")
    targets, parents = shape_cases(store, result.shapes) if args.format == "junit" else ({}, {})
    findings = Findings(tuple(problems), result.violations, targets, parents)
    print(FORMATS[args.format](findings), end="")
    if args.report is not None:
        try:
            result.graph.serialize(destination=args.report, format="turtle")
        except OSError as error:
            return _error(f"cannot write the report to {args.report}: {error.strerror}")
    status = 0 if result.conforms and not problems else 1
    if args.reason:
        status = reason(store) or status
    return status
