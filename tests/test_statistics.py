"""The whole-graph statistics counted at load equal the scans they replace.

klynge.graph.statistics counts the graph when it is built and writes VoID into ``kg:void``; the pages read
those figures through klynge.answers.statistics. Here the pages' figures are compared with the scan queries
they replace (``dataset-*.rq``, ``ontology-*-usage.rq``, ``browse-classes.rq``), run on the whole store
(``kg:void`` included): on the repository graph, on a small synthetic graph, on a store extended by a second
load, on files whose graphs overlap (a triple stated twice in one file, in two files, stated and entailed,
resources typed in the ontology's graph too, subjects that are no IRI), built in memory and by ``klynge load``
(which notes the examples as the quads stream into the store), and on a store built before the statistics
existed (which the readers answer by the scans).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.answers import statistics
from klynge.answers.statistics import DatasetCounts
from klynge.catalogue import internal
from klynge.commands.synth import synth_lines
from klynge.engines.disk_store import load_store, recorded_quads
from klynge.engines.store import EmbeddedEngine
from klynge.graph import statistics as counting
from klynge.graph.build import build_store, default_sources, derived_count, load, materialise
from klynge.rdf.namespaces import INFERRED_GRAPH, KID, KLYNGE, ONTOLOGY_GRAPH, RDF_TYPE

SPACE = KID.iri


def scan(store: ox.Store, name: str, **bound: ox.Term) -> list[dict[str, ox.Term]]:
    """A scan query's rows on the store itself (no engine, no statistics)."""
    return counting.select(store, internal(name).sparql, **bound)


def rows(found: list[dict[str, ox.Term]]) -> list[tuple[tuple[str, str], ...]]:
    """Rows comparable across queries: each as its sorted (column, term) pairs, the numbers as integers."""

    def shown(term: ox.Term) -> str:
        if isinstance(term, ox.Literal) and term.datatype.value.endswith("#integer"):
            return str(int(term.value))
        return str(term)

    return sorted(tuple(sorted((k, shown(v)) for k, v in row.items())) for row in found)


def scanned(store: ox.Store) -> dict[str, object]:
    """Every figure by the scans the pages ran before the statistics existed."""
    (counts,) = scan(store, "dataset-counts")
    (triples,) = scan(store, "dataset-triples")
    entities = scan(store, "dataset-entities", space=ox.Literal(SPACE))
    return {
        "dataset": DatasetCounts(
            triples=int(triples["triples"].value),
            subjects=int(counts["subjects"].value),
            objects=int(counts["objects"].value),
            properties=int(counts["properties"].value),
            entities=int(entities[0]["entities"].value) if entities else 0,
        ),
        "classes": [(row["class"], int(row["entities"].value)) for row in scan(store, "dataset-class-partition")],
        "properties": [
            (row["property"], int(row["triples"].value)) for row in scan(store, "dataset-property-partition")
        ],
        "property usage": rows(scan(store, "ontology-property-usage")),
        "class usage": rows(scan(store, "ontology-class-usage")),
        "browse": rows(scan(store, "browse-classes")),
    }


def served(store: ox.Store, path: Path | None = None) -> dict[str, object]:
    """Every figure as the pages read it, through the engine that serves the store (on disk at ``path``)."""
    engine = EmbeddedEngine(store, path=path)
    try:
        return {
            "dataset": statistics.dataset_counts(engine, SPACE),
            "classes": statistics.class_partition(engine),
            "properties": statistics.property_partition(engine),
            "property usage": rows(statistics.property_usage(engine)),
            "class usage": rows(statistics.class_usage(engine)),
            "browse": rows(statistics.browse_classes(engine)),
        }
    finally:
        engine.close()


def statistics_quads(store: ox.Store) -> list[ox.Quad]:
    return list(store.quads_for_pattern(None, None, None, counting.STATISTICS_GRAPH))


def synthetic_file(directory: Path, seed: int) -> Path:
    path = directory / f"synthetic-{seed}.nt"
    path.write_text("".join(synth_lines(2, seed=seed, scale=0.05)))
    return path


@pytest.fixture(scope="module")
def repository() -> ox.Store:
    return build_store()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    return build_store([*default_sources(), synthetic_file(tmp_path_factory.mktemp("statistics"), seed=3)])


def test_the_repository_graphs_figures_equal_the_scans(repository: ox.Store) -> None:
    assert statistics_quads(repository), "materialise wrote no statistics"
    figures = served(repository)
    assert figures == scanned(repository)
    dataset = figures["dataset"]
    assert isinstance(dataset, DatasetCounts) and dataset.triples == len({q.triple for q in repository})


def test_a_synthetic_graphs_figures_equal_the_scans(synthetic: ox.Store) -> None:
    figures = served(synthetic)
    assert figures == scanned(synthetic)
    participations = dict(figures["classes"])[KLYNGE.Participation]  # type: ignore[call-overload]
    records = {q.subject for q in synthetic.quads_for_pattern(None, RDF_TYPE, KLYNGE.Participation)}
    assert participations == len(records) > 100


def test_the_statistics_state_no_type_and_no_klynge_property(synthetic: ox.Store) -> None:
    """What lets the readers leave kg:void out of the class partitions and the ontology's usage figures."""
    quads = statistics_quads(synthetic)
    assert len(quads) > 1000
    for quad in quads:
        assert quad.predicate != RDF_TYPE and not quad.predicate.value.startswith(KLYNGE.iri), quad


def copied(store: ox.Store) -> ox.Store:
    copy = ox.Store()
    copy.extend(store)
    return copy


def test_a_second_load_counts_the_whole_store_again(synthetic: ox.Store, tmp_path: Path) -> None:
    """As `klynge load` extending a store: the kept quads, the new file, and materialise over all of it."""
    extended = copied(synthetic)
    before = served(extended)["dataset"]
    load(extended, [synthetic_file(tmp_path, seed=4)])
    materialise(extended)
    figures = served(extended)
    assert figures == scanned(extended)
    assert figures["dataset"].triples > before.triples  # type: ignore[attr-defined]
    assert len(extended) > figures["dataset"].triples  # the two files state some triples both: counted once


def test_the_engine_counts_the_entities_where_many_subjects_lie_outside_the_uri_space(
    synthetic: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python holds the subjects outside the URI space up to a bound (the entities are the others); beyond it,
    the engine counts the entities."""
    monkeypatch.setattr(counting, "OUTSIDE_HELD", 10)
    store = copied(synthetic)
    assert counting.Noted.of(store).outside is None
    counting.publish(store)
    assert served(store) == scanned(store)


def test_a_store_built_before_the_statistics_is_answered_by_the_scans(synthetic: ox.Store) -> None:
    older = copied(synthetic)
    older.remove_graph(counting.STATISTICS_GRAPH)
    assert served(older) == scanned(older)


def test_figures_for_another_uri_space_are_counted_by_a_scan(synthetic: ox.Store) -> None:
    """A site serving the data under another base than the one counted at load."""
    engine = EmbeddedEngine(synthetic)
    try:
        other = "https://w3id.org/klynge/id/synth/dk/"
        expected = scan(synthetic, "dataset-entities", space=ox.Literal(other))
        assert statistics.dataset_counts(engine, other).entities == int(expected[0]["entities"].value) > 0
    finally:
        engine.close()


FIRST = ox.NamedNode(KID.iri + "0-first")  # before every other IRI: the example, were the ontology's graph counted


def overlapping_files(directory: Path, synthetic: ox.Store) -> list[Path]:
    """A synthetic file, and files that state again what it states or entails: its first lines twice over, some
    of the triples it entails, a klynge property and a klynge class of a blank node (whose examples the scans
    leave out), and, in the ontology's graph, one of its klynge resources and a resource of its own typed, and
    a klynge property used (which the ontology page does not count)."""
    first = synthetic_file(directory, seed=3)
    entailed = sorted(str(q.triple) for q in synthetic.quads_for_pattern(None, None, None, INFERRED_GRAPH))[:200]
    node = next(q.subject for q in synthetic.quads_for_pattern(None, RDF_TYPE, KLYNGE.SectoralNode))
    lines = first.read_text().splitlines()[:60]
    again = directory / "again.nt"
    again.write_text(
        "\n".join([*lines, *lines, *(f"{triple} ." for triple in entailed)])
        + f'\n_:b {KLYNGE.rank} "1" .\n_:b {RDF_TYPE} {KLYNGE.SectoralNode} .\n'
    )
    (directory / "ontology").mkdir()
    ontology = directory / "ontology" / "extra.nt"
    ontology.write_text(
        f"{node} {RDF_TYPE} {KLYNGE.SectoralNode} .\n{FIRST} {RDF_TYPE} {KLYNGE.SectoralNode} .\n"
        f"{FIRST} {RDF_TYPE} {KLYNGE.Participation} .\n{FIRST} {KLYNGE.sector} {node} .\n"
    )
    return [first, again, ontology]


def test_figures_equal_the_scans_where_the_graphs_overlap(synthetic: ox.Store, tmp_path: Path) -> None:
    store = build_store([*default_sources(), *overlapping_files(tmp_path, synthetic)])
    figures = served(store)
    assert figures == scanned(store)
    assert len(store) > figures["dataset"].triples  # type: ignore[attr-defined]  # triples in several graphs: once
    assert any(store.quads_for_pattern(FIRST, KLYNGE.sector, None, ONTOLOGY_GRAPH))
    assert not any(FIRST.value in str(row) for row in figures["class usage"] + figures["property usage"])  # type: ignore[operator]
    assert not any(str(KLYNGE.rank) in str(row) for row in figures["property usage"])  # type: ignore[attr-defined]


def test_a_loaded_store_and_its_extension_equal_the_scans(synthetic: ox.Store, tmp_path: Path) -> None:
    """As `klynge load` builds a store on disk (the examples noted as the quads stream in, the rest counted
    on the closed store), then extends it with another file."""
    folder = tmp_path / "store"
    store, added = load_store(folder, overlapping_files(tmp_path, synthetic))
    figures = served(store, folder)
    assert figures == scanned(store)
    assert (recorded_quads(folder), added) == (len(store), derived_count(store))
    del store
    store, added = load_store(folder, [synthetic_file(tmp_path, seed=4)])
    extended = served(store, folder)
    assert extended == scanned(store)
    assert extended["dataset"].triples > figures["dataset"].triples  # type: ignore[attr-defined]
    assert (recorded_quads(folder), added) == (len(store), derived_count(store))
