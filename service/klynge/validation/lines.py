"""Parse an RDF file and keep, for every statement, the line it was written on, so reports can say file:line.

pyoxigraph's parsers report no positions for the statements they yield, but they pull their input on demand
and yield each statement as soon as its object is complete. Feeding the parser one line per read therefore
tells, at each yielded statement, the line on which its object ended: the statement's line for the usual
one-statement-per-line Turtle, and the closing line of a multi-line literal.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from klynge.graph.build import SourceError, graph_name, rdf_format, source_error


def display_path(path: Path) -> str:
    """A file name relative to the working directory when it lies below it, as people type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _LineReader(io.RawIOBase):
    """A binary stream that hands out one line per read and counts the lines handed out."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.line = 1  # the line of the last byte handed out
        self._newlines = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.stream.readline(len(buffer))
        if data:
            self.line = self._newlines + 1
            self._newlines += data.count(b"\n")
        buffer[: len(data)] = data
        return len(data)


def parse_located(path: Path, graph: ox.NamedNode | None = None) -> tuple[list[ox.Quad], list[int]]:
    """Every quad of a file (in its named graph, as ``klynge.graph.build.parse_file`` puts it) and its line."""
    if not path.is_file():
        raise SourceError(path, None, None, "no such file")
    graph = graph_name(path) if graph is None else graph
    quads: list[ox.Quad] = []
    lines: list[int] = []
    try:
        with path.open("rb") as stream:
            reader = _LineReader(stream)
            parsed = ox.parse(input=reader, format=rdf_format(path), base_iri=path.resolve().as_uri())
            for quad in parsed:
                quads.append(ox.Quad(quad.subject, quad.predicate, quad.object, graph))
                lines.append(reader.line)
    except (SyntaxError, OSError, UnicodeDecodeError, ValueError) as error:
        raise source_error(path, error) from None
    return quads, lines


@dataclass(frozen=True)
class Where:
    """A place in a source file: the file as people type it, and the line (0 when only the file is known)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


Term = ox.NamedNode | ox.BlankNode | ox.Literal


class Locations:
    """Where each statement of the parsed files was written, to point a report at file and line."""

    def __init__(self) -> None:
        self._statements: dict[tuple[Term, Term, Term], Where] = {}
        self._links: dict[tuple[Term, Term], Where] = {}
        self._subjects: dict[Term, Where] = {}
        self._objects: dict[Term, Where] = {}

    def add(self, file: str, quads: Iterable[ox.Quad], lines: Iterable[int]) -> None:
        """Record a file's statements; the first place a statement or resource appears is kept."""
        for quad, line in zip(quads, lines, strict=True):
            where = Where(file, line)
            self._statements.setdefault((quad.subject, quad.predicate, quad.object), where)
            self._links.setdefault((quad.subject, quad.object), where)
            self._subjects.setdefault(quad.subject, where)
            self._objects.setdefault(quad.object, where)

    def statement(self, subject: Term, predicate: Term | None, value: Term | None) -> Where | None:
        """The line of the statement itself; else of a statement linking the same two nodes (the stated
        sub-property of an entailed one); else of the subject's first statement."""
        if value is not None:
            found = self._statements.get((subject, predicate, value)) if predicate is not None else None
            found = found or self._links.get((subject, value))
            if found:
                return found
        return self._subjects.get(subject)

    def mention(self, term: Term) -> Where | None:
        """The first statement that points at a resource (for one no file describes)."""
        return self._objects.get(term)
