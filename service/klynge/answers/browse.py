"""Browse by class and facets: the classes that have instances, and a class's instances narrowed by facets.

The facets of a class come from the SHACL shapes: each property shape of a node shape targeting the class or
one of its superclasses whose path is a property or the inverse of one (``sparql/browse-shape-paths.rq``),
plus "kind", the narrower classes the ontology gives. A facet shows the values its instances take, with how
many instances of the current state have each. A state is the class, at most one value per facet, and
optionally a year: then only what was in force that year is kept, by the as-of answer's own definition
(``klynge.answers.as_of``: plans in force, the clusters of the year, the bodies behind the plans), which this
module calls and never restates.

The engine counts each facet's values over the state (``browse-facet-counts.rq``, ``browse-kind-count.rq``):
fetching every (instance, value) pair and counting here took seconds per facet for the classes with hundreds of
thousands of instances at EU27. A state with a year keeps the as-of answer's instances, which no query of the
engine names, so its facets are still counted here from the pairs.

Every query is a fixed file in ``klynge/sparql/browse-*.rq`` with the state bound as terms; the SPARQL the
editor opens for a state is that file with the terms written in by the remote stores' term writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import takewhile

import pyoxigraph as ox
from pydantic import BaseModel, ConfigDict, Field

from klynge.answers import as_of, statistics
from klynge.answers.describe import DCTERMS_SOURCE, select, spelled_out, text
from klynge.catalogue import ParameterError, internal, split_header
from klynge.engines.base import Engine
from klynge.engines.remote.binding import bind_terms, sparql_term
from klynge.rdf.namespaces import KLYNGE, ORG, RDF_TYPE, curie
from klynge.rdf.sparql_lexer import tokens
from klynge.validation.shapes_doc import shapes_store

FORWARD_SLOTS = 4  # browse-items.rq has four (property, value) pairs
INVERSE_SLOTS = 2  # and two (inverse property, value) pairs
KIND = RDF_TYPE.value
PAGE_SIZE = 50
# A state with more instances is listed in the order the engine reads them, a page at a time (browse-items-page.rq):
# sorting 300,000 organisations or 800,000 participation records by label took the engine minutes.
SORTED_AT_MOST = 10_000


class BrowseError(ValueError):
    """A facet state that cannot be answered: what is wrong and how to write it instead."""


class NoSuchClass(LookupError):
    """A class the ontology does not declare, or one without instances."""


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ClassCount(Model):
    """A class of the ontology and how many resources have it."""

    iri: str
    key: str = Field(description="the class as a prefixed name: its path under /browse/")
    label: str | None = None
    count: int


class FacetValue(Model):
    """One value of a facet: how many instances of the current state have it, and whether it is chosen."""

    iri: str
    label: str | None = None
    count: int
    selected: bool = False


class Facet(Model):
    """A property (or its inverse) the shapes give the class, with the values its instances take."""

    key: str = Field(description="the query-string name of the facet: a prefixed property, ^ before an inverse")
    property: str
    inverse: bool
    label: str
    values: list[FacetValue]


class Item(Model):
    """An instance in the list."""

    iri: str
    label: str | None = None


class BrowseState(Model):
    """One facet state of a class: its instances (a page of them), its facets and the equivalent SPARQL."""

    class_iri: str = Field(alias="class")
    key: str
    label: str | None = None
    year: int | None = Field(default=None, description="only what was in force this year (the as-of answer)")
    years: bool = Field(description="whether the year facet applies to this class")
    chosen: dict[str, str] = Field(description="the chosen value of each facet, by facet key")
    total: int
    page: int
    pages: int
    per_page: int = Field(description="instances a page holds")
    by_label: bool = Field(
        description=f"whether the instances are sorted by label; a state of more than {SORTED_AT_MOST:,} is listed "
        "in the store's order instead (stable for one graph), a page at a time"
    )
    items: list[Item]
    facets: list[Facet]
    sparql: str = Field(description="the query giving this state's instances, to open in the SPARQL editor")

    model_config = ConfigDict(frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class FacetSpec:
    """A facet before counting: its key, property, direction and the shape's name for it."""

    key: str
    property: str
    inverse: bool
    name: str | None


def classes(engine: Engine) -> list[ClassCount]:
    """The ontology's classes with instances, most instances first."""
    return [
        ClassCount(
            iri=row["class"].value,
            key=curie(row["class"].value),
            label=text(row.get("classLabel")),
            count=int(row["count"].value),
        )
        for row in statistics.browse_classes(engine)
    ]


@cache
def shape_paths() -> dict[str, list[tuple[str, bool, str | None]]]:
    """For each class a node shape targets, its property shapes' (property, inverse, name), read once."""
    found: dict[str, list[tuple[str, bool, str | None]]] = {}
    for row in shapes_store().query(internal("browse-shape-paths").sparql, use_default_graph_as_union=True):
        inverse = row["inverse"].value == "true"
        found.setdefault(row["target"].value, []).append((row["property"].value, inverse, text(row["name"])))
    return found


def class_family(engine: Engine, class_iri: ox.NamedNode) -> list[dict[str, ox.Term]]:
    """The class with its broader and narrower classes (``side``) and their labels."""
    return select(engine, "browse-class-family", **{"class": class_iri})


def facet_specs(family: list[dict[str, ox.Term]]) -> list[FacetSpec]:
    """The facets the shapes give the class, its superclasses and its subclasses, "kind" first."""
    specs = {KIND: FacetSpec(curie(KIND), KIND, False, "kind")}
    paths = shape_paths()
    for target in dict.fromkeys(row["related"].value for row in family):
        for prop, inverse, name in paths.get(target, []):
            key = ("^" if inverse else "") + curie(prop)
            if prop != KIND and key not in specs:
                specs[key] = FacetSpec(key, prop, inverse, name)
    # kind first, then the facets a shape names (the ones its authors meant people to use), the source last
    return sorted(specs.values(), key=lambda s: (s.property != KIND, s.name is None, s.property == DCTERMS_SOURCE))


# The classes whose instances the as-of answer places in a year, and how (policies first: a programme is one).
YEAR_CLASSES = (KLYNGE.Policy.value, KLYNGE.ClusterOrganisation.value, ORG.Organization.value)


def in_force(engine: Engine, year_class: str, year: int) -> set[str]:
    """The instances of an as-of class that the as-of answer says held in the year."""
    if year_class == KLYNGE.Policy.value:
        return {policy.iri for policy in as_of.policies_in_force(engine, year)}
    clusters = {cluster.iri for cluster in as_of.clusters(engine, year)}
    if year_class == KLYNGE.ClusterOrganisation.value:
        return clusters
    return clusters | {body.iri for body in as_of.bodies(engine, year, as_of.policies_in_force(engine, year))}


def year_class(family: list[dict[str, ox.Term]]) -> str | None:
    """The as-of class that decides a year for this class (it or a superclass of it), if any."""
    supers = {row["related"].value for row in family if row["side"].value == "broader"}
    return next((iri for iri in YEAR_CLASSES if iri in supers), None)


def parse_state(specs: Iterable[FacetSpec], values: Mapping[str, str]) -> dict[str, ox.NamedNode]:
    """The chosen value of each facet from the query string's ``key=IRI`` pairs; unknown keys are errors."""
    by_key = {spec.key: spec for spec in specs}
    value_parameter = next(p for p in internal("browse-items").parameters if p.name == "value1")
    chosen: dict[str, ox.NamedNode] = {}
    for key, value in values.items():
        if key not in by_key:
            raise BrowseError(f"{key!r} is not a facet of this class; its facets are: {', '.join(by_key)}")
        try:  # the check a named query's IRI parameter makes (control characters included)
            chosen[key] = value_parameter.term(value)
        except ParameterError as error:
            raise BrowseError(f"facet {key}: {error.problem}; write the value's full IRI") from None
        except ValueError as error:  # an IRI pyoxigraph refuses, such as a bad %-escape
            raise BrowseError(f"facet {key}: {value!r} is not a value's IRI ({error})") from None
    forward = [k for k in chosen if not by_key[k].inverse]
    inverse = [k for k in chosen if by_key[k].inverse]
    if len(forward) > FORWARD_SLOTS or len(inverse) > INVERSE_SLOTS:
        raise BrowseError(
            f"at most {FORWARD_SLOTS} facets and {INVERSE_SLOTS} inverse (^) facets combine in one state; "
            "remove one and narrow further from the result"
        )
    return dict(sorted(chosen.items()))  # one state, one order: the same slots and the same SPARQL


def item_bindings(class_iri: ox.NamedNode, specs: list[FacetSpec], chosen: Mapping[str, ox.NamedNode]) -> dict:
    """The terms of browse-items.rq for a state: the class and one slot per chosen facet."""
    by_key = {spec.key: spec for spec in specs}
    terms: dict[str, ox.Term] = {"class": class_iri}
    forward = [k for k in chosen if not by_key[k].inverse]
    inverse = [k for k in chosen if by_key[k].inverse]
    for slot, key in enumerate(forward, start=1):
        terms[f"property{slot}"], terms[f"value{slot}"] = ox.NamedNode(by_key[key].property), chosen[key]
    for slot, key in enumerate(inverse, start=1):
        terms[f"inverse{slot}"], terms[f"from{slot}"] = ox.NamedNode(by_key[key].property), chosen[key]
    return terms


def restricted_to(query: str, members: list[str]) -> str:
    """The query with ``VALUES ?item { … }`` opening its WHERE group: the instances a year keeps, as terms.

    The year's members come from the as-of answer (one definition of "in force"), so the editor's query names
    them rather than restating that definition."""
    opening = next(t for t in tokens(query) if t.text == "{")
    terms = " ".join(sparql_term(ox.NamedNode(iri)) for iri in sorted(members))
    return f"{query[: opening.start + 1]}\n  VALUES ?item {{ {terms} }}{query[opening.start + 1 :]}"


def editor_query(bound: Mapping[str, ox.Term], year: int | None, members: set[str] | None) -> str:
    """The SPARQL of a state for the editor: browse-items.rq with the state's terms written in."""
    query = internal("browse-items")
    lines = query.sparql.splitlines(keepends=True)
    body = "".join(lines[split_header(query.sparql)[1] - 1 :])  # the header documents the file, not the state
    written = "# The instances of one /browse facet state (klynge/sparql/browse-items.rq, its terms written in)\n"
    written += bind_terms(body, query.bind(**bound))
    if year is not None and members is not None:
        note = f"# Only what was in force in {year}, by the as-of answer (/as-of/{year}): the VALUES list.\n"
        written = note + restricted_to(written, sorted(members))
    return written


def facet_pairs(
    engine: Engine,
    class_iri: ox.NamedNode,
    spec: FacetSpec,
    family: list[dict[str, ox.Term]],
    members: set[str] | None = None,
) -> list[dict[str, ox.Term]]:
    """Each instance of the class (among ``members``, if given) with each value of the facet (for "kind", each
    narrower class it has)."""
    if spec.property == KIND:
        narrower = {row["related"]: row.get("relatedLabel") for row in family if row["side"].value == "narrower"}
        return [
            {"item": row["item"], "value": kind, **({"valueLabel": label} if label is not None else {})}
            for kind, label in narrower.items()
            for row in among(engine, "browse-instances", members, **{"class": kind})
        ]
    name = "browse-facet-inverse-values" if spec.inverse else "browse-facet-values"
    return among(engine, name, members, **{"class": class_iri, "property": ox.NamedNode(spec.property)})


def count_facet(
    spec: FacetSpec, rows: list[dict[str, ox.Term]], kept: set[str], chosen: ox.NamedNode | None
) -> Facet | None:
    """The facet's values with how many kept instances have each, from (instance, value) pairs."""
    counts: dict[str, set[str]] = {}
    labels: dict[str, str | None] = {}
    property_label = None
    for row in rows:
        value = row["value"].value
        labels[value] = text(row.get("valueLabel"))
        property_label = property_label or text(row.get("propertyLabel"))
        if row["item"].value in kept:
            counts.setdefault(value, set()).add(row["item"].value)
    return facet_of(spec, {v: len(items) for v, items in counts.items()}, labels, property_label, chosen)


def counted_facet(
    engine: Engine,
    class_iri: ox.NamedNode,
    spec: FacetSpec,
    family: list[dict[str, ox.Term]],
    slots: Mapping[str, ox.Term],
    chosen: ox.NamedNode | None,
) -> Facet | None:
    """The facet's values with how many instances of the state have each, counted by the engine (a state
    without a year: its instances are the class's with the chosen values, ``slots`` as browse-items.rq binds
    them). A chosen value no instance of the state has keeps the label it has on the class's instances."""
    rows = facet_counts(engine, class_iri, spec, family, slots)
    counts = {row["value"].value: int(row["count"].value) for row in rows}
    labels = {row["value"].value: text(row.get("valueLabel")) for row in rows}
    property_label = next((text(row["propertyLabel"]) for row in rows if "propertyLabel" in row), None)
    if chosen is not None and chosen.value not in counts:
        for row in facet_counts(engine, class_iri, spec, family, {}):
            labels.setdefault(row["value"].value, text(row.get("valueLabel")))
            property_label = property_label or text(row.get("propertyLabel"))
    return facet_of(spec, counts, labels, property_label, chosen)


def facet_counts(
    engine: Engine,
    class_iri: ox.NamedNode,
    spec: FacetSpec,
    family: list[dict[str, ox.Term]],
    slots: Mapping[str, ox.Term],
) -> list[dict[str, ox.Term]]:
    """Each value of the facet that instances of the state have, with their count (``value``, ``count``,
    ``valueLabel``, ``propertyLabel``); for "kind", one count per narrower class."""
    if spec.property != KIND:
        name = "browse-facet-inverse-counts" if spec.inverse else "browse-facet-counts"
        return select(engine, name, **{"class": class_iri, "property": ox.NamedNode(spec.property)}, **slots)
    rows = []
    for row in family:
        if row["side"].value != "narrower":
            continue
        found = select(engine, "browse-kind-count", **{"class": class_iri, "kind": row["related"]}, **slots)
        if found and int(found[0]["count"].value) > 0:
            label = {"valueLabel": row["relatedLabel"]} if "relatedLabel" in row else {}
            rows.append({"value": row["related"], "count": found[0]["count"], **label})
    return rows


def facet_of(
    spec: FacetSpec,
    counts: Mapping[str, int],
    labels: Mapping[str, str | None],
    property_label: str | None,
    chosen: ox.NamedNode | None,
) -> Facet | None:
    """The facet from its values' counts, most first; None when it has no value."""
    counts = dict(counts)
    if chosen is not None:
        counts.setdefault(chosen.value, 0)
    if not counts:
        return None
    values = [
        FacetValue(iri=v, label=labels.get(v), count=n, selected=chosen is not None and v == chosen.value)
        for v, n in counts.items()
    ]
    values.sort(key=lambda v: (-v.count, (v.label or v.iri).casefold()))
    named = property_label or spelled_out(spec.property)
    label = spec.name or (f"{named} (inverse)" if spec.inverse else named)
    return Facet(key=spec.key, property=spec.property, inverse=spec.inverse, label=label, values=values)


def class_label(engine: Engine, class_iri: ox.NamedNode) -> str | None:
    """The class's display label; NoSuchClass when the ontology does not declare it or nothing has it."""
    rows = select(engine, "browse-class", **{"class": class_iri})
    if not rows:
        raise NoSuchClass(f"{curie(class_iri.value)} is no class of the ontology with instances; /browse lists them")
    return text(rows[0].get("classLabel"))


def kinds_counted_at_load(engine: Engine, family: list[dict[str, ox.Term]]) -> list[Facet]:
    """The facet "kind" of a whole class: each narrower class with its size from the statistics counted at load
    (every instance of a narrower class has the class too, entailed); none on a store without them."""
    counts: dict[str, int] = {}
    labels: dict[str, str | None] = {}
    for row in family:
        if row["side"].value != "narrower":
            continue
        found = engine.select(internal("void-class-entities").sparql, {"class": row["related"]})
        if found and int(found[0]["entities"].value) > 0:
            counts[row["related"].value] = int(found[0]["entities"].value)
            labels[row["related"].value] = text(row.get("relatedLabel"))
    kind = FacetSpec(curie(KIND), KIND, False, "kind")
    found_facet = facet_of(kind, counts, labels, None, None)
    return [found_facet] if found_facet else []


def state_size(engine: Engine, bound: Mapping[str, ox.Term]) -> int:
    """How many instances a state (without a year) has: a class's own count from the statistics counted at load,
    else counted by the engine."""
    if set(bound) == {"class"}:
        rows = engine.select(internal("void-class-entities").sparql, {"class": bound["class"]})
        if rows:
            return int(rows[0]["entities"].value)
    rows = select(engine, "browse-items-count", **bound)
    return int(rows[0]["count"].value) if rows else 0


def among(engine: Engine, name: str, members: set[str] | None, **terms: ox.Term) -> list[dict[str, ox.Term]]:
    """The rows of ``sparql/{name}.rq`` with ``terms`` bound, its ``?item`` only among ``members`` when given (the
    instances a year keeps, from the as-of answer, written as ``VALUES`` as the editor's query names them: the
    engine then reads those few instead of every instance of a class of 300,000)."""
    if members is None:
        return select(engine, name, **terms)
    query = internal(name)
    return engine.select(restricted_to(query.sparql, sorted(members)), query.bind(**terms))


# A class with no facet chosen is read by the queries without the facets' filters (the same rows): the engine spent
# time on those filters for every instance, chosen or not (EU27: page 1,000 of 810,000 participations 8.9 s, 40 ms
# without; every one of 791 observations 0.55-0.94 s, 0.19-0.23 s without).
WITHOUT_FACETS = {"browse-items": "browse-class-items", "browse-items-page": "browse-class-page"}


def items_query(name: str, bound: Mapping[str, ox.Term]) -> str:
    """The query (``sparql/{name}.rq`` or its twin without facet filters) that lists a state's instances."""
    return WITHOUT_FACETS[name] if set(bound) == {"class"} else name


def labelled_items(engine: Engine, bound: Mapping[str, ox.Term], members: set[str] | None = None) -> list[Item]:
    """Every instance of a state (among ``members``, if given), sorted by label (then IRI)."""
    rows = among(engine, items_query("browse-items", bound), members, **bound)
    return sorted(
        (Item(iri=row["item"].value, label=text(row.get("label"))) for row in rows),
        key=lambda item: ((item.label or item.iri).casefold(), item.iri),
    )


def sliced(query: str, limit: int, offset: int) -> str:
    """The query with its LIMIT and OFFSET set: SPARQL binds no number, so the integer written after each of those
    keywords (found by the lexer) is replaced by these ints (nothing else ever enters the text)."""
    found = tokens(query)
    values = {"LIMIT": int(limit), "OFFSET": int(offset)}
    spans: list[tuple[int, int, int]] = []
    keywords = sorted(token.keyword for token in found if token.keyword in values)
    if keywords != sorted(values):
        raise ValueError("a paged query has one LIMIT and one OFFSET")
    for index, token in enumerate(found):
        if token.keyword not in values:
            continue
        digits = list(takewhile(lambda t: t.kind == "other" and t.text.isdigit(), found[index + 1 :]))
        if not digits or digits[-1].start + len(digits[-1].text) - digits[0].start != len(digits):
            raise ValueError(f"{token.keyword} of a paged query is followed by its integer")
        spans.append((digits[0].start, digits[-1].start + 1, values[token.keyword]))
    for begin, end, value in sorted(spans, reverse=True):
        query = query[:begin] + str(value) + query[end:]
    return query


def page_of_items(engine: Engine, bound: Mapping[str, ox.Term], offset: int, limit: int) -> list[Item]:
    """A page of a state's instances in the order the engine reads them, each with its display label."""
    paged = internal(items_query("browse-items-page", bound))
    rows = engine.select(sliced(paged.sparql, limit, offset), paged.bind(**bound))
    items: dict[str, Item] = {}
    for row in rows:
        items.setdefault(row["item"].value, Item(iri=row["item"].value, label=text(row.get("label"))))
    return list(items.values())


def browse(
    engine: Engine,
    class_iri: ox.NamedNode,
    values: Mapping[str, str],
    year: int | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    with_facets: bool = True,
    large_per_page: int | None = None,
) -> BrowseState:
    """The state: the class's instances with the chosen facet values (and in force in ``year``), a page of
    ``per_page`` of them, every facet counted over them (``with_facets``), and the SPARQL that lists them. A state
    too large to sort (``SORTED_AT_MOST``) gets only the facet "kind" (a class's narrower classes, whose sizes were
    counted at load), and none once a value is chosen: counting every facet value over 800,000 participation
    records took the engine past its time limit. ``large_per_page``: the page size of such a state, if another."""
    label = class_label(engine, class_iri)
    family = class_family(engine, class_iri)
    specs = facet_specs(family)
    chosen = parse_state(specs, values)
    decides = year_class(family)
    members: set[str] | None = None
    if year is not None:
        if decides is None:
            raise BrowseError(
                "the year applies to policies, cluster organisations and organisations, "
                f"not to {curie(class_iri.value)}"
            )
        members = in_force(engine, decides, year)
    bound = item_bindings(class_iri, specs, chosen)
    size = state_size(engine, bound) if members is None else None
    # A year keeps a few of a class's instances: a class too large to sort is read among them only.
    among_members = (
        members if members is not None and state_size(engine, {"class": class_iri}) > SORTED_AT_MOST else None
    )
    listed: list[Item] | None = None  # every instance, by label (a state the pages sort)
    if size is None or size <= SORTED_AT_MOST:
        listed = labelled_items(engine, bound, among_members)
        if members is not None:
            listed = [item for item in listed if item.iri in members]
    total = len(listed) if listed is not None else size or 0
    if listed is None and large_per_page is not None:
        per_page = large_per_page
    pages = max(1, -(-total // per_page))
    if not 1 <= page <= pages:
        raise BrowseError(f"page {page} does not exist: this state has {pages} page(s) of {per_page}")
    if listed is not None:
        items = listed[(page - 1) * per_page : page * per_page]
    else:
        items = page_of_items(engine, bound, (page - 1) * per_page, per_page)
    kept = {item.iri for item in listed or ()}
    slots = {key: term for key, term in bound.items() if key != "class"}

    def facet(spec: FacetSpec) -> Facet | None:
        if members is None:  # the state's instances are what the engine can count: no (instance, value) pairs
            return counted_facet(engine, class_iri, spec, family, slots, chosen.get(spec.key))
        pairs = facet_pairs(engine, class_iri, spec, family, among_members)
        return count_facet(spec, pairs, kept, chosen.get(spec.key))

    if not with_facets:
        facets: list[Facet] = []
    elif listed is None:  # too many instances to count facet values over at each request
        facets = [] if chosen else kinds_counted_at_load(engine, family)
    else:
        facets = [found for spec in specs if (found := facet(spec))]
    return BrowseState(
        class_iri=class_iri.value,
        key=curie(class_iri.value),
        label=label,
        year=year,
        years=decides is not None,
        chosen={key: value.value for key, value in chosen.items()},
        total=total,
        page=page,
        pages=pages,
        per_page=per_page,
        by_label=listed is not None,
        items=items,
        facets=facets,
        sparql=editor_query(bound, year, members),
    )
