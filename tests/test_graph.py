"""The published graph: sources load into named graphs and the standard terms they entail are materialised."""

from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.catalogue import internal_catalogue, load_catalogue
from klynge.commands.synth import synth_lines
from klynge.graph import aggregates, statistics
from klynge.graph.build import (
    INFERRED_GRAPH,
    VOCABULARY_GRAPH,
    SourceError,
    build_store,
    bulk_load,
    default_sources,
    graph_name,
    materialise,
    materialise_display_labels,
    parse_file,
    published_triples,
    standard_axioms,
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


# -- The one-pass materialisation means what the entailment rules mean ----------------------------------------

# The reference rules, one per axiom kind (kept here: the service runs the two passes, not these), and the
# service's own rule for stated lineage steps.
REFERENCE_RULES = sorted((Path(__file__).parent / "entailment_rules").glob("*.rq"))
ENTAILMENT_RULES = [
    *load_catalogue(REFERENCE_RULES, public=False).values(),
    *(query for query in internal_catalogue().values() if "entailment" in query.tags),
]


def materialised_by_the_rules(store: ox.Store) -> None:
    """The reference: every ``entailment`` rule over the union, repeated until nothing new follows (over the
    participation statistics materialise() publishes first, klynge.graph.aggregates)."""
    aggregates.publish(store)
    store.extend(standard_axioms())
    for _ in range(10):
        new = {
            ox.Quad(row["s"], row["p"], row["o"], INFERRED_GRAPH)
            for rule in ENTAILMENT_RULES
            for row in store.query(rule.sparql, use_default_graph_as_union=True)
        }
        if not new:
            break
        store.extend(new)
    store.remove_graph(VOCABULARY_GRAPH)
    materialise_display_labels(store)
    statistics.publish(store)  # and the whole-graph statistics it counts last (klynge.graph.statistics)


def comparable(store: ox.Store, known: set[ox.BlankNode]) -> set[ox.Quad]:
    """The quads, with each blank node that came from the standard axioms (parsed afresh, so labelled afresh
    by each build) under one label."""
    axiom = ox.BlankNode("from-the-axioms")

    def term(node):  # noqa: ANN001, ANN202 - any term of a quad
        return axiom if isinstance(node, ox.BlankNode) and node not in known else node

    return {ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name) for q in store}


@pytest.mark.parametrize("sources", ["repository", "mini", "synthetic"])
def test_materialise_equals_the_entailment_rules_at_their_fixpoint(sources: str, tmp_path: Path) -> None:
    if sources == "mini":
        files = [FIXTURES / "mini-ontology.ttl", FIXTURES / "mini-data.ttl"]
    else:
        files = default_sources()
        if sources == "synthetic":
            synthetic = tmp_path / "synth.nt"
            synthetic.write_text("".join(line + "\n" for line in synth_lines(2, seed=3, scale=0.05)))
            files.append(synthetic)
    loaded = ox.Store()
    bulk_load(loaded, files)
    known = {t for q in loaded for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    reference, one_pass = ox.Store(), ox.Store()
    reference.extend(list(loaded))
    one_pass.extend(list(loaded))
    materialised_by_the_rules(reference)
    added = materialise(one_pass)
    assert added == len(one_pass) - len(loaded) > 0
    assert comparable(one_pass, known) == comparable(reference, known)


INVERSES = """
@prefix ex: <https://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:hasPart owl:inverseOf ex:partOf ; rdfs:subPropertyOf ex:contains .
ex:partOf rdfs:domain ex:Part ; rdfs:range ex:Whole .
ex:contains rdfs:domain ex:Container .
ex:Part rdfs:subClassOf ex:Piece .
ex:car ex:hasPart ex:wheel , "a literal names no part" .
"""


def test_types_through_inverses_need_no_property_pass_first(tmp_path: Path) -> None:
    """The types pass reads stated triples alone: what a property entails through an inverse or a
    super-property types its subject and object as the rules do after the property triples are derived."""
    source = tmp_path / "inverses.ttl"
    source.write_text(INVERSES)
    loaded = ox.Store()
    bulk_load(loaded, [source])
    reference, one_pass = ox.Store(), ox.Store()
    reference.extend(list(loaded))
    one_pass.extend(list(loaded))
    materialised_by_the_rules(reference)
    materialise(one_pass)
    assert set(one_pass) == set(reference)
    types = {(s, o) for s, p, o in inferred(one_pass) if p == RDF_TYPE.value}
    part, whole = (EX + "wheel", EX + "Part"), (EX + "car", EX + "Whole")
    assert {part, (EX + "wheel", EX + "Piece"), whole, (EX + "car", EX + "Container")} <= types
    assert not any(s.startswith("a literal") for s, _ in types)


def test_a_load_on_disk_holds_what_a_build_in_memory_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """klynge load streams into a store on disk (large files by the bulk loader, one bulk write of what the
    passes derive); the quads are those of the in-memory build."""
    from klynge.engines.disk_store import load_store

    synthetic = tmp_path / "synth.nt"
    synthetic.write_text("".join(line + "\n" for line in synth_lines(1, seed=2, scale=0.02)))
    monkeypatch.setattr("klynge.graph.build.STREAMED_SIZE", synthetic.stat().st_size)  # this one streams
    on_disk, added = load_store(tmp_path / "store", [synthetic])
    in_memory = build_store([*default_sources(), synthetic])

    def named(store: ox.Store) -> set[ox.Quad]:  # blank nodes are labelled afresh by each parse
        return {q for q in store if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}

    assert len(on_disk) == len(in_memory) and added > 0
    assert named(on_disk) == named(in_memory)


def test_files_streamed_in_any_syntax_load_as_a_build_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file streamed from disk at each pass (none held): Turtle, whose anonymous blank nodes a parser
    labels afresh at every read, is written to N-Quads once, so the passes agree on its blank nodes: each
    blank node's entailments are derived once, and nothing stated is repeated in the inferred graph."""
    from collections import Counter

    from klynge.engines.disk_store import load_store

    source = tmp_path / "blank.ttl"
    source.write_text(
        INVERSES + "ex:car ex:hasPart [ a ex:Part ; ex:partOf ex:car ] , ( ex:wheel ) .\n[] ex:partOf ex:car .\n"
    )
    monkeypatch.setattr("klynge.graph.build.STREAMED_SIZE", 0)
    on_disk, _ = load_store(tmp_path / "store", [source])
    in_memory = build_store([*default_sources(), source])

    def blank(quad: ox.Quad) -> bool:
        return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)

    def shape(store: ox.Store) -> Counter[tuple[str, str]]:  # blank-node quads, by predicate and graph
        return Counter((q.predicate.value, str(q.graph_name)) for q in store if blank(q))

    assert len(on_disk) == len(in_memory)
    assert {q for q in on_disk if not blank(q)} == {q for q in in_memory if not blank(q)}
    assert shape(on_disk) == shape(in_memory) and shape(on_disk)[(RDF_TYPE.value, str(INFERRED_GRAPH))] >= 4
    stated = {(q.subject, q.predicate, q.object) for q in on_disk if q.graph_name != INFERRED_GRAPH}
    derived = {(q.subject, q.predicate, q.object) for q in on_disk.quads_for_pattern(None, None, None, INFERRED_GRAPH)}
    assert not stated & derived
