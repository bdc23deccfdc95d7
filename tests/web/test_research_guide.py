"""docs/research-guide.md runs: every Python block, in order, against tables `klynge export` writes and a
server started here; each question's pandas and SPARQLWrapper answers agree, and match the sources."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from klynge.cli import main

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "research-guide.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[str]:
    return BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def guide_run(tmp_path_factory: pytest.TempPathFactory, live_server: str) -> tuple[dict, str]:
    """The guide's namespace after running every block (its output too), in a folder holding the tables."""
    folder = tmp_path_factory.mktemp("guide")
    assert main(["export", "--format", "tables", "--out", str(folder / "klynge-tables")]) == 0
    namespace: dict = {"__name__": "research_guide"}
    output = io.StringIO()
    here = Path.cwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(output):
            setup, *rest = blocks()
            exec(compile(setup, f"{GUIDE}:setup", "exec"), namespace)  # noqa: S102 - the guide's own code
            assert namespace["ENDPOINT"] == "http://127.0.0.1:8000/sparql"  # as the reader has it
            namespace["ENDPOINT"] = live_server + "/sparql"  # the server this test started
            for number, code in enumerate(rest, 1):
                exec(compile(code, f"{GUIDE}:block{number}", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(here)
    return namespace, output.getvalue()


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a.reset_index(drop=True).astype(str), b.reset_index(drop=True).astype(str))


def test_the_guide_has_a_setup_block_and_three_questions_answered_twice():
    assert len(blocks()) == 8
    assert len(re.findall(r"^## \d\. ", GUIDE.read_text(encoding="utf-8"), re.MULTILINE)) == 3


def test_clusters_by_area_agree_both_ways(guide_run):
    namespace, output = guide_run
    same(namespace["by_area"], namespace["by_area_sparql"])
    by_area = namespace["by_area"]
    assert len(by_area) == 14
    assert ("Energy technology", "Energy Cluster Denmark", "false") in set(map(tuple, by_area.values))
    assert set(by_area[by_area["budding"] == "true"]["cluster"]) == {
        "CenSec",
        "Danish Sound Cluster",
        "Vision Denmark",
        "Odense Robotics",
    }
    assert "clusters.csv" in output  # the package map printed


def test_pharmaceutical_regions_agree_both_ways(guide_run):
    namespace, _ = guide_run
    same(namespace["pharma"], namespace["pharma_sparql"])
    assert list(zip(namespace["pharma"]["regionNotation"], namespace["pharma"]["rank"], strict=True)) == [
        ("DK01", "2"),
        ("DK02", "1"),
        ("DK04", "1"),
        ("DK05", "1"),
    ]


def test_lineage_with_evidence_agrees_both_ways(guide_run):
    namespace, _ = guide_run
    same(namespace["came_from"], namespace["came_from_sparql"])
    came_from = namespace["came_from"]
    assert len(came_from) >= 2
    assert set(came_from["evidenceLabel"]) <= {"Stated", "Inferred"}
