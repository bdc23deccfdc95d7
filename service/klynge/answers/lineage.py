"""Lineage: the ancestors and descendants of a policy or organisation, each step with its evidence.

A lineage step is a ``prov:wasInfluencedBy`` link (later -> earlier, materialised from the specific klynge
lineage properties), reported with its qualified influence where the graph has one (the specific relation,
whether a source states it or we inferred it, the source and where in it), or an ``org:ChangeEvent`` from a
resulting to an original organisation. Three queries answer it (``sparql/lineage-members.rq``,
``lineage-steps.rq`` and ``lineage-changes.rq``); which steps belong to the ancestors or the descendants,
over the evidence asked for, is a walk over those few rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pyoxigraph as ox

from klynge.answers.describe import select, spelled_out, text
from klynge.answers.models import Event, Lineage, LineageStep, Member, Resource
from klynge.engines.base import Engine
from klynge.rdf.namespaces import PREFIXES, RDF_TYPE, RDFS, SKOS, XSD

KLYNGE = PREFIXES["klynge"]
ORG = PREFIXES["org"]
PROV = PREFIXES["prov"]
CHANGE_EVENT = ox.NamedNode(ORG + "ChangeEvent")
EVIDENCE = {KLYNGE + "Stated": "stated", KLYNGE + "Inferred": "inferred"}
RDFS_LABEL = RDFS.label
SCHEMA = PREFIXES["schema"]
DCTERMS = PREFIXES["dcterms"]
SKOS_NOTE = SKOS.editorialNote

EvidenceChoice = Literal["stated", "all"]


class NotFound(LookupError):
    """The answer does not exist: an unknown resource, or no chain within the length limit."""


def require(engine: Engine, iri: ox.NamedNode) -> None:
    """Raise NotFound for a resource the graph does not describe (it is the subject of no triple)."""
    if not select(engine, "resource-known", resource=iri):
        raise NotFound(f"no resource {iri.value} in the graph")


def resource(term: ox.Term, label: ox.Term | None = None) -> Resource:
    """A resource as an answer: its IRI (a blank node's label where there is no IRI) and its label."""
    return Resource(iri=term.value, label=text(label))


def members_of(rows: Iterable[dict[str, ox.Term]]) -> dict[str, Member]:
    """The lineage members from lineage-members.rq, one per node: the earliest start, the latest end, the type
    first in IRI order (a node with two dates or two equally specific types comes in several rows)."""
    found: dict[str, Member] = {}
    for row in sorted(rows, key=lambda r: (text(r.get("kind")) or "~", text(r.get("startDate")) or "")):
        iri = row["node"].value
        old = found.get(iri)
        ends = [text(row.get("endDate")), old.end if old else None]
        found[iri] = Member(
            iri=iri,
            label=old.label if old else text(row.get("name")),
            type=old.type if old else text(row.get("kindLabel")),
            kind=old.kind if old else text(row.get("kind")),
            start=min(filter(None, [text(row.get("startDate")), old.start if old else None]), default=None),
            end=max(filter(None, ends), default=None),
            temporal=(old.temporal if old else None) or text(row.get("temporal")),
        )
    return found


def lineage(engine: Engine, iri: ox.NamedNode, evidence: EvidenceChoice = "all") -> Lineage:
    """The ancestors and descendants of a policy or organisation, step by step, with periods, evidence and
    sources. ``evidence="stated"`` keeps only the steps a source states (and change events, which the sources
    state as events); the members reached through inferred steps alone drop out with them."""
    require(engine, iri)
    members = members_of(select(engine, "lineage-members", start=iri))
    rows = [*select(engine, "lineage-steps", start=iri), *select(engine, "lineage-changes", start=iri)]
    steps = drawn_once(steps_of(rows, members))
    if evidence == "stated":
        steps = [step for step in steps if step.evidence == "stated" or step.event is not None]
    ancestors, descendants = sides(iri.value, steps)
    return Lineage(
        resource=members.get(iri.value) or Member(iri=iri.value),
        evidence=evidence,
        ancestors=sorted(ancestors, key=step_order),
        descendants=sorted(descendants, key=step_order),
    )


def steps_of(rows: Iterable[dict[str, ox.Term]], members: dict[str, Member]) -> list[LineageStep]:
    """One step per (from, to, relation, event), its sources gathered from the rows that repeat it."""
    found: dict[tuple, dict] = {}
    for row in rows:
        event = row.get("event")
        key = (row["from"].value, row["to"].value, relation_of(row).value, event.value if event else None)
        step = found.setdefault(key, {"row": row, "step": [], "other": []})
        if "stepSource" in row:
            step["step"].append(resource(row["stepSource"], row.get("stepSourceLabel")))
        if "source" in row:
            step["other"].append(resource(row["source"], row.get("sourceLabel")))
    return [make_step(found[key], members) for key in found]


def drawn_once(steps: list[LineageStep]) -> list[LineageStep]:
    """The steps without those that would show a change event a second time: where a change between two members
    is a step of its own (named by its event), the event's PROV links to the bodies it changed (it "used" them)
    are left out, so the change appears once, as the change (S9)."""
    changes = {step.event.iri for step in steps if step.event is not None}
    return [step for step in steps if step.event is not None or not {step.from_.iri, step.to.iri} & changes]


def relation_of(row: dict[str, ox.Term]) -> ox.NamedNode:
    """A step's relation: the plan step's property, or org:ChangeEvent for a row of lineage-changes.rq."""
    return row.get("relation") or CHANGE_EVENT


def change_event(row: dict[str, ox.Term]) -> Event:
    """The change event of a row of lineage-changes.rq, with its date and how the later body came out of it."""
    return Event(
        iri=row["event"].value,
        label=text(row.get("eventLabel")),
        date=text(row.get("date")),
        taking=text(row.get("taking")),
    )


def make_step(found: dict, members: dict[str, Member]) -> LineageStep:
    """A step from its first row and the sources of all its rows: its own, else the event's or the later
    member's."""
    row = found["row"]
    event = row.get("event")
    sources = found["step"] or found["other"]
    relation = relation_of(row).value
    return LineageStep(
        from_=members.get(row["from"].value) or Member(iri=row["from"].value),
        to=members.get(row["to"].value) or Member(iri=row["to"].value),
        relation=Resource(iri=relation, label=text(row.get("relationLabel")) or spelled_out(relation)),
        event=change_event(row) if event else None,
        evidence=EVIDENCE.get(text(row.get("evidence")) or ""),
        influence=text(row.get("influence")),
        note=text(row.get("note")),
        locator=text(row.get("locator")),
        sources=sorted(dict.fromkeys(sources), key=lambda source: source.iri),
    )


def sides(start: str, steps: list[LineageStep]) -> tuple[list[LineageStep], list[LineageStep]]:
    """The steps reached from ``start`` towards the past (ancestors) and from the future (descendants)."""
    ancestors = reached(start, steps, lambda s: (s.from_.iri, s.to.iri))
    descendants = reached(start, steps, lambda s: (s.to.iri, s.from_.iri))
    return ancestors, descendants


def reached(start: str, steps: list[LineageStep], ends) -> list[LineageStep]:
    """The steps a walk from ``start`` takes, each step leading from its first end to its second."""
    seen, frontier, taken = {start}, [start], []
    while frontier:
        node = frontier.pop()
        for candidate in steps:
            near, far = ends(candidate)
            if near == node:
                taken.append(candidate)
                if far not in seen:
                    seen.add(far)
                    frontier.append(far)
    return taken


def when(member: Member) -> str:
    """A member's place in time for sorting: its start, else its decade (1990s as 1990), else its end; undated
    members after all dated ones."""
    return member.start or (member.temporal or "")[:4] or member.end or "~"


def step_order(step: LineageStep) -> tuple[str, ...]:
    """Steps by the years of their ends, then by IRIs: the same order whatever order the store's rows come in."""
    return (
        when(step.from_),
        when(step.to),
        step.from_.iri,
        step.to.iri,
        step.relation.iri,
        step.event.iri if step.event else "",
    )


def lineage_triples(engine: Engine, iri: ox.NamedNode, evidence: EvidenceChoice = "all") -> list[ox.Triple]:
    """The lineage as RDF: each step's specific property (with its qualified influence) or change event, and
    each member's name, period and sources."""
    answer = lineage(engine, iri, evidence)
    triples: list[ox.Triple] = []
    for found in answer.steps:
        triples += step_triples(found)
    for node in answer.members:
        triples += member_triples(node)
    return list(dict.fromkeys(triples))


def step_triples(found: LineageStep) -> list[ox.Triple]:
    """A step as RDF: the property from the later to the earlier, its qualified influence, or the event."""
    later, earlier = ox.NamedNode(found.from_.iri), ox.NamedNode(found.to.iri)
    if found.event is not None:
        event = ox.NamedNode(found.event.iri)
        return [
            ox.Triple(event, RDF_TYPE, CHANGE_EVENT),
            ox.Triple(event, ox.NamedNode(found.event.taking or ORG + "resultingOrganization"), later),
            ox.Triple(event, ox.NamedNode(ORG + "originalOrganization"), earlier),
        ]
    triples = [ox.Triple(later, ox.NamedNode(found.relation.iri), earlier)]
    if found.influence is None:
        return triples
    influence = ox.NamedNode(found.influence)
    triples += [
        ox.Triple(later, ox.NamedNode(PROV + "qualifiedInfluence"), influence),
        ox.Triple(influence, RDF_TYPE, ox.NamedNode(PROV + "Influence")),
        ox.Triple(influence, ox.NamedNode(PROV + "influencer"), earlier),
        ox.Triple(influence, ox.NamedNode(KLYNGE + "relation"), ox.NamedNode(found.relation.iri)),
    ]
    if found.evidence is not None:
        evidence = ox.NamedNode(KLYNGE + found.evidence.title())
        triples.append(ox.Triple(influence, ox.NamedNode(KLYNGE + "evidence"), evidence))
    triples += [ox.Triple(influence, ox.NamedNode(DCTERMS + "source"), ox.NamedNode(s.iri)) for s in found.sources]
    if found.locator:
        triples.append(ox.Triple(influence, ox.NamedNode(KLYNGE + "locator"), ox.Literal(found.locator)))
    if found.note:
        triples.append(ox.Triple(influence, SKOS_NOTE, ox.Literal(found.note, language="en")))
    return triples


def member_triples(node: Member) -> list[ox.Triple]:
    """A member's name and period as RDF (years as the sources give them: xsd:gYear or xsd:date)."""
    subject = ox.NamedNode(node.iri)
    triples = [ox.Triple(subject, RDFS_LABEL, ox.Literal(node.label))] if node.label else []
    for prop, value in ((SCHEMA + "startDate", node.start), (SCHEMA + "endDate", node.end)):
        if value:
            datatype = "gYear" if len(value) == 4 else "date"
            literal = ox.Literal(value, datatype=XSD[datatype])
            triples.append(ox.Triple(subject, ox.NamedNode(prop), literal))
    if node.temporal:
        triples.append(ox.Triple(subject, ox.NamedNode(DCTERMS + "temporal"), ox.Literal(node.temporal)))
    return triples
