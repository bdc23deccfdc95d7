"""An organisation over time: the names the graph gives it, what it was responsible for or ran and when, and
the changes it went through, from ``sparql/organisation-history.rq``."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from klynge.answers.describe import Engine, select, text


@dataclass(frozen=True)
class Dated:
    """One dated fact of an organisation: what it did (its role) to what, over which period."""

    role: str
    iri: str | None
    label: str | None
    start: str | None
    end: str | None

    @property
    def period(self) -> str:
        """The period as the sources give it."""
        if self.start and self.end:
            return self.start if self.start == self.end else f"{self.start}-{self.end}"
        return f"from {self.start}" if self.start else f"until {self.end}" if self.end else "undated"


@dataclass
class History:
    """The names and the dated facts, earliest first (undated ones last)."""

    names: list[ox.Literal] = field(default_factory=list)
    facts: list[Dated] = field(default_factory=list)


def history(engine: Engine, iri: ox.NamedNode) -> History:
    """The organisation's names, responsibilities, changes and own dates."""
    found = History()
    facts: dict[tuple, Dated] = {}
    for row in select(engine, "organisation-history", org=iri):
        if text(row["aspect"]) == "name":
            if row["name"] not in found.names:
                found.names.append(row["name"])
            continue
        fact = Dated(
            role=text(row["role"]) or "",
            iri=text(row.get("other")),
            label=text(row.get("otherLabel")),
            start=text(row.get("start")),
            end=text(row.get("end")),
        )
        facts[(fact.role, fact.iri, fact.start, fact.end)] = fact
    found.facts = sorted(facts.values(), key=lambda f: (f.start or f.end or "9999", f.role, f.label or ""))
    return found
