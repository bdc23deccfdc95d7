"""Read the Turtle sources into the published graph: ontology + data + the standard terms they entail.

The store does no inference, so what the interop contract promises (``prov:wasInfluencedBy`` along every
lineage step, ``org:Organization`` on every organisation, inverse links both ways, the types that domains and
ranges entail) is materialised here, once, into its own named graph: from klynge's own axioms and from those
of the standard vocabularies it uses (ORG, PROV-O, SKOS, FOAF, Data Cube), which are read offline from
``standard-axioms.ttl`` (see ``klynge.graph.vocabularies``) and taken out of the store again afterwards.
Each source file keeps a named graph of its own so a query can ask which file stated a triple; the default
graph of a query is their union.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from klynge.catalogue import internal, internal_catalogue
from klynge.graph.vocabularies import AXIOMS_FILE
from klynge.rdf.namespaces import INFERRED_GRAPH, KLYNGE, ONTOLOGY_GRAPH, PREFIXES
from klynge.resources import asset_files

GRAPH_BASE = PREFIXES["kg"]
VOCABULARY_GRAPH = ox.NamedNode(GRAPH_BASE + "vocabularies")
DISPLAY_LABEL = KLYNGE.displayLabel

FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}

# Each rule (``klynge/sparql/*.rq`` tagged ``entailment``) selects entailed triples that no graph holds yet;
# materialise() repeats them to a fixpoint.
ENTAILMENT_RULES = [query for query in internal_catalogue().values() if "entailment" in query.tags]


@dataclass(frozen=True)
class SourceError(Exception):
    """A source file that cannot be read: which file, where in it, and what the parser said."""

    path: Path
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


def default_sources(root: Path | None = None) -> list[Path]:
    """The repository's graph: the ontology files, then one data file per topic (of the checkout ``root``;
    default: the installed package's)."""
    return asset_files("ontology", root=root) + asset_files("data", root=root)


def graph_name(path: Path) -> ox.NamedNode:
    """The named graph a source file is loaded into (``…/graph/ontology`` or ``…/graph/{file stem}``)."""
    if path.parent.name == "ontology":
        return ONTOLOGY_GRAPH
    return ox.NamedNode(GRAPH_BASE + path.stem)


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF syntax of a file, by its suffix."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise SourceError(
            path, None, None, f"unknown RDF file suffix {path.suffix!r}; use one of {known}"
        ) from None


def parse_file(path: Path) -> list[ox.Quad]:
    """Every quad of one source file, in the file's named graph; a syntax error names line and column."""
    if not path.is_file():
        raise SourceError(path, None, None, "no such file")
    graph = graph_name(path)
    try:
        parsed = ox.parse(path=str(path), format=rdf_format(path), base_iri=path.resolve().as_uri())
        return [ox.Quad(q.subject, q.predicate, q.object, graph) for q in parsed]
    except (SyntaxError, OSError, UnicodeDecodeError, ValueError) as error:
        raise source_error(path, error) from None


def source_error(path: Path, error: Exception) -> SourceError:
    """A parser's or the file system's complaint about one file, as a SourceError naming line and column."""
    if isinstance(error, SyntaxError):
        line, column = (error.lineno, error.offset) if error.lineno else (None, None)
        message = error.msg.split(": ", 1)[-1] if error.msg.startswith("Parser error") else error.msg
        return SourceError(path, line, column, message)
    return SourceError(path, None, None, str(error))


def bulk_load(store: ox.Store, paths: Iterable[Path]) -> None:
    """Stream large files straight into a store, each into its named graph, without holding them in memory.

    Unlike load(), a syntax error can leave the files before it loaded: meant for building a fresh store.
    """
    for path in map(Path, paths):
        if not path.is_file():
            raise SourceError(path, None, None, "no such file")
        try:
            store.bulk_load(path=str(path), format=rdf_format(path), to_graph=graph_name(path))
        except (SyntaxError, OSError, UnicodeDecodeError, ValueError) as error:
            raise source_error(path, error) from None


def load(store: ox.Store, paths: Iterable[Path]) -> None:
    """Parse every file before adding any, so a broken file leaves the store as it was."""
    quads = [quad for path in paths for quad in parse_file(Path(path))]
    store.extend(quads)


def entailed_quads(store: ox.Store) -> Iterator[ox.Quad]:
    """One round of the entailment rules over the union of all graphs."""
    for rule in ENTAILMENT_RULES:
        for row in store.query(rule.sparql, use_default_graph_as_union=True):
            yield ox.Quad(row["s"], row["p"], row["o"], INFERRED_GRAPH)


def standard_axioms() -> list[ox.Quad]:
    """The standard vocabularies' axioms (ORG, PROV-O, SKOS, FOAF, Data Cube), in a graph that is never published."""
    triples = ox.parse(path=str(AXIOMS_FILE), format=ox.RdfFormat.N_TRIPLES)
    return [ox.Quad(t.subject, t.predicate, t.object, VOCABULARY_GRAPH) for t in triples]


def materialise(store: ox.Store, max_rounds: int = 10) -> int:
    """Add the entailed standard terms to the inferred graph until nothing new follows, then each resource's
    display label; return the count added.

    The standard vocabularies' axioms take part while the rules run and are removed again at the end, so the
    published graph holds what they entail for klynge's resources, not the vocabularies themselves.
    """
    store.extend(standard_axioms())
    try:
        added = 0
        for _ in range(max_rounds):
            new = set(entailed_quads(store))
            if not new:
                break
            store.extend(new)
            added += len(new)
        else:
            raise RuntimeError(f"materialisation did not reach a fixpoint in {max_rounds} rounds")
    finally:
        store.remove_graph(VOCABULARY_GRAPH)
    return added + materialise_display_labels(store)


def materialise_display_labels(store: ox.Store) -> int:
    """Give every labelled IRI one ``klynge:displayLabel`` (English, else Danish, else any label, else its
    title) in the inferred graph, so that pages and answers read a name instead of choosing one per row.

    A store built before (or a re-run) keeps the labels it has: only resources without one get one."""
    query = internal("display-labels").sparql
    have = {q.subject for q in store.quads_for_pattern(None, DISPLAY_LABEL, None)}
    new = [
        ox.Quad(row["resource"], DISPLAY_LABEL, row["label"], INFERRED_GRAPH)
        for row in store.query(query, use_default_graph_as_union=True)
        if row["label"] is not None and row["resource"] not in have
    ]
    store.extend(new)
    return len(new)


def build_store(paths: Iterable[Path] | None = None, store: ox.Store | None = None) -> ox.Store:
    """The published graph in a store (in memory unless one is given): sources plus their entailments."""
    store = store if store is not None else ox.Store()
    load(store, default_sources() if paths is None else paths)
    materialise(store)
    return store


def published_triples(store: ox.Store) -> list[ox.Triple]:
    """The union of all graphs as distinct triples, sorted so that every export is byte-for-byte stable."""
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in store}
    return sorted(triples, key=str)


def published_quads(store: ox.Store) -> list[ox.Quad]:
    """Every quad with its named graph, sorted (for TriG and N-Quads exports)."""
    return sorted(store, key=str)
