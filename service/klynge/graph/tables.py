"""The graph as tidy tables: a Frictionless Data Package of CSV files, for pandas, R and spreadsheets.

``klynge export --format tables --out DIR`` writes one CSV per table (one row per thing, one value per cell;
a many-to-many relation is a table of its own, so nothing is counted twice) and ``datapackage.json`` with a
Table Schema for each: its fields with their types and meanings, its primary key and the foreign keys that
join it to the others. Each table is the answer of the service query ``sparql/tables-<name>.rq``; the schema
here must name the query's columns in order (``write_package`` checks). A researcher loads it in one line:
``pandas.read_csv(DIR / "clusters.csv")``, or ``frictionless`` / R's ``frictionless`` package for all of it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.rdf.namespaces import KLYNGE_BASE, PREFIXES

IRI = f"the resource's IRI ({PREFIXES['kid']}...): its page, its RDF, the key other tables join on"
LABEL = "its display label (English where the sources give one)"
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}
PACKAGE = "klynge-tables"
MEDIA_TYPE = "application/vnd.datapackage+json"  # the distribution's descriptor, as DCAT names it


@dataclass(frozen=True)
class Column:
    """A field of a Table Schema: its name (the query's variable), Frictionless type and meaning."""

    name: str
    type: str
    description: str
    format: str | None = None

    def descriptor(self) -> dict[str, object]:
        described: dict[str, object] = {"name": self.name, "type": self.type, "description": self.description}
        if self.format is not None:
            described["format"] = self.format
        return described


def iri(name: str, what: str = IRI) -> Column:
    return Column(name, "string", what, "uri")


def text(name: str, what: str) -> Column:
    return Column(name, "string", what)


@dataclass(frozen=True)
class TableSpec:
    """One CSV of the package: its name (and query), title, description, columns, keys."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())  # (column, table, its column)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    def descriptor(self) -> dict[str, object]:
        schema: dict[str, object] = {
            "fields": [column.descriptor() for column in self.columns],
            "primaryKey": list(self.primary_key),
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": column, "reference": {"resource": table, "fields": key}}
                for column, table, key in self.foreign_keys
            ]
        return {
            "name": self.name,
            "path": self.path,
            "title": self.title,
            "description": self.description,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


PERIOD = "as the sources date it: a year (2021) or a date (2020-10-01)"
TABLES = (
    TableSpec(
        "policies",
        "Policies",
        "Danish cluster and innovation policies: programmes, strategies, plans, calls, acts, agreements, studies.",
        (
            iri("policy"),
            text("label", LABEL),
            text("start", "when it began, " + PERIOD),
            text("end", "when it ended, " + PERIOD),
            text("period", 'its period in words where the sources give no year ("1990s")'),
            text("definition", "what it is, in the project's own words"),
        ),
        ("policy",),
    ),
    TableSpec(
        "kinds",
        "Kinds of policies and organisations",
        "Each policy's and organisation's most specific klynge classes (one row each; a few have two).",
        (
            iri("resource", "a policy's or organisation's IRI"),
            iri("kind", "a class of the klynge ontology"),
            text("kindLabel", "the class's label"),
        ),
        ("resource", "kind"),
    ),
    TableSpec(
        "lineage-steps",
        "Lineage steps with their evidence",
        "How each policy or body came from an earlier one: one row per step, stated by a source or inferred "
        "(the project's reading, in the note), with where in the source to look. Sources: sources.csv.",
        (
            iri("step", "the step's IRI (its sources are in sources.csv under it)"),
            iri("later", "the later policy or body"),
            text("laterLabel", LABEL),
            iri("relation", "how the later one relates to the earlier one (a klynge or PROV property)"),
            text("relationLabel", "the relation's label"),
            iri("earlier", "the earlier policy or body"),
            text("earlierLabel", LABEL),
            iri("evidence", "klynge:Stated or klynge:Inferred"),
            text("evidenceLabel", "stated or inferred, in words"),
            text("note", "the reading behind an inferred step"),
            text("locator", "where in the source the step is found"),
        ),
        ("step",),
    ),
    TableSpec(
        "organisations",
        "Organisations",
        "Ministries, agencies, boards, councils, regions, growth forums and cluster organisations.",
        (iri("organisation"), text("label", LABEL), text("definition", "what it is, in the project's own words")),
        ("organisation",),
    ),
    TableSpec(
        "organisation-names",
        "Organisation names",
        "Every name of every organisation, English and Danish, main or alternative (abbreviations, former forms).",
        (
            iri("organisation"),
            text("name", "the name as the sources write it"),
            text("language", "its language tag: en, da, or empty"),
            text("nameKind", "main or alternative"),
        ),
        ("organisation", "name", "language", "nameKind"),
        (("organisation", "organisations", "organisation"),),
    ),
    TableSpec(
        "organisation-changes",
        "Organisation changes over time",
        "Organisational changes (org:ChangeEvent): which bodies a change took over and which it resulted in, "
        "and when. One row per (change, original, resulting) organisation.",
        (
            iri("change", "the change's IRI"),
            text("changeLabel", LABEL),
            text("date", "when, " + PERIOD),
            iri("original", "an organisation before the change"),
            text("originalLabel", LABEL),
            iri("resulting", "an organisation after it"),
            text("resultingLabel", LABEL),
        ),
        ("change", "original", "resulting"),
        (("original", "organisations", "organisation"), ("resulting", "organisations", "organisation")),
    ),
    TableSpec(
        "clusters",
        "Cluster organisations",
        "The appointed cluster organisations: business area, budding or not, appointment. Funders: funders.csv.",
        (
            iri("cluster"),
            text("label", LABEL),
            iri("area", "its business area (areas.csv)"),
            Column("budding", "boolean", "whether it is a budding cluster, funded beyond the designated areas"),
            iri("appointedUnder", "the policy it was appointed under"),
            iri("appointedBy", "who appointed it"),
            text("appointedByLabel", LABEL),
            Column("appointedOn", "date", "the date of its appointment"),
        ),
        ("cluster",),
        (("area", "areas", "area"), ("cluster", "organisations", "organisation")),
    ),
    TableSpec(
        "areas",
        "Business areas",
        "The business areas (strength positions) the cluster organisations work in.",
        (iri("area"), text("label", LABEL), text("definition", "what it covers, in the project's own words")),
        ("area",),
    ),
    TableSpec(
        "funding",
        "Funding",
        "Public funding of policies and clusters: what it funds, the amount it names (amounts.csv) and its period. "
        "Who pays is in funders.csv, so a joint amount is counted once.",
        (
            iri("funding"),
            text("label", LABEL),
            iri("fundedItem", "what it funds"),
            iri("amount", "the amount it names (amounts.csv)"),
            text("start", "first year, " + PERIOD),
            text("end", "last year, " + PERIOD),
            Column("operatingSupport", "boolean", "whether the money is operating support"),
        ),
        ("funding",),
        (("amount", "amounts", "amount"),),
    ),
    TableSpec(
        "amounts",
        "Monetary amounts",
        "Budgets, allocations, money spent and raised: value, currency, period, and whether it is approximate.",
        (
            iri("amount"),
            text("label", LABEL),
            Column("value", "number", "the amount in its currency"),
            text("currency", "ISO 4217 code"),
            iri("approximation", "klynge:Approximately, klynge:AtLeast, ... where the source gives no exact figure"),
            text("start", "first year, " + PERIOD),
            text("end", "last year, " + PERIOD),
        ),
        ("amount",),
    ),
    TableSpec(
        "funders",
        "Funders",
        "Who funds what: one row per funded policy, funding or cluster organisation and each of its funders.",
        (
            iri("funded", "a policy, funding or cluster organisation"),
            iri("funder", "an organisation that pays"),
            text("funderLabel", LABEL),
        ),
        ("funded", "funder"),
    ),
    TableSpec(
        "statistics",
        "Participation statistics",
        "Participation in cluster activities: companies, knowledge environments, activities, money, per period.",
        (
            iri("statistic"),
            text("label", LABEL),
            iri("subject", "what the figure is about"),
            iri("measure", "what is counted"),
            iri("participantType", "who is counted"),
            Column("value", "number", "the figure"),
            text("unit", "its unit (a currency code), where not a count"),
            iri("approximation", "klynge:Approximately, ... where the source gives no exact figure"),
            text("start", "first year, " + PERIOD),
            text("end", "last year, " + PERIOD),
        ),
        ("statistic",),
    ),
    TableSpec(
        "regional-nodes",
        "Regional specialisation nodes",
        "Each NUTS-2 region's regionally relevant nodes: sectoral (NACE divisions) and ecosystem (EU industrial "
        "ecosystems), ranked, most specialised first.",
        (
            iri("node"),
            text("nodeKind", "sectoral or ecosystem"),
            iri("region", "the NUTS-2 region"),
            text("regionNotation", "its NUTS code (DK01 ...)"),
            text("regionLabel", LABEL),
            Column("rank", "integer", "the node's rank in its region, 1 most specialised"),
            iri("category", "the NACE division or industrial ecosystem"),
            text("categoryNotation", "its code (C21 ...)"),
            text("categoryLabel", LABEL),
        ),
        ("node",),
    ),
    TableSpec(
        "sources",
        "Sources",
        "Where every resource comes from: one row per resource and source document, with the locator in it.",
        (
            iri("resource", "any resource of the graph (a row of another table, a lineage step, ...)"),
            iri("source", "the source document"),
            text("sourceLabel", LABEL),
            text("locator", "where in the source: section, table, quotation"),
        ),
        ("resource", "source"),
    ),
)


def cell(term: ox.Term | None) -> str:
    """A term as a CSV value: an IRI as itself, a literal as its lexical form, nothing as empty."""
    return "" if term is None else term.value


def rows(store: ox.Store, table: TableSpec) -> list[list[str]]:
    """The table's rows from its query; a query whose columns differ from the schema is a programming error."""
    answer = store.query(internal(f"tables-{table.name}").sparql, use_default_graph_as_union=True)
    columns = [variable.value for variable in answer.variables]
    expected = [column.name for column in table.columns]
    if columns != expected:
        raise AssertionError(f"tables-{table.name}.rq selects {columns}, its schema names {expected}")
    return [[cell(solution[name]) for name in columns] for solution in answer]


def descriptor(version: str | None = None) -> dict[str, object]:
    """``datapackage.json``: the package's metadata and every table's schema."""
    package: dict[str, object] = {
        "profile": "tabular-data-package",
        "name": PACKAGE,
        "title": "klynge: Danish cluster and innovation policy as tables",
        "description": "The klynge knowledge graph as tidy CSV tables (one row per thing), each with its Table "
        "Schema. Every resource is identified by its IRI, which joins the tables and leads to its page.",
        "homepage": KLYNGE_BASE,
        "licenses": [LICENSE],
        "resources": [table.descriptor() for table in TABLES],
    }
    if version:
        package["version"] = version
    return package


def package_files(store: ox.Store) -> dict[str, bytes]:
    """Every file of the package by name: the tables' CSV, then ``datapackage.json``."""
    files = {}
    for table in TABLES:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(column.name for column in table.columns)
        writer.writerows(rows(store, table))
        files[table.path] = out.getvalue().encode("utf-8")
    files["datapackage.json"] = (json.dumps(descriptor(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def write_package(store: ox.Store, folder: Path) -> list[Path]:
    """Write every table and ``datapackage.json`` into ``folder`` (made if missing); the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in package_files(store).items():
        (folder / name).write_bytes(body)
        written.append(folder / name)
    return written


def package_zip(store: ox.Store) -> bytes:
    """The package as one zip file (the same bytes for the same graph: fixed dates, fixed order), for the
    service's download and the static site."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in package_files(store).items():
            entry = zipfile.ZipInfo(f"{PACKAGE}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, body)
    return buffer.getvalue()
