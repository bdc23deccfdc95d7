"""Query answers as bytes in a result format, holding at most a given number of rows or triples.

The count is kept while the engine writes, so an answer too large to send stops the evaluation there instead
of being built whole first. The query workers and the remote engine both answer through these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pyoxigraph as ox


class TooLarge(Exception):
    """More results than the job allows."""


class CountingBuffer:
    """A binary sink for a serialiser that stops it (by raising) once ``marker`` has been written more than
    ``limit`` times; a marker split across two writes is still counted."""

    def __init__(self, marker: bytes, limit: int) -> None:
        self.marker = marker
        self.limit = limit
        self.count = 0
        self.chunks: list[bytes] = []
        self.overflowed = False
        self._tail = b""

    def write(self, chunk: bytes) -> int:
        data = bytes(chunk)
        reach = len(self.marker) - 1
        if self._tail:  # a marker begun in the last chunk and ended in this one
            self.count += (self._tail + data[:reach]).count(self.marker)
        self.count += data.count(self.marker)
        self._tail = data[-reach:] if reach else b""
        if self.count > self.limit:
            self.overflowed = True
            raise TooLarge
        self.chunks.append(data)
        return len(chunk)

    def flush(self) -> None:
        """Nothing is buffered here; the serialiser may still call it."""


def limited(triples: Iterable[ox.Triple], limit: int) -> Iterator[ox.Triple]:
    """The triples of a CONSTRUCT or DESCRIBE, stopping with TooLarge past the limit."""
    for count, triple in enumerate(triples, 1):
        if count > limit:
            raise TooLarge
        yield triple


LINE_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)  # one statement per line (literals escape breaks)


def triples_bytes(triples: ox.QueryTriples, fmt: ox.RdfFormat, limit: int) -> bytes:
    """A CONSTRUCT's or DESCRIBE's triples in N-Triples or N-Quads, written by the engine without a Python
    object per triple, stopping with TooLarge past ``limit`` (lines counted as they are written)."""
    sink = CountingBuffer(b"\n", limit)
    try:
        triples.serialize(sink, format=fmt)
    except (TooLarge, OSError):
        if sink.overflowed:
            raise TooLarge from None
        raise
    return b"".join(sink.chunks)


LONG_LINE = 64 * 1024  # bytes: pyoxigraph's TSV parser takes quadratic time in a line's length


def counted(solutions: ox.QuerySolutions, fmt: ox.QueryResultsFormat, limit: int) -> bytes:
    """The results in TSV or XML, stopping the evaluation with TooLarge past ``limit`` rows: in TSV one line
    is one row (its terms escape line breaks), in XML every row is a ``<result>`` element (text escapes <)."""
    tsv = fmt == ox.QueryResultsFormat.TSV
    sink = CountingBuffer(b"\n", limit + 1) if tsv else CountingBuffer(b"<result>", limit)  # TSV: a header line
    try:
        solutions.serialize(sink, format=fmt)
    except (TooLarge, OSError):
        if sink.overflowed:
            raise TooLarge from None
        raise
    return b"".join(sink.chunks)


JSON_OUTER_OBJECTS = 3  # the document's, "head"'s and "results"' own braces


def solutions_bytes(
    solutions: ox.QuerySolutions,
    fmt: ox.QueryResultsFormat,
    limit: int,
    again: Callable[[], ox.QuerySolutions] | None = None,
) -> bytes:
    """SELECT results in ``fmt``, at most ``limit`` rows, counted as they are written.

    TSV and XML are written directly. So is JSON when its braces show it cannot hold more than ``limit``
    rows (each row and each bound term opens one, and a literal may hold more, so there are at least as many
    as rows): the common answer is written once, by the engine. Another format, or JSON with more braces than
    that, is made from the TSV by pyoxigraph's parser and serialiser, both native code; but its TSV parser is
    quadratic in a line's length, so when a row is long (a literal of megabytes) the query is run ``again`` to
    XML, whose parser is linear, and converted from that (twice the evaluation, for the rare answer that needs
    it). Solutions that cannot be had again go through XML at once (linear, if twice as slow as TSV on many
    short rows).
    """
    if fmt in (ox.QueryResultsFormat.TSV, ox.QueryResultsFormat.XML):
        return counted(solutions, fmt, limit)
    if again is None:
        return from_xml(counted(solutions, ox.QueryResultsFormat.XML, limit), fmt)
    if fmt == ox.QueryResultsFormat.JSON:
        sink = CountingBuffer(b"{", limit + JSON_OUTER_OBJECTS)
        try:
            solutions.serialize(sink, format=fmt)
            return b"".join(sink.chunks)
        except (TooLarge, OSError):
            if not sink.overflowed:
                raise
        solutions = again()  # perhaps more rows than the limit: counted exactly, below
    tsv = counted(solutions, ox.QueryResultsFormat.TSV, limit)
    if len(tsv) > LONG_LINE and max(map(len, tsv.split(b"\n"))) > LONG_LINE:
        return from_xml(counted(again(), ox.QueryResultsFormat.XML, limit), fmt)
    return ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=fmt)


def from_xml(xml: bytes, fmt: ox.QueryResultsFormat) -> bytes:
    return ox.parse_query_results(xml, format=ox.QueryResultsFormat.XML).serialize(format=fmt)
