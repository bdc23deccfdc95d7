"""Label search: resources whose English or Danish names contain a text, best matches first.

The text is folded in Python exactly as ``sparql/search.rq`` folds every name (a test holds the two alike),
so "vaekstforum" finds "Vækstforum".
"""

from __future__ import annotations

import re
import unicodedata

import pyoxigraph as ox

from klynge.answers.describe import Engine, select, text
from klynge.answers.models import SearchHit

# Letters that fold to two (Danish æ, ø, å as Danes write them without; German ß), before accents are stripped.
SPELLED_OUT = {"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"}
MAX_QUERY_LENGTH = 200
MAX_HITS = 100  # search.rq returns the best 100
MATCH_KINDS = (
    "exact",
    "exact (alternative name)",
    "prefix",
    "prefix (alternative name)",
    "substring",
    "substring (alternative name)",
)


def fold(value: str) -> str:
    """Lower case, Danish letters spelled out (æ→ae, ø→oe, å→aa), accents stripped, spaces collapsed."""
    lowered = value.lower()
    for letter, spelled in SPELLED_OUT.items():
        lowered = lowered.replace(letter, spelled)
    stripped = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip()


def search(engine: Engine, query: str, limit: int = 20) -> list[SearchHit]:
    """Resources whose English or Danish names contain the text, ranked exact > prefix > substring."""
    folded = fold(query)
    if not folded:
        raise ValueError("the search text is empty")
    if len(folded) > MAX_QUERY_LENGTH:
        raise ValueError(f"the search text is longer than {MAX_QUERY_LENGTH} characters")
    hits = []
    for row in select(engine, "search", q=ox.Literal(folded))[: min(limit, MAX_HITS)]:
        rank, matched = row["best"].value.split("|", 1)
        hits.append(
            SearchHit(
                iri=row["resource"].value,
                label=text(row.get("label")),
                matched=matched,
                match=MATCH_KINDS[int(rank)],
                types=sorted(filter(None, (text(row.get("types")) or "").split(" "))),
            )
        )
    return hits
