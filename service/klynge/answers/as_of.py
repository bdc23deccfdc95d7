"""As of year Y: the plans in force, the bodies behind them, the clusters appointed and the budgets of a year.

The plans in force are the named query ``policies-in-force`` (the public API answers the same): in force comes from
the periods, ends and later years in force that the sources state, never from lineage links; bodies,
clusters and budgets are ``sparql/as-of-*.rq``. A body is listed when it is responsible for, or runs, a plan in
force that year (an administration period with dates counts only within them).
"""

from __future__ import annotations

import pyoxigraph as ox

from klynge.answers.describe import Engine, select, text
from klynge.answers.lineage import resource
from klynge.answers.models import AppointedCluster, AsOf, BudgetLine, ChangeOfYear, PolicyInForce, ResponsibleBody
from klynge.catalogue import catalogue
from klynge.rdf.namespaces import XSD_INTEGER

FIRST_YEAR, LAST_YEAR = 1990, 2030  # the span the sources cover, with room either side
OPEN = "no end stated"  # the basis policies-in-force gives a plan that began and has no end in the sources


def year_term(year: int) -> ox.Literal:
    """A year as the queries take it (xsd:integer)."""
    return ox.Literal(str(year), datatype=XSD_INTEGER)


def policies_in_force(engine: Engine, year: int) -> list[PolicyInForce]:
    """The plans in force in the year: by a stated period, a later year stated in force, or a decade."""
    return [policy for policy in plans_of_year(engine, year) if policy.basis != OPEN]


def plans_of_year(engine: Engine, year: int) -> list[PolicyInForce]:
    """Every row of the named query policies-in-force for the year, plans begun earlier with no end included."""
    query = catalogue()["policies-in-force"]
    rows = engine.select(query.sparql, query.bindings({"year": str(year)}))
    return [
        PolicyInForce(
            iri=row["policy"].value,
            label=text(row.get("policyLabel")),
            start=text(row.get("start")),
            end=text(row.get("end")),
            planned_end=text(row.get("plannedEnd")),
            in_force_until=text(row.get("inForceUntil")),
            period=text(row.get("period")),
            basis=text(row["basis"]),
        )
        for row in rows
    ]


def covers(start: str | None, end: str | None, year: int) -> bool:
    """Whether a period, open at either end where a date is missing, covers the year."""
    return (start is None or int(start[:4]) <= year) and (end is None or int(end[:4]) >= year)


def bodies(engine: Engine, year: int, policies: list[PolicyInForce]) -> list[ResponsibleBody]:
    """The bodies responsible for or running the plans in force, and those whose dated administration of a
    plan covers the year (a call's, say), each once with its roles and plans."""
    in_force = {policy.iri for policy in policies}
    found: dict[str, dict] = {}
    for row in select(engine, "as-of-bodies"):
        start, end = text(row.get("start")), text(row.get("end"))
        dated = start is not None or end is not None
        if not covers(start, end, year) or (row["policy"].value not in in_force and not dated):
            continue
        body = found.setdefault(row["body"].value, {"label": text(row.get("bodyLabel")), "roles": {}, "plans": {}})
        body["roles"][text(row["role"])] = None
        body["plans"][row["policy"].value] = resource(row["policy"], row.get("policyLabel"))
    return [
        ResponsibleBody(iri=iri, label=body["label"], roles=list(body["roles"]), policies=list(body["plans"].values()))
        for iri, body in found.items()
    ]


def changes(engine: Engine, year: int) -> list[ChangeOfYear]:
    """The organisational changes dated in the year, with the bodies on each side."""
    found: dict[str, dict] = {}
    for row in select(engine, "as-of-changes", year=year_term(year)):
        change = found.setdefault(row["event"].value, {"row": row, "from": {}, "into": {}})
        if "body" in row:
            change[text(row["side"])][row["body"].value] = resource(row["body"], row.get("bodyLabel"))
    return [
        ChangeOfYear(
            iri=iri,
            label=text(c["row"].get("eventLabel")),
            date=text(c["row"].get("date")),
            changed=list(c["from"].values()),
            resulting=list(c["into"].values()),
        )
        for iri, c in found.items()
    ]


def clusters(engine: Engine, year: int) -> list[AppointedCluster]:
    """The clusters of the year, each with every area it covers."""
    found: dict[str, dict] = {}
    for row in select(engine, "as-of-clusters", year=year_term(year)):
        cluster = found.setdefault(row["cluster"].value, {"row": row, "areas": {}})
        if "area" in row:
            cluster["areas"][row["area"].value] = resource(row["area"], row.get("areaLabel"))
    return [
        AppointedCluster(
            iri=iri,
            label=text(c["row"].get("clusterLabel")),
            programme=resource(c["row"]["programme"], c["row"].get("programmeLabel")),
            appointed_on=text(c["row"].get("appointedOn")),
            areas=list(c["areas"].values()),
        )
        for iri, c in found.items()
    ]


def budgets(engine: Engine, year: int) -> list[BudgetLine]:
    """The budget lines whose period covers the year."""
    return [
        BudgetLine(
            iri=row["budget"].value,
            label=text(row.get("budgetLabel")),
            value=text(row.get("value")),
            currency=text(row.get("currency")),
            policy=resource(row["policy"], row.get("policyLabel")) if "policy" in row else None,
            start=text(row.get("start")),
            end=text(row.get("end")),
        )
        for row in select(engine, "as-of-budgets", year=year_term(year))
    ]


def as_of(engine: Engine, year: int) -> AsOf:
    """Everything the graph says held in the year. Plans that began earlier and have no end in the sources are
    kept apart: that they began is known, that they still held is not."""
    rows = plans_of_year(engine, year)
    policies = [policy for policy in rows if policy.basis != OPEN]
    return AsOf(
        year=year,
        previous=year - 1,
        next=year + 1,
        policies=policies,
        started_no_end=[policy for policy in rows if policy.basis == OPEN],
        bodies=bodies(engine, year, policies),
        clusters=clusters(engine, year),
        budgets=budgets(engine, year),
        changes=changes(engine, year),
    )
