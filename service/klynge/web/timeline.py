"""A lineage answer drawn as an SVG timeline, on the server, so the page needs no JavaScript library.

One row per year (earliest at the top), the plans of that year side by side; an arrow from each later plan to
the earlier one it relates to, labelled with the relation. Undated members go in a last row.
"""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

BOX_WIDTH = 220
BOX_HEIGHT = 46
COLUMN = 320
ROW = 96
LEFT = 70
TOP = 20
LINE_CHARS = 32
BEND_ROOM = 160  # right of the last column, for arrows that bend around the rows they skip


def year_of(node: dict) -> int | None:
    """The year a lineage member is drawn at: its start, else its period ("1990s"), else its end."""
    for value in (node.get("start"), node.get("temporal"), node.get("end")):
        match = re.search(r"\d{4}", value or "")
        if match:
            return int(match.group())
    return None


def wrap(label: str) -> list[str]:
    """At most two lines of a label, cut at word boundaries, the second shortened with an ellipsis."""
    lines: list[str] = [""]
    for word in label.split():
        if len(lines[-1]) + len(word) + 1 > LINE_CHARS and lines[-1]:
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    if len(lines) > 2:
        lines = [lines[0], lines[1][: LINE_CHARS - 1] + "…"]
    return lines


def layout(answer: dict) -> tuple[dict[str, tuple[int, int]], list[tuple[int | None, int]], dict[str, dict]]:
    """Box positions by IRI, the year rows (year, y) and the members by IRI."""
    members: dict[str, dict] = {answer["resource"]["iri"]: answer["resource"]}
    for step in answer["ancestors"] + answer["descendants"]:
        for end in (step["from"], step["to"]):
            members.setdefault(end["iri"], end)
    by_year: dict[int | None, list[str]] = {}
    for iri, node in members.items():
        by_year.setdefault(year_of(node), []).append(iri)
    years = sorted(y for y in by_year if y is not None) + ([None] if None in by_year else [])
    positions: dict[str, tuple[int, int]] = {}
    rows: list[tuple[int | None, int]] = []
    for row, year in enumerate(years):
        y = TOP + row * ROW
        rows.append((year, y))
        for column, iri in enumerate(sorted(by_year[year], key=lambda i: members[i].get("label") or i)):
            positions[iri] = (LEFT + column * COLUMN, y)
    return positions, rows, members


def timeline_svg(answer: dict, href) -> Markup | None:
    """The SVG for a lineage answer, or None when it has no steps; ``href`` maps an IRI to a link."""
    steps = answer["ancestors"] + answer["descendants"]
    if not steps:
        return None
    positions, rows, members = layout(answer)
    width = max(x for x, _ in positions.values()) + BOX_WIDTH + BEND_ROOM
    height = rows[-1][1] + BOX_HEIGHT + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage-svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="group" aria-label="Lineage timeline">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    ]
    for year, y in rows:
        label = year if year is not None else "?"
        parts.append(f'<text class="year" x="8" y="{y + BOX_HEIGHT / 2 + 5}">{label}</text>')
    seen: set[tuple[str, str, str]] = set()
    for step in steps:
        key = (step["from"]["iri"], step["to"]["iri"], step["relation"]["iri"])
        if key in seen:
            continue
        seen.add(key)
        parts.append(edge(positions[key[0]], positions[key[1]], step["relation"]["label"] or ""))
    for iri, (x, y) in positions.items():
        node = members[iri]
        current = " current" if iri == answer["resource"]["iri"] else ""
        lines = wrap(node.get("label") or iri.rsplit("/", 1)[-1])
        years = "–".join(filter(None, (node.get("start"), node.get("end")))) or node.get("temporal") or ""
        text = "".join(
            f'<tspan x="{x + 8}" dy="{15 if i else 0}">{escape(line)}</tspan>' for i, line in enumerate(lines)
        )
        parts.append(
            f'<a href="{escape(href(iri))}"><g class="member{current}">'
            f"<title>{escape(node.get('label') or iri)} {escape(years)}</title>"
            f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="6"/>'
            f'<text x="{x + 8}" y="{y + 18}">{text}</text></g></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def edge(later: tuple[int, int], earlier: tuple[int, int], label: str) -> str:
    """An arrow from a later box to an earlier one, labelled: straight to the box above or beside it, bent
    around the right of the boxes in between when it skips a row."""
    (x1, y1), (x2, y2) = later, earlier
    if abs(y1 - y2) > ROW:
        start = (x1 + BOX_WIDTH, y1 + BOX_HEIGHT / 2)
        end = (x2 + BOX_WIDTH, y2 + BOX_HEIGHT / 2)
        bend = max(start[0], end[0]) + 30 + 10 * abs(y1 - y2) // ROW
        path = f"M{start[0]},{start[1]} C{bend},{start[1]} {bend},{end[1]} {end[0]},{end[1]}"
        label_x, label_y, anchor = bend - 20, (start[1] + end[1]) / 2, "start"
        line = f'<path d="{path}" marker-end="url(#arrow)"/>'
    else:
        if y1 == y2:
            start = (x1 + (0 if x2 < x1 else BOX_WIDTH), y1 + BOX_HEIGHT / 2)
            end = (x2 + (BOX_WIDTH if x2 < x1 else 0), y2 + BOX_HEIGHT / 2)
        elif y1 > y2:
            start, end = (x1 + BOX_WIDTH / 2, y1), (x2 + BOX_WIDTH / 2, y2 + BOX_HEIGHT)
        else:
            start, end = (x1 + BOX_WIDTH / 2, y1 + BOX_HEIGHT), (x2 + BOX_WIDTH / 2, y2)
        # A label sits above a level arrow and beside a sloping one, so neither crosses it.
        label_x, label_y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        label_x, label_y, anchor = (label_x, label_y - 5, "middle") if y1 == y2 else (label_x + 5, label_y + 4, "start")
        line = f'<line x1="{start[0]}" y1="{start[1]}" x2="{end[0]}" y2="{end[1]}" marker-end="url(#arrow)"/>'
    return f'<g class="step">{line}<text x="{label_x}" y="{label_y}" text-anchor="{anchor}">{escape(label)}</text></g>'
