"""Turn a SHACL validation report into what a person fixing the data needs: what, where, and in which file.

pySHACL's own text lists results one by one with full IRIs; here they are grouped by the resource that failed,
IRIs are shortened with the project's prefixes, and each resource names the source file that stated it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from klynge.namespaces import PREFIXES


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result, reduced to plain strings (IRIs shortened) and the file that stated its focus node."""

    focus: str
    source: str
    shape: str
    path: str
    value: str
    message: str


# An IRI in running text: up to white space or punctuation, never ending in a full stop.
IRI_IN_TEXT = re.compile(r"https?://[^\s,;()<>\"]*[^\s,;()<>\".]")


def _prefixed(iri: str) -> str | None:
    """``kid:policy/x`` for an IRI in one of the project's namespaces, else None."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return None


def compact(term: Node | None) -> str:
    """An RDF term as a person reads it: ``kid:policy/x``, not the full IRI; literals in Turtle form."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return _prefixed(str(term)) or f"<{term}>"
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
    return IRI_IN_TEXT.sub(lambda match: _prefixed(match.group()) or match.group(), text)


def _shape(report: Graph, result: Node) -> str:
    """The named constraint (SPARQL constraints) or shape that produced the result."""
    constraint = report.value(result, SH.sourceConstraint)
    if isinstance(constraint, URIRef):
        return compact(constraint)
    return compact(report.value(result, SH.sourceShape))


def violations(report: Graph, locate: Callable[[Node], str]) -> list[Violation]:
    """Every result of a SHACL report, sorted by focus node; ``locate`` names the file that stated a node."""
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        found.add(
            Violation(
                focus=compact(focus),
                source=locate(focus),
                shape=_shape(report, result),
                path=compact(report.value(result, SH.resultPath)),
                value=compact(report.value(result, SH.value)),
                message=_message(report, result),
            )
        )
    return sorted(found)


def render(found: Iterable[Violation]) -> str:
    """The readable report: one block per failing resource, one entry per broken rule, then a summary."""
    found = list(found)
    if not found:
        return "The graph conforms to the klynge shapes: no violations.\n"
    lines: list[str] = []
    for (focus, source), group in groupby(found, key=lambda v: (v.focus, v.source)):
        lines.append(f"{focus}  ({source})")
        for violation in group:
            value = f"= {violation.value}" if violation.value else ""
            lines.append("  " + "  ".join(part for part in (violation.shape, violation.path, value) if part))
            lines.append(f"    {violation.message}")
        lines.append("")
    lines.append(f"{_count(len(found), 'violation')} on {_count(len({v.focus for v in found}), 'resource')}.")
    return "\n".join(lines) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"
