"""The whole field on one time axis: every plan, the dated bodies and the organisational changes, by kind.

Two queries (``sparql/timeline-items.rq``, ``sparql/timeline-links.rq``) give the items and the links between
them; ``web/timeline.py`` draws them. The lanes are the ontology's: each class names its lane with
``klynge:timelineLane`` (``sparql/timeline-lanes.rq``), so a new kind of plan is placed where its class, or the
nearest superclass that names one, says.
"""

from __future__ import annotations

from dataclasses import dataclass

from klynge.answers.describe import Engine, select, spelled_out, text
from klynge.answers.models import Member
from klynge.rdf.namespaces import KLYNGE

EVIDENCE = {KLYNGE.Stated.value: "stated", KLYNGE.Inferred.value: "inferred"}


class FieldItem(Member):
    """An item of the field with every date the graph holds for it, so the picture can place it."""

    legislated: str | None = None  # the day an act was passed, its only date
    until: str | None = None  # the last year it is known to run, where the sources give no end

    @property
    def dated(self) -> bool:
        """Whether the graph gives the item any date, so that it has a place on the time axis."""
        return bool(self.start or self.end or self.legislated or first_year(self.temporal))

    @property
    def period(self) -> str:
        """As Member.period; an act dated only by its passing says so."""
        return super().period or (f"passed {self.legislated}" if self.legislated else "")


def first_year(text: str | None) -> int | None:
    """The first year a worded period names ("1990s" is 1990), or None."""
    digits = "".join(ch if ch.isdigit() else " " for ch in text or "").split()
    return next((int(d) for d in digits if len(d) == 4), None)


@dataclass(frozen=True)
class FieldLink:
    """A link from a later item to an earlier one, named by its relation."""

    later: str
    earlier: str
    label: str
    evidence: str | None
    note: str | None


@dataclass(frozen=True)
class Field:
    """The items by lane (each lane's items by period) and the links between them."""

    lanes: dict[str, list[FieldItem]]
    links: list[FieldLink]

    @property
    def undated(self) -> list[FieldItem]:
        """The items the graph gives no date: the picture cannot place them, the page says so."""
        return [item for items in self.lanes.values() for item in items if not item.dated]


OTHER_LANE = "Other"  # for an item whose class, and every superclass of it, names no lane


def lanes_by_class(engine: Engine) -> dict[str, str]:
    """Each class's timeline lane as the ontology names it (its own, or its nearest superclass's)."""
    return {row["class"].value: row["lane"].value for row in select(engine, "timeline-lanes")}


def whole_field(engine: Engine) -> Field:
    """Every item of the field with its period, sorted in each lane by when it begins, and their links."""
    lane_of = lanes_by_class(engine)
    lanes: dict[str, list[FieldItem]] = {lane: [] for lane in sorted(set(lane_of.values()))}
    for row in select(engine, "timeline-items"):
        item = FieldItem(
            iri=row["item"].value,
            label=text(row.get("label")),
            kind=text(row.get("kind")),
            start=text(row.get("start")),
            end=text(row.get("end")),
            temporal=text(row.get("temporal")),
            legislated=text(row.get("legislated")),
            until=text(row.get("until")),
        )
        lanes.setdefault(lane_of.get(item.kind or "", OTHER_LANE), []).append(item)
    for items in lanes.values():
        items.sort(
            key=lambda item: (
                item.start or item.legislated or item.temporal or item.end or "9999",
                item.label or item.iri,
            )
        )
    known = {item.iri for items in lanes.values() for item in items}
    links = [
        FieldLink(
            later=row["later"].value,
            earlier=row["earlier"].value,
            label=text(row.get("relationLabel")) or spelled_out(row["relation"].value),
            evidence=EVIDENCE.get(text(row.get("evidence")) or ""),
            note=text(row.get("note")),
        )
        for row in select(engine, "timeline-links")
        if row["later"].value in known and row["earlier"].value in known
    ]
    return Field(lanes=lanes, links=sorted(set(links), key=lambda link: (link.later, link.earlier, link.label)))
