"""Quality checks of ontology/klynge.ttl, in the style of schema.org's test_graphs.py.

Each check is a query for offenders; a failure lists every offending term, so one run shows all the work.
The drift checks at the end compare the ontology with what data/, shapes/ and queries/ actually use.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.graph.build import build_store
from klynge.graph.releases import read_history
from klynge.rdf import namespaces
from klynge.resources import asset_dir, asset_files

KLYNGE = str(namespaces.KLYNGE)
ONTOLOGY_IRI = namespaces.ONTOLOGY_IRI
PREFIXES = namespaces.sparql_prologue(("rdf", "rdfs", "owl", "skos", "prov", "klynge"))
# The ontology's own terms: everything in the klynge namespace it types as a class, property or individual.
TERMS = """
  VALUES ?kind {
    owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty owl:NamedIndividual
  }
  ?term a ?kind .
  FILTER(STRSTARTS(STR(?term), STR(klynge:)))
"""
LINEAGE = {
    "succeeds": "succeededBy",
    "prolongs": "prolongedBy",
    "consolidates": "consolidatedInto",
    "basedOnLessonsOf": "lessonsUsedBy",
    "establishedBy": "establishes",
    "implements": "implementedBy",
    "terminates": "terminatedBy",
    "resultedFromStudy": "studyResultedIn",
}
OWL_TYPES = {
    "http://www.w3.org/2002/07/owl#" + kind
    for kind in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "NamedIndividual")
}
RDF_TYPE = namespaces.RDF_TYPE
BUILT_IN = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2002/07/owl#")


@cache
def ontology() -> ox.Store:
    store = ox.Store()
    for path in asset_files("ontology"):
        store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(path=str(path)))
    return store


def offenders(where: str) -> list[str]:
    """The distinct ?term values matching a query body, as short names, sorted."""
    rows = ontology().query(PREFIXES + f"SELECT DISTINCT ?term WHERE {{ {where} }}")
    return sorted(row["term"].value.replace(KLYNGE, "klynge:") for row in rows)


def declared() -> dict[str, set[str]]:
    """Every IRI the ontology declares, with its OWL types."""
    types: dict[str, set[str]] = {}
    for quad in ontology().quads_for_pattern(None, RDF_TYPE, None):
        if isinstance(quad.subject, ox.NamedNode) and quad.object.value in OWL_TYPES:
            types.setdefault(quad.subject.value, set()).add(quad.object.value.split("#")[1])
    return types


def test_terms_exist() -> None:
    assert len(offenders(TERMS)) > 80


# -- Header --------------------------------------------------------------------------------------------------

LATEST = read_history().latest.version  # `klynge release` bumps the header to the release it cuts

HEADER = [
    f"owl:versionIRI <https://w3id.org/klynge/ontology/{LATEST}>",
    f'owl:versionInfo "{LATEST}"',
    'dcterms:title ?v FILTER(LANG(?v) = "en")',
    'dcterms:description ?v FILTER(LANG(?v) = "en")',
    "dcterms:license <https://creativecommons.org/licenses/by/4.0/>",
    "dcterms:creator ?v",
    'dcterms:created "2026-11-23"^^xsd:date',
    "dcterms:modified ?v FILTER(DATATYPE(?v) = xsd:date)",
    'vann:preferredNamespacePrefix "klynge"',
    'vann:preferredNamespaceUri "https://w3id.org/klynge/ontology#"',
]


@pytest.mark.parametrize("pattern", HEADER)
def test_header_field(pattern: str) -> None:
    query = f"""{PREFIXES}
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX vann: <http://purl.org/vocab/vann/>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        ASK {{ <{ONTOLOGY_IRI}> a owl:Ontology ; {pattern} }}"""
    assert ontology().query(query), f"the ontology header lacks: {pattern}"


# -- Labels, definitions, provenance of each term ------------------------------------------------------------


def test_every_term_has_exactly_one_english_label() -> None:
    bad = offenders(f"""{TERMS}
        {{ FILTER NOT EXISTS {{ ?term rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en")) }} }}
        UNION
        {{ ?term rdfs:label ?a, ?b
           FILTER(LANGMATCHES(LANG(?a), "en") && LANGMATCHES(LANG(?b), "en") && ?a != ?b) }}
    """)
    assert not bad, f"terms without exactly one @en rdfs:label: {bad}"


def test_every_term_has_a_definition_that_is_a_sentence() -> None:
    bad = offenders(f"""{TERMS}
        FILTER NOT EXISTS {{
          ?term skos:definition ?d
          FILTER(LANGMATCHES(LANG(?d), "en") && REGEX(STR(?d), "^[A-Z].*[.]$", "s"))
        }}
    """)
    assert not bad, f"terms without an English skos:definition that starts upper-case and ends with '.': {bad}"


def test_every_term_is_defined_by_the_ontology() -> None:
    bad = offenders(f"{TERMS} FILTER NOT EXISTS {{ ?term rdfs:isDefinedBy <{ONTOLOGY_IRI}> }}")
    assert not bad, f"terms without rdfs:isDefinedBy <{ONTOLOGY_IRI}>: {bad}"


def test_class_labels_start_upper_case() -> None:
    bad = offenders(f"""{TERMS} FILTER(?kind = owl:Class)
        ?term rdfs:label ?l FILTER(!REGEX(STR(?l), "^[A-Z]"))""")
    assert not bad, f"classes whose label does not start upper-case: {bad}"


def test_property_labels_start_lower_case() -> None:
    bad = offenders(f"""{TERMS} FILTER(?kind != owl:Class && ?kind != owl:NamedIndividual)
        ?term rdfs:label ?l FILTER(!REGEX(STR(?l), "^[a-z]"))""")
    assert not bad, f"properties whose label does not start lower-case: {bad}"


def test_no_term_has_two_owl_types() -> None:
    """OWL 2 DL forbids an IRI being, say, both an object and a datatype property."""
    bad = sorted(iri for iri, kinds in declared().items() if len(kinds - {"NamedIndividual"}) > 1)
    assert not bad, f"IRIs declared with more than one OWL type: {bad}"


def test_every_super_term_domain_and_range_is_declared() -> None:
    """Like schema.org's supertype checks: alignment targets must be declared terms, not typos."""
    bad = offenders("""
        VALUES ?link {
          rdfs:subClassOf rdfs:subPropertyOf rdfs:domain rdfs:range owl:inverseOf owl:disjointWith
        }
        ?s ?link ?term . FILTER(isIRI(?term) && !STRSTARTS(STR(?term), "http://www.w3.org/2001/XMLSchema#"))
        FILTER NOT EXISTS {
          VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
          ?term a ?kind
        }""")
    assert not bad, f"super-classes, super-properties, domains or ranges without an OWL declaration: {bad}"


# -- Lineage -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("forward", "inverse"), sorted(LINEAGE.items()))
def test_lineage_property_is_an_influence_with_an_inverse(forward: str, inverse: str) -> None:
    query = f"""{PREFIXES} ASK {{
        klynge:{forward} rdfs:subPropertyOf+ prov:wasInfluencedBy .
        {{ klynge:{forward} owl:inverseOf klynge:{inverse} }}
        UNION {{ klynge:{inverse} owl:inverseOf klynge:{forward} }}
        FILTER NOT EXISTS {{ klynge:{inverse} rdfs:subPropertyOf+ prov:wasInfluencedBy }}
    }}"""
    assert ontology().query(query), (
        f"klynge:{forward} must be a sub-property of prov:wasInfluencedBy with inverse klynge:{inverse}, "
        "and the inverse must not be one"
    )


def test_every_influence_property_is_a_known_lineage_step() -> None:
    bad = offenders(f"""{TERMS} ?term rdfs:subPropertyOf+ prov:wasInfluencedBy""")
    unknown = [term for term in bad if term.removeprefix("klynge:") not in LINEAGE]
    assert not unknown, f"sub-properties of prov:wasInfluencedBy missing from the lineage list: {unknown}"


# -- Drift between the ontology, the conventions and the other files -----------------------------------------


def asset_texts(*folders: str) -> list[Path]:
    patterns = {"queries": "*.rq"}
    return [p for folder in folders for p in asset_files(folder, patterns.get(folder, "*.ttl"))]


def test_schema_org_namespace_is_http() -> None:
    bad = [
        str(p) for p in asset_texts("ontology", "data", "shapes", "queries") if "https://schema.org" in p.read_text()
    ]
    assert not bad, f"files using https://schema.org/ (the graph uses http://schema.org/): {bad}"


def klynge_terms_in_turtle(path: Path) -> set[str]:
    try:
        triples = list(ox.parse(path=str(path)))
    except SyntaxError as error:
        pytest.fail(f"{path}: cannot parse: {error}")
    nodes = (node for t in triples for node in (t.subject, t.predicate, t.object))
    return {n.value for n in nodes if isinstance(n, ox.NamedNode) and n.value.startswith(KLYNGE)}


def klynge_terms_in_query(path: Path) -> set[str]:
    """Klynge IRIs in SPARQL text: full IRIs, the ``klynge:`` prefix and any other prefix bound to it."""
    text = path.read_text()
    terms = set(re.findall(rf"<({re.escape(KLYNGE)}[^>]+)>", text))
    prefixes = re.findall(rf"PREFIX\s+([\w-]*):\s*<{re.escape(KLYNGE)}>", text, flags=re.IGNORECASE)
    for prefix in {"klynge", *prefixes}:
        terms |= {KLYNGE + name for name in re.findall(rf"(?<![\w:<#/-]){re.escape(prefix)}:(\w+)", text)}
    return terms


def used_klynge_terms() -> dict[str, list[str]]:
    """Every klynge: IRI used outside the ontology (data, shapes, queries, competency questions), by file."""
    used: dict[str, list[str]] = {}
    competency_questions = sorted((Path(__file__).parent / "cq").glob("test_*.py"))
    for path in asset_texts("data", "shapes", "queries") + competency_questions:
        terms = klynge_terms_in_turtle(path) if path.suffix == ".ttl" else klynge_terms_in_query(path)
        for term in terms:
            used.setdefault(term, []).append(f"{path.parent.name}/{path.name}")
    return used


def test_every_klynge_term_used_is_declared() -> None:
    known = declared()
    bad = {term: files for term, files in sorted(used_klynge_terms().items()) if term not in known}
    assert not bad, f"klynge: terms used but not declared in ontology/klynge.ttl: {bad}"


def test_every_klynge_term_of_the_conventions_is_declared() -> None:
    text = (asset_dir("ontology").parent / "docs" / "modelling.md").read_text()
    known = declared()
    bad = sorted({f"klynge:{n}" for n in re.findall(r"klynge:(\w+)", text) if KLYNGE + n not in known})
    assert not bad, f"terms named in docs/modelling.md but not declared: {bad}"


def data_triples() -> list[tuple[str, ox.Triple]]:
    return [(path.name, t) for path in asset_files("data") for t in ox.parse(path=str(path))]


def test_every_class_and_property_the_data_uses_is_declared() -> None:
    """HermiT reads OWL 2 DL: a property or class with no declaration is guessed at or dropped."""
    known = declared()
    bad: dict[str, str] = {}
    for name, t in data_triples():
        candidates = [t.predicate.value]
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            candidates.append(t.object.value)
        for iri in candidates:
            if iri not in known and not iri.startswith(BUILT_IN):
                bad.setdefault(iri, name)
    assert not bad, f"classes or properties used in data/ without an OWL declaration (first file): {bad}"


def test_object_and_datatype_properties_get_the_right_kind_of_value() -> None:
    kinds = declared()
    bad: list[str] = []
    for name, t in data_triples():
        kind = kinds.get(t.predicate.value, set())
        if "ObjectProperty" in kind and isinstance(t.object, ox.Literal):
            bad.append(f"{name}: {t.subject} {t.predicate} {t.object} (object property with a literal)")
        if "DatatypeProperty" in kind and not isinstance(t.object, ox.Literal):
            bad.append(f"{name}: {t.subject} {t.predicate} {t.object} (datatype property with an IRI)")
    assert not bad, "values of the wrong kind:\n" + "\n".join(bad)


def test_domains_and_ranges_add_no_types_the_data_does_not_state() -> None:
    """A domain or range that types a resource the data did not mean is how a reasoner infers nonsense."""
    query = """
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?p ?x ?c WHERE {
          { ?p rdfs:domain ?c . ?x ?p ?o } UNION { ?p rdfs:range ?c . ?o ?p ?x FILTER(!isLiteral(?x)) }
          FILTER NOT EXISTS { ?x a ?c }
        }"""
    rows = build_store().query(query, use_default_graph_as_union=True)
    bad = sorted(f"{row['x']} via {row['p']} would become a {row['c']}" for row in rows)
    assert not bad, "domains or ranges that type resources not stated to be of that class:\n" + "\n".join(bad)


# -- OWL 2 DL: the README's claim, checked with the OWL API's own profile checker ------------------------------

PROFILE_CHECK = Path(__file__).parent / "owl" / "ProfileCheck.java"
OWLAPI_JARS = Path("/usr/share/java")


def owl2dl_violations(path: Path) -> list[str]:
    """The OWL 2 DL profile violations the OWL API (Debian libowlapi-java) reports for a file."""
    import shutil
    import subprocess

    if shutil.which("javac") is None or not (OWLAPI_JARS / "owlapi-distribution.jar").is_file():
        pytest.skip(
            "the OWL 2 DL check needs a JDK and the OWL API (apt-get install default-jdk-headless "
            "libowlapi-java; .ci/run installs them)"
        )
    done = subprocess.run(
        ["java", "-cp", f"{OWLAPI_JARS}/*", str(PROFILE_CHECK), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines and lines[-1].startswith("violations: "), done.stderr[-2000:]
    return lines[:-1]


def test_ontology_is_in_the_owl2_dl_profile(tmp_path: Path) -> None:
    """The ontology file has no OWL 2 DL violation, and the checker does find one when there is one."""
    ontology = asset_dir("ontology") / "klynge.ttl"
    assert owl2dl_violations(ontology) == []
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        ontology.read_text(encoding="utf-8")
        + "\nklynge:appointedOn rdfs:range <http://www.w3.org/2001/XMLSchema#date> .\n",
        encoding="utf-8",
    )
    assert [v for v in owl2dl_violations(broken) if v.startswith("UseOfUndeclaredDatatype")]
