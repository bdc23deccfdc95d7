"""An in-memory index of every name, so a search over millions of names answers in milliseconds.

A SPARQL scan folds and compares every name in the store on every search (over a second at EU27 scale, where
the store holds 380,000 names). The index folds them once, into one string with a line per name, and a search
is ``str.find`` over it: the ranking (exact > prefix > substring, a main name before an alternative one, then
by display label) is the one ``sparql/search.rq`` computes, and a test holds the two answers equal.

It is built from the store the embedded engine holds, in a thread started with the service (the query workers
are forked by a zygote, never from the web server, so the thread crosses no fork). Until it is ready, and for a
remote store, the search runs ``search.rq``.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from klynge.rdf.namespaces import KLYNGE, RDFS, SKOS

LANGUAGES = ("", "en", "da")
NAME_PROPERTIES = ((RDFS.label, False), (SKOS.prefLabel, False), (SKOS.altLabel, True))


@dataclass(frozen=True)
class Match:
    """The best match of one resource: its rank digit, the name that matched, and the resource's label."""

    rank: int
    matched: str
    iri: str
    label: str | None

    @property
    def order(self) -> tuple[str, str, str]:
        """The order of search.rq: "rank|name", then the label in lower case, then the IRI."""
        return (f"{self.rank}|{self.matched}", (self.label or "").lower(), self.iri)


class NameIndex:
    """Every name of every IRI, folded, one per line of one string."""

    def __init__(self, names: Iterable[tuple[str, str, bool]], labels: dict[str, str], fold) -> None:
        folded, self.starts, self.entries = [], [], []
        offset = 0
        for iri, name, alternative in names:
            key = fold(name)
            if not key:
                continue
            folded.append(key)
            self.starts.append(offset)
            self.entries.append((iri, name, alternative, len(key)))
            offset += len(key) + 1
        self.text = "\n".join(folded)
        self.labels = labels

    def __len__(self) -> int:
        return len(self.entries)

    def matches(self, folded: str) -> list[Match]:
        """Each resource whose folded name contains the folded text, once, with its best match, best first."""
        best: dict[str, Match] = {}
        position = self.text.find(folded)
        while position != -1:
            entry = bisect_right(self.starts, position) - 1
            start = self.starts[entry]
            iri, name, alternative, length = self.entries[entry]
            if position + len(folded) <= start + length:  # inside one name, not across two
                rank = (0 if length == len(folded) else 2 if position == start else 4) + (1 if alternative else 0)
                found = Match(rank, name, iri, self.labels.get(iri))
                if iri not in best or found.order < best[iri].order:
                    best[iri] = found
            position = self.text.find(folded, position + 1)
        return sorted(best.values(), key=lambda match: match.order)


def store_names(store: ox.Store) -> Iterator[tuple[str, str, bool]]:
    """The names search.rq reads: labels, preferred and alternative names of IRIs, English, Danish or plain.

    The default graph is the union of the named graphs, so a name two files state comes twice; once is enough.
    """
    for predicate, alternative in NAME_PROPERTIES:
        seen: set[tuple[str, str]] = set()
        for quad in store.quads_for_pattern(None, predicate, None):
            name = quad.object
            if not isinstance(quad.subject, ox.NamedNode) or not isinstance(name, ox.Literal):
                continue
            if (name.language or "").split("-")[0].lower() not in LANGUAGES:
                continue
            key = (quad.subject.value, name.value)
            if len(seen) % 4096 == 0:
                time.sleep(0)  # let the request threads have the interpreter now and then
            if key not in seen:
                seen.add(key)
                yield quad.subject.value, name.value, alternative


def store_labels(store: ox.Store) -> dict[str, str]:
    """The display label of every IRI that has one."""
    return {
        quad.subject.value: quad.object.value
        for quad in store.quads_for_pattern(None, KLYNGE.displayLabel, None)
        if isinstance(quad.subject, ox.NamedNode)
    }


class Indexes:
    """One index per store, built once in a background thread; ``ready`` answers None until it is built."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.built: dict[int, NameIndex] = {}
        self.building: set[int] = set()

    def start(self, store: ox.Store, fold) -> None:
        """Build the store's index in the background, unless it is built or being built."""
        key = id(store)
        with self.lock:
            if key in self.built or key in self.building:
                return
            self.building.add(key)

        def build() -> None:
            index = NameIndex(store_names(store), store_labels(store), fold)
            with self.lock:
                self.built[key] = index
                self.building.discard(key)

        threading.Thread(target=build, name="klynge-name-index", daemon=True).start()

    def ready(self, store: ox.Store) -> NameIndex | None:
        """The store's index if it is built."""
        with self.lock:
            return self.built.get(id(store))


INDEXES = Indexes()
