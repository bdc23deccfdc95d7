"""klynge synth: deterministic, streamed, at the Danish rate, and readable as N-Triples."""

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from klynge.commands.synth import ACTIVITIES, COMPANIES, PARTICIPATIONS, country_lines, synth_lines

KLYNGE = "https://w3id.org/klynge/ontology#"


def count_type(lines: list[str], kind: str) -> int:
    return sum(1 for line in lines if line.endswith(f"<{KLYNGE}{kind}> .\n") and "#type>" in line)


def test_same_seed_same_lines_other_seed_other_lines() -> None:
    first = list(synth_lines(2, seed=7, scale=0.01))
    assert first == list(synth_lines(2, seed=7, scale=0.01))
    assert first != list(synth_lines(2, seed=8, scale=0.01))


def test_a_country_does_not_depend_on_how_many_are_made() -> None:
    one = "".join(synth_lines(1, seed=3, scale=0.01))
    two = "".join(synth_lines(2, seed=3, scale=0.01))
    assert two.startswith(one)


def test_full_scale_matches_the_danish_rate() -> None:
    lines = list(country_lines("DK", seed=1))
    assert count_type(lines, "Company") == COMPANIES == 11_000
    assert count_type(lines, "ClusterActivity") == ACTIVITIES == 3_000
    assert count_type(lines, "Participation") == PARTICIPATIONS == 30_000
    assert count_type(lines, "ClusterOrganisation") == 15


def test_output_parses_as_n_triples(tmp_path: Path) -> None:
    out = tmp_path / "eu.nt"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "klynge.cli",
            "synth",
            "--countries",
            "3",
            "--scale",
            "0.01",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    triples = list(ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES))
    subjects = {t.subject.value for t in triples}
    assert any("/synth/dk/" in s for s in subjects) and any("/synth/be/" in s for s in subjects)


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    for args, message in (
        (["--countries", "28"], "--countries must be 1 to 27"),
        (["--scale", "0"], "--scale must be above 0"),
        (["--out", str(tmp_path / "x.ttl")], "must end in .nt"),
    ):
        done = subprocess.run([sys.executable, "-m", "klynge.cli", "synth", *args], capture_output=True, text=True)
        assert done.returncode == 2
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_participation_by_area_counts_what_the_synthetic_records_say(tmp_path: Path) -> None:
    """The named aggregate over participations agrees with the same counts taken in Python from the triples."""
    from collections import defaultdict

    from klynge.graph.build import build_store, default_sources

    out = tmp_path / "two.nt"
    out.write_text("".join(synth_lines(2, seed=5, scale=0.02)))
    store = build_store([*default_sources(), out])
    query = (Path(__file__).resolve().parent.parent / "queries" / "participation-by-area.rq").read_text()
    counts = ("participations", "participants", "activities", "clusters")
    rows = {
        row["area"].value: tuple(int(row[n].value) for n in counts)
        for row in store.query(query, use_default_graph_as_union=True)
    }
    by_predicate: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for t in ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES):
        by_predicate[t.predicate.value][t.subject.value].add(t.object.value)
    for t in store.quads_for_pattern(None, ox.NamedNode(KLYNGE + "hasArea"), None):
        by_predicate["hasArea"][t.subject.value].add(t.object.value)
    expected: dict[str, list[set]] = defaultdict(lambda: [set(), set(), set(), set()])
    for record, (activity,) in by_predicate[KLYNGE + "activity"].items():
        (participant,) = by_predicate[KLYNGE + "participant"][record]
        (cluster,) = by_predicate[KLYNGE + "organisedBy"][activity]
        for area in by_predicate["hasArea"][cluster]:
            for seen, value in zip(expected[area], (record, participant, activity, cluster), strict=True):
                seen.add(value)
    assert rows == {area: tuple(len(s) for s in sets) for area, sets in expected.items()}
    assert len(rows) > 3
