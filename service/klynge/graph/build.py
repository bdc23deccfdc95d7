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

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.graph import aggregates, statistics
from klynge.graph.vocabularies import AXIOMS_FILE
from klynge.rdf.namespaces import DCTERMS, INFERRED_GRAPH, KLYNGE, ONTOLOGY_GRAPH, PREFIXES, RDF_TYPE, RDFS, SKOS
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

# The entailment rules (``klynge/sparql/*.rq`` tagged ``entailment``) say, one axiom kind each, what the published
# graph entails; repeated to a fixpoint they are the reference materialise() is tested against (tests/test_graph.py).
# materialise() evaluates the same in two passes (tagged ``entailment-pass``) over the axioms closed in Python.
ENTAILMENT_SCHEMA = internal("entailment-schema")
ENTAILED_PROPERTIES = internal("entailed-properties")
ENTAILED_TYPES = internal("entailed-types")
STATED_LINEAGE_STEPS = internal("entail-stated-lineage-steps")
DISPLAY_LABELS = internal("display-labels")
PASSES = (ENTAILED_PROPERTIES, ENTAILED_TYPES, DISPLAY_LABELS)
LABEL_PROPERTIES = {RDFS.label, SKOS.prefLabel, DCTERMS.title}
CLOSURE = "urn:klynge:entailment:"
STREAMED_SIZE = 16 * 2**20  # bytes: a source file this large goes through the engine's bulk loader


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
        raise SourceError(path, None, None, f"unknown RDF file suffix {path.suffix!r}; use one of {known}") from None


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


def add_sources(store: ox.Store, paths: Iterable[Path]) -> None:
    """Load source files into a store on disk: each large one by the engine's bulk loader, which streams it,
    then the small ones (the repository's) parsed together and added in one write. (A bulk load per small file
    would leave RocksDB overlapping files to compact into a store larger by half; large files first, so the
    first lands in the bottom level as it is.)"""
    paths = [Path(path) for path in paths]
    large = [path for path in paths if path.is_file() and path.stat().st_size >= STREAMED_SIZE]
    bulk_load(store, large)
    load(store, [path for path in paths if path not in large])


def load(store: ox.Store, paths: Iterable[Path]) -> None:
    """Parse every file before adding any, so a broken file leaves the store as it was."""
    quads = [quad for path in paths for quad in parse_file(Path(path))]
    store.extend(quads)


def standard_axioms() -> list[ox.Quad]:
    """The standard vocabularies' axioms (ORG, PROV-O, SKOS, FOAF, Data Cube), in a graph that is never published."""
    triples = ox.parse(path=str(AXIOMS_FILE), format=ox.RdfFormat.N_TRIPLES)
    return [ox.Quad(t.subject, t.predicate, t.object, VOCABULARY_GRAPH) for t in triples]


def reachable(edges: dict[ox.Term, set[ox.Term]]) -> dict[ox.Term, set[ox.Term]]:
    """Every term reachable from each term by one or more edges (a transitive closure)."""
    closure: dict[ox.Term, set[ox.Term]] = {}
    for start, targets in edges.items():
        seen: set[ox.Term] = set()
        todo = list(targets)
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        closure[start] = seen
    return closure


@dataclass(frozen=True)
class Entailments:
    """The schema's axioms closed once, in Python (a few hundred axioms), so that the engine derives every
    entailed triple from the stated triples alone, in one pass per kind, instead of repeating rules to a fixpoint.

    ``properties[q]`` holds ``(p, mode)``: a ``q`` triple entails the same triple with ``p`` (mode ``entails``:
    super-properties alone), or, through some inverse, needs a resource object and reads the same way
    (``entailsThroughInverse``) or turned around (``entailsInverse``). The class tables are closed over those
    property entailments and over super-classes, so that the types pass needs no property pass before it:
    ``domains[q]`` types the subject of every ``q`` triple, ``resource_domains[q]`` the subject of a ``q`` triple
    with a resource object, ``ranges[q]`` a resource object of a ``q`` triple."""

    properties: dict[ox.NamedNode, set[tuple[ox.NamedNode, str]]]
    domains: dict[ox.Term, set[ox.Term]]
    resource_domains: dict[ox.Term, set[ox.Term]]
    ranges: dict[ox.Term, set[ox.Term]]
    super_classes: dict[ox.Term, set[ox.Term]]

    @classmethod
    def of(cls, store: ox.Store) -> Entailments:
        """Compile the axioms the store holds (entailment-schema.rq over the union of its graphs)."""
        axioms: dict[str, dict[ox.Term, set[ox.Term]]] = defaultdict(lambda: defaultdict(set))
        for row in store.query(ENTAILMENT_SCHEMA.sparql, use_default_graph_as_union=True):
            axioms[row["kind"].value][row["a"]].add(row["b"])
        up, inverse = reachable(axioms["sub-property"]), axioms["inverse"]
        properties: dict[ox.NamedNode, set[tuple[ox.NamedNode, str]]] = {}
        for q in (term for term in set(up) | set(inverse) if isinstance(term, ox.NamedNode)):
            straight = {p for p in up.get(q, ()) if isinstance(p, ox.NamedNode) and p != q}
            turned: set[tuple[ox.Term, bool]] = set()
            todo = [(inv, True) for p in {q} | up.get(q, set()) for inv in inverse.get(p, ())]
            while todo:
                p, around = todo.pop()
                if (p, around) not in turned:
                    turned.add((p, around))
                    todo.extend((sup, around) for sup in up.get(p, ()))
                    todo.extend((inv, not around) for inv in inverse.get(p, ()))
            found = {(p, "entails") for p in straight}
            for p, around in turned:
                if not isinstance(p, ox.NamedNode):
                    continue
                if around:
                    found.add((p, "entailsInverse"))
                elif p != q and p not in straight:
                    found.add((p, "entailsThroughInverse"))
            if found:
                properties[q] = found
        classes = reachable(axioms["sub-class"])
        super_classes = {
            c: {d for d in ds if isinstance(d, ox.NamedNode) and d != c}
            for c, ds in classes.items()
            if isinstance(c, ox.NamedNode)
        }
        domain, range_ = axioms["domain"], axioms["range"]
        domains: dict[ox.Term, set[ox.Term]] = defaultdict(set)
        resource_domains: dict[ox.Term, set[ox.Term]] = defaultdict(set)
        ranges: dict[ox.Term, set[ox.Term]] = defaultdict(set)
        for q in set(domain) | set(range_) | set(properties):
            domains[q] |= domain.get(q, set())
            ranges[q] |= range_.get(q, set())
            for p, mode in properties.get(q, ()):  # type: ignore[call-overload]
                if mode == "entails":
                    domains[q] |= domain.get(p, set())
                    ranges[q] |= range_.get(p, set())
                elif mode == "entailsThroughInverse":
                    resource_domains[q] |= domain.get(p, set())
                    ranges[q] |= range_.get(p, set())
                else:  # the entailed triple turned around: p's subject is q's object
                    resource_domains[q] |= range_.get(p, set())
                    ranges[q] |= domain.get(p, set())

        def closed(table: dict[ox.Term, set[ox.Term]]) -> dict[ox.Term, set[ox.Term]]:
            return {q: cs | {d for c in cs for d in super_classes.get(c, ())} for q, cs in table.items() if cs}

        return cls(properties, closed(domains), closed(resource_domains), closed(ranges), super_classes)

    def quads(self) -> Iterator[ox.Quad]:
        """The compiled tables as quads in the vocabulary graph, where the entailed-*.rq passes join them."""
        for q, found in self.properties.items():
            for p, mode in found:
                yield ox.Quad(q, ox.NamedNode(CLOSURE + mode), p, VOCABULARY_GRAPH)
        tables = (
            ("domain", self.domains),
            ("resourceDomain", self.resource_domains),
            ("range", self.ranges),
            ("superClass", self.super_classes),
        )
        for name, table in tables:
            for a, bs in table.items():
                for b in bs:
                    yield ox.Quad(a, ox.NamedNode(CLOSURE + name), b, VOCABULARY_GRAPH)

    def entailed_by(self, triple: ox.Triple) -> Iterator[ox.Triple]:
        """What one triple entails, properties and types (for the few triples Python adds)."""
        yield triple
        resource = not isinstance(triple.object, ox.Literal)
        for p, mode in self.properties.get(triple.predicate, ()):
            if mode == "entails" or resource:
                turned = mode == "entailsInverse"
                yield ox.Triple(
                    triple.object if turned else triple.subject, p, triple.subject if turned else triple.object
                )
        subject_types = self.domains.get(triple.predicate, set())
        if resource:
            subject_types = subject_types | self.resource_domains.get(triple.predicate, set())
            for c in self.ranges.get(triple.predicate, ()):
                yield ox.Triple(triple.object, RDF_TYPE, c)  # type: ignore[arg-type]
        for c in subject_types:
            yield ox.Triple(triple.subject, RDF_TYPE, c)  # type: ignore[arg-type]


def stated_lineage_steps(store: ox.Store, entailments: Entailments) -> Iterator[ox.Triple]:
    """klynge:statedInfluence for every stated lineage step, with what it entails in turn (a few per plan),
    where no graph states it."""
    rows = store.query(STATED_LINEAGE_STEPS.sparql, use_default_graph_as_union=True)
    triples = {t for row in rows for t in entailments.entailed_by(ox.Triple(row["s"], row["p"], row["o"]))}
    for t in triples:
        if next(store.quads_for_pattern(t.subject, t.predicate, t.object), None) is None:
            yield t


def labels_are_entailed(entailments: Entailments) -> bool:
    """Whether some property entails one that display labels are chosen from (no standard axiom does)."""
    return any(p in LABEL_PROPERTIES for found in entailments.properties.values() for p, _ in found)


def add_inferred(store: ox.Store, written: Path) -> None:
    """Bulk-load an N-Triples file the engine wrote into the inferred graph. A loader gives blank nodes new
    labels, which would cut them off the graph, so the few lines naming a blank node are set apart and parsed
    keeping their labels."""
    bulk = written.with_suffix(".bulk.nt")
    blank_lines: list[bytes] = []
    with written.open("rb") as lines, bulk.open("wb") as out:
        for line in lines:
            if b"_:" in line:
                blank_lines.append(line)
            else:
                out.write(line)
    store.bulk_load(path=str(bulk), format=ox.RdfFormat.N_TRIPLES, to_graph=INFERRED_GRAPH)
    triples = ox.parse(b"".join(blank_lines), format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, INFERRED_GRAPH) for t in triples)


def materialise(store: ox.Store, scratch: Path | None = None) -> int:
    """Add the entailed standard terms to the inferred graph, and each resource's display label, after the
    participation statistics of the records (``klynge.graph.aggregates``); return the count added. ``scratch``:
    where the engine writes what it derives (default: the system's temporary folder).

    The standard vocabularies' axioms take part and are removed again at the end, so the published graph holds
    what they entail for klynge's resources, not the vocabularies themselves. The axioms are closed first
    (Entailments), so every pass reads the stated triples alone: a CONSTRUCT each for property triples
    (super-properties and inverses), types (super-classes, domains, ranges) and display labels, which the engine
    writes to one file and its bulk loader reads in one go (one write to a store on disk: several would make
    RocksDB compact them into a larger store), plus the few stated lineage steps. Together they equal the
    entailment rules (``entailment``-tagged .rq) repeated to a fixpoint, which tests/test_graph.py checks;
    docs/modelling.md names each kind's clients.
    """
    before = len(store)
    aggregates.publish(store)  # the records' participation statistics as Data Cube observations, entailments too
    store.extend(standard_axioms())
    try:
        entailments = Entailments.of(store)
        store.extend(entailments.quads())
        late_labels = labels_are_entailed(entailments)
        with tempfile.TemporaryDirectory(prefix="klynge-entail-", dir=scratch) as directory:
            written = Path(directory) / "inferred.nt"
            with written.open("wb") as out:
                for query in (ENTAILED_PROPERTIES, ENTAILED_TYPES) if late_labels else PASSES:
                    store.query(query.sparql, use_default_graph_as_union=True).serialize(
                        output=out, format=ox.RdfFormat.N_TRIPLES
                    )
                lineage = list(stated_lineage_steps(store, entailments))
                out.write(ox.serialize(lineage, format=ox.RdfFormat.N_TRIPLES) if lineage else b"")
            add_inferred(store, written)
    finally:
        store.remove_graph(VOCABULARY_GRAPH)
    if late_labels:
        materialise_display_labels(store)
    statistics.publish(store)  # the whole-graph VoID figures the pages read, counted over everything above
    return len(store) - before


def materialise_display_labels(store: ox.Store) -> None:
    """Give every labelled IRI one ``klynge:displayLabel`` (English, else Danish, else any label, else its
    title) in the inferred graph, so that pages and answers read a name instead of choosing one per row. A
    store built before (or a re-run) keeps the labels it has."""
    with tempfile.TemporaryDirectory(prefix="klynge-labels-") as directory:
        written = Path(directory) / "labels.nt"
        store.query(DISPLAY_LABELS.sparql, use_default_graph_as_union=True).serialize(
            output=str(written), format=ox.RdfFormat.N_TRIPLES
        )
        add_inferred(store, written)


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
