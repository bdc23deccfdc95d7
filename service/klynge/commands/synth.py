"""``klynge synth``: a synthetic, EU-scale graph in the klynge ontology, for benchmarks and scale tests.

Per country it writes what the real Danish graph has, at the Danish rate: a policy lineage of about
fifteen plans with merges, the bodies behind them, about fifteen cluster organisations with their
areas, NUTS-2 regions with ranked NACE nodes, budgets, and participation records (about 11,000
companies in 3,000 activities with 30,000 participations per period). Lines are streamed as
N-Triples, so memory stays flat whatever the size, and every country draws from its own seeded
generator, so a country's triples do not depend on how many others are made. The real code lists
(areas, NACE divisions) are reused by IRI; everything else lives under ``id/synth/``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

from klynge.rdf.namespaces import PREFIXES
from klynge.rdf.namespaces import RDF_TYPE as RDF_TYPE_NODE

KLYNGE = PREFIXES["klynge"]
ID = PREFIXES["kid"]
SYNTH = ID + "synth/"
RDF_TYPE = RDF_TYPE_NODE.value
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS = PREFIXES["skos"]
SCHEMA = PREFIXES["schema"]
XSD = PREFIXES["xsd"]
SOURCE_PROP = PREFIXES["dcterms"] + "source"
TITLE_PROP = PREFIXES["dcterms"] + "title"
QB_DATASET = PREFIXES["qb"] + "dataSet"
SPATIAL = PREFIXES["dcterms"] + "spatial"
QB_DATASET_CLASS = PREFIXES["qb"] + "DataSet"
REF_AREA = PREFIXES["sdmx-dimension"] + "refArea"
SYNTH_SOURCE = SYNTH + "source"
PROV = PREFIXES["prov"]
QB = PREFIXES["qb"]
SYNTH_DSD = SYNTH + "dsd/sectoral-nodes"

# EU member states by their NUTS country code (Greece is EL in NUTS).
COUNTRIES = [
    "DK",
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "EE",
    "EL",
    "ES",
    "FI",
    "FR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]
AREAS = [
    "environmental-technology",
    "energy-technology",
    "food-and-bio-resources",
    "maritime-business-and-logistics",
    "life-science-and-welfare-technology",
    "building-and-construction",
    "design-fashion-and-furniture",
    "advanced-production",
    "digital-technologies",
    "finance-and-fintech",
    "robot-and-drone-technology",
    "animation-games-and-movies",
    "sound-technology",
    "defence-space-and-security",
]
NACE = ["H50", "C21", "R91", "J58", "K65", "Q88", "Q87", "F43", "C28", "R93", "H53"]
PLAN_KINDS = ("Strategy", "Programme", "ActionPlan", "Act", "PoliticalAgreement", "Guidelines")
BODY_KINDS = ("Ministry", "Board", "Agency", "Council")

PLANS = 15
CLUSTERS = 15
REGIONS = 5
NODES_PER_REGION = 5
COMPANIES = 11_000
ACTIVITIES = 3_000
PARTICIPATIONS = 30_000
PERIOD = ("2021", "2023")


def iri(value: str) -> str:
    """An IRI in N-Triples form."""
    return f"<{value}>"


def literal(value: str, datatype: str | None = None, lang: str | None = None) -> str:
    """A literal in N-Triples form (synthetic labels are ASCII: only quotes and backslashes need escaping)."""
    text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if lang:
        return f"{text}@{lang}"
    return f"{text}^^<{datatype}>" if datatype else text


def triple(subject: str, predicate: str, obj: str) -> str:
    """One N-Triples line (subject and predicate are bare IRIs, the object already formatted)."""
    return f"<{subject}> <{predicate}> {obj} .\n"


def resource(subject: str, kind: str, label: str) -> Iterator[str]:
    """The triples every synthetic resource carries: its klynge type, English label and source."""
    yield triple(subject, RDF_TYPE, iri(KLYNGE + kind))
    yield triple(subject, RDFS_LABEL, literal(label, lang="en"))
    yield triple(subject, SOURCE_PROP, iri(SYNTH_SOURCE))


def year(value: int | str) -> str:
    """An xsd:gYear literal."""
    return literal(str(value), XSD + "gYear")


def source_document(seed: int) -> Iterator[str]:
    """The one source every synthetic fact cites, so the shapes' source rule holds for synthetic data too."""
    yield from resource(SYNTH_SOURCE, "SourceDocument", "Synthetic benchmark data")
    yield triple(SYNTH_SOURCE, TITLE_PROP, literal(f"klynge synthetic benchmark data (seed {seed})", lang="en"))


def money(subject: str, amount: int, label: str) -> Iterator[str]:
    """A budget: a schema:MonetaryAmount in DKK."""
    yield from resource(subject, "Budget", label)
    yield triple(subject, RDF_TYPE, iri(SCHEMA + "MonetaryAmount"))
    yield triple(subject, SCHEMA + "value", literal(str(amount), XSD + "decimal"))
    yield triple(subject, SCHEMA + "currency", literal("DKK"))


def country_lines(code: str, seed: int, scale: float = 1.0) -> Iterator[str]:
    """Every synthetic triple of one country, drawn from the country's own generator."""
    rng = random.Random(f"{seed}:{code}")
    base = f"{SYNTH}{code.lower()}/"
    bodies = [f"{base}org/{kind.lower()}" for kind in BODY_KINDS]
    for body, kind in zip(bodies, BODY_KINDS, strict=True):
        yield from resource(body, kind, f"{code} {kind.lower()}")

    regions = [f"{base}region/{code}0{n}" for n in range(1, REGIONS + 1)]
    for region in regions:
        notation = region.rsplit("/", 1)[1]
        yield from resource(region, "NutsRegion", f"{code} region {notation}")
        yield triple(region, SKOS + "notation", literal(notation))
        yield triple(region, SKOS + "inScheme", iri(ID + "scheme/nuts-2"))
        yield triple(region, SKOS + "exactMatch", iri(f"http://data.europa.eu/nuts/code/{notation}"))

    plans = [f"{base}policy/plan-{n:02d}" for n in range(PLANS)]
    for n, plan in enumerate(plans):
        start = 1995 + 2 * n
        yield from resource(plan, PLAN_KINDS[n % len(PLAN_KINDS)], f"{code} plan {n:02d}")
        yield triple(plan, SCHEMA + "startDate", year(start))
        yield triple(plan, SCHEMA + "endDate", year(start + rng.randint(1, 4)))
        yield triple(plan, SCHEMA + "funder", iri(rng.choice(bodies)))
        yield triple(bodies[0], KLYNGE + "responsibleFor", iri(plan))
        if n:
            yield from lineage_step(plan, "succeeds", plans[n - 1])
        if n >= 3 and n % 4 == 3:
            yield from lineage_step(plan, "consolidates", plans[n - 3])
        budget = f"{plan}/budget"
        yield from money(budget, rng.randint(10, 900) * 1_000_000, f"Budget of {code} plan {n:02d}")
        yield triple(plan, KLYNGE + "hasBudget", iri(budget))
    programme = plans[-1]

    clusters = [f"{base}cluster/cluster-{n:02d}" for n in range(CLUSTERS)]
    for n, cluster in enumerate(clusters):
        yield from resource(cluster, "ClusterOrganisation", f"{code} cluster {n:02d}")
        yield triple(cluster, KLYNGE + "hasArea", iri(ID + "area/" + AREAS[n % len(AREAS)]))
        yield triple(cluster, KLYNGE + "isBudding", literal(str(n >= CLUSTERS - 2).lower(), XSD + "boolean"))
        yield triple(cluster, SPATIAL, iri(rng.choice(regions)))
        yield triple(cluster, KLYNGE + "appointedUnder", iri(programme))
        yield triple(cluster, SCHEMA + "funder", iri(bodies[0]))
        yield triple(cluster, SCHEMA + "funder", iri(bodies[1]))

    dataset = f"{base}dataset/sectoral-nodes"
    yield triple(dataset, RDF_TYPE, iri(QB_DATASET_CLASS))
    yield triple(dataset, QB + "structure", iri(SYNTH_DSD))
    yield triple(dataset, RDFS_LABEL, literal(f"{code} sectoral nodes", lang="en"))
    yield triple(dataset, SOURCE_PROP, iri(SYNTH_SOURCE))
    for region in regions:
        notation = region.rsplit("/", 1)[1]
        for rank, nace in enumerate(rng.sample(NACE, NODES_PER_REGION), start=1):
            node = f"{base}node/sector/{notation}-{rank}"
            yield from resource(node, "SectoralNode", f"{notation} sectoral node {rank}")
            yield triple(node, QB_DATASET, iri(dataset))
            yield triple(node, REF_AREA, iri(region))
            yield triple(node, KLYNGE + "sector", iri(ID + "nace/" + nace))
            yield triple(node, KLYNGE + "rank", literal(str(rank), XSD + "positiveInteger"))

    yield from participation_lines(code, base, clusters, regions, rng, scale)


def lineage_step(later: str, relation: str, earlier: str) -> Iterator[str]:
    """A lineage link and its qualified form, as the evidence contract has every link (docs/modelling.md)."""
    step = f"{later.rsplit('/', 2)[0]}/influence/{later.rsplit('/', 1)[1]}--{relation}--{earlier.rsplit('/', 1)[1]}"
    yield triple(later, KLYNGE + relation, iri(earlier))
    yield triple(later, PROV + "qualifiedInfluence", iri(step))
    yield triple(step, RDF_TYPE, iri(PROV + "Influence"))
    yield triple(step, PROV + "influencer", iri(earlier))
    yield triple(step, KLYNGE + "relation", iri(KLYNGE + relation))
    yield triple(step, KLYNGE + "evidence", iri(KLYNGE + "Stated"))
    yield triple(step, SOURCE_PROP, iri(SYNTH_SOURCE))
    yield triple(step, KLYNGE + "locator", literal("synthetic", lang="en"))


def structure_lines() -> Iterator[str]:
    """The one data structure of the synthetic node data sets: region and rank give the NACE division."""
    yield triple(SYNTH_DSD, RDF_TYPE, iri(QB + "DataStructureDefinition"))
    yield triple(SYNTH_DSD, RDFS_LABEL, literal("Structure of the synthetic sectoral nodes", lang="en"))
    for kind, component in (("dimension", REF_AREA), ("dimension", KLYNGE + "rank"), ("measure", KLYNGE + "sector")):
        spec = f"{SYNTH}component/sectoral-nodes--{component.rsplit('#', 1)[-1]}"
        yield triple(SYNTH_DSD, QB + "component", iri(spec))
        yield triple(spec, RDF_TYPE, iri(QB + "ComponentSpecification"))
        yield triple(spec, QB + kind, iri(component))


def participation_lines(
    code: str, base: str, clusters: list[str], regions: list[str], rng: random.Random, scale: float
) -> Iterator[str]:
    """Companies in cluster activities over one period, at the Danish 2021-2023 rate times scale."""
    start, end = year(PERIOD[0]), year(PERIOD[1])
    companies, activities = max(1, round(COMPANIES * scale)), max(1, round(ACTIVITIES * scale))
    for n in range(companies):
        company = f"{base}company/{n:05d}"
        yield from resource(company, "Company", f"{code} company {n:05d}")
        yield triple(company, SPATIAL, iri(rng.choice(regions)))
    for n in range(activities):
        activity = f"{base}activity/{n:04d}"
        yield from resource(activity, "ClusterActivity", f"{code} activity {n:04d}")
        yield triple(activity, KLYNGE + "organisedBy", iri(rng.choice(clusters)))
        yield triple(activity, SCHEMA + "startDate", start)
        yield triple(activity, SCHEMA + "endDate", end)
    for n in range(round(PARTICIPATIONS * scale)):
        record = f"{base}participation/{n:05d}"
        yield triple(record, RDF_TYPE, iri(KLYNGE + "Participation"))
        yield triple(record, SOURCE_PROP, iri(SYNTH_SOURCE))
        yield triple(record, KLYNGE + "participant", iri(f"{base}company/{rng.randrange(companies):05d}"))
        yield triple(record, KLYNGE + "activity", iri(f"{base}activity/{rng.randrange(activities):04d}"))


def synth_lines(countries: int, seed: int, scale: float = 1.0) -> Iterator[str]:
    """The whole synthetic graph, country by country, as N-Triples lines (scale shrinks participation)."""
    yield from source_document(seed)
    yield from structure_lines()
    for code in COUNTRIES[:countries]:
        yield from country_lines(code, seed, scale)


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``klynge synth``."""
    parser.add_argument("--countries", type=int, default=1, help="countries (1 = DK, 27 = EU27)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same bytes")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="participation records relative to the Danish rate (0 < S <= 1)",
    )
    parser.add_argument("--out", type=Path, help="N-Triples file to write (default: standard output)")


def run(args: argparse.Namespace) -> int:
    """Stream the synthetic graph to --out or standard output."""
    if not 1 <= args.countries <= len(COUNTRIES):
        print(
            f"klynge synth: --countries must be 1 to {len(COUNTRIES)} (the EU member states), not {args.countries}",
            file=sys.stderr,
        )
        return 2
    if not 0 < args.scale <= 1:
        print(f"klynge synth: --scale must be above 0 and at most 1, not {args.scale}", file=sys.stderr)
        return 2
    if args.out is not None and args.out.suffix != ".nt":
        print(f"klynge synth: --out {args.out} must end in .nt (the output is N-Triples)", file=sys.stderr)
        return 2
    lines = Counted(synth_lines(args.countries, args.seed, args.scale))
    try:
        with open(args.out, "w", encoding="utf-8") if args.out else nullcontext(sys.stdout) as out:
            out.writelines(lines)
    except OSError as error:
        print(f"klynge synth: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 2
    # What was made, where: on standard error when the triples themselves went to standard output.
    where = f"to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)" if args.out else "to standard output"
    print(
        f"klynge synth: wrote {lines.count:,} triples for {args.countries} "
        f"{'country' if args.countries == 1 else 'countries'} (seed {args.seed}, scale {args.scale:g}) {where}",
        file=sys.stdout if args.out else sys.stderr,
    )
    return 0


class Counted:
    """The lines of an iterator, counted as they pass."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.count += 1
            yield line
