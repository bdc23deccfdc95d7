"""The service's own SPARQL queries (pages, answers, the dataset description), one ``.rq`` file each.

Named queries for users live in ``queries/`` with grlc headers; these are internal, so a plain comment header
says why each exists. Values reach them as bound terms (``Engine.select(text, bindings)``), never by string
formatting, so the files are the whole query text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


@cache
def query(name: str) -> str:
    """The text of ``sparql/<name>.rq``; an unknown name is a FileNotFoundError naming the file looked for."""
    path = FOLDER / f"{name}.rq"
    if not path.is_file():
        known = sorted(p.stem for p in FOLDER.glob("*.rq"))
        raise FileNotFoundError(f"no service query {path}; the queries are {known}")
    return path.read_text(encoding="utf-8")
