"""The whole field on one time axis: every plan, the dated bodies and the organisational changes, by kind.

Two queries (``sparql/timeline-items.rq``, ``sparql/timeline-links.rq``) give the items and the links between
them; ``web/timeline.py`` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from klynge.answers.describe import Engine, select, spelled_out, text
from klynge.answers.models import Member
from klynge.rdf.namespaces import KLYNGE, ORG

LANES = {
    "Programmes and calls": {KLYNGE.Programme, KLYNGE.CallForFunding, KLYNGE.PolicyInitiative},
    "Strategies, plans and studies": {KLYNGE.Strategy, KLYNGE.ActionPlan, KLYNGE.Guidelines, KLYNGE.Study},
    "Acts and agreements": {KLYNGE.Act, KLYNGE.PoliticalAgreement},
    "Bodies and their changes": {ORG.Organization, ORG.ChangeEvent},
}
EVIDENCE = {KLYNGE.Stated.value: "stated", KLYNGE.Inferred.value: "inferred"}


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

    lanes: dict[str, list[Member]]
    links: list[FieldLink]


def lane_of(kind: str) -> str:
    """The lane an item's most specific type puts it in (plans of another kind go with the programmes)."""
    return next((lane for lane, kinds in LANES.items() if any(k.value == kind for k in kinds)), "Programmes and calls")


def whole_field(engine: Engine) -> Field:
    """Every item of the field with its period, sorted in each lane by when it begins, and their links."""
    lanes: dict[str, list[Member]] = {lane: [] for lane in LANES}
    for row in select(engine, "timeline-items"):
        item = Member(
            iri=row["item"].value,
            label=text(row.get("label")),
            kind=text(row.get("kind")),
            start=text(row.get("start")),
            end=text(row.get("end")),
            temporal=text(row.get("temporal")),
        )
        lanes[lane_of(item.kind or "")].append(item)
    for items in lanes.values():
        items.sort(key=lambda item: (item.start or item.temporal or item.end or "9999", item.label or item.iri))
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
