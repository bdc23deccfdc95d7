"""The typed answers of lineage, path and search: what the answer functions return and the API declares.

One set of pydantic models serves both, so the JSON the routes send is checked against the declared schema
and cannot drift from it. ``from`` is a Python keyword: the field is ``from_`` and serialised as ``from``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Evidence = Literal["stated", "inferred"]


class Answer(BaseModel):
    """Common settings: ``from_`` may be filled by its name, and the models are values (frozen)."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)


class Resource(Answer):
    """A resource with its display label (English, else Danish, else any name)."""

    iri: str
    label: str | None = None


class Member(Resource):
    """A member of a lineage: its most specific klynge type and the period the sources give it."""

    type: str | None = None
    kind: str | None = Field(default=None, description="the IRI of the most specific klynge type")
    start: str | None = None
    end: str | None = None
    temporal: str | None = Field(default=None, description='a period as the sources word it, e.g. "1990s"')

    @property
    def period(self) -> str:
        """The period as the sources give it: "2007-2010", "from 2025-01-01", "until 2008", "1990s", or ""."""
        if self.start and self.end:
            return self.start if self.start == self.end else f"{self.start}-{self.end}"
        if self.start:
            return f"from {self.start}"
        if self.end:
            return f"until {self.end}"
        return self.temporal or ""


class Event(Resource):
    """An organisational change event and its date."""

    date: str | None = None
    taking: str | None = Field(
        default=None,
        description="how the later body comes out of the change: org:resultingOrganization, or "
        "klynge:receivingOrganization for a body that existed before and took tasks over",
    )


class LineageStep(Answer):
    """From a later plan or organisation to an earlier one, by the relation a source states or we read."""

    from_: Member = Field(alias="from")
    to: Member
    relation: Resource
    event: Event | None = None
    evidence: Evidence | None = Field(
        default=None, description="stated (a source says it) or inferred (our reading); none when unqualified"
    )
    influence: str | None = Field(default=None, description="the prov:Influence that qualifies the step")
    note: str | None = Field(default=None, description="on an inferred step: what the source says, why we read it")
    locator: str | None = Field(default=None, description="where in the source, as the text gives it")
    sources: list[Resource] = []


class Lineage(Answer):
    """A resource with every step to its ancestors and from its descendants, over the chosen evidence."""

    resource: Member
    evidence: Literal["stated", "all"] = "all"
    ancestors: list[LineageStep]
    descendants: list[LineageStep]

    @property
    def steps(self) -> list[LineageStep]:
        """Every step once, ancestors first."""
        unique: dict[tuple[str, str, str, str | None], LineageStep] = {}
        for step in [*self.ancestors, *self.descendants]:
            key = (step.from_.iri, step.to.iri, step.relation.iri, step.event.iri if step.event else None)
            unique.setdefault(key, step)
        return list(unique.values())

    @property
    def members(self) -> list[Member]:
        """The resource and every member a step reaches, each once."""
        found = {self.resource.iri: self.resource}
        for step in self.steps:
            for end in (step.from_, step.to):
                found.setdefault(end.iri, end)
        return list(found.values())


class PathStep(Answer):
    """One relation of a chain; ``inverse`` means the statement points from ``to`` to ``from``."""

    from_: Resource = Field(alias="from")
    to: Resource
    predicate: Resource
    direction: Literal["forward", "inverse"]
    sources: list[Resource]


class Path(Answer):
    """The shortest chain found and its length in relations."""

    from_: Resource = Field(alias="from")
    to: Resource
    length: int
    steps: list[PathStep]


class SearchHit(Answer):
    """A resource whose text matched: ``field`` says which of its texts (name, alternative name, title,
    definition, description, note, editorial note, source locator), ``matched`` is that whole text, and
    ``passage`` the part of it to show, with ``highlights`` the character spans of the matching words in it."""

    iri: str
    label: str | None
    types: list[str]
    field: str
    matched: str
    passage: str
    highlights: list[tuple[int, int]]


class PolicyInForce(Resource):
    """A plan in force in the year by the periods and ends the sources state, never by lineage."""

    start: str | None = None
    end: str | None = Field(default=None, description="the end it actually had, where a source gives one")
    planned_end: str | None = Field(default=None, description="the end it was given when made, if it ran past it")
    in_force_until: str | None = Field(
        default=None, description="the last year a source says it was still in force, where no end is given"
    )
    period: str | None = Field(default=None, description="a decade, where that is all the sources date it by")
    basis: Literal["period", "continued", "decade", "no end stated"] = Field(
        description="why it counts: its stated period, a source saying it went on, its decade; or, for plans that "
        "started earlier with no end and no later year in the sources, that it began and nothing says it ended"
    )


class ResponsibleBody(Resource):
    """A body responsible for, or running, plans in force in the year (named by its display label)."""

    roles: list[str]
    policies: list[Resource]


class AppointedCluster(Resource):
    """A cluster organisation appointed under a programme running in the year, or appointed in it."""

    programme: Resource
    appointed_on: str | None = None
    areas: list[Resource]


class BudgetLine(Resource):
    """A budget whose period covers the year."""

    value: str | None = None
    currency: str | None = None
    policy: Resource | None = None
    start: str | None = None
    end: str | None = None


class ChangeOfYear(Resource):
    """An organisational change dated in the year: from which bodies, into which."""

    date: str | None = None
    changed: list[Resource]
    resulting: list[Resource]


class AsOf(Answer):
    """What the sources say held in one year: plans in force, bodies, clusters and budgets."""

    year: int
    previous: int
    next: int
    policies: list[PolicyInForce] = Field(description="in force by a stated period, continuation or decade")
    started_no_end: list[PolicyInForce] = Field(
        description="plans that began before or in the year and that the sources give no end: not known to hold"
    )
    bodies: list[ResponsibleBody]
    clusters: list[AppointedCluster]
    budgets: list[BudgetLine]
    changes: list[ChangeOfYear]
