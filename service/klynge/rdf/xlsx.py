"""A table of RDF terms as an XLSX workbook (written by XlsxWriter), for spreadsheets, R and pandas.

One sheet, "results": a header row, then one row per answer row. A column that holds IRIs is followed by a
"<column> label" column with each IRI's display label (unless the answer has such a column already), so the
identifier and the name sit side by side and neither has to be parsed out of the other. Numbers and booleans
are cells of their kind (an integer past 2^53, which a spreadsheet's double cannot hold exactly, stays text);
everything else is text, never a formula, whatever it starts with.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pyoxigraph as ox
import xlsxwriter

from klynge.rdf.namespaces import PREFIXES, Term

if TYPE_CHECKING:
    from klynge.rdf.formats import Table

XSD = PREFIXES["xsd"]
INTEGERS = {
    XSD + name
    for name in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
DECIMALS = {XSD + "decimal", XSD + "double", XSD + "float"}
EXACT_INTEGER = 2**53
MAX_CELL = 32_767  # characters a spreadsheet cell holds
CUT = " … [cut: a spreadsheet cell holds at most 32,767 characters; the CSV answer has the whole value]"
SHEET = "results"


def layout(table: Table) -> list[tuple[str, str, bool]]:
    """The sheet's columns: (heading, answer column, whether it shows labels), an IRI column's label column
    right after it."""
    named = {fold(column) for column in table.columns}
    columns = []
    for column in table.columns:
        columns.append((column, column, False))
        labelled = fold(column + "label") in named  # the answer gives the label already (?area ?areaLabel)
        if not labelled and any(isinstance(row.get(column), ox.NamedNode) for row in table.rows):
            columns.append((f"{column} label", column, True))
    return columns


def fold(column: str) -> str:
    """A column name as compared: ``areaLabel``, ``area_label`` and ``area label`` alike."""
    return "".join(c for c in column.lower() if c.isalnum())


def write(table: Table) -> bytes:
    """The workbook's bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(SHEET)
    bold = workbook.add_format({"bold": True})
    columns = layout(table)
    for x, (heading, _, _) in enumerate(columns):
        sheet.write_string(0, x, heading, bold)
    for y, row in enumerate(table.rows, 1):
        for x, (_, column, labels) in enumerate(columns):
            term = row.get(column)
            if term is None:
                continue
            if labels:
                label = table.labels.get(term.value) if isinstance(term, ox.NamedNode) else None
                if label is not None:
                    sheet.write_string(y, x, fitted(label))
                continue
            cell(sheet, y, x, term)
    if columns:
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(table.rows), 1), len(columns) - 1)
        for x, (heading, column, _) in enumerate(columns):
            sheet.set_column(x, x, width(heading, column, table.rows))
    workbook.close()
    return buffer.getvalue()


def cell(sheet: xlsxwriter.worksheet.Worksheet, y: int, x: int, term: Term) -> None:
    """One term in its cell: a number or a boolean as one, any other as text (an IRI as itself, a blank
    node as _:id, a literal as its lexical form)."""
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in INTEGERS and abs(int(term.value)) < EXACT_INTEGER:
                sheet.write_number(y, x, int(term.value))
                return
            if datatype in DECIMALS:
                sheet.write_number(y, x, float(term.value))
                return
        except (ValueError, OverflowError):
            pass  # an ill-typed literal: kept as the text it is
        if datatype == XSD + "boolean" and term.value in ("true", "false", "1", "0"):
            sheet.write_boolean(y, x, term.value in ("true", "1"))
            return
        sheet.write_string(y, x, fitted(term.value))
    elif isinstance(term, ox.BlankNode):
        sheet.write_string(y, x, f"_:{term.value}")
    else:
        sheet.write_string(y, x, fitted(text(term)))


def text(term: Term) -> str:
    """A term's text: an IRI's or a literal's value, a triple term in N-Triples syntax (it has no value)."""
    return str(term) if isinstance(term, ox.Triple) else term.value


def fitted(text: str) -> str:
    """The text, cut (and saying so) where it is longer than a cell holds."""
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - len(CUT)] + CUT


def width(heading: str, column: str, rows: Sequence[Mapping[str, Term]]) -> int:
    """A column width that shows most values whole, within reason."""
    longest = max((len(text(row[column])) for row in rows[:200] if column in row), default=0)
    return min(max(len(heading), longest, 8) + 2, 60)
