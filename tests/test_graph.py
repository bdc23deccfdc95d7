"""The published graph: sources load into named graphs and the standard terms they entail are materialised."""

from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.graph.build import (
    INFERRED_GRAPH,
    SourceError,
    build_store,
    bulk_load,
    graph_name,
    parse_file,
    published_triples,
)

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
EX = "https://example.org/"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def mini() -> ox.Store:
    return build_store([FIXTURES / "mini-ontology.ttl", FIXTURES / "mini-data.ttl"])


def inferred(store: ox.Store) -> set[tuple[str, str, str]]:
    return {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in store.quads_for_pattern(None, None, None, INFERRED_GRAPH)
    }


def test_inverse_then_super_property_gives_was_influenced_by(mini: ox.Store) -> None:
    found = inferred(mini)
    assert (EX + "new", EX + "succeeds", EX + "old") in found
    assert (EX + "new", PROV + "wasInfluencedBy", EX + "old") in found
    assert (EX + "old", PROV + "wasInfluencedBy", EX + "new") not in found


def test_super_classes_are_transitive(mini: ox.Store) -> None:
    found = inferred(mini)
    for subject in ("old", "new"):
        assert (EX + subject, RDF_TYPE.value, EX + "Policy") in found
        assert (EX + subject, RDF_TYPE.value, PROV + "Plan") in found


def test_range_types_the_object(mini: ox.Store) -> None:
    assert (EX + "ministry", RDF_TYPE.value, EX + "Body") in inferred(mini)


def test_materialisation_adds_nothing_already_stated(mini: ox.Store) -> None:
    stated = {(q.subject, q.predicate, q.object) for q in mini if q.graph_name != INFERRED_GRAPH}
    assert not stated & {
        (q.subject, q.predicate, q.object) for q in mini.quads_for_pattern(None, None, None, INFERRED_GRAPH)
    }


def test_each_file_keeps_its_named_graph(mini: ox.Store) -> None:
    graphs = {q.graph_name for q in mini}
    assert graph_name(FIXTURES / "mini-data.ttl") in graphs
    assert graph_name(FIXTURES / "mini-data.ttl").value.endswith("/graph/mini-data")


def test_published_triples_are_sorted_and_distinct(mini: ox.Store) -> None:
    triples = published_triples(mini)
    assert triples == sorted(set(triples), key=str)


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text('@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open ;\n')
    with pytest.raises(SourceError) as caught:
        parse_file(broken)
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{broken}:3:")


def test_unknown_suffix_and_missing_file_are_source_errors(tmp_path: Path) -> None:
    odd = tmp_path / "table.csv"
    odd.touch()
    with pytest.raises(SourceError, match="unknown RDF file suffix"):
        parse_file(odd)
    with pytest.raises(SourceError, match="no such file"):
        bulk_load(ox.Store(), [tmp_path / "absent.nt"])


def test_a_broken_file_leaves_the_store_unchanged(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not turtle")
    store = ox.Store()
    with pytest.raises(SourceError):
        build_store([FIXTURES / "mini-data.ttl", broken], store=store)
    assert len(store) == 0
