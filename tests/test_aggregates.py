"""The participation statistics published at build time equal the counts of the records they summarise.

klynge.graph.aggregates counts the participation records by business area when the graph is built and
publishes the counts as Data Cube observations, which the named query participation-by-area reads. Here the
records are counted again in Python, from the store's triples and without SPARQL, and the query's answer must
equal that count: on the repository graph (no records, so no observations) and on small synthetic graphs.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.catalogue import catalogue, internal
from klynge.commands.synth import synth_lines
from klynge.graph import aggregates
from klynge.graph.build import build_store, default_sources
from klynge.rdf.namespaces import KLYNGE, RDF_TYPE

QUERY = catalogue()["participation-by-area"]
Counts = dict[str, tuple[int, int, int, int]]


def objects(store: ox.Store, subject: ox.Term, predicate: ox.NamedNode) -> list[ox.Term]:
    return [quad.object for quad in store.quads_for_pattern(subject, predicate, None)]


def counted_from_records(store: ox.Store) -> Counts:
    """Per area: participations (every record, participant, activity, organiser and area it reaches), distinct
    participants, activities and cluster organisations, read from the triples one by one."""
    rows: dict[str, list[tuple[ox.Term, ox.Term, ox.Term]]] = defaultdict(list)
    records = {quad.subject for quad in store.quads_for_pattern(None, RDF_TYPE, KLYNGE.Participation)}
    for record in records:
        for participant in set(objects(store, record, KLYNGE.participant)):
            for activity in set(objects(store, record, KLYNGE.activity)):
                for cluster in set(objects(store, activity, KLYNGE.organisedBy)):
                    for area in set(objects(store, cluster, KLYNGE.hasArea)):
                        rows[area.value].append((participant, activity, cluster))
    return {
        area: (len(found), len({p for p, _, _ in found}), len({a for _, a, _ in found}), len({c for _, _, c in found}))
        for area, found in rows.items()
    }


def answered(store: ox.Store) -> Counts:
    """The named query's answer, as the same table."""
    answer: Counts = {}
    for row in store.query(QUERY.sparql, use_default_graph_as_union=True):
        figures = (row["participations"], row["participants"], row["activities"], row["clusters"])
        answer[row["area"].value] = tuple(int(term.value) for term in figures)  # type: ignore[assignment]
    return answer


def synthetic_store(tmp_path: Path, countries: int, scale: float) -> ox.Store:
    path = tmp_path / "synthetic.nt"
    path.write_text("".join(synth_lines(countries, seed=3, scale=scale)))
    return build_store([*default_sources(), path])


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    return synthetic_store(tmp_path_factory.mktemp("aggregates"), countries=2, scale=0.05)


def test_the_repository_graph_has_no_records_and_no_observations() -> None:
    store = build_store()
    assert counted_from_records(store) == {} == answered(store)
    assert next(store.quads_for_pattern(None, None, None, aggregates.AGGREGATES_GRAPH), None) is None


def test_the_published_counts_equal_the_records_counted_anew(synthetic: ox.Store) -> None:
    counts = counted_from_records(synthetic)
    assert len(counts) > 5  # most areas have clusters with activities in two countries
    assert answered(synthetic) == counts


def test_every_area_and_measure_is_one_observation_with_a_label_and_the_records_sources(synthetic: ox.Store) -> None:
    areas = counted_from_records(synthetic)
    graph = aggregates.AGGREGATES_GRAPH
    found = {q.subject for q in synthetic.quads_for_pattern(None, RDF_TYPE, None, graph) if "/stat/" in q.subject.value}
    assert len(found) == 4 * len(areas)
    for observation in found:
        labels = list(synthetic.quads_for_pattern(observation, aggregates.RDFS.label, None, graph))
        cited = {q.object.value for q in synthetic.quads_for_pattern(observation, aggregates.DCTERMS.source, None)}
        assert len(labels) == 1 and labels[0].object.language == "en"
        assert cited == {"https://w3id.org/klynge/id/synth/source"}


def test_a_record_changed_after_the_build_shows_as_a_difference(tmp_path: Path) -> None:
    """The comparison can fail: drop one record's participant after the build, and the counts part."""
    store = synthetic_store(tmp_path, countries=1, scale=0.02)
    record = next(store.quads_for_pattern(None, KLYNGE.participant, None))
    store.remove(record)
    assert answered(store) != counted_from_records(store)


def test_the_counts_counted_in_python_equal_the_engines_count_of_the_records(synthetic: ox.Store) -> None:
    """klynge.graph.aggregates counts in Python as the sources stream past; the engine's join over the union
    (aggregate-participation-by-area.rq, aggregate-participation-sources.rq) gives the same figures, labels and
    sources."""
    by_area = internal("aggregate-participation-by-area").sparql
    engine = {
        row["area"].value: (
            tuple(int(row[column].value) for column in aggregates.MEASURES),
            row["areaLabel"].value if row["areaLabel"] is not None else None,
        )
        for row in synthetic.query(by_area, use_default_graph_as_union=True)
    }
    sources: dict[str, set[str]] = defaultdict(set)
    for row in synthetic.query(internal("aggregate-participation-sources").sparql, use_default_graph_as_union=True):
        sources[row["area"].value].add(row["source"].value)
    graph = aggregates.AGGREGATES_GRAPH
    published: dict[str, dict[str, int]] = defaultdict(dict)
    cited: dict[str, set[str]] = defaultdict(set)
    for quad in synthetic.quads_for_pattern(None, aggregates.OBS_VALUE, None, graph):
        area = next(synthetic.quads_for_pattern(quad.subject, KLYNGE.businessArea, None, graph)).object.value
        published[area][quad.subject.value.rsplit("/", 1)[-1]] = int(quad.object.value)
        cited[area] |= {
            q.object.value for q in synthetic.quads_for_pattern(quad.subject, aggregates.DCTERMS.source, None)
        }
    assert engine and set(engine) == set(published)
    for area, (figures, name) in engine.items():
        assert tuple(published[area][column] for column in aggregates.MEASURES) == figures
        observation = aggregates.observation_iri(ox.NamedNode(area), "participations")
        label = next(synthetic.quads_for_pattern(observation, aggregates.RDFS.label, None, graph)).object.value
        assert name is not None and label.endswith(f" in {name}: {figures[0]:,}")
        assert cited[area] == sources[area]
