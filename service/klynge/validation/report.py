"""Turn a SHACL validation report into what a person fixing the data needs: what, where, and in which file.

pySHACL's own text lists results one by one with full IRIs; here they are grouped by the resource that failed,
IRIs are shortened with the project's prefixes where the name pastes back into Turtle (else written whole, as
``<https://w3id.org/klynge/id/policy/x>``), and each result names the file and line it is about. The findings
(these and the vocabulary check's) are rendered as text, JSON, JUnit XML or GitHub annotations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from itertools import groupby
from xml.etree import ElementTree

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from klynge.rdf.namespaces import turtle_name
from klynge.validation.vocabulary import Problem


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result, reduced to plain strings (IRIs shortened), with the file and line it is about."""

    focus: str
    source: str
    line: int
    shape: str
    path: str
    value: str
    message: str

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


# Names the file and line a result is about, from its focus node, path and value.
Locate = Callable[[Node, Node | None, Node | None], tuple[str, int]]


# An IRI in running text: up to white space or punctuation, never ending in a full stop. One written in angle
# brackets is Turtle a person may copy into a file, so it is left whole (a shortened kid:org/x would not parse).
IRI_IN_TEXT = re.compile(r"(?<!<)https?://[^\s,;()<>\"]*[^\s,;()<>\".]")


def compact(term: Node | None) -> str:
    """An RDF term as a person reads it and Turtle reads it back: ``klynge:Policy``, ``<https://…/id/policy/x>``
    (a prefixed name only where its local name needs no escape); literals in Turtle form."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return turtle_name(str(term))
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        return f'"{term}"^^{compact(term.datatype)}' if term.datatype else f'"{term}"'
    return term.n3()


def _message(report: Graph, result: Node) -> str:
    """The English sh:resultMessage (else any, else the constraint component), with IRIs shortened."""
    messages = list(report.objects(result, SH.resultMessage))
    english = [m for m in messages if isinstance(m, Literal) and m.language == "en"]
    if not messages:
        return f"violates {compact(report.value(result, SH.sourceConstraintComponent))}"
    text = str((english or messages)[0])
    return IRI_IN_TEXT.sub(lambda match: turtle_name(match.group()), text)


def path_text(graph: Graph, path: Node | None) -> str:
    """A SHACL property path as SPARQL writes it (``^p``, ``a|b``, ``a/b``, ``p*``), IRIs shortened."""
    if path is None or isinstance(path, URIRef | Literal):
        return compact(path)
    if (graph.value(path, RDF.first)) is not None:
        return "/".join(path_text(graph, step) for step in Collection(graph, path))
    for link, template in PATH_FORMS.items():
        inner = graph.value(path, link)
        if inner is not None:
            if link == SH.alternativePath:
                return "(" + "|".join(path_text(graph, step) for step in Collection(graph, inner)) + ")"
            return template.format(path_text(graph, inner))
    return compact(path)


PATH_FORMS = {
    SH.inversePath: "^{}",
    SH.alternativePath: "({})",
    SH.zeroOrMorePath: "{}*",
    SH.oneOrMorePath: "{}+",
    SH.zeroOrOnePath: "{}?",
}


def _shape(report: Graph, result: Node) -> str:
    """The named constraint (SPARQL constraints) or shape that produced the result."""
    constraint = report.value(result, SH.sourceConstraint)
    if isinstance(constraint, URIRef):
        return compact(constraint)
    return compact(report.value(result, SH.sourceShape))


def violations(report: Graph, locate: Locate) -> list[Violation]:
    """Every result of a SHACL report, sorted by focus node; ``locate`` names the file and line."""
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path, value = report.value(result, SH.resultPath), report.value(result, SH.value)
        file, line = locate(focus, path, value)
        found.add(
            Violation(
                focus=compact(focus),
                source=file,
                line=line,
                shape=_shape(report, result),
                path=path_text(report, path),
                value=compact(value),
                message=_message(report, result),
            )
        )
    return sorted(found)


# -- Formats ---------------------------------------------------------------------------------------------------
# What a run found, rendered for a person (text), a program (json), a CI dashboard (junit) or GitHub's
# annotations on the changed lines (github). Exit codes do not depend on the format.


@dataclass(frozen=True)
class Findings:
    """Everything one ``klynge validate`` run reports.

    ``targets`` lists each node shape's focus nodes and ``parents`` the node shape of each property shape or
    SPARQL constraint, so JUnit can show one test case per shape and focus node, passing ones included.
    """

    problems: tuple[Problem, ...]
    violations: tuple[Violation, ...]
    targets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    parents: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.violations


def render(found: Iterable[Violation], problems: Iterable[Problem] = ()) -> str:
    """The readable report: misused terms first, then one block per failing resource, then a summary."""
    found, problems = list(found), list(problems)
    if not found and not problems:
        return "The graph conforms to the klynge shapes: no violations.\n"
    lines: list[str] = []
    if problems:
        lines.append("Vocabulary: terms that do not exist or are used in the wrong role")
        lines += [f"  {problem.file}:{problem.line}: {problem.message}" for problem in problems]
        lines.append("")
    for focus, group in groupby(found, key=lambda v: v.focus):
        lines.append(focus)
        for violation in group:
            value = f"= {violation.value}" if violation.value else ""
            parts = (f"{violation.where}:" if violation.where else "", violation.shape, violation.path, value)
            lines.append("  " + "  ".join(part for part in parts if part))
            lines.append(f"    {violation.message}")
        lines.append("")
    summary = []
    if problems:
        summary.append(f"{_count(len(problems), 'unknown or misused term')}")
    if found:
        summary.append(f"{_count(len(found), 'violation')} on {_count(len({v.focus for v in found}), 'resource')}")
    lines.append("; ".join(summary) + ".")
    return "\n".join(lines) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def render_json(findings: Findings) -> str:
    """The findings as one JSON object (``conforms``, ``vocabulary``, ``violations``), for programs."""
    return (
        json.dumps(
            {
                "conforms": findings.ok,
                "vocabulary": [asdict(problem) for problem in findings.problems],
                "violations": [asdict(violation) for violation in findings.violations],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def render_junit(findings: Findings) -> str:
    """JUnit XML as Jenkins and GitLab read it: a test suite per shape, a test case per focus node.

    A failure's text starts with ``file:line`` (the schema has no place for them on a test case). Vocabulary
    problems form one more suite with a test case per file.
    """
    root = ElementTree.Element("testsuites", name="klynge validate")
    vocabulary: dict[str, list[Problem]] = {}
    for problem in findings.problems:
        vocabulary.setdefault(problem.file, []).append(problem)
    if vocabulary:
        suite = _suite(root, "vocabulary")
        for file, problems in sorted(vocabulary.items()):
            case = ElementTree.SubElement(suite, "testcase", classname="vocabulary", name=file)
            for problem in problems:
                _failure(case, problem.message, "unknown or misused term", f"{file}:{problem.line}: {problem.message}")
    cases: dict[str, dict[str, list[Violation]]] = {
        shape: {focus: [] for focus in focuses} for shape, focuses in findings.targets.items()
    }
    for violation in findings.violations:
        shape = findings.parents.get(violation.shape, violation.shape)
        cases.setdefault(shape, {}).setdefault(violation.focus, []).append(violation)
    for shape, focuses in sorted(cases.items()):
        suite = _suite(root, shape)
        for focus, failed in sorted(focuses.items()):
            case = ElementTree.SubElement(suite, "testcase", classname=shape, name=focus)
            for violation in failed:
                text = f"{violation.where}: {violation.shape} {violation.path} {violation.value}".rstrip()
                _failure(case, violation.message, violation.shape, f"{text}\n{violation.message}")
    for suite in root:
        suite.set("tests", str(len(suite)))
        suite.set("failures", str(sum(1 for case in suite if len(case))))
    root.set("tests", str(sum(len(suite) for suite in root)))
    root.set("failures", str(sum(int(suite.get("failures", "0")) for suite in root)))
    root.set("errors", "0")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _suite(root: ElementTree.Element, name: str) -> ElementTree.Element:
    return ElementTree.SubElement(root, "testsuite", name=name, errors="0")


def _failure(case: ElementTree.Element, message: str, kind: str, text: str) -> None:
    ElementTree.SubElement(case, "failure", message=message, type=kind).text = text


def _escape_data(text: str) -> str:
    """GitHub workflow-command escaping of a message (as @actions/core's escapeData does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """GitHub workflow-command escaping of a property value (escapeProperty: also ':' and ',')."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(file: str, line: int, title: str, message: str) -> str:
    properties = [f"file={_escape_property(file)}"] if file else []
    if file and line:
        properties.append(f"line={line}")
    properties.append(f"title={_escape_property(title)}")
    return f"::error {','.join(properties)}::{_escape_data(message)}"


def render_github(findings: Findings) -> str:
    """One ``::error file=…,line=…::message`` workflow command per finding, so GitHub marks the lines."""
    lines = [
        _annotation(problem.file, problem.line, "klynge vocabulary", problem.message) for problem in findings.problems
    ]
    for violation in findings.violations:
        subject = " ".join(part for part in (violation.focus, violation.path) if part)
        lines.append(_annotation(violation.source, violation.line, violation.shape, f"{subject}: {violation.message}"))
    summary = render(findings.violations, findings.problems).splitlines()[-1]
    return "\n".join([*lines, summary]) + "\n"


FORMATS: dict[str, Callable[[Findings], str]] = {
    "text": lambda findings: render(findings.violations, findings.problems),
    "json": render_json,
    "junit": render_junit,
    "github": render_github,
}
