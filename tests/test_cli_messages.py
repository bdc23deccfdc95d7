"""What the ``klynge`` command says to a person: plain help, the command's own usage with a "did you mean" for
a mistyped option, a summary of what ``synth`` wrote, and ``make export`` naming files as the dumps do."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.answers.dataset import DUMPS
from klynge.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_top_level_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert "knowledge graph" in shown
    assert "``" not in shown and ":func:" not in shown and ":class:" not in shown


@pytest.mark.parametrize(
    ("argv", "usage", "hint"),
    [
        (["validate", "--fromat", "json"], "usage: klynge validate", "did you mean --format"),
        (["export", "--formt=ttl"], "usage: klynge export", "did you mean --format"),
        (["diff", "HEAD", ".", "--fromat", "json"], "usage: klynge diff", "did you mean --format"),
    ],
)
def test_a_mistyped_option_gets_the_commands_usage_and_a_suggestion(
    argv: list[str], usage: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert said.startswith(usage)
    assert hint in said and "unrecognized arguments" in said


def test_an_unknown_option_with_nothing_close_gets_no_guess(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--zzzzzz"])
    said = capsys.readouterr().err
    assert "unrecognized arguments: --zzzzzz" in said and "did you mean" not in said


def test_synth_says_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "dk.nt"
    done = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "synth", "--scale", "0.01", "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    said = re.search(r"wrote ([\d,]+) triples for 1 country .* to (\S+) \(([\d.]+) MB\)", done.stdout)
    assert said, done.stdout
    assert int(said[1].replace(",", "")) == len(list(ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES)))
    assert said[2] == str(out)
    to_stdout = subprocess.run(
        [sys.executable, "-m", "klynge.cli", "synth", "--scale", "0.01"], capture_output=True, text=True, check=True
    )
    assert "wrote" not in to_stdout.stdout and "to standard output" in to_stdout.stderr


def test_make_export_names_its_files_as_the_dumps_are_named() -> None:
    planned = subprocess.run(
        ["make", "-n", "export", "STAMP=Makefile"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    loop = re.search(r"for f in ([\w ]+); do \S*klynge export --format \$f --out dist/klynge\.\$f", planned)
    assert loop, planned
    assert loop[1].split() == [dump.extension for dump in DUMPS]
