"""The SPARQL-compiled validator gives the same results as pySHACL, on the repository and broken fixtures."""

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.term import BNode, Node

import built
from klynge.commands.synth import synth_lines
from klynge.engines.disk_store import load_store
from klynge.validation.shacl_sparql import SMALL_TARGET, UnsupportedShape, compile_shapes, run_checks
from klynge.validation.validate import load_shapes

SH = Namespace("http://www.w3.org/ns/shacl#")
BROKEN = sorted((Path(__file__).parent / "fixtures" / "broken").glob("*.ttl"))
Result = tuple[str, str, str | None]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def term_key(node: Node | None) -> str | None:
    """N-Triples form, with every blank node alike (the two engines label them differently)."""
    if node is None:
        return None
    return "_:b" if isinstance(node, BNode) or str(node).startswith("_:") else node.n3()


def pyshacl_results(fixture: Path | None) -> set[Result]:
    """pySHACL's results on the graph of ``fixture`` (None: the repository), from the run's one verdict."""
    report = built.pyshacl_validation(fixture).graph
    return {
        (
            term_key(report.value(r, SH.focusNode)),
            str(report.value(r, SH.sourceConstraintComponent)),
            term_key(report.value(r, SH.value)),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }


def sparql_results(store: ox.Store, shapes: Graph, few: int = SMALL_TARGET) -> set[Result]:
    """The compiled checks' results: with focus nodes written into the queries (up to ``few`` of them), or
    with ``few=0`` every check in its scan form, as on a large store."""
    found = run_checks(store, compile_shapes(shapes), few=few)
    return {
        (
            "_:b" if v.focus.startswith("_:") else v.focus,
            v.component,
            v.value and ("_:b" if v.value.startswith("_:") else v.value),
        )
        for v in found
    }


@pytest.mark.slow
@pytest.mark.parametrize("fixture", [None, *BROKEN], ids=lambda p: p.name if p else "repository")
def test_same_results_as_pyshacl(fixture: Path | None, shapes: Graph) -> None:
    store = built.published_store(fixture)
    expected = pyshacl_results(fixture)
    assert sparql_results(store, shapes) == expected
    assert sparql_results(store, shapes, few=0) == expected, "the scan forms differ from pySHACL"


def test_broken_fixtures_exist_to_compare() -> None:
    assert len(BROKEN) >= 5, "the equivalence test needs the broken fixtures of tests/fixtures/broken"


def test_every_repository_property_shape_compiles(shapes: Graph) -> None:
    compiled = {check.shape for check in compile_shapes(shapes)}
    used = {s.n3() for s in shapes.objects(None, SH.property)}
    assert used and used <= compiled, f"property shapes without a compiled check: {sorted(used - compiled)}"


def test_unsupported_feature_is_refused_not_skipped() -> None:
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true .
        """,
        format="turtle",
    )
    with pytest.raises(UnsupportedShape, match="closed"):
        compile_shapes(shapes)


def test_violations_carry_focus_value_and_message() -> None:
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:year ; sh:datatype xsd:gYear ; sh:message "Years are xsd:gYear." ] ,
                        [ sh:path ex:name ; sh:minCount 1 ; sh:message "A name is needed." ] .
        """,
        format="turtle",
    )
    store = ox.Store()
    store.load(
        b'<https://example.org/a> a <https://example.org/C> ; <https://example.org/year> "2020" .',
        format=ox.RdfFormat.TURTLE,
    )
    found = run_checks(store, compile_shapes(shapes))
    assert {(v.focus, v.value, v.message) for v in found} == {
        ("<https://example.org/a>", '"2020"', "Years are xsd:gYear."),
        ("<https://example.org/a>", None, "A name is needed."),
    }


def test_constraints_of_one_shape_share_a_query_and_still_fire_apart() -> None:
    """Counts and value tests of one shape run as one query each, yet every bound and test reports alone (a
    value that cannot be compared with the bound fails sh:maxInclusive, as SHACL says)."""
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:n ; sh:minCount 1 ; sh:maxCount 2 ;
                          sh:qualifiedValueShape [ sh:datatype xsd:integer ] ; sh:qualifiedMaxCount 1 ;
                          sh:datatype xsd:integer ; sh:maxInclusive 5 ] .
        """,
        format="turtle",
    )
    checks = compile_shapes(shapes)
    assert len(checks) == 5 and len({c.query for c in checks}) == 2 and len({c.scan for c in checks}) == 2
    store = ox.Store()
    store.load(
        b"""@prefix ex: <https://example.org/> .
        ex:none a ex:C .
        ex:three a ex:C ; ex:n 1, 2, 9 .
        ex:text a ex:C ; ex:n "x" .
        """,
        format=ox.RdfFormat.TURTLE,
    )
    expected = {
        ("none>", "MinCountConstraintComponent", None),
        ("three>", "MaxCountConstraintComponent", None),
        ("three>", "QualifiedMaxCountConstraintComponent", None),
        ("three>", "MaxInclusiveConstraintComponent", '"9"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ("text>", "DatatypeConstraintComponent", '"x"'),
        ("text>", "MaxInclusiveConstraintComponent", '"x"'),
    }
    for few in (SMALL_TARGET, 0):  # the focus nodes written into the queries, and the scan forms
        found = run_checks(store, checks, few=few)
        assert {(v.focus.rsplit("/", 1)[1], v.component.rsplit("#", 1)[1], v.value) for v in found} == expected


def klynge_validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "klynge.cli", "validate", *args], capture_output=True, text=True)


@pytest.mark.slow
def test_cli_engines_print_the_same_report() -> None:
    fixture = str(BROKEN[0])
    by_pyshacl, by_sparql = klynge_validate(fixture), klynge_validate("--engine", "sparql", fixture)
    assert by_pyshacl.returncode == by_sparql.returncode == 1
    assert by_sparql.stdout == by_pyshacl.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "start-after-end",  # a SHACL-SPARQL constraint that binds ?path
        "person-without-role",  # an alternative path, (schema:jobTitle|org:holds)
        "change-event-without-result",
        "lineage-step-to-organisation",
        "cluster-funder-unnamed",  # a blank node as the value
    ],
)
def test_cli_engines_write_the_same_json_report(name: str) -> None:
    """Every field, the result path included, where the text report hides some: the engines' JSON reports
    are equal but for the labels of blank nodes (each parse draws new ones)."""
    fixture = str(Path(__file__).parent / "fixtures" / "broken" / f"{name}.ttl")
    by_pyshacl = klynge_validate("--format", "json", fixture)
    by_sparql = klynge_validate("--format", "json", "--engine", "sparql", fixture)
    assert by_pyshacl.returncode == by_sparql.returncode == 1
    blank = re.compile(r'"_:[0-9A-Za-z]+"')
    assert blank.sub('"_:b"', by_sparql.stdout) == blank.sub('"_:b"', by_pyshacl.stdout)
    assert '"path": ""' not in by_sparql.stdout


@pytest.mark.slow
def test_cli_validates_a_loaded_store(tmp_path: Path) -> None:
    """Two countries, so that a resource the synthetic graph shared between countries by mistake (each
    country's lineage steps under one IRI) shows as a violation, as it did at EU27."""
    synth = tmp_path / "synth.nt"
    synth.write_text("".join(synth_lines(2, seed=2, scale=0.01)))
    load_store(tmp_path / "store", [synth])
    done = klynge_validate("--store", str(tmp_path / "store"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no violations" in done.stdout


def test_cli_store_errors(tmp_path: Path) -> None:
    both = klynge_validate("--store", str(tmp_path), "data/lineage.ttl")
    assert both.returncode == 2 and "not both" in both.stderr
    empty = klynge_validate("--store", str(tmp_path))
    assert empty.returncode == 2 and "holds no store" in empty.stderr


def test_scan_forms_only_where_listing_the_path_is_cheap_and_finite() -> None:
    """A check lists its path's statements first only when the path can be listed (no closure: ``?x p* ?y``
    holds for every node) and its test reads the value alone (sh:class looks each value up)."""
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:plain ; sh:minCount 1 ] ,
                        [ sh:path [ sh:inversePath ex:back ] ; sh:maxCount 1 ] ,
                        [ sh:path [ sh:zeroOrMorePath ex:next ] ; sh:maxCount 3 ] ,
                        [ sh:path ex:source ; sh:qualifiedValueShape [ sh:class ex:Doc ] ; sh:qualifiedMinCount 1 ] ,
                        [ sh:path ex:label ; sh:or ( [ sh:datatype ex:a ] [ sh:class ex:Doc ] ) ] .
        """,
        format="turtle",
    )
    scans = {check.path: check.scan is not None for check in compile_shapes(shapes)}
    assert scans == {
        "<https://example.org/plain>": True,
        "(^<https://example.org/back>)": True,
        "(<https://example.org/next>*)": False,
        "<https://example.org/source>": False,
        "<https://example.org/label>": False,
    }


def test_the_component_registry_names_what_pyshacl_names() -> None:
    """Each entry of the compiler's registry is a SHACL Core parameter pySHACL reads, under the spec's component
    name (the parameter's name, capitalised: sh:minCount is sh:MinCountConstraintComponent, as pySHACL names
    it where it names one), compiled one way: the registry cannot drift from the standard it compiles."""
    from pyshacl.constraints import ALL_CONSTRAINT_COMPONENTS

    from klynge.validation.shacl_sparql import COMPONENTS, KNOWN

    components = {
        str(p): c.shacl_constraint_component for c in ALL_CONSTRAINT_COMPONENTS for p in c.constraint_parameters()
    }
    for component in COMPONENTS:
        local = str(component.parameter).removeprefix(str(SH))
        assert str(component.parameter) in components, component.parameter
        assert component.name == local[0].upper() + local[1:], component
        named = components[str(component.parameter)]
        assert named is NotImplemented or str(named) == f"{SH}{component.name}ConstraintComponent", component
        compiled_by = [component.test, component.count, component.check]
        assert sum(way is not None for way in compiled_by) == 1, component  # compiled one way, exactly
    assert {c.parameter for c in COMPONENTS} <= KNOWN
