"""Search: the resources whose names, definitions, descriptions, notes or source locators hold the words asked
for, in Danish or English, best first, each with the passage that matched and the field it came from.

The engine's full-text index answers (``klynge.engines.text_index``: Snowball stems in both languages, folded
diacritics); a backend without one (a remote store) runs ``sparql/search.rq`` over the names instead, which
matches the folded text inside a name.
"""

from __future__ import annotations

import pyoxigraph as ox

from klynge.answers.describe import Engine, select, text
from klynge.answers.models import SearchHit
from klynge.engines.text_index import SHORTEST_PREFIX, WORD, TextIndex, fold, stems, words

MAX_QUERY_LENGTH = 200
MAX_HITS = 100  # search.rq returns the best 100
PASSAGE_WORDS = 24  # a long text is shown as a window of about this many words around its first match
NAME_FIELDS = ("name", "alternative name")  # what search.rq matches: rdfs:label/skos:prefLabel, skos:altLabel

__all__ = ["fold", "search"]


def search(engine: Engine, query: str, limit: int = 20) -> list[SearchHit]:
    """The resources matching every word of the text, best first, at most ``limit`` (and at most 100)."""
    folded = fold(query)
    if not folded:
        raise ValueError("the search text is empty")
    if len(folded) > MAX_QUERY_LENGTH:
        raise ValueError(f"the search text is longer than {MAX_QUERY_LENGTH} characters")
    if not words(query):
        raise ValueError("the search text has no letters or digits to look for")
    limit = min(limit, MAX_HITS)
    index = engine.text_index()
    if index is not None:
        return [hit(index, match.iri, match.field, match.text, query) for match in index.search(query, limit)]
    return names_by_sparql(engine, folded, query, limit)


def hit(index: TextIndex, iri: str, field: str, value: str, query: str) -> SearchHit:
    """A hit from the index, with its label, kinds and the passage that matched."""
    passage, marks = passage_of(value, query)
    return SearchHit(
        iri=iri,
        label=index.label(iri),
        types=index.kinds(iri),
        field=field,
        matched=value,
        passage=passage,
        highlights=marks,
    )


def names_by_sparql(engine: Engine, folded: str, query: str, limit: int) -> list[SearchHit]:
    """The names that hold the folded text, by search.rq (for a backend with no full-text index)."""
    hits = []
    for row in select(engine, "search", q=ox.Literal(folded))[:limit]:
        rank, matched = row["best"].value.split("|", 1)
        passage, marks = passage_of(matched, query)
        hits.append(
            SearchHit(
                iri=row["resource"].value,
                label=text(row.get("label")),
                types=sorted(filter(None, (text(row.get("types")) or "").split(" "))),
                field=NAME_FIELDS[int(rank) % 2],
                matched=matched,
                passage=passage,
                highlights=marks,
            )
        )
    return hits


def passage_of(value: str, query: str) -> tuple[str, list[tuple[int, int]]]:
    """The part of a text to show (all of a short one, a window around the first match in a long one) and the
    character spans in it of the words that match the query's."""
    wanted = [(fold(word), set(stems(word))) for word in words(query)]
    spans = [
        (found.start(), found.end())
        for found in WORD.finditer(value)
        if any(_matches(found.group(), folded, stemmed) for folded, stemmed in wanted)
    ]
    tokens = list(WORD.finditer(value))
    if len(tokens) <= PASSAGE_WORDS or not spans:
        return value, spans
    first = next(n for n, token in enumerate(tokens) if (token.start(), token.end()) == spans[0])
    start_word = max(0, min(first - PASSAGE_WORDS // 3, len(tokens) - PASSAGE_WORDS))
    end_word = start_word + PASSAGE_WORDS - 1
    start = value.rfind(" ", 0, tokens[start_word].start()) + 1 if start_word else 0  # at a word's start
    end = tokens[end_word].end() if end_word < len(tokens) - 1 else len(value)
    prefix, suffix = ("… " if start else ""), (" …" if end < len(value) else "")
    shift = len(prefix) - start
    kept = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return prefix + value[start:end] + suffix, kept


def _matches(word: str, folded: str, stemmed: set[str]) -> bool:
    """Whether a word of a text matches a query word: a shared stem, or the query word starts it."""
    written = fold(word)
    if written == folded or (len(folded) >= SHORTEST_PREFIX and written.startswith(folded)):
        return True
    return bool(stemmed & set(stems(word.lower())))
