"""Find statements made in more than one source file, naming each file and line.

The published default graph is the union of the files' named graphs, so a triple stated in two files is
returned twice by a query over it and every COUNT is off. Each statement belongs in one file; this check
says where the copies are so one can be removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from klynge.graph.build import parse_file

_PREFIX = re.compile(r"@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", re.IGNORECASE)
_SUBJECT = re.compile(r"^(<[^>]*>|[\w-]*:(?:\\.|[^\s;,])*)")


@dataclass(frozen=True)
class Place:
    """Where a statement is made: the file and the line (1-based; 0 when it cannot be told)."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


@dataclass(frozen=True)
class Repeat:
    """One triple stated in two or more files."""

    triple: ox.Triple
    places: tuple[Place, ...]

    def __str__(self) -> str:
        where = " and ".join(map(str, self.places))
        return f"{where} both state {self.triple}; keep it in one file"


def _expand(token: str, prefixes: dict[str, str]) -> str | None:
    """The IRI a Turtle subject token names (prefixed name with escapes, or <IRI>)."""
    if token.startswith("<"):
        return token[1:-1]
    prefix, _, local = token.partition(":")
    return prefixes[prefix] + local.replace("\\", "") if prefix in prefixes else None


def _short(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """What the object of a triple looks like on its line: a literal's text or an IRI's last segment."""
    if isinstance(term, ox.Literal):
        return term.value.split("\n", 1)[0]
    return re.split(r"[/#]", term.value.rstrip("/"))[-1]


def subject_blocks(path: Path) -> dict[str, list[tuple[int, int]]]:
    """For each subject that starts a block at column 0, the line ranges of its blocks in a Turtle file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    prefixes: dict[str, str] = {}
    blocks: dict[str, list[tuple[int, int]]] = defaultdict(list)
    current: tuple[str, int] | None = None
    for number, text in enumerate(lines, start=1):
        if match := _PREFIX.match(text):
            prefixes[match.group(1)] = match.group(2)
            continue
        if not text or text[0] in " \t#":
            continue
        if current:
            blocks[current[0]].append((current[1], number - 1))
        subject = _SUBJECT.match(text)
        iri = _expand(subject.group(1), prefixes) if subject else None
        current = (iri, number) if iri else None
    if current:
        blocks[current[0]].append((current[1], len(lines)))
    return blocks


def line_of(triple: ox.Triple, path: Path, lines: list[str], blocks: dict[str, list[tuple[int, int]]]) -> int:
    """The line of a file that states a triple: in its subject's blocks, the first that shows the object."""
    ranges = blocks.get(getattr(triple.subject, "value", ""), [])
    needle = _short(triple.object)
    for start, end in ranges:
        for number in range(start, end + 1):
            if needle and needle in lines[number - 1].replace("\\", ""):
                return number
    return ranges[0][0] if ranges else 0


def repeated_statements(paths: Iterable[Path]) -> list[Repeat]:
    """Every triple (without blank nodes) that two or more of the files state, with the places that state it."""
    files: dict[ox.Triple, list[Path]] = defaultdict(list)
    for path in map(Path, paths):
        for triple in {ox.Triple(q.subject, q.predicate, q.object) for q in parse_file(path)}:
            if not isinstance(triple.subject, ox.BlankNode) and not isinstance(triple.object, ox.BlankNode):
                files[triple].append(path)
    repeats = []
    cache: dict[Path, tuple[list[str], dict[str, list[tuple[int, int]]]]] = {}
    for triple, where in sorted(files.items(), key=lambda item: str(item[0])):
        if len(where) < 2:
            continue
        places = []
        for path in where:
            if path not in cache:
                turtle = path.suffix.lower() == ".ttl"
                text = path.read_text(encoding="utf-8").splitlines() if turtle else []
                cache[path] = (text, subject_blocks(path) if turtle else {})
            lines, blocks = cache[path]
            places.append(Place(path, line_of(triple, path, lines, blocks) if lines else 0))
        repeats.append(Repeat(triple, tuple(places)))
    return repeats
