"""A lineage drawn by Graphviz (``dot -Tsvg``, Debian's graphviz) on the server, so the page needs no script.

Graphviz lays the picture out: we only say what is in it. Members are boxes named in full (wrapped, never cut)
with their period as the sources give it ("1990s", "2007-2010", "from 2025-01-01"); a time axis of those periods
runs down the left and each dated member shares a rank with its period, earliest at the top. An undated member
gets no rank: Graphviz places it by its steps, which is where the sources put it. Each step is an arrow from the
later to the earlier member, labelled with its relation; an inferred step is dashed and carries its note as the
hover text; an organisational change is dotted and named by its event. Every box links to its page. The page
lists the same steps in words beside the picture, which is its text alternative.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from klynge.answers.field import Field, FieldItem, FieldLink, first_year
from klynge.answers.models import Lineage, LineageStep, Member
from klynge.rdf.namespaces import PREFIXES

WRAP = 30  # characters per line of a box's name
ORG_CHANGE_EVENT = PREFIXES["org"] + "ChangeEvent"
DOT_SECONDS = 10
GRAPH_STYLE = (
    'graph [rankdir=TB, newrank=true, nodesep=0.35, ranksep=0.45, fontname="sans-serif", bgcolor="transparent"];\n'
    'node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#1f4e79", fontname="sans-serif", '
    'fontsize=11, margin="0.14,0.07"];\n'
    'edge [color="#333333", fontcolor="#222222", fontname="sans-serif", fontsize=9, arrowsize=0.7];\n'
)


def quoted(value: str) -> str:
    """A DOT string: quotes and backslashes escaped, so no name can end the string or break the graph."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def time_key(node: Member) -> tuple[float, str] | None:
    """Where a member sits on the time axis: its start year, else the period the sources word ("1990s" sits
    at 1990 and is shown as "1990s"); None for a member the sources give no start (placed by its steps)."""
    if node.start:
        return int(node.start[:4]), node.start[:4]
    match = re.search(r"\d{4}", node.temporal or "")
    return (int(match.group()), node.temporal or "") if match else None


def box_label(node: Member) -> str:
    """A member's full name wrapped into lines, and its period below."""
    name = node.label or node.iri.rsplit("/", 1)[-1]
    lines = textwrap.wrap(name, WRAP, break_long_words=False)
    period = node.period
    said = period in name or (period.startswith("from ") and period[5:] in name)  # the name gives it already
    return "\n".join([*lines, *([f"({period})"] if period and not said else [])])


def edge_attributes(step: LineageStep) -> str:
    """How a step is drawn: its relation as label; dashed with its note when inferred, dotted for a change."""
    if step.event is not None:
        label = step.event.label or step.relation.label or "change"
        if step.event.date:
            label += f" ({step.event.date})"
        return f"label={quoted(textwrap.fill(label, 28))}, style=dotted, penwidth=1.6, tooltip={quoted(label)}"
    label = step.relation.label or ""
    if step.evidence == "inferred":
        note = f"Inferred: {step.note}" if step.note else "Inferred: our reading of the sources"
        return f"label={quoted(label + ' (inferred)')}, style=dashed, tooltip={quoted(note)}"
    tip = "Stated by the source" if step.evidence == "stated" else label
    return f"label={quoted(label)}, style=solid, penwidth=1.3, tooltip={quoted(tip)}"


RESULT_OF = PREFIXES["klynge"] + "resultOf"


def borrowed_keys(answer: Lineage, keys: dict[str, tuple[float, str] | None]) -> dict[str, tuple[float, str] | None]:
    """Rows for members the sources give no date but the graph places in time through a step: a recommendation
    sits in the year of the review that made it, just below it (a row with no label of its own); a body sits in
    the year of the change it took over in, and a body a change took tasks from, undated itself, in a row just
    before that change ("before 2025")."""
    found = dict(keys)
    for step in answer.steps:
        made_by = keys[step.to.iri]
        if step.relation.iri == RESULT_OF and found[step.from_.iri] is None and made_by is not None:
            found[step.from_.iri] = (made_by[0] + 0.25, "")  # just below the review, in its year
    for step in sorted((s for s in answer.steps if s.event and s.event.date), key=lambda s: s.event.date):
        year = int(step.event.date[:4])
        if found[step.from_.iri] is None:
            found[step.from_.iri] = (year, str(year))
        if found[step.to.iri] is None:
            found[step.to.iri] = (year - 0.5, f"before {year}")
    return found


def lineage_dot(answer: Lineage, href: Callable[[str], str]) -> str:
    """The lineage as a Graphviz graph: a time axis, the members, and a dot edge per step."""
    members = answer.members
    ids = {node.iri: f"m{n}" for n, node in enumerate(members)}
    keys = borrowed_keys(answer, {node.iri: time_key(node) for node in members})
    axis = sorted({key for key in keys.values() if key is not None})
    lines = ["digraph lineage {", GRAPH_STYLE]
    lines += axis_lines(axis)
    for node in members:
        current = ', penwidth=2.4, fillcolor="#e8f0f8"' if node.iri == answer.resource.iri else ""
        lines.append(
            f"{ids[node.iri]} [label={quoted(box_label(node))}, URL={quoted(href(node.iri))}, "
            f'tooltip={quoted(node.label or node.iri)}, target="_top"{current}];'
        )
        if keys[node.iri] is not None:
            lines.append(f"{{rank=same; t{axis.index(keys[node.iri])}; {ids[node.iri]}}}")
    for step in answer.steps:
        # Drawn from the earlier to the later (so Graphviz ranks the earlier above) with the arrow at the earlier.
        lines.append(f"{ids[step.to.iri]} -> {ids[step.from_.iri]} [dir=back, {edge_attributes(step)}];")
    lines.append("}")
    return "\n".join(lines)


def axis_lines(axis: list[tuple[float, str]]) -> Iterable[str]:
    """The time axis: one plain label per period, chained by invisible edges so they keep their order."""
    yield 'node [shape=plaintext, style="", fontsize=10, fontcolor="#333333"];'
    for n, (_, label) in enumerate(axis):
        yield f"t{n} [label={quoted(label)}];"
    if len(axis) > 1:
        yield " -> ".join(f"t{n}" for n in range(len(axis))) + " [style=invis];"
    yield 'node [shape=box, style="rounded,filled", fontsize=11, fontcolor="#111111"];'


LINEAGE_DESCRIPTION = "Lineage drawn as a graph; the same steps are listed below"


def render_svg(dot: str, description: str = LINEAGE_DESCRIPTION, fit: bool = True) -> Markup | None:
    """SVG from Graphviz, to put inline in a page; None when Graphviz is not installed or fails (the page
    then shows the steps as text only)."""
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, timeout=DOT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    svg = done.stdout.decode()
    svg = svg[svg.index("<svg") :]
    opening = f'<svg class="lineage-svg" role="img" aria-label="{escape(description)}"'
    if fit:  # its own size as the most, shrunk to the page by CSS where the page is wide (at a phone's width
        # it keeps its size and scrolls sideways, so its text stays readable: S15)
        svg = svg.replace("<svg ", opening + " ", 1)
    else:  # its own size, the page scrolls sideways
        svg = svg.replace("<svg ", opening.replace("lineage-svg", "field-svg") + " ", 1)
    return Markup(svg)


def timeline_svg(answer: Lineage, href: Callable[[str], str]) -> Markup | None:
    """The lineage picture, or None when it has no steps; ``href`` maps an IRI to a link."""
    if not answer.steps:
        return None
    return render_svg(lineage_dot(answer, href))


# The whole field is drawn here, not by Graphviz: a layout engine ranks by links, so undated items drifted into the
# first column and the columns were as wide as their widest name. Here x is time, in proportion.
YEAR_PX = 30  # width of one year
CHAR_PX = 6.4  # width of a character of an 11 px label (sans-serif, generous)
ROW_PX, LANE_GAP, AXIS_PX, MARGIN = 24, 30, 30, 14
OPEN_TAIL = 1.5  # years of dotted tail after a plan that began and has no end in the sources


@dataclass(frozen=True)
class Placed:
    """An item on the axis: where it begins and ends (in years, fractions for days), how it is drawn."""

    item: FieldItem
    begin: float
    finish: float
    shape: str  # "bar", "decade", "open", "point" or "until"


def year_of(value: str, end: bool = False) -> float:
    """A gYear or date as a position in years: a year's start (or its end, for an end date), a day's place."""
    year = int(value[:4])
    if len(value) >= 10:
        day = date.fromisoformat(value[:10])
        return year + (day.timetuple().tm_yday - 1) / 365
    return year + (1 if end else 0)


def place(item: FieldItem) -> Placed | None:
    """Where the dates the graph holds put an item, or None when it holds none."""
    decade = first_year(item.temporal)
    if item.kind == ORG_CHANGE_EVENT and item.start:
        return Placed(item, year_of(item.start), year_of(item.start), "point")
    if item.start and item.end:
        return Placed(item, year_of(item.start), year_of(item.end, end=True), "bar")
    if item.start and item.until:
        until = max(year_of(item.until, end=True), year_of(item.start, end=True))
        return Placed(item, year_of(item.start), until, "bar")
    if item.start:
        return Placed(item, year_of(item.start), year_of(item.start, end=True), "open")
    if item.legislated:
        return Placed(item, year_of(item.legislated), year_of(item.legislated), "point")
    if decade is not None:
        return Placed(item, decade, decade + 10, "decade")
    if item.end:
        return Placed(item, year_of(item.end, end=True), year_of(item.end, end=True), "until")
    return None


def label_width(text: str) -> float:
    return len(text) * CHAR_PX


def item_text(placed: Placed) -> str:
    """The label drawn beside an item: its name and, unless the name says it, its period."""
    item = placed.item
    name = item.label or item.iri.rsplit("/", 1)[-1]
    period = item.period
    if placed.shape == "point" and item.start:
        period = item.start  # a change happens on its day
    elif placed.shape == "open":
        period += ", no end stated"
    elif placed.shape == "bar" and item.until and not item.end:
        period = f"from {item.start}, in force in {item.until}"
    return name if not period or period in name else f"{name} ({period})"


@dataclass(frozen=True)
class Drawn:
    """An item as drawn: its row in its band and where its label starts (x) and on which side it is anchored."""

    entry: Placed
    row: int
    label_x: float
    anchor: str  # "start" or "end"
    right: float  # the rightmost point the item or its label reaches


def extent(entry: Placed, x: Callable[[float], float]) -> tuple[float, float]:
    """Where an item's mark begins and ends on the page (a plan with no end has a dotted tail, a last-known
    year a dotted lead-in)."""
    begin, finish = x(entry.begin), x(entry.finish)
    if entry.shape == "open":
        return begin, finish + OPEN_TAIL * YEAR_PX
    if entry.shape == "until":
        return begin - OPEN_TAIL * YEAR_PX, begin + 5
    if entry.shape == "point":
        return begin - 7, begin + 7
    return begin, max(finish, begin + 3)


def label_place(entry: Placed, x: Callable[[float], float], right: float) -> tuple[float, float, float, str]:
    """Where an item's label goes: inside its bar when it fits, else after the mark, else before it when it
    would pass the right edge. Returns the occupied span and the label's x and anchor."""
    begin, finish = extent(entry, x)
    width = label_width(item_text(entry))
    if entry.shape in ("bar", "decade") and finish - begin >= width + 8:
        return begin, finish, begin + 4, "start"
    if finish + 6 + width <= right or begin - 6 - width < MARGIN:
        return begin, finish + 6 + width, finish + 6, "start"
    return begin - 6 - width, finish, begin - 6, "end"


def pack(placed: list[Placed], x: Callable[[float], float], right: float) -> list[Drawn]:
    """Rows for one band: each item goes in the first row where it and its label fit."""
    rows: list[float] = []  # the right end of what each row holds
    out = []
    for entry in placed:
        begin, end, label_x, anchor = label_place(entry, x, right)
        row = next((n for n, last in enumerate(rows) if last + 8 <= begin), len(rows))
        if row == len(rows):
            rows.append(end)
        rows[row] = end
        out.append(Drawn(entry, row, label_x, anchor, end))
    return out


def field_svg(field: Field, href: Callable[[str], str]) -> Markup | None:
    """The whole field on a proportional time axis (one column per year, the same width each), one band per
    kind, the axis above and below and a year grid through every band; links as thin arrows from the later item
    to the earlier one, dashed when they are our reading. Items the graph gives no date are not drawn: the page
    lists them."""
    placed = {lane: [p for p in map(place, items) if p] for lane, items in field.lanes.items()}
    every = [p for items in placed.values() for p in items]
    if not every:
        return None
    first = int(min(p.begin for p in every)) // 5 * 5
    last = int(max(p.finish for p in every)) + 2

    def x(year: float) -> float:
        return MARGIN + (year - first) * YEAR_PX

    axis_right = x(last)
    parts: list[str] = []
    where: dict[str, tuple[float, float, float]] = {}  # iri -> (left x, right x, y)
    y, widest = AXIS_PX + 8, axis_right
    for lane, items in placed.items():
        if not items:
            continue
        rows = pack(sorted(items, key=lambda p: (p.begin, p.item.label or "")), x, axis_right)
        height = 22 + (max(drawn.row for drawn in rows) + 1) * ROW_PX
        parts.append(f'<rect {look("lane")} x="0" y="{y}" width="100%" height="{height}"/>')
        parts.append(f'<text {look("lane-name")} x="{MARGIN}" y="{y + 15}">{escape(lane)}</text>')
        for drawn in rows:
            top = y + 22 + drawn.row * ROW_PX
            parts.append(draw_item(drawn, x, top, href))
            where[drawn.entry.item.iri] = (x(drawn.entry.begin), x(drawn.entry.finish), top + 9)
            widest = max(widest, drawn.right)
        y += height + LANE_GAP
    height = y - LANE_GAP + 8 + AXIS_PX
    width = round(widest + MARGIN)
    grid = axis(first, last, x, height)
    arrows = [draw_link(link, where) for link in field.links if link.later in where and link.earlier in where]
    svg = (
        f'<svg class="field-svg" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="group" '
        f'aria-label="The whole field on one time axis, {first} to {last - 1}; the same items are listed below">'
        f"<defs>{ARROW}</defs>{grid}{''.join(parts)}{''.join(arrows)}</svg>"
    )
    return Markup(svg)


ARROW = (
    '<marker id="field-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
    'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker>'
)
# Presentation attributes, not a <style> element: the pages' Content-Security-Policy allows no inline styles.
LOOK = {
    "lane": 'fill="#f4f6f8"',
    "lane-name": 'font-family="sans-serif" font-size="12" font-weight="600" fill="#333333"',
    "grid": 'stroke="#e0e5ea" stroke-width="1"',
    "grid five": 'stroke="#9aa6b2" stroke-width="1"',
    "year": 'font-family="sans-serif" font-size="11" fill="#333333" text-anchor="middle"',
    "label": 'font-family="sans-serif" font-size="11" fill="#111111"',
    "bar": 'fill="#cfe0f1" stroke="#1f4e79"',
    "decade": 'fill="#eef3f8" stroke="#1f4e79" stroke-dasharray="4 3"',
    "open": 'stroke="#1f4e79" stroke-dasharray="2 3" stroke-width="2"',
    "point": 'fill="#1f4e79"',
    "link": 'fill="none" stroke="#7a7a7a" stroke-width="1"',
    "link inferred": 'fill="none" stroke="#7a7a7a" stroke-width="1" stroke-dasharray="5 4"',
}


def look(name: str) -> str:
    """An element's class and its presentation attributes."""
    return f'class="{name}" {LOOK[name]}'


def axis(first: int, last: int, x: Callable[[float], float], height: float) -> str:
    """Year lines through every band, labels at the top and at the bottom (every year; every fifth stronger)."""
    out = []
    for year in range(first, last + 1):
        five = " five" if year % 5 == 0 else ""
        bottom = height - AXIS_PX + 6
        out.append(f'<line {look("grid" + five)} x1="{x(year)}" y1="{AXIS_PX - 6}" x2="{x(year)}" y2="{bottom}"/>')
        if year < last:
            for top in (AXIS_PX - 12, height - 8):
                if five:  # a label every fifth year, on its line; the grid shows each year
                    out.append(f'<text {look("year")} x="{x(year)}" y="{top}">{year}</text>')
    return "".join(out)


def draw_item(drawn: Drawn, x: Callable[[float], float], top: float, href: Callable[[str], str]) -> str:
    """One item: its mark on the axis and its label, a link to its page with its name and period as title."""
    entry = drawn.entry
    begin, finish, middle = x(entry.begin), x(entry.finish), top + 9
    if entry.shape in ("bar", "decade"):
        wide = max(finish - begin, 3)
        mark = f'<rect {look(entry.shape)} x="{begin}" y="{top + 2}" width="{wide}" height="14" rx="3"/>'
    elif entry.shape == "open":
        tail = finish + OPEN_TAIL * YEAR_PX
        mark = (
            f'<rect {look("bar")} x="{begin}" y="{top + 2}" width="{finish - begin}" height="14" rx="3"/>'
            f'<line {look("open")} x1="{finish}" y1="{middle}" x2="{tail}" y2="{middle}"/>'
        )
    elif entry.shape == "until":
        mark = (
            f'<line {look("open")} x1="{begin - OPEN_TAIL * YEAR_PX}" y1="{middle}" x2="{begin}" y2="{middle}"/>'
            f'<circle {look("point")} cx="{begin}" cy="{middle}" r="4"/>'
        )
    else:
        mark = f'<path {look("point")} d="M{begin},{top + 2} l7,7 l-7,7 l-7,-7 z"/>'
    text = item_text(entry)
    link = escape(href(entry.item.iri))
    return (
        f'<a class="item" href="{link}" xlink:href="{link}" target="_top"><title>{escape(text)}</title>{mark}'
        f'<text {look("label")} x="{drawn.label_x}" y="{top + 13}" text-anchor="{drawn.anchor}">'
        f"{escape(text)}</text></a>"
    )


def draw_link(link: FieldLink, where: dict[str, tuple[float, float, float]]) -> str:
    """A link from the later item's start to the earlier item, its arrow at the earlier one."""
    later_left, _, later_y = where[link.later]
    earlier_left, earlier_right, earlier_y = where[link.earlier]
    end_x = min(earlier_right, later_left) if earlier_right > earlier_left else earlier_left
    bend = max(abs(later_left - end_x) / 2, 12)
    style = look("link inferred" if link.evidence == "inferred" else "link")
    tip = link.label + (f" (inferred: {link.note})" if link.evidence == "inferred" and link.note else "")
    return (
        f'<path {style} marker-end="url(#field-arrow)" d="M{later_left},{later_y} '
        f'C{later_left - bend},{later_y} {end_x + bend},{earlier_y} {end_x},{earlier_y}">'
        f"<title>{escape(tip)}</title></path>"
    )
