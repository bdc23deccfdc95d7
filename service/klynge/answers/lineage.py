"""Lineage, shortest relation chains and label search: each answer is a few SPARQL queries through the engine.

A lineage step is a ``prov:wasInfluencedBy`` link (later -> earlier, materialised from the specific klynge
lineage properties), reported with its most specific property, or an ``org:ChangeEvent`` from an original to a
resulting organisation. The path search tries chains of growing length, each as one query that meets in the
middle, so a long chain costs two short walks rather than one long one.
"""

from __future__ import annotations

import re
import unicodedata

import pyoxigraph as ox

from klynge.answers.describe import INFERRED_GRAPH, PREFIXES, label_of, node_json, predicate_json, text
from klynge.engines.base import Engine
from klynge.namespaces import ORG, RDF_TYPE

LINEAGE_STEP = "(prov:wasInfluencedBy|^org:resultingOrganization/org:originalOrganization)"


def closure(var: str) -> str:
    """Who is in the lineage of ?start (itself, ancestors and descendants), bound to ``?var``."""
    return f"{{ ?start {LINEAGE_STEP}* ?{var} }} UNION {{ ?{var} {LINEAGE_STEP}* ?start }}"


CHANGE_EVENT = ORG.ChangeEvent
RESULTING_ORGANIZATION = ORG.resultingOrganization
ORIGINAL_ORGANIZATION = ORG.originalOrganization

# Virtuoso 7 walks a property path wrongly once its planner has bound both of the path's ends before the walk:
# joined to a step pattern, `?start …* ?from` lost its zero-length match (?from = ?start), and
# `?relation rdfs:subPropertyOf* prov:wasInfluencedBy` with ?relation bound found nothing. Which order it plans
# depends on its cost estimates, so the steps query leaves it no such choice: each path has a constant at one end
# and nothing but the path binds the other. The steps hang off the closure in an OPTIONAL (Virtuoso evaluates it
# after the closure, row by row) and hold no path; whether a step's property is a lineage property, a
# sub-property of prov:wasInfluencedBy, is decided in ``lineage_steps`` against LINEAGE_RELATIONS_QUERY. (The
# events, sources and RDF queries still join the closure to plain patterns; they answer alike on both stores.)

# One step from ?from (later) to ?to (earlier), with the most specific property holding between them (any property,
# lineage or not: see above) or the change event. "Most specific" takes one rdfs:subPropertyOf step, not a path:
# the published graph holds every super-property triple, so a narrower property holds between the two exactly when
# a direct sub-property does (and Virtuoso answers + paths inside FILTER NOT EXISTS wrongly). The same goes for
# the most specific types below.
STEP = f"""
  {{
    ?from prov:wasInfluencedBy ?to .
    ?from ?relation ?to .
    FILTER NOT EXISTS {{ ?from ?narrower ?to . ?narrower rdfs:subPropertyOf ?relation }}
  }} UNION {{
    ?event org:resultingOrganization ?from ; org:originalOrganization ?to .
    BIND(org:ChangeEvent AS ?relation)
  }}
  {label_of("relation", "relationLabel")}"""

# A row without ?relation is a member without a step on that side.
STEPS_QUERY = (
    PREFIXES
    + f"""
SELECT DISTINCT ?start ?side ?from ?to ?relation ?relationLabel ?event WHERE {{
  {{ ?start {LINEAGE_STEP}* ?from . BIND("ancestors" AS ?side) }}
  UNION
  {{ ?to {LINEAGE_STEP}* ?start . BIND("descendants" AS ?side) }}
  OPTIONAL {{ {STEP} }}
}}"""
)

LINEAGE_RELATIONS_QUERY = PREFIXES + "SELECT ?relation WHERE { ?relation rdfs:subPropertyOf* prov:wasInfluencedBy }"

# The label fragment (a BIND after OPTIONALs) comes last: with it before the other OPTIONALs, Virtuoso 7 gives
# every group of this query over * paths the same, wrong ?node.
NODES_QUERY = (
    PREFIXES
    + f"""
SELECT ?start ?node (SAMPLE(?label) AS ?name) (MIN(?begin) AS ?startDate) (MAX(?finish) AS ?endDate)
       (SAMPLE(?period) AS ?temporal) (MIN(?typeLabel) AS ?kind) WHERE {{
  {closure("node")}
  OPTIONAL {{ ?node schema:startDate ?begin }}
  OPTIONAL {{ ?node schema:endDate ?finish }}
  OPTIONAL {{ ?node dcterms:temporal ?period FILTER(isLiteral(?period)) }}
  OPTIONAL {{
    ?node a ?type . FILTER(STRSTARTS(STR(?type), STR(klynge:)))
    FILTER NOT EXISTS {{ ?node a ?sub . ?sub rdfs:subClassOf ?type }}
    {label_of("type", "typeLabel")}
  }}
  {label_of("node", "label")}
}} GROUP BY ?start ?node"""
)

EVENTS_QUERY = (
    PREFIXES
    + f"""
SELECT DISTINCT ?start ?event ?eventLabel ?date WHERE {{
  {closure("node")}
  ?event org:resultingOrganization ?node .
  {label_of("event", "eventLabel")}
  OPTIONAL {{ ?event schema:startDate ?date }}
}}"""
)

SOURCES_QUERY = (
    PREFIXES
    + f"""
SELECT DISTINCT ?start ?node ?source ?sourceLabel WHERE {{
  {{ {closure("node")} }} UNION {{ {closure("member")} ?node org:resultingOrganization ?member }}
  ?node dcterms:source ?source .
  {label_of("source", "sourceLabel")}
}}"""
)

# The members' own facts; the steps' triples come from STEPS_QUERY (``step_triples``).
LINEAGE_RDF_QUERY = (
    PREFIXES
    + f"""
CONSTRUCT {{
  ?node rdfs:label ?label ; schema:startDate ?begin ; schema:endDate ?finish ; dcterms:source ?source ;
        dcterms:temporal ?period .
}} WHERE {{
  {closure("node")}
  {{ ?node rdfs:label ?label }} UNION {{ ?node schema:startDate ?begin }}
  UNION {{ ?node schema:endDate ?finish }} UNION {{ ?node dcterms:source ?source }}
  UNION {{ ?node dcterms:temporal ?period FILTER(isLiteral(?period)) }}
}}"""
)


class NotFound(LookupError):
    """The answer does not exist: an unknown resource, or no chain within the length limit."""


def known(engine: Engine, iri: ox.NamedNode) -> bool:
    """Whether the graph says anything about the resource (it is the subject of a triple)."""
    return engine.ask("ASK { ?resource ?p ?o }", {"resource": iri})


def require(engine: Engine, iri: ox.NamedNode) -> None:
    """Raise NotFound for a resource the graph does not describe."""
    if not known(engine, iri):
        raise NotFound(f"no resource {iri.value} in the graph")


def lineage(engine: Engine, iri: ox.NamedNode) -> dict:
    """The ancestors and descendants of a policy or organisation, step by step, with years and sources."""
    require(engine, iri)
    bindings = {"start": iri}
    nodes = {row["node"]: node_facts(row) for row in engine.select(NODES_QUERY, bindings)}
    sources: dict[ox.Term, list[dict]] = {}
    for row in engine.select(SOURCES_QUERY, bindings):
        sources.setdefault(row["node"], []).append(node_json(row["source"], row.get("sourceLabel")))
    for listed in sources.values():
        listed.sort(key=lambda source: source["iri"])
    events = {
        row["event"]: {**node_json(row["event"], row.get("eventLabel")), "date": text(row.get("date"))}
        for row in engine.select(EVENTS_QUERY, bindings)
    }
    answer: dict = {"resource": nodes.get(iri) or node_json(iri), "ancestors": [], "descendants": []}
    for row in lineage_steps(engine, iri):
        event = row.get("event")
        answer[text(row["side"])].append(
            {
                "from": nodes.get(row["from"]) or node_json(row["from"]),
                "to": nodes.get(row["to"]) or node_json(row["to"]),
                "relation": predicate_json(row["relation"], row.get("relationLabel")),
                "event": events.get(event) if event is not None else None,
                "sources": sources.get(event if event is not None else row["from"], []),
            }
        )
    for side in ("ancestors", "descendants"):
        answer[side].sort(key=step_order)
    return answer


def lineage_steps(engine: Engine, iri: ox.NamedNode) -> list[dict[str, ox.Term]]:
    """The STEPS_QUERY rows that are steps: by a lineage property or a change event (why here: see STEP)."""
    relations = {row["relation"] for row in engine.select(LINEAGE_RELATIONS_QUERY, {})} | {CHANGE_EVENT}
    return [row for row in engine.select(STEPS_QUERY, {"start": iri}) if row.get("relation") in relations]


def step_triples(row: dict[str, ox.Term]) -> list[ox.Triple]:
    """A step as RDF: the specific property from the later to the earlier, or the change event between them."""
    event = row.get("event")
    if event is None:
        return [ox.Triple(row["from"], row["relation"], row["to"])]
    return [
        ox.Triple(event, RDF_TYPE, CHANGE_EVENT),
        ox.Triple(event, RESULTING_ORGANIZATION, row["from"]),
        ox.Triple(event, ORIGINAL_ORGANIZATION, row["to"]),
    ]


def step_order(step: dict) -> tuple[str, ...]:
    """Steps by the years of their ends, then by IRIs: the same order whatever order the store's rows come in."""
    event = step["event"] or {}
    return (
        step["from"].get("start") or "",
        step["to"].get("start") or "",
        step["from"]["iri"],
        step["to"]["iri"],
        step["relation"]["iri"],
        event.get("iri") or "",
    )


def node_facts(row: dict[str, ox.Term]) -> dict:
    """A lineage member as JSON: IRI, label, kind and the years it covers."""
    return {
        **node_json(row["node"], row.get("name")),
        "type": text(row.get("kind")),
        "start": text(row.get("startDate")),
        "end": text(row.get("endDate")),
        "temporal": text(row.get("temporal")),
    }


def lineage_triples(engine: Engine, iri: ox.NamedNode) -> list[ox.Triple]:
    """The lineage as RDF: each step's specific property or change event, with labels, years and sources."""
    require(engine, iri)
    steps = [triple for row in lineage_steps(engine, iri) for triple in step_triples(row)]
    return list(dict.fromkeys([*steps, *engine.construct(LINEAGE_RDF_QUERY, {"start": iri})]))


# ---------------------------------------------------------------------------------------------------------
# Shortest chain between two resources
# ---------------------------------------------------------------------------------------------------------

# Bookkeeping links that would join everything to everything in two hops (types, sources, schemes).
STRUCTURAL = (
    "rdf:type|dcterms:source|rdfs:isDefinedBy|skos:inScheme|skos:topConceptOf|skos:hasTopConcept"
    "|<http://purl.org/linked-data/cube#dataSet>|skos:member"
)
HOP = f"(!({STRUCTURAL})|^!({STRUCTURAL}))"
MAX_PATH_LENGTH = 6


def walk(start: str, names: list[str]) -> str:
    """A DISTINCT subquery of the chains of IRIs from ``?start`` through ``names`` (one hop each).

    Blank nodes are left out: their labels do not survive from one query to the next.
    """
    chain = [start, *names]
    pairs = zip(chain, chain[1:], strict=False)
    hops = " ".join(f"?{a} {HOP} ?{b} . FILTER(isIRI(?{b}))" for a, b in pairs)
    projected = " ".join(f"?{name}" for name in chain)
    return f"{{ SELECT DISTINCT {projected} WHERE {{ {hops} }} }}"


def chain_query(length: int) -> tuple[str, list[str]]:
    """One query for a chain of exactly ``length`` hops, as a walk from each end joined on the middle node.

    Returns the query and the chain's variable names from ``from`` to ``to``.
    """
    left_length = (length + 1) // 2
    right_length = length - left_length
    if right_length == 0:
        left = [f"l{i}" for i in range(1, left_length)] + ["to"]
        return PREFIXES + f"SELECT * WHERE {{ {walk('from', left)} }} LIMIT 1", ["from", *left]
    left = [f"l{i}" for i in range(1, left_length)] + ["middle"]
    right = [f"r{i}" for i in range(1, right_length)] + ["middle"]
    query = PREFIXES + f"SELECT * WHERE {{ {walk('from', left)} {walk('to', right)} }} LIMIT 1"
    return query, ["from", *left, *reversed(right[:-1]), "to"]


# The direction is a string: Virtuoso answers computed booleans (BIND(true AS ?x), EXISTS) as xsd:integer 1/0.
STEP_QUERY = (
    PREFIXES
    + f"""
SELECT ?a ?b ?p ?direction ?asserted ?pLabel ?subject WHERE {{
  {{ ?a ?p ?b . BIND("forward" AS ?direction) BIND(?a AS ?subject) BIND(?b AS ?object) }}
  UNION {{ ?b ?p ?a . BIND("inverse" AS ?direction) BIND(?b AS ?subject) BIND(?a AS ?object) }}
  FILTER NOT EXISTS {{ ?p rdfs:subPropertyOf* ?structural . VALUES ?structural {{
    rdf:type dcterms:source rdfs:isDefinedBy skos:inScheme skos:topConceptOf skos:hasTopConcept skos:member
    <http://purl.org/linked-data/cube#dataSet> }} }}
  FILTER NOT EXISTS {{ ?subject ?narrower ?object . ?narrower rdfs:subPropertyOf ?p }}
  BIND(EXISTS {{ GRAPH ?g {{ ?subject ?p ?object }} FILTER(?g != <{INFERRED_GRAPH}>) }} AS ?asserted)
  {label_of("p", "pLabel")}
}} ORDER BY DESC(?asserted) ?direction STR(?p)"""
)

STEP_SOURCES_QUERY = (
    PREFIXES + f"SELECT DISTINCT ?subject ?source ?sourceLabel WHERE {{ ?subject dcterms:source ?source . "
    f"{label_of('source', 'sourceLabel')} }}"
)

NODE_LABEL_QUERY = PREFIXES + f"SELECT ?node ?label WHERE {{ {label_of('node', 'label')} }}"


def shortest_path(engine: Engine, start: ox.NamedNode, end: ox.NamedNode, max_length: int = MAX_PATH_LENGTH) -> dict:
    """The shortest chain of relations between two resources, each step with predicate and sources."""
    require(engine, start)
    require(engine, end)
    ends = {"from": labelled(engine, start), "to": labelled(engine, end)}
    if start == end:
        return {**ends, "length": 0, "steps": []}
    for length in range(1, max_length + 1):
        query, variables = chain_query(length)
        rows = engine.select(query, {"from": start, "to": end})
        if rows:
            chain = [start, *(rows[0][name] for name in variables[1:-1]), end]
            steps = [path_step(engine, a, b) for a, b in zip(chain, chain[1:], strict=False)]
            return {**ends, "length": length, "steps": steps}
    raise NotFound(f"no chain of at most {max_length} relations joins {start.value} and {end.value}")


def labelled(engine: Engine, node: ox.Term) -> dict:
    """A node as JSON with its label."""
    rows = engine.select(NODE_LABEL_QUERY, {"node": node})
    return node_json(node, rows[0].get("label") if rows else None)


def path_step(engine: Engine, a: ox.Term, b: ox.Term) -> dict:
    """One hop of a chain: the best predicate joining a and b (stated, specific, forward first)."""
    rows = engine.select(STEP_QUERY, {"a": a, "b": b})
    best = rows[0]
    direction = text(best["direction"])
    subject = a if direction == "forward" else b
    return {
        "from": labelled(engine, a),
        "to": labelled(engine, b),
        "predicate": predicate_json(best["p"], best.get("pLabel")),
        "direction": direction,
        "sources": [
            node_json(row["source"], row.get("sourceLabel"))
            for row in engine.select(STEP_SOURCES_QUERY, {"subject": subject})
        ],
    }


# ---------------------------------------------------------------------------------------------------------
# Label search
# ---------------------------------------------------------------------------------------------------------

# Letters that fold to two (Danish æ, ø, å as Danes write them without; German ß), before accents are stripped.
SPELLED_OUT = {"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"}
# The same folding in SPARQL: Danish letters spelled out, then the accented letters the graph may hold.
ACCENT_CLASSES = {
    "a": "àáâãäā",
    "c": "çćč",
    "e": "èéêëēė",
    "i": "ìíîïī",
    "n": "ñń",
    "o": "òóôõöō",
    "s": "śš",
    "u": "ùúûüū",
    "y": "ýÿ",
    "z": "źżž",
}
MAX_QUERY_LENGTH = 200


def fold(value: str) -> str:
    """Lower case, Danish letters spelled out (æ→ae, ø→oe, å→aa), accents stripped, spaces collapsed."""
    lowered = value.lower()
    for letter, spelled in SPELLED_OUT.items():
        lowered = lowered.replace(letter, spelled)
    stripped = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip()


def sparql_fold(var: str) -> str:
    """The SPARQL expression that folds ``?var`` exactly as fold() folds the search text."""
    expression = f"LCASE(STR(?{var}))"
    for letter, spelled in SPELLED_OUT.items():
        expression = f'REPLACE({expression}, "{letter}", "{spelled}")'
    for plain, accented in ACCENT_CLASSES.items():
        expression = f'REPLACE({expression}, "[{accented}]", "{plain}")'
    return f'REPLACE({expression}, "\\\\s+", " ")'


# The best match of a resource is the least "rank|label" string: ranks are one digit, so they sort first.
SEARCH_QUERY = (
    PREFIXES
    + f"""
SELECT ?q ?resource ?label (MIN(CONCAT(STR(?rank), "|", STR(?matchedLabel))) AS ?best)
       (GROUP_CONCAT(DISTINCT STR(?type); separator=" ") AS ?types) WHERE {{
  {{
    SELECT DISTINCT ?q ?resource ?matchedLabel ?rank WHERE {{
      VALUES ?property {{ rdfs:label skos:prefLabel skos:altLabel }}
      ?resource ?property ?matchedLabel .
      FILTER(isIRI(?resource) && isLiteral(?matchedLabel))
      FILTER(LANG(?matchedLabel) = "" || LANGMATCHES(LANG(?matchedLabel), "en")
             || LANGMATCHES(LANG(?matchedLabel), "da"))
      BIND({sparql_fold("matchedLabel")} AS ?folded)
      FILTER(CONTAINS(?folded, ?q))
      BIND(IF(?folded = ?q, 0, IF(STRSTARTS(?folded, ?q), 2, 4))
           + IF(?property = skos:altLabel, 1, 0) AS ?rank)
    }}
  }}
  {label_of("resource", "label")}
  OPTIONAL {{
    ?resource a ?type .
    FILTER NOT EXISTS {{ ?resource a ?sub . ?sub rdfs:subClassOf ?type }}
  }}
}}
GROUP BY ?q ?resource ?label
ORDER BY ?best LCASE(STR(?label)) ?resource
LIMIT ?limit"""
)


MATCH_KINDS = (
    "exact",
    "exact (alternative name)",
    "prefix",
    "prefix (alternative name)",
    "substring",
    "substring (alternative name)",
)


def search(engine: Engine, query: str, limit: int = 20) -> list[dict]:
    """Resources whose English or Danish names contain the text, ranked exact > prefix > substring."""
    folded = fold(query)
    if not folded:
        raise ValueError("the search text is empty")
    if len(folded) > MAX_QUERY_LENGTH:
        raise ValueError(f"the search text is longer than {MAX_QUERY_LENGTH} characters")
    # LIMIT takes no variable in SPARQL 1.1: the limit is a validated integer, so it is written in.
    sparql = SEARCH_QUERY.replace("LIMIT ?limit", f"LIMIT {int(limit)}")
    rows = engine.select(sparql, {"q": ox.Literal(folded)})
    hits = []
    for row in rows:
        rank, matched = row["best"].value.split("|", 1)
        hits.append(
            {
                "iri": row["resource"].value,
                "label": text(row.get("label")),
                "matched": matched,
                "match": MATCH_KINDS[int(rank)],
                "types": sorted(filter(None, text(row.get("types")).split(" "))),
            }
        )
    return hits
