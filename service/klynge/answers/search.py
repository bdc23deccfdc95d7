"""Label search: resources whose English or Danish names contain a text, best matches first.

The text is folded in Python exactly as ``sparql/search.rq`` folds every name (a test holds the two alike),
so "vaekstforum" finds "Vækstforum". On an embedded store the in-memory name index answers once it is built
(``search_index``); the query does until then, and on a remote store.
"""

from __future__ import annotations

import re
import unicodedata

import pyoxigraph as ox

from klynge.answers.describe import Engine, select, text
from klynge.answers.models import SearchHit
from klynge.answers.search_index import INDEXES

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
    store = engine.local_store()  # an embedded engine's store: its names may be indexed
    index = INDEXES.ready(store) if store is not None else None
    if index is not None:
        return [
            SearchHit(
                iri=match.iri,
                label=match.label,
                matched=match.matched,
                match=MATCH_KINDS[match.rank],
                types=most_specific_types(engine, match.iri),
            )
            for match in index.matches(folded)[: min(limit, MAX_HITS)]
        ]
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


def most_specific_types(engine: Engine, iri: str) -> list[str]:
    """The types of a hit that none of its other types specialises, sorted."""
    return sorted(row["type"].value for row in select(engine, "search-types", resource=ox.NamedNode(iri)))


def start_index(engine: Engine) -> None:
    """Build the in-memory name index of an embedded engine's store in the background (see search_index)."""
    store = engine.local_store()
    if store is not None:
        INDEXES.start(store, fold)


def index_state(engine: Engine) -> str:
    """"ready" when searches answer from the name index, "building" while it is built, "none" for a store the
    index does not serve (a remote one)."""
    store = engine.local_store()
    if store is None:
        return "none"
    return "ready" if INDEXES.ready(store) is not None else "building"
