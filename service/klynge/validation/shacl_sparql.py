"""SHACL validation compiled to SPARQL and run on the Oxigraph store, for graphs too large for pySHACL.

pySHACL walks focus nodes one by one in Python; at EU scale (millions of triples) that takes many minutes.
Here each constraint of each shape becomes one SPARQL query that returns all of its violations at once, so
the engine does the scanning. The compiler covers the SHACL Core constraints klynge's shapes use, plus
SHACL-SPARQL constraints; a shape that uses anything else is refused at compile time (``UnsupportedShape``)
rather than silently skipped. Class targets and sh:class read rdf:type alone, without walking
rdfs:subClassOf: the stores klynge builds hold every entailed type (see klynge.graph.build), which is what pySHACL's
RDFS inference gives it too. A test proves the same results as pySHACL on the repository graph and on every
broken fixture.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node
from rdflib.util import from_n3

from klynge.rdf.namespaces import OWL, PREFIXES, XSD_BOOLEAN
from klynge.rdf.sparql_lexer import tokens

SH = Namespace(PREFIXES["sh"])
SIMPLE_PATH = re.compile(r"<[^<>]+>")
OWL_CLASS = URIRef(OWL.Class.value)

NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNode: "isBlank({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature the compiler does not translate (so it would be checked by no one)."""


@dataclass(frozen=True)
class Violation:
    """One validation result, with terms in N-Triples form so results compare across engines."""

    focus: str
    path: str | None
    value: str | None
    component: str
    shape: str
    message: str
    severity: str
    constraint: str | None = None


@dataclass(frozen=True)
class Check:
    """One compiled constraint: a SELECT returning ?this (and ?value) for every violation."""

    query: str
    shape: str
    component: str
    path: str | None
    message: str
    severity: str
    constraint: str | None = None
    targets: str | None = None  # the focus-node subquery inside ``query``, swapped for VALUES when small
    # The same check written to list the path's statements first and join the focus nodes after, for when they
    # stay a subquery (many of them): one scan of the path instead of a lookup per focus node.
    scan: str | None = None
    # A variable of ``query`` that is true on the rows that are this check's violations, when several checks
    # share one query (None: every row is a violation).
    flag: str | None = None


def sparql_term(node: Node) -> str:
    """An rdflib term as SPARQL text."""
    if isinstance(node, BNode):
        raise UnsupportedShape(f"a blank node ({node}) cannot be written into a query")
    return node.n3()


def sparql_path(shapes: Graph, path: Node) -> str:
    """A SHACL property path as a SPARQL property path."""
    if isinstance(path, URIRef):
        return path.n3()
    if (path, RDF.first, None) in shapes:
        return "(" + "/".join(sparql_path(shapes, step) for step in Collection(shapes, path)) + ")"
    for parameter, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = shapes.value(path, parameter)
        if inner is not None:
            return "(" + template.format(sparql_path(shapes, inner)) + ")"
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(sparql_path(shapes, step) for step in Collection(shapes, alternatives)) + ")"
    raise UnsupportedShape(f"unsupported property path {path}")


CLOSURES = (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath)
PATH_PARTS = (RDF.first, RDF.rest, SH.inversePath, SH.alternativePath, *CLOSURES)


def listable(shapes: Graph, path: Node) -> bool:
    """Whether a path's statements can be listed with neither end bound: not through a closure operator
    (``?x p* ?y`` holds for every node of the graph with itself)."""
    parts = [path]
    while parts:
        part = parts.pop()
        if any((part, closure, None) in shapes for closure in CLOSURES):
            return False
        parts += [o for p in PATH_PARTS for o in shapes.objects(part, p) if not isinstance(o, URIRef)]
    return True


# -- the constraint components: one registry, as pySHACL's ALL_CONSTRAINT_COMPONENTS ------------------------
# Each value test is a SPARQL expression that holds when the value node ``var`` conforms; ``value`` is the
# parameter's value in the shape.


def datatype_test(c: Compiler, shape: Node, value: Node, var: str) -> str:
    return f"(isLiteral({var}) && datatype({var}) = {sparql_term(value)})"


def node_kind_test(c: Compiler, shape: Node, value: Node, var: str) -> str:
    return NODE_KINDS[value].format(v=var)


def class_test(c: Compiler, shape: Node, value: Node, var: str) -> str:
    return f"EXISTS {{ {var} a {sparql_term(value)} }}"


def pattern_test(c: Compiler, shape: Node, value: Node, var: str) -> str:
    flags = c.shapes.value(shape, SH.flags)
    flag_text = f", {Literal(str(flags)).n3()}" if flags else ""
    return f"(!isBlank({var}) && REGEX(STR({var}), {Literal(str(value)).n3()}{flag_text}))"


def language_in_test(c: Compiler, shape: Node, value: Node, var: str) -> str:
    tags = " || ".join(f'LANGMATCHES(LANG({var}), "{tag}")' for tag in Collection(c.shapes, value))
    return f"(isLiteral({var}) && ({tags or 'false'}))"


def in_test(c: Compiler, shape: Node, value: Node, var: str) -> str:
    members = ", ".join(sparql_term(m) for m in Collection(c.shapes, value))
    return f"({var} IN ({members}))"


def comparison(operator: str) -> ValueTest:
    """sh:minInclusive and its kin: the value compared with the bound (an incomparable value fails)."""

    def test(c: Compiler, shape: Node, value: Node, var: str) -> str:
        return f"COALESCE({var} {operator} {sparql_term(value)}, false)"

    return test


def length(operator: str) -> ValueTest:
    """sh:minLength and sh:maxLength: the length of the value's string form (a blank node fails)."""

    def test(c: Compiler, shape: Node, value: Node, var: str) -> str:
        return f"(!isBlank({var}) && STRLEN(STR({var})) {operator} {int(value)})"

    return test


def members_test(joiner: str) -> ValueTest:
    """sh:or and sh:and: the member shapes' tests joined."""

    def test(c: Compiler, shape: Node, value: Node, var: str) -> str:
        return "(" + joiner.join(c.value_expression(m, var) for m in Collection(c.shapes, value)) + ")"

    return test


def not_test(c: Compiler, shape: Node, value: Node, var: str) -> str:
    return f"(!{c.value_expression(value, var)})"


def xone_test(c: Compiler, shape: Node, value: Node, var: str) -> str:
    ones = " + ".join(f"IF({c.value_expression(m, var)}, 1, 0)" for m in Collection(c.shapes, value))
    return f"(({ones}) = 1)"


def has_value_checks(c: Compiler, shape: Node, targets: str, path: str) -> Iterator[Check]:
    for required in c.shapes.objects(shape, SH.hasValue):
        missing = f"FILTER NOT EXISTS {{ ?this {path} {sparql_term(required)} }}"
        yield c.check(shape, "HasValue", path, f"SELECT ?this WHERE {{ {targets} {missing} }}", targets)


def unique_lang_checks(c: Compiler, shape: Node, targets: str, path: str) -> Iterator[Check]:
    if c.shapes.value(shape, SH.uniqueLang) == Literal(True):
        query = (
            f'SELECT ?this WHERE {{ {targets} ?this {path} ?v . FILTER(LANG(?v) != "") }} '
            "GROUP BY ?this (LANG(?v) AS ?lang) HAVING (COUNT(DISTINCT ?v) > 1)"
        )
        yield c.check(shape, "UniqueLang", path, query, targets)


ValueTest = Callable[["Compiler", Node, Node, str], str]
PathCheck = Callable[["Compiler", Node, str, str], Iterator[Check]]


@dataclass(frozen=True)
class Component:
    """A SHACL Core constraint component, by its parameter, and how it compiles: a ``test`` of one value node
    (combined into one query per shape), a ``count`` bound on the values along the path (the comparison that
    breaks it; ``qualified``: counting only those conforming to sh:qualifiedValueShape), or a ``check`` of the
    set of values along the path. ``shown``: the /shapes page lists it (klynge.validation.shapes_doc)."""

    parameter: URIRef
    name: str  # the component is sh:{name}ConstraintComponent
    test: ValueTest | None = None
    count: str | None = None
    qualified: bool = False
    check: PathCheck | None = None
    shown: bool = False


COMPONENTS = (
    Component(SH.datatype, "Datatype", test=datatype_test, shown=True),
    Component(SH.nodeKind, "NodeKind", test=node_kind_test, shown=True),
    Component(SH["class"], "Class", test=class_test, shown=True),
    Component(SH.pattern, "Pattern", test=pattern_test, shown=True),
    Component(SH.languageIn, "LanguageIn", test=language_in_test, shown=True),
    Component(SH["in"], "In", test=in_test, shown=True),
    Component(SH.minInclusive, "MinInclusive", test=comparison(">="), shown=True),
    Component(SH.maxInclusive, "MaxInclusive", test=comparison("<="), shown=True),
    Component(SH.minExclusive, "MinExclusive", test=comparison(">")),
    Component(SH.maxExclusive, "MaxExclusive", test=comparison("<")),
    Component(SH.minLength, "MinLength", test=length(">=")),
    Component(SH.maxLength, "MaxLength", test=length("<=")),
    Component(SH["or"], "Or", test=members_test(" || ")),
    Component(SH["and"], "And", test=members_test(" && ")),
    Component(SH["not"], "Not", test=not_test),
    Component(SH.xone, "Xone", test=xone_test),
    Component(SH.minCount, "MinCount", count="<", shown=True),
    Component(SH.maxCount, "MaxCount", count=">", shown=True),
    Component(SH.qualifiedMinCount, "QualifiedMinCount", count="<", qualified=True),
    Component(SH.qualifiedMaxCount, "QualifiedMaxCount", count=">", qualified=True),
    Component(SH.hasValue, "HasValue", check=has_value_checks, shown=True),
    Component(SH.uniqueLang, "UniqueLang", check=unique_lang_checks, shown=True),
)
VALUE_TESTS = {c.parameter: c for c in COMPONENTS if c.test is not None}
# The parameters that shape a component or only describe the shape: read where they are used, or not at all.
DESCRIBING = {
    RDF.type, RDFS.label, RDFS.comment, SH.path, SH.property, SH.message, SH.severity, SH.deactivated,
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.sparql, SH.flags,
    SH.qualifiedValueShape, SH.name, SH.description, SH.order, SH.group,
}  # fmt: skip
KNOWN = DESCRIBING | {c.parameter for c in COMPONENTS}
# The constraint parameters the /shapes page lists, by their local names.
SHOWN = frozenset(str(c.parameter).removeprefix(str(SH)) for c in COMPONENTS if c.shown)


class Compiler:
    """Turns the shapes of one shapes graph into Checks."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.prefixes = {str(p): str(n) for p, n in shapes.namespaces()}

    # -- value expressions: true when the value node conforms ------------------------------------------

    def value_expression(self, shape: Node, var: str) -> str:
        """A SPARQL expression that holds when ``var`` conforms to every value constraint of ``shape``."""
        unsupported = set(self.shapes.predicates(shape)) - KNOWN
        if unsupported or (shape, SH.property, None) in self.shapes or (shape, SH.sparql, None) in self.shapes:
            names = ", ".join(sorted(str(p) for p in unsupported)) or "nested property or SPARQL constraints"
            raise UnsupportedShape(f"shape {shape} uses {names} inside a value shape")
        parts = [
            self.parameter_expression(shape, parameter, var)
            for parameter in VALUE_TESTS
            if (shape, parameter, None) in self.shapes
        ]
        parts += [f"({var} = {sparql_term(v)})" for v in self.shapes.objects(shape, SH.hasValue)]
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def parameter_expression(self, shape: Node, parameter: URIRef, var: str) -> str:
        """A SPARQL expression for one value-testing constraint parameter of a shape (``VALUE_TESTS``)."""
        test = VALUE_TESTS[parameter].test
        assert test is not None
        return test(self, shape, self.shapes.value(shape, parameter), var)

    def reads_graph(self, shape: Node) -> bool:
        """Whether testing a value against ``shape`` looks the value up in the graph (sh:class), so that
        testing every value of a path costs more than testing the focus nodes' values alone."""
        if (shape, SH["class"], None) in self.shapes:
            return True
        members = [
            m
            for p in (SH["or"], SH["and"], SH.xone)
            for v in self.shapes.objects(shape, p)
            for m in Collection(self.shapes, v)
        ]
        return any(self.reads_graph(m) for m in [*members, *self.shapes.objects(shape, SH["not"])])

    def scans(self, shape: Node, tested: Node | None) -> bool:
        """Whether a check of ``shape``'s path may list the path's statements first, testing them against
        ``tested`` (the shape itself, or its qualified value shape): yes when the path can be listed and the test
        reads only the value."""
        path = self.shapes.value(shape, SH.path)
        cheap = tested is None or not self.reads_graph(tested)
        return path is not None and cheap and listable(self.shapes, path)

    # -- targets and checks -------------------------------------------------------------------------------

    def target_pattern(self, shape: Node) -> str | None:
        """A group pattern binding ?this to every focus node of a shape, or None if it has no targets."""
        branches = [f"{{ ?this a {sparql_term(c)} }}" for c in self.class_targets(shape)]
        branches += [f"{{ VALUES ?this {{ {sparql_term(n)} }} }}" for n in self.shapes.objects(shape, SH.targetNode)]
        branches += [f"{{ ?this {sparql_term(p)} [] }}" for p in self.shapes.objects(shape, SH.targetSubjectsOf)]
        branches += [f"{{ [] {sparql_term(p)} ?this }}" for p in self.shapes.objects(shape, SH.targetObjectsOf)]
        if not branches:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(branches) + " } }"

    def class_targets(self, shape: Node) -> list[Node]:
        """Explicit sh:targetClass values, plus the shape itself when it is also a class (implicit target)."""
        classes = list(self.shapes.objects(shape, SH.targetClass))
        if {(shape, RDF.type, RDFS.Class), (shape, RDF.type, OWL_CLASS)} & set(
            self.shapes.triples((shape, RDF.type, None))
        ):
            classes.append(shape)
        return classes

    def checks(self) -> Iterator[Check]:
        """Every check of every active shape that has targets (directly, or through its node shape)."""
        for shape in set(self.shapes.subjects(RDF.type, SH.NodeShape)) | set(
            self.shapes.subjects(SH.targetClass, None)
        ):
            if self.active(shape):
                yield from self.shape_checks(shape, self.target_pattern(shape))
        for shape in set(self.shapes.subjects(RDF.type, SH.PropertyShape)):
            own_targets = self.target_pattern(shape)
            if own_targets and self.active(shape):
                yield from self.shape_checks(shape, own_targets)

    def active(self, shape: Node) -> bool:
        return self.shapes.value(shape, SH.deactivated) != Literal(True)

    def shape_checks(self, shape: Node, targets: str | None) -> Iterator[Check]:
        """The checks of one shape for the focus nodes ``targets`` binds, and of its property shapes."""
        if targets is None:
            return
        path_node = self.shapes.value(shape, SH.path)
        path = sparql_path(self.shapes, path_node) if path_node is not None else None
        unsupported = set(self.shapes.predicates(shape)) - KNOWN
        if unsupported:
            names = ", ".join(sorted(str(p) for p in unsupported))
            raise UnsupportedShape(f"shape {shape} uses {names}, which klynge's SPARQL validator does not compile")
        yield from self.value_checks(shape, targets, path)
        if path:
            yield from self.path_checks(shape, targets, path)
        for sparql in self.shapes.objects(shape, SH.sparql):
            if self.active(sparql):
                yield self.sparql_check(shape, sparql, targets, path)
        for property_shape in self.shapes.objects(shape, SH.property):
            if self.active(property_shape):
                yield from self.shape_checks(property_shape, targets)

    def value_checks(self, shape: Node, targets: str, path: str | None) -> Iterator[Check]:
        """The value-node constraints of a shape, in one query that walks the values once: ``?fN`` is true
        where constraint N fails (and unbound where its test is an error, which SHACL does not count as a
        failure either). Its scan form tests every statement of the path and joins the few failures to the
        focus nodes."""
        tests = [
            (component.name, self.parameter_expression(shape, parameter, "?value"))
            for parameter, component in VALUE_TESTS.items()
            if (shape, parameter, None) in self.shapes
        ]
        if not tests:
            return
        binds = " ".join(f"BIND(!{test} AS ?f{n})" for n, (_, test) in enumerate(tests))
        failed = " || ".join(f"COALESCE(?f{n}, false)" for n in range(len(tests)))
        flags = " ".join(f"?f{n}" for n in range(len(tests)))
        values = f"?this {path} ?value ." if path else "BIND(?this AS ?value)"
        query = f"SELECT DISTINCT ?this ?value {flags} WHERE {{ {targets} {values} {binds} FILTER({failed}) }}"
        scan = None
        if self.scans(shape, shape):
            failures = f"{{ SELECT ?this ?value {flags} WHERE {{ {values} {binds} FILTER({failed}) }} }}"
            scan = f"SELECT DISTINCT ?this ?value {flags} WHERE {{ {failures} {targets} }}"
        for n, (name, _) in enumerate(tests):
            yield self.check(shape, name, path, query, targets, flag=f"f{n}", scan=scan)

    def count_checks(self, shape: Node, targets: str, path: str) -> Iterator[Check]:
        """The min/max counts of a shape, qualified or not, in one grouped query: ``?nN`` counts the values
        (those conforming to the qualified value shape, for a qualified count) and ``?fN`` says whether the
        count breaks bound N. One scan of the path serves every bound. The scan form counts every subject's
        values along the path first and joins the counts to the focus nodes (those without a value count 0)."""
        qualified = self.shapes.value(shape, SH.qualifiedValueShape)
        test = self.value_expression(qualified, "?v") if qualified is not None else None
        bounds = [
            (c.name, c.count, int(bound), test if c.qualified else None)
            for c in COMPONENTS
            if c.count is not None
            and (qualified is not None or not c.qualified)
            and (bound := self.shapes.value(shape, c.parameter)) is not None
        ]
        if not bounds:
            return
        counted = {test: n for n, test in enumerate(dict.fromkeys(test for *_, test in bounds))}

        def counts(prefix: str) -> str:
            return " ".join(
                f"(COUNT(DISTINCT {'?v' if test is None else f'IF({test}, ?v, ?none)'}) AS ?{prefix}{n})"
                for test, n in counted.items()
            )

        binds = " ".join(
            f"BIND(?n{counted[test]} {operator} {bound} AS ?f{n})"
            for n, (_, operator, bound, test) in enumerate(bounds)
        )
        flags = " ".join(f"?f{n}" for n in range(len(bounds)))
        tail = f"{binds} FILTER({' || '.join(f'?f{n}' for n in range(len(bounds)))}) }}"
        query = (
            f"SELECT ?this {flags} WHERE {{ "
            f"{{ SELECT ?this {counts('n')} WHERE {{ {targets} OPTIONAL {{ ?this {path} ?v }} }} GROUP BY ?this }} "
            + tail
        )
        scan = None
        if self.scans(shape, qualified):
            zeros = " ".join(f"BIND(COALESCE(?c{n}, 0) AS ?n{n})" for n in counted.values())
            scan = (
                f"SELECT ?this {flags} WHERE {{ {targets} "
                f"OPTIONAL {{ SELECT ?this {counts('c')} WHERE {{ ?this {path} ?v }} GROUP BY ?this }} {zeros} " + tail
            )
        for n, (name, *_) in enumerate(bounds):
            yield self.check(shape, name, path, query, targets, flag=f"f{n}", scan=scan)

    def path_checks(self, shape: Node, targets: str, path: str) -> Iterator[Check]:
        """Constraints on the set of values a focus node has along a path."""
        yield from self.count_checks(shape, targets, path)
        for component in COMPONENTS:
            if component.check is not None:
                yield from component.check(self, shape, targets, path)

    def sparql_check(self, shape: Node, constraint: Node, targets: str, path: str | None) -> Check:
        """A SHACL-SPARQL constraint, its focus nodes joined in instead of pre-bound one at a time."""
        select = str(self.shapes.value(constraint, SH.select))
        prologue = "".join(
            f"PREFIX {self.shapes.value(d, SH.prefix)}: <{self.shapes.value(d, SH.namespace)}>\n"
            for declarer in self.shapes.objects(constraint, SH.prefixes)
            for d in self.shapes.objects(declarer, SH.declare)
        )
        body = joined_to_targets(select, targets, path, constraint)
        message = self.shapes.value(constraint, SH.message) or self.shapes.value(shape, SH.message)
        severity = self.shapes.value(constraint, SH.severity) or self.shapes.value(shape, SH.severity) or SH.Violation
        return Check(
            prologue + body,
            _name(shape),
            str(SH.SPARQLConstraintComponent),
            path,
            str(message or ""),
            str(severity),
            _name(constraint),
            targets,
        )

    def check(
        self,
        shape: Node,
        name: str,
        path: str | None,
        query: str,
        targets: str,
        flag: str | None = None,
        scan: str | None = None,
    ) -> Check:
        message = self.shapes.value(shape, SH.message)
        severity = self.shapes.value(shape, SH.severity) or SH.Violation
        component = f"{SH}{name}ConstraintComponent"
        return Check(
            query,
            _name(shape),
            component,
            path,
            str(message or ""),
            str(severity),
            targets=targets,
            flag=flag,
            scan=scan,
        )


# SHACL-SPARQL's pre-bound variables and result variables this compiler does not give their meaning.
UNSUPPORTED_VARIABLES = {"shapesGraph", "currentShape", "failure"}


def joined_to_targets(select: str, targets: str, path: str | None, constraint: Node) -> str:
    """A SHACL-SPARQL SELECT with its focus nodes joined in as the first pattern of its WHERE group, which
    binds ``$this`` as pySHACL's pre-binding does (``$this`` and ``?this`` are one variable in SPARQL).

    The query is read with the service's tokeniser, so a ``WHERE`` or ``$PATH`` inside a string, an IRI or a
    comment is text; a variable this compiler cannot give its SHACL meaning is refused, not misread."""
    items = tokens(select)
    unsupported = sorted({t.text[1:] for t in items if t.kind == "var"} & UNSUPPORTED_VARIABLES)
    if unsupported:
        raise UnsupportedShape(f"SPARQL constraint {constraint} uses ${unsupported[0]}, which is not supported")
    where = next((i for i, t in enumerate(items) if t.keyword == "WHERE"), None)
    opening = next((t for t in items[where or 0 :] if t.text == "{"), None)
    if where is None or opening is None:
        raise UnsupportedShape(f"SPARQL constraint {constraint} has no WHERE clause")
    edits = [(opening.start + 1, opening.start + 1, f" {targets} ")]
    for token in items:
        if token.kind == "var" and token.text[1:] == "PATH":
            if path is None:
                raise UnsupportedShape(f"SPARQL constraint {constraint} uses $PATH on a node shape")
            edits.append((token.start, token.start + len(token.text), path))
    pieces, last = [], 0
    for start, end, text in sorted(edits):
        pieces += [select[last:start], text]
        last = end
    return "".join(pieces) + select[last:]


def _name(shape: Node) -> str:
    return shape.n3() if isinstance(shape, URIRef) else "_:" + str(shape)


def compile_shapes(shapes: Graph) -> list[Check]:
    """Every check of a shapes graph; raises UnsupportedShape for what cannot be compiled."""
    return list(Compiler(shapes).checks())


def fill_message(template: str, row: ox.QuerySolution, names: set[str]) -> str:
    """Replace {?var} and {$var} in a SHACL-SPARQL message with the row's values."""

    def value(match: re.Match[str]) -> str:
        term = row[match.group(1)] if match.group(1) in names else None
        return term.value if term is not None else match.group(0)

    return re.sub(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}", value, template)


# Up to this many focus nodes are written into a check as a VALUES block. The query planner cannot know that a
# target is small (two persons among millions of triples) and may scan first; VALUES tells it, as pySHACL's
# pre-binding of $this does. Larger targets stay a subquery, which scans once instead of once per node.
SMALL_TARGET = 5000


def focus_values(store: ox.Store, targets: str, most: int = SMALL_TARGET) -> str | None:
    """The focus nodes of a target subquery as a VALUES block, or None when there are over ``most`` or blank
    ones."""
    nodes: list[str] = []
    for row in store.query(f"SELECT ?this WHERE {targets}", use_default_graph_as_union=True):
        if isinstance(row["this"], ox.BlankNode) or len(nodes) == most:
            return None
        nodes.append(str(row["this"]))
    return "VALUES ?this { " + " ".join(nodes) + " }"


def run_checks(store: ox.Store, checks: list[Check], few: int = SMALL_TARGET) -> list[Violation]:
    """Run every check on the union of the store's graphs and collect the violations, sorted. A query that
    several checks share runs once, and each of its rows goes to every check it flags. Up to ``few`` focus
    nodes are written into a check's query; more, and it runs in its scan form.

    The queries run on one thread per core: the engine evaluates them with Python's lock released, so on a
    store of millions of triples two cores check nearly twice as fast as one."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        targets = list(dict.fromkeys(check.targets for check in checks if check.targets is not None))
        blocks = pool.map(lambda target: focus_values(store, target, few), targets)
        values = dict(zip(targets, blocks, strict=True))
        sharing: dict[str, list[Check]] = {}
        for check in checks:
            sharing.setdefault(focused_query(check, values), []).append(check)
        answers = pool.map(lambda query: violations(store, query, sharing[query]), sharing)
        found = {violation for answer in answers for violation in answer}
    return sorted(found, key=lambda v: (v.focus, v.component, v.path or "", v.value or ""))


def focused_query(check: Check, values: dict[str, str | None]) -> str:
    """A check's query with its focus nodes written in as VALUES when they are few (``values`` holds each
    target's block, so a target shared by many checks is read once), else its scan form if it has one."""
    block = values.get(check.targets) if check.targets is not None else None
    if block is None:
        return check.scan or check.query
    return check.query.replace(check.targets, block, 1)


def violations(store: ox.Store, query: str, checks: list[Check]) -> list[Violation]:
    """The violations one query finds, for each of the checks that share it."""
    solutions = store.query(query, use_default_graph_as_union=True)
    names = {v.value for v in solutions.variables}
    found = []
    for row in solutions:
        value = row["value"] if "value" in names else None
        bound_path = row["path"] if "path" in names else None  # a SHACL-SPARQL result's own ?path, as pySHACL reads it
        for check in checks:
            if check.flag is not None and not is_true(row[check.flag]):
                continue
            found.append(
                Violation(
                    focus=str(row["this"]),
                    path=str(bound_path) if bound_path is not None else check.path,
                    value=str(value) if value is not None else None,
                    component=check.component,
                    shape=check.shape,
                    message=fill_message(check.message, row, names),
                    severity=check.severity,
                    constraint=check.constraint,
                )
            )
    return found


def is_true(term: ox.Term | None) -> bool:
    """Whether a flag a check query bound is the boolean true (unbound: its test was an error)."""
    return isinstance(term, ox.Literal) and term.datatype == XSD_BOOLEAN and term.value in ("true", "1")


def report_graph(violations: list[Violation], shapes: Graph | None = None) -> Graph:
    """The violations as a standard SHACL validation report, as pySHACL would write it: a path that is not a
    single property is the shape's own path node, copied from ``shapes`` with its lists and blank nodes."""
    report = Graph()
    report.bind("sh", SH)
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, Literal(not violations)))
    for violation in violations:
        result = BNode()
        report.add((root, SH.result, result))
        report.add((result, RDF.type, SH.ValidationResult))
        report.add((result, SH.focusNode, from_n3(violation.focus)))
        report.add((result, SH.sourceConstraintComponent, URIRef(violation.component)))
        report.add((result, SH.sourceShape, from_n3(violation.shape)))
        report.add((result, SH.resultSeverity, URIRef(violation.severity)))
        if violation.constraint:
            report.add((result, SH.sourceConstraint, from_n3(violation.constraint)))
        if violation.path and SIMPLE_PATH.fullmatch(violation.path):
            report.add((result, SH.resultPath, from_n3(violation.path)))
        elif violation.path and shapes is not None:
            path = shapes.value(from_n3(violation.shape), SH.path)
            if path is not None:
                report.add((result, SH.resultPath, copied(path, shapes, report)))
        if violation.value is not None:
            report.add((result, SH.value, from_n3(violation.value)))
        if violation.message:
            report.add((result, SH.resultMessage, Literal(violation.message, lang="en")))
    return report


def copied(node: Node, source: Graph, target: Graph) -> Node:
    """Copy the statements about a node and the blank nodes it leads to (a path's structure) into ``target``."""
    todo, seen = [node], set()
    while todo:
        subject = todo.pop()
        if subject in seen:
            continue
        seen.add(subject)
        for predicate, obj in source.predicate_objects(subject):
            target.add((subject, predicate, obj))
            if isinstance(obj, BNode):
                todo.append(obj)
    return node
