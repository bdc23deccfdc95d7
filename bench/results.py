"""bench/RESULTS.md is shared: bench/run.py writes its head, and each other benchmark owns one section between
its markers (``<!-- name: begin -->`` … ``<!-- name: end -->``), which a new run replaces, leaving the rest."""

from __future__ import annotations

import os
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The begin and end markers of a section."""
    return f"<!-- {name}: begin -->", f"<!-- {name}: end -->"


def current(path: Path, name: str) -> str:
    """The section as the results file holds it now, markers included ('' if it has none)."""
    return section_in(path.read_text() if path.exists() else "", name)


def section_in(text: str, name: str) -> str:
    """The section of a results text, markers included ('' if it has none)."""
    begin, end = markers(name)
    if begin not in text or end not in text:
        return ""
    return text[text.index(begin) : text.index(end) + len(end)]


def merge(path: Path, name: str, block: str) -> None:
    """Put a section (its markers included) into the results file, in place of the one it had, else at the end."""
    text = path.read_text() if path.exists() else ""
    old = section_in(text, name)
    text = text.replace(old, block.rstrip("\n"), 1) if old else text.rstrip("\n") + "\n\n" + block
    path.write_text(text if text.endswith("\n") else text + "\n")


def machine() -> str:
    """How busy the machine was, for a section's text: its cores and the load average now."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    busy = f"; above {cores}, other work shared the cores and the figures are upper bounds" if load > cores else ""
    return f"{cores} cores, load average {load:.1f} (1 minute){busy}"
