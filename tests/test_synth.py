"""klynge synth: deterministic, streamed, at the Danish rate, and readable as N-Triples."""

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from klynge.synth import ACTIVITIES, COMPANIES, PARTICIPATIONS, country_lines, synth_lines

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
        done = subprocess.run(
            [sys.executable, "-m", "klynge.cli", "synth", *args], capture_output=True, text=True
        )
        assert done.returncode == 2
        assert message in done.stderr
        assert "Traceback" not in done.stderr
