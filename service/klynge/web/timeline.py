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

from markupsafe import Markup, escape

from klynge.answers.field import Field, FieldLink
from klynge.answers.models import Lineage, LineageStep, Member

WRAP = 30  # characters per line of a box's name
ORG_CHANGE_EVENT = "http://www.w3.org/ns/org#ChangeEvent"
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


def time_key(node: Member) -> tuple[int, str] | None:
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


def lineage_dot(answer: Lineage, href: Callable[[str], str]) -> str:
    """The lineage as a Graphviz graph: a time axis, the members, and a dot edge per step."""
    members = answer.members
    ids = {node.iri: f"m{n}" for n, node in enumerate(members)}
    keys = {node.iri: time_key(node) for node in members}
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


def axis_lines(axis: list[tuple[int, str]]) -> Iterable[str]:
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
    if fit:  # scale with the page: keep the viewBox, let CSS set the size
        svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', opening, svg, count=1)
    else:  # its own size, the page scrolls sideways
        svg = svg.replace("<svg ", opening.replace("lineage-svg", "field-svg") + " ", 1)
    return Markup(svg)


def timeline_svg(answer: Lineage, href: Callable[[str], str]) -> Markup | None:
    """The lineage picture, or None when it has no steps; ``href`` maps an IRI to a link."""
    if not answer.steps:
        return None
    return render_svg(lineage_dot(answer, href))


FIELD_STYLE = GRAPH_STYLE.replace("rankdir=TB", "rankdir=LR").replace("ranksep=0.45", "ranksep=0.3")


def link_attributes(link: FieldLink) -> str:
    """A field link as drawn: dashed with its note when inferred, solid when a source states it."""
    if link.evidence == "inferred":
        note = f"Inferred: {link.note}" if link.note else "Inferred: our reading of the sources"
        return f"label={quoted(link.label + ' (inferred)')}, style=dashed, tooltip={quoted(note)}"
    return f"label={quoted(link.label)}, tooltip={quoted(link.label)}"


def field_dot(field: Field, href: Callable[[str], str]) -> str:
    """The whole field as a Graphviz graph: time runs left to right, one band (cluster) per lane."""
    items = [item for lane in field.lanes.values() for item in lane]
    ids = {item.iri: f"i{n}" for n, item in enumerate(items)}
    keys = {item.iri: time_key(item) for item in items}
    axis = sorted({key for key in keys.values() if key is not None})
    lines = ["digraph field {", FIELD_STYLE]
    lines += axis_lines(axis)
    for number, (lane, members) in enumerate(field.lanes.items()):
        if not members:
            continue
        lines.append(f"subgraph cluster_{number} {{ label={quoted(lane)}; labeljust=l; color=\"#b0b8c0\"; fontsize=12;")
        for item in members:
            change = ", shape=ellipse" if item.kind == ORG_CHANGE_EVENT else ""
            lines.append(
                f"{ids[item.iri]} [label={quoted(box_label(item))}, URL={quoted(href(item.iri))}, "
                f'tooltip={quoted(item.label or item.iri)}, target="_top"{change}];'
            )
        lines.append("}")
    for item in items:
        if keys[item.iri] is not None:
            lines.append(f"{{rank=same; t{axis.index(keys[item.iri])}; {ids[item.iri]}}}")
    for link in field.links:
        lines.append(f"{ids[link.earlier]} -> {ids[link.later]} [dir=back, {link_attributes(link)}];")
    lines.append("}")
    return "\n".join(lines)


def field_svg(field: Field, href: Callable[[str], str]) -> Markup | None:
    """The whole field's picture, or None without Graphviz."""
    description = "The whole field on one time axis; the same items are listed below"
    return render_svg(field_dot(field, href), description, fit=False)
