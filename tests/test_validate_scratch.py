"""``klynge validate`` on large files: built into a temporary store on disk (``klynge load``'s road), judged
there with the same report as in memory, and the temporary folder gone afterwards, whatever happened."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from klynge.cli import main
from klynge.commands.synth import synth_lines
from klynge.rdf.namespaces import PREFIXES
from klynge.validation import validate
from klynge.validation.lines import display_path
from klynge.validation.scratch import PREFIX

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = FIXTURES / "broken" / "start-after-end.ttl"  # one violation, on line 23
NO_ONE = "<https://w3id.org/klynge/id/synth/dk/participation/no-one>"  # a participation without a participant


def synthetic(folder: Path, scale: float = 0.01) -> Path:
    """A synthetic N-Triples file (as ``klynge synth`` writes) with one participation that breaks the shapes."""
    path = folder / "synth.nt"
    broken = f"{NO_ONE} <{PREFIXES['rdf']}type> <{PREFIXES['klynge']}Participation> .\n"
    path.write_text("".join(synth_lines(1, seed=1, scale=scale)) + broken)
    return path


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    """Exit code and JSON report of ``klynge validate ARGS``."""
    code = main(["validate", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


@pytest.fixture
def on_disk(monkeypatch: pytest.MonkeyPatch, scratch: Path) -> list[list[str]]:
    """Every file, however small, takes the road to disk; returns, for each time the published graph is built
    there (``load_published``, as ``klynge load`` builds it), what the scratch folder then held."""
    monkeypatch.setattr(validate, "ON_DISK", 0)
    seen: list[list[str]] = []
    real = validate.load_published

    def load_published(store, read):  # noqa: ANN001, ANN202 - graph.build.load_published's signature
        seen.append(sorted(path.name for path in scratch.glob(f"{PREFIX}{os.getpid()}-*/*")))
        return real(store, read)

    monkeypatch.setattr(validate, "load_published", load_published)
    return seen


def test_the_road_to_disk_gives_the_report_the_memory_gives(
    tmp_path: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same files judged in memory and on disk: the same violations, messages, files and lines."""
    files = [str(synthetic(tmp_path)), str(BROKEN)]
    in_memory = report(capsys, "--engine", "sparql", *files)
    assert in_memory[0] == 1
    monkeypatch.setattr(validate, "ON_DISK", 0)
    assert report(capsys, "--engine", "sparql", "--scratch", str(scratch), *files) == in_memory
    focuses = {violation["focus"] for violation in in_memory[1]["violations"]}
    assert focuses == {NO_ONE, "<https://w3id.org/klynge/id/policy/backwards>"}
    places = {(violation["source"], violation["line"]) for violation in in_memory[1]["violations"]}
    assert places == {
        (display_path(BROKEN), 23),
        (display_path(Path(files[0])), len(Path(files[0]).read_text().splitlines())),
    }
    assert list(scratch.iterdir()) == [], "the temporary store is removed"


def test_a_bulk_loaded_file_is_judged_as_pyshacl_judges_it_in_memory(
    tmp_path: Path, scratch: Path, on_disk: list[list[str]], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A file above BIG_FILE goes through the engine's bulk loader and is located by file only; the shapes
    compiled to SPARQL find there what pySHACL, the reference, finds in memory."""
    synth = synthetic(tmp_path)
    monkeypatch.setattr(validate, "ON_DISK", 2**40)
    code, reference = report(capsys, "--engine", "pyshacl", str(synth), str(BROKEN))
    monkeypatch.setattr(validate, "ON_DISK", 0)
    monkeypatch.setattr(validate, "BIG_FILE", synth.stat().st_size - 1)
    assert report(capsys, "--scratch", str(scratch), str(synth), str(BROKEN)) == (code, _by_file(reference, synth))
    assert on_disk == [["store"]], "built in a folder of its own in the scratch folder"
    assert list(scratch.iterdir()) == []


def _by_file(report: dict, path: Path) -> dict:
    """The report with the violations in ``path`` located by file only, as for a bulk-loaded file."""
    for violation in report["violations"]:
        if violation["source"] == display_path(path):
            violation["line"] = 0
    return report


def test_a_syntax_error_in_a_bulk_file_names_line_and_column_and_leaves_no_store(
    tmp_path: Path,
    scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = tmp_path / "broken.nt"
    broken.write_text("".join(synth_lines(1, seed=1, scale=0.01)) + '<urn:a> <urn:b> "no end .\n<urn:a> <urn:b> 1 .\n')
    monkeypatch.setattr(validate, "BIG_FILE", 1)
    monkeypatch.setattr(validate, "ON_DISK", 0)
    assert main(["validate", "--scratch", str(scratch), str(broken)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert f"{broken}:{broken.read_text().count(chr(10)) - 1}:" in captured.err, "the file, line and column"
    assert list(scratch.iterdir()) == []


def test_a_scratch_folder_that_cannot_be_made_exits_2_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """/proc takes no folders, not even from root."""
    monkeypatch.setattr(validate, "ON_DISK", 0)
    assert main(["validate", "--scratch", "/proc", str(BROKEN)]) == 2
    err = capsys.readouterr().err
    assert "cannot make a temporary store in /proc" in err and "--scratch DIR" in err and "Traceback" not in err
    assert main(["validate", "--scratch", str(BROKEN), str(BROKEN)]) == 2
    assert f"--scratch {BROKEN} is not a folder" in capsys.readouterr().err


def klynge_validate(*args: str, file_size: int | None = None) -> subprocess.Popen[str]:
    """``klynge validate ARGS`` in a process of its own; ``file_size``: the most bytes it may write to a file
    (beyond that a write fails with EFBIG, as on a full disk, instead of killing it)."""

    def limit() -> None:
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    return subprocess.Popen(
        [sys.executable, "-m", "klynge.cli", "validate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
    )


def test_a_failing_write_into_the_temporary_store_exits_2_and_removes_it(tmp_path: Path, scratch: Path) -> None:
    """A full disk, met as a file-size limit: the engine cannot write the store's files."""
    big = synthetic(tmp_path, scale=0.4)
    done = klynge_validate("--scratch", str(scratch), str(big), file_size=256 * 2**10)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 2, err
    assert f"cannot write in the temporary folder {scratch}: " in err and "free some space there" in err
    assert "Traceback" not in err and out == ""
    assert list(scratch.iterdir()) == []


def test_sigterm_while_building_stops_the_run_and_removes_the_store(tmp_path: Path, scratch: Path) -> None:
    big = synthetic(tmp_path, scale=0.4)
    assert validate.on_disk([big]), "the file is large enough to go to disk by default"
    run = klynge_validate("--scratch", str(scratch), str(big))
    deadline = time.monotonic() + 120
    while not any(scratch.iterdir()) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert run.poll() is None, "the run was still building when the signal came"
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 130, err
    assert "Traceback" not in err and out == ""
    assert list(scratch.iterdir()) == []


def test_a_folder_left_by_a_killed_run_is_removed_by_the_next(
    tmp_path: Path, scratch: Path, on_disk: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    gone = scratch / f"{PREFIX}{2**22 + 1}-left"  # above any pid Linux hands out (pid_max <= 2**22)
    (gone / "store").mkdir(parents=True)
    mine = scratch / f"{PREFIX}{os.getpid()}-running"  # a live process's: kept
    mine.mkdir()
    assert main(["validate", "--scratch", str(scratch), str(BROKEN)]) == 1
    assert "policy/backwards" in capsys.readouterr().out
    assert list(scratch.iterdir()) == [mine]


def test_the_repository_stays_in_memory_and_large_files_go_to_disk(tmp_path: Path) -> None:
    sources = validate.Sources.repository()
    assert not validate.on_disk(sources.graph + sources.shapes)
    assert validate.on_disk([*sources.graph, synthetic(tmp_path, scale=0.4)])
