"""The 14 clusters appointed on 1 October 2020, read from the ECCP factsheet's own text (../shared/sources), so
tests compare the service's answers with the source rather than with the graph."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SOURCES = Path(__file__).resolve().parents[3] / "shared" / "sources"
FACTSHEET = "000_ea44c16095afaad3.txt"  # ECCP country factsheet: Denmark (sources/README.md)


def factsheet_text() -> str:
    """The factsheet's text, or a skip where ../shared is absent."""
    path = SOURCES / FACTSHEET
    if not path.exists():
        pytest.skip(f"{path} is absent (the sources live in ../shared, outside the repository)")
    return path.read_text(encoding="utf-8")


def appointed_clusters() -> dict[str, str]:
    """The factsheet's table "Strength position / Cluster": each cluster's full name -> its area's name."""
    text = factsheet_text()
    table = text[text.index("Strength position\tCluster") : text.index("INSTRUMENTS")]
    rows = {}
    for line in table.splitlines()[1:]:
        cells = [cell.strip() for cell in line.split("\t") if cell.strip()]
        if len(cells) == 2:
            area, cluster = cells
            rows[cluster] = re.sub(r"^Budding:\s*", "", area)
    return rows


def appointment_sentence() -> tuple[str, str]:
    """The day and the appointing post as the factsheet says them ("On 1 October 2020, the Minister of ...")."""
    match = re.search(r"On (\d+ \w+ \d{4}), the (Minister of [A-Z][a-z]+ and [A-Z][a-z]+) appointed", factsheet_text())
    assert match, "the factsheet's appointment sentence was not found"
    return match.group(1), match.group(2)


def programme_name() -> str:
    """The national programme's name as the factsheet's "Policy name" row gives it (before the Danish one)."""
    match = re.search(r"^Policy name:\t(.+?) \(", factsheet_text(), re.MULTILINE)
    assert match, "the factsheet's Policy name row was not found"
    return match.group(1)


def letters(text: str) -> str:
    """Only the letters and digits of a name, case folded: the factsheet's extraction loses spaces and hyphens."""
    return re.sub(r"[\W_]+", "", text).casefold()
