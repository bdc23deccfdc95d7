"""A full-text index of the graph's words, with Danish and English stemming, held by the engine that holds the store.

Names, alternative names, titles, definitions, descriptions (purposes among them), notes and source locators
(with their quotations) go into an SQLite FTS5 table in memory. Each word is stored twice: folded as written
(lower case, æ ø å spelled ae oe aa, accents dropped), and as its Snowball stems in Danish and in English, so
"klyngerne" meets "klynge", "clustering" meets "cluster" and "vaekstforum" meets "Vækstforum". A search asks
for every word of the text, each as one of its stems or as the start of a written word, and ranks by BM25
weighted by the field the text came from (a name before a definition before a locator).

It is built once, from the store in this process (``Engine.text_index``), before the service answers, so a
search never scans the store with SPARQL and is complete from the first request.

Beside it, a second table holds every name (``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel``,
``dcterms:title``: any language, any subject) in lower case as the engine writes it (``LCASE``), cut into
trigrams (FTS5's ``trigram`` tokenizer, case-sensitive: the text is lower case already), so that the names
containing a text are found without reading every name (``names_containing``). A named query that declares
``candidates`` (``klynge.catalogue``) gets them written into its text before the engine runs it; the query's own
FILTER still decides every row.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
import snowballstemmer

from klynge.catalogue import NamedQuery, internal
from klynge.rdf.namespaces import DCTERMS, KLYNGE, ORG, PROV, RDF_TYPE, RDFS, SCHEMA, SKOS

# Letters that fold to two (Danish æ, ø, å as Danes write them without; German ß), before accents are stripped.
SPELLED_OUT = {"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"}
LANGUAGES = ("", "en", "da")
WORD = re.compile(r"[^\W_]+")
SHORTEST_PREFIX = 3
ONTOLOGY = str(KLYNGE)
TERM_TEXT_WEIGHT = 0.4  # a shorter word is matched whole or by its stems, never as the start of longer words


@dataclass(frozen=True)
class Field:
    """A property whose text is indexed: what a person calls it, and how much a match in it weighs."""

    predicate: ox.NamedNode
    name: str
    weight: float


FIELDS = (
    Field(RDFS.label, "name", 4.0),
    Field(SKOS.prefLabel, "name", 4.0),
    Field(SKOS.altLabel, "alternative name", 3.0),
    Field(DCTERMS.title, "title", 3.0),
    Field(SKOS.definition, "definition", 2.0),
    Field(DCTERMS.description, "description", 1.5),
    Field(SKOS.scopeNote, "note", 1.2),
    Field(SKOS.note, "note", 1.2),
    Field(SKOS.editorialNote, "editorial note", 1.0),
    Field(KLYNGE.locator, "source locator", 1.0),
)


def fold(value: str) -> str:
    """Lower case, Danish letters spelled out (æ→ae, ø→oe, å→aa), accents stripped, spaces collapsed."""
    lowered = value.lower()
    for letter, spelled in SPELLED_OUT.items():
        lowered = lowered.replace(letter, spelled)
    stripped = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip()


def words(text: str) -> list[str]:
    """The words of a text, lower case as written (letters and digits; "11.050" is two words)."""
    return WORD.findall(text.lower())


_STEMMERS = threading.local()  # snowballstemmer's stemmers keep state: one pair per thread


def _stemmers() -> tuple[snowballstemmer.Stemmer, snowballstemmer.Stemmer]:
    pair = getattr(_STEMMERS, "pair", None)
    if pair is None:
        pair = _STEMMERS.pair = (snowballstemmer.stemmer("danish"), snowballstemmer.stemmer("english"))
    return pair


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """A word's Danish and English stems, folded, from the word as written and as folded (so a query typed
    without æ ø å meets the same stems)."""
    danish, english = _stemmers()
    folded = fold(word)
    found = {
        fold(danish.stemWord(word)),
        fold(english.stemWord(word)),
        danish.stemWord(folded),
        english.stemWord(folded),
    }
    return tuple(sorted(stem for stem in found if stem))


def _quoted(term: str) -> str:
    """An FTS5 string (its words are letters and digits, so a double quote never occurs; kept safe anyway)."""
    return '"' + term.replace('"', '""') + '"'


def match_expression(text: str) -> str | None:
    """The FTS5 query for a search text: every word, as one of its stems or as the start of a written word;
    words joined by punctuation ("11.050", "DK01") as a phrase. None when the text has no word."""
    clauses = []
    for chunk in text.split():
        parts = words(chunk)
        if not parts:
            continue
        if len(parts) > 1:
            phrase = " ".join(fold(part) for part in parts)
            clauses.append(f"(words : {_quoted(phrase)} OR stems : {_quoted(phrase)})")
            continue
        word = parts[0]
        options = [f"stems : {_quoted(stem)}" for stem in stems(word)]
        folded = fold(word)
        options.append(f"words : {_quoted(folded)}" + ("*" if len(folded) >= SHORTEST_PREFIX else ""))
        clauses.append("(" + " OR ".join(options) + ")")
    return " AND ".join(clauses) if clauses else None


# A resource's score sums its matching texts' (BM25 is negative: lower is better), so a resource that matches in
# its definition and its locator comes before one that matches in one of them; the text shown is its best one
# (SQLite takes bare columns from the row that gives MIN). A name that is exactly the text asked for comes first.
SEARCH = """
WITH matched AS MATERIALIZED (
  SELECT iri, field, value,
         bm25(texts, 1.0, 2.0) * weight - (CASE WHEN weight >= 3 AND words = :whole THEN 1000 ELSE 0 END) AS score
  FROM texts WHERE texts MATCH :expression
)
SELECT iri, field, value, MIN(score), SUM(score) AS total FROM matched GROUP BY iri ORDER BY total, iri LIMIT :limit
"""


# Ranking every match costs time in proportion to their number; past RANKED_AT_MOST matching texts (a word in
# every synthetic company's name at EU27 scale: tens of thousands), the first texts in the table's order (by
# field weight, then length) answer instead, an exact name first.
RANKED_AT_MOST = 2000
BROAD_ROWS_PER_HIT = 8
PROBE = "SELECT rowid FROM texts WHERE texts MATCH ? ORDER BY rowid LIMIT ?"
BROAD = "SELECT iri, field, value, words FROM texts WHERE texts MATCH ? ORDER BY rowid LIMIT ?"


# A name index lists at most this many names: past it, a text is so common that the query reads every name itself
# (it answers as many rows: the time goes on them, not on finding them).
MAX_CANDIDATES = 20_000
SHORTEST_TRIGRAM = 3  # a shorter text has no trigram: the lower-case names are scanned for it
NAMES = internal("index-names")
LOWER_CASE = internal("lower-case")
TRIGRAMS = "SELECT term, lower FROM names WHERE names MATCH ? LIMIT ?"
SCAN = "SELECT term, lower FROM names WHERE instr(lower, ?) > 0 LIMIT ?"


@dataclass(frozen=True)
class TextMatch:
    """One resource's best matching text: the field it is in, the whole text, and the index's score (lower
    is better)."""

    iri: str
    field: str
    text: str
    score: float


class TextIndex:
    """The words of every indexed text of every IRI, in an in-memory SQLite FTS5 table."""

    def __init__(self, store: ox.Store, texts: Iterable[tuple[str, Field, str]]) -> None:
        self.store = store  # read in this process for a hit's label and types, never queried
        self.super_classes = _super_classes(store)
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()  # one SQLite connection, used from the server's threads in turn
        self._db.execute(
            "CREATE VIRTUAL TABLE texts USING fts5("
            "words, stems, iri UNINDEXED, field UNINDEXED, weight UNINDEXED, value UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 0', prefix = '3')"
        )
        # In the order of a text's weight, then length: a word in every synthetic company's name is answered by
        # the first rows that hold it (``BROAD``), without ranking every one.
        ordered = sorted(_rows(texts), key=lambda row: (-row[4], row[0].count(" "), row[2], row[5]))
        self._db.executemany("INSERT INTO texts VALUES (?, ?, ?, ?, ?, ?)", ordered)
        self._db.execute("INSERT INTO texts(texts) VALUES ('optimize')")
        self.size = self._db.execute("SELECT count(*) FROM texts").fetchone()[0]
        self.names, self.longest_name, self._odd_names = self._index_names()

    def _index_names(self) -> tuple[int, int, list[tuple[str, str]]]:
        """The names table (the lower case, and the name in SPARQL syntax), how many names, the longest lower
        case, and the names SQLite cannot hold as text (a NUL or an unpaired surrogate), kept apart."""
        self._db.execute(
            "CREATE VIRTUAL TABLE names USING fts5(lower, term UNINDEXED, tokenize = 'trigram case_sensitive 1')"
        )
        rows: list[tuple[str, str]] = []
        odd: list[tuple[str, str]] = []
        longest = 0
        for solution in self.store.query(NAMES.sparql, use_default_graph_as_union=True):
            name, lower = solution["name"], solution["lower"].value
            longest = max(longest, len(lower))
            (rows if _sqlite_text(lower) else odd).append((lower, str(name)))
        self._db.executemany("INSERT INTO names(lower, term) VALUES (?, ?)", rows)
        self._db.execute("INSERT INTO names(names) VALUES ('optimize')")
        return len(rows) + len(odd), longest, odd

    def __len__(self) -> int:
        return self.size

    def search(self, text: str, limit: int) -> list[TextMatch]:
        """The resources whose texts hold every word of ``text``, once each with their best text, best first."""
        expression = match_expression(text)
        if expression is None:
            return []
        whole = " ".join(fold(word) for word in words(text))
        with self._lock:
            matched = self._db.execute(PROBE, (expression, RANKED_AT_MOST + 1)).fetchall()
            if len(matched) <= RANKED_AT_MOST:
                rows = self._db.execute(SEARCH, {"expression": expression, "whole": whole, "limit": limit})
                return [TextMatch(iri, field, value, total) for iri, field, value, _, total in rows]
            rows = self._db.execute(BROAD, (expression, limit * BROAD_ROWS_PER_HIT)).fetchall()
        best: dict[str, TextMatch] = {}
        for position, (iri, field, value, exact) in enumerate(rows):
            if iri not in best:
                best[iri] = TextMatch(iri, field, value, float(position) - (1e9 if value and exact == whole else 0))
        return sorted(best.values(), key=lambda match: match.score)[:limit]

    def names_containing(self, text: str) -> list[str] | None:
        """The names (in SPARQL syntax) whose lower case contains the text's, as the engine lowers both
        (``CONTAINS(LCASE(STR(?name)), LCASE(?text))``); None when more than ``MAX_CANDIDATES`` do."""
        bound = {ox.Variable(name): term for name, term in LOWER_CASE.bind(text=ox.Literal(text)).items()}
        (solution,) = self.store.query(LOWER_CASE.sparql, substitutions=bound)
        lower = solution["lower"].value
        if len(lower) > self.longest_name:
            return []
        found: list[tuple[str, str]] = [(term, named) for named, term in self._odd_names if lower in named]
        if _sqlite_text(lower):
            if len(lower) >= SHORTEST_TRIGRAM:
                sql, needle = TRIGRAMS, '"' + lower.replace('"', '""') + '"'
            else:
                sql, needle = SCAN, lower
            with self._lock:
                found += self._db.execute(sql, (needle, MAX_CANDIDATES + 1)).fetchall()
        if len(found) > MAX_CANDIDATES:  # counted before the check below: the LIMIT may have left names out
            return None
        return [term for term, named in found if lower in named]  # the trigrams' answer, checked as CONTAINS does

    def listing_candidates(self, query: NamedQuery, bindings: Mapping[str, ox.Term]) -> str:
        """The text of a query that declares ``candidates`` (``klynge.catalogue``), with the names each may take
        listed where the index can list them (its parameter bound, few enough names); as written elsewhere."""
        text = query.sparql
        for candidates in sorted(query.candidates, key=lambda c: -c.at):  # from the end: the earlier offsets hold
            term = bindings.get(candidates.parameter)
            names = self.names_containing(term.value) if isinstance(term, ox.Literal) else None
            if names is not None:
                text = candidates.listed(text, names)
        return text

    def label(self, iri: str) -> str | None:
        """A resource's display label."""
        for quad in self.store.quads_for_pattern(ox.NamedNode(iri), KLYNGE.displayLabel, None):
            return quad.object.value
        return None

    def kinds(self, iri: str) -> list[str]:
        """The types of a resource that none of its other types specialises; the klynge ontology's own when it
        gives any (so a cluster is a ClusterOrganisation, not also an org:Organization and a prov:Agent)."""
        types = {
            quad.object.value
            for quad in self.store.quads_for_pattern(ox.NamedNode(iri), RDF_TYPE, None)
            if isinstance(quad.object, ox.NamedNode)
        }
        specific = {t for t in types if not any(t in self.super_classes.get(other, ()) for other in types)}
        own = {t for t in specific if t.startswith(ONTOLOGY)}
        kept: dict[str, str] = {}  # one per local name: org:Organization, not also foaf:Organization
        for kind in sorted(own or specific, key=lambda t: (_preference(t), t)):
            kept.setdefault(re.split(r"[#/]", kind)[-1], kind)
        return sorted(kept.values())


PREFERRED = (ONTOLOGY, str(ORG), str(SKOS), str(SCHEMA), str(PROV))


def _preference(kind: str) -> int:
    """Which of two types with one local name to show: the klynge ontology's, then W3C ORG's, SKOS, schema.org,
    PROV, then any other."""
    return next((n for n, namespace in enumerate(PREFERRED) if kind.startswith(namespace)), len(PREFERRED))


def _sqlite_text(value: str) -> bool:
    """Whether SQLite holds the text as it is: UTF-8 without NUL (a NUL ends a text for its functions)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _rows(texts: Iterable[tuple[str, Field, str]]) -> Iterator[tuple[str, str, str, str, float, str]]:
    for iri, field, value in texts:
        written = words(value)
        if written:
            stemmed = " ".join(" ".join(stems(word)) for word in written)
            # an ontology term is found by its name; a word its definition uses in passing weighs less
            weight = field.weight * (TERM_TEXT_WEIGHT if iri.startswith(ONTOLOGY) and field.weight < 3 else 1.0)
            yield " ".join(fold(word) for word in written), stemmed, iri, field.name, weight, value


def store_texts(store: ox.Store) -> Iterator[tuple[str, Field, str]]:
    """Every indexed text of an IRI, English, Danish or plain; the default graph is the union of the named
    graphs, so a text two files state comes twice: once is enough."""
    for field in FIELDS:
        seen: set[tuple[str, str]] = set()
        for quad in store.quads_for_pattern(None, field.predicate, None):
            subject, value = quad.subject, quad.object
            if not isinstance(subject, ox.NamedNode) or not isinstance(value, ox.Literal):
                continue
            if (value.language or "").split("-")[0].lower() not in LANGUAGES:
                continue
            key = (subject.value, value.value)
            if key not in seen:
                seen.add(key)
                yield subject.value, field, value.value


def build(store: ox.Store) -> TextIndex:
    """The index of a store's texts."""
    return TextIndex(store, store_texts(store))


def _super_classes(store: ox.Store) -> dict[str, set[str]]:
    """Each class's super-classes, stated or reached through others (the ontology's hierarchy is small)."""
    direct: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, RDFS.subClassOf, None):
        named = isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode)
        if named and quad.subject != quad.object:
            direct.setdefault(quad.subject.value, set()).add(quad.object.value)
    closed: dict[str, set[str]] = {}
    for start in direct:
        reached, todo = set(), list(direct[start])
        while todo:
            current = todo.pop()
            if current not in reached and current != start:
                reached.add(current)
                todo.extend(direct.get(current, ()))
        closed[start] = reached
    return closed
