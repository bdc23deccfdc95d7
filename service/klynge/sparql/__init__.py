"""The service's own SPARQL queries (pages, answers, the dataset description), one ``.rq`` file each.

They are read and checked by the one query-file reader, ``klynge.catalogue`` (``internal_catalogue``):
the same header format as ``queries/``, kept out of the public API. Values reach them as bound terms
(``Engine.select(text, bindings)``), never by string formatting, so the files are the whole query text.
"""

from __future__ import annotations


def query(name: str) -> str:
    """The text of ``sparql/<name>.rq``; an unknown name is a LookupError naming the file looked for."""
    from klynge.catalogue import internal  # the catalogue reads this folder: import it when asked

    return internal(name).sparql
