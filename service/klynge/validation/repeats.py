"""Find statements made in more than one source file, naming each file and line.

The published default graph is the union of the files' named graphs, so a triple stated in two files is
returned twice by a query over it and every COUNT is off. Each statement belongs in one file; this check
reports every copy (file and line, as ``klynge.validation.lines`` reads them) so that one can be removed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from klynge.validation.vocabulary import Problem


@dataclass(frozen=True)
class Repeat:
    """One triple (without blank nodes) stated in two or more files, with each file and line."""

    triple: ox.Triple
    places: tuple[tuple[str, int], ...]

    def __str__(self) -> str:
        where = " and ".join(f"{file}:{line}" for file, line in self.places)
        return f"{where} both state {self.triple}; keep it in one file"


def repeats_in(located: Mapping[Path, tuple[list[ox.Quad], list[int]]], name=str) -> list[Repeat]:
    """The triples that two or more of the parsed files state; ``name`` says how a file is to be shown."""
    places: dict[ox.Triple, dict[Path, int]] = defaultdict(dict)
    for path, (quads, lines) in located.items():
        for quad, line in zip(quads, lines, strict=True):
            if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                continue
            places[ox.Triple(quad.subject, quad.predicate, quad.object)].setdefault(path, line)
    return [
        Repeat(triple, tuple((name(path), line) for path, line in where.items()))
        for triple, where in sorted(places.items(), key=lambda item: str(item[0]))
        if len(where) > 1
    ]


def repeat_problems(located: Mapping[Path, tuple[list[ox.Quad], list[int]]], name=str) -> list[Problem]:
    """Each repeat as a report problem at its first place, naming every other place."""
    problems = []
    for repeat in repeats_in(located, name):
        (file, line), *others = repeat.places
        elsewhere = ", ".join(f"{other}:{number}" for other, number in others)
        message = f"{repeat.triple} is stated here and again at {elsewhere}; keep it in one file"
        problems.append(Problem(file, line, str(repeat.triple.predicate), message))
    return problems
