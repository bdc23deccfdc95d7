"""bench/RESULTS.md is written by several benchmarks: each replaces its own section and keeps the others."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import results  # noqa: E402 - bench/results.py, the benchmarks' shared writer


def test_a_section_is_replaced_and_the_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    other = "<!-- b: begin -->\nb\n<!-- b: end -->\n"
    path.write_text("# Head\n\n<!-- a: begin -->\nold a\n<!-- a: end -->\n\n" + other)
    results.merge(path, "a", "<!-- a: begin -->\nnew a\n<!-- a: end -->\n")
    assert path.read_text() == "# Head\n\n<!-- a: begin -->\nnew a\n<!-- a: end -->\n\n" + other
    assert results.current(path, "b") == "<!-- b: begin -->\nb\n<!-- b: end -->"


def test_a_new_section_goes_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text("# Head\n")
    results.merge(path, "c", "<!-- c: begin -->\nc\n<!-- c: end -->\n")
    assert path.read_text() == "# Head\n\n<!-- c: begin -->\nc\n<!-- c: end -->\n"
    assert results.current(tmp_path / "absent.md", "c") == ""
