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

import mmap
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import TypeAlias

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.graph import aggregates, statistics
from klynge.graph.aggregates import AGGREGATES_GRAPH
from klynge.graph.vocabularies import AXIOMS_FILE
from klynge.rdf.namespaces import (
    DCTERMS,
    INFERRED_GRAPH,
    KLYNGE,
    ONTOLOGY_GRAPH,
    OWL,
    PREFIXES,
    PROV,
    RDF_TYPE,
    RDFS,
    SKOS,
)
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
STATED_LINEAGE_STEPS = internal("entail-stated-lineage-steps")
DISPLAY_LABELS = internal("display-labels")
DERIVED_COUNT = internal("derived-count")
LABEL_PREDICATES = {RDFS.label, SKOS.prefLabel, DCTERMS.title, DISPLAY_LABEL}
SCHEMA_PREDICATES = {  # the predicates of the axioms entailment-schema.rq reads (and rdf:type rdfs:Datatype)
    RDFS.subPropertyOf,
    OWL.equivalentProperty,
    OWL.inverseOf,
    RDFS.domain,
    RDFS.range,
    RDFS.subClassOf,
    OWL.equivalentClass,
}
STATED_INFLUENCE = KLYNGE.statedInfluence
LINEAGE_PREDICATES = {PROV.qualifiedInfluence, KLYNGE.evidence, STATED_INFLUENCE}
RECENT = 400_000  # statements the third pass remembers, to leave out the same entailed again soon after
STREAMED_SIZE = 16 * 2**20  # bytes: a source file this large is read from the file at each pass, not held


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


Statement: TypeAlias = "tuple[ox.Term, ox.Term, ox.Term]"
Rule: TypeAlias = "tuple[tuple[ox.NamedNode, ...], tuple[ox.NamedNode, ...], tuple[ox.NamedNode, ...], tuple[ox.Term, ...], tuple[ox.Term, ...], tuple[ox.Term, ...]]"  # noqa: E501


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

    @cached_property
    def one_of_each(self) -> dict[ox.Term, ox.Term]:
        """One object per term of the tables, so that Derivation.entailed can tell terms apart by identity."""
        terms = [*self.properties, *self.super_classes]
        terms += [p for found in self.properties.values() for p, _ in found]
        for table in (self.domains, self.resource_domains, self.ranges, self.super_classes):
            terms += [c for cs in table.values() for c in cs]
        return {term: term for term in reversed(terms)}

    @cached_property
    def super_classes_of(self) -> dict[ox.Term, tuple[ox.Term, ...]]:
        one = self.one_of_each
        return {c: tuple(one[d] for d in ds) for c, ds in self.super_classes.items()}

    @cached_property
    def rules(self) -> dict[ox.Term, Rule]:
        """The tables by predicate, for Derivation.entailed: the properties a triple entails as it is (for any
        object, for a resource object) and turned around, and the types of its subject (for any object, for a
        resource object) and of its resource object; each term one object."""
        one = self.one_of_each
        rules: dict[ox.Term, Rule] = {}
        for q in set(self.properties) | set(self.domains) | set(self.resource_domains) | set(self.ranges):
            found = self.properties.get(q, set())  # type: ignore[call-overload]
            rules[q] = (
                tuple(one[p] for p, mode in found if mode == "entails"),
                tuple(one[p] for p, mode in found if mode == "entailsThroughInverse"),
                tuple(one[p] for p, mode in found if mode == "entailsInverse"),
                tuple(one[c] for c in self.domains.get(q, ())),
                tuple(one[c] for c in self.resource_domains.get(q, ())),
                tuple(one[c] for c in self.ranges.get(q, ())),
            )
        return rules


@dataclass(frozen=True)
class Source:
    """Stated quads the derivation reads in passes: ``read()`` gives the same quads at every call (blank nodes
    labelled alike), each in its named graph, or, where ``graph`` is given, to be placed in that graph when
    they are written (read as parsed: the passes before need no graph)."""

    read: Callable[[], Iterable[ox.Quad]]
    graph: ox.NamedNode | None = None
    published: bool = True  # False: the standard axioms, which take part but are not written


class Derivation:
    """What the published graph entails, derived from its stated quads as they stream past three times, with no
    store to query: the entailed triples of each stated one (``entailed``, by ``Entailments.rules``), where no
    quad states them, then the stated lineage steps and the display labels.

    First pass (``__init__``): the axioms (``entailment-schema.rq``, evaluated over the few quads that can be
    axioms) and the participation records' joins. Second (``note``): the stated triples an entailed one could
    repeat (those of a property or class some axiom entails; a set each, so that the engine's MINUS becomes a
    lookup), the records' named terms, the labels and the lineage steps (in small stores of their own). Third
    (``entailed``): each stated quad's entailments, in the inferred graph. The participation statistics
    (``klynge.graph.aggregates``) are stated quads of their own graph and take part in the last two passes.
    Together this equals the entailment rules repeated to a fixpoint (tests/test_graph.py)."""

    def __init__(self, stated: list[Source]) -> None:
        schema, records = ox.Store(), aggregates.Records()
        wanted = SCHEMA_PREDICATES | aggregates.FIRST_PREDICATES
        for quad in every(stated):
            if quad.predicate not in wanted:
                continue
            if quad.graph_name != VOCABULARY_GRAPH:
                records.first(quad)
            if is_axiom(quad):
                schema.add(ox.Quad(quad.subject, quad.predicate, quad.object, VOCABULARY_GRAPH))
        if records.records:  # the statistics' structure is stated with them (it holds no axiom, but it could)
            schema.extend(ox.Quad(*t, VOCABULARY_GRAPH) for t in aggregates.structure() if is_axiom(t))
        self.entailments = entailments = Entailments.of(schema)
        self.property_targets = {p for found in entailments.properties.values() for p, _ in found}
        self.property_targets.add(STATED_INFLUENCE)
        tables = (entailments.domains, entailments.resource_domains, entailments.ranges, entailments.super_classes)
        self.class_targets = {c for table in tables for classes in table.values() for c in classes}
        self.stated_properties: set[Statement] = set()
        self.stated_types: set[tuple[ox.Term, ox.Term]] = set()
        self.labels, self.lineage = ox.Store(), ox.Store()
        self.recent: set[tuple[ox.Term, int]] = set()
        self.labels_entailed = bool(self.property_targets & LABEL_PREDICATES)
        self.run: ox.Term | None = None
        self.run_types: set[int] = set()
        labels: list[ox.Quad] = []
        lineage: list[ox.Quad] = []
        wanted = {RDF_TYPE, *self.property_targets, *LABEL_PREDICATES, *LINEAGE_PREDICATES, *aggregates.NAMED}
        for quad in every(stated):
            if quad.predicate not in wanted:
                continue
            self.note(quad, labels, lineage)
            if quad.graph_name != VOCABULARY_GRAPH:
                records.second(quad)
        self.statistics = [ox.Quad(t.subject, t.predicate, t.object, AGGREGATES_GRAPH) for t in records.triples()]
        del records
        for quad in self.statistics:
            self.note(quad, labels, lineage)
        self.labels.extend(labels)
        self.lineage.extend(lineage)
        stated = {c for _, c in self.stated_types} | {p for _, p, _ in self.stated_properties}
        self.maybe_stated = {  # the tables' terms that some quad states a type or triple with
            id(term) for rule in entailments.rules.values() for terms in rule for term in terms if term in stated
        } | {id(c) for cs in entailments.super_classes_of.values() for c in cs if c in stated}

    def note(self, quad: ox.Quad, labels: list[ox.Quad], lineage: list[ox.Quad]) -> None:
        """Second pass: keep what the third needs of one stated quad."""
        predicate = quad.predicate
        if predicate in self.property_targets:
            self.stated_properties.add((quad.subject, predicate, quad.object))
        if predicate == RDF_TYPE and quad.object in self.class_targets:
            self.stated_types.add((quad.subject, quad.object))
        if predicate in LABEL_PREDICATES:
            if isinstance(quad.subject, ox.NamedNode) and quad.graph_name != VOCABULARY_GRAPH:
                labels.append(ox.Quad(quad.subject, predicate, quad.object, INFERRED_GRAPH))
        elif predicate in LINEAGE_PREDICATES:
            lineage.append(ox.Quad(quad.subject, predicate, quad.object, INFERRED_GRAPH))

    def entailed(self, subject: ox.Term, predicate: ox.Term, object_: ox.Term) -> list[ox.Quad]:
        """Third pass: what one stated quad entails by itself that no quad states, in the inferred graph, as
        the engine's passes derived it (super-properties and inverses; super-classes, domains and ranges). A
        statement entailed again soon after (a resource's types, by each of its triples) is left out: the store
        would keep one anyway, but its loader would sort it first. Called for every stated quad: plain loops."""
        rule = self.entailments.rules.get(predicate)
        subject_types: tuple[ox.Term, ...] = ()
        if predicate == RDF_TYPE:
            subject_types = self.entailments.super_classes_of.get(object_, ())
        if rule is None and not subject_types:
            return []
        statements: list[Statement] = []
        object_types: tuple[ox.Term, ...] = ()
        if rule is not None:
            straight, through, turned, domains, resource_domains, ranges = rule
            for p in straight:
                statements.append((subject, p, object_))
            if type(object_) is ox.Literal:
                subject_types += domains
            else:
                for p in through:
                    statements.append((subject, p, object_))
                for p in turned:
                    statements.append((object_, p, subject))
                subject_types += domains + resource_domains
                object_types = ranges
        found: list[ox.Quad] = []
        if subject != self.run:  # a resource's triples mostly come together: its types are left out once
            self.run, self.run_types = subject, set()
        run_types, maybe_stated, recent = self.run_types, self.maybe_stated, self.recent
        for c in subject_types:  # the same objects every time (the tables'): told apart by identity
            if id(c) not in run_types:
                run_types.add(id(c))
                if id(c) not in maybe_stated or (subject, c) not in self.stated_types:
                    found.append(ox.Quad(subject, RDF_TYPE, c, INFERRED_GRAPH))  # type: ignore[arg-type]
        if object_types and (object_, id(object_types)) not in recent:  # an object's types, left out once
            recent.add((object_, id(object_types)))
            for c in object_types:
                if id(c) not in maybe_stated or (object_, c) not in self.stated_types:
                    found.append(ox.Quad(object_, RDF_TYPE, c, INFERRED_GRAPH))  # type: ignore[arg-type]
        for statement in statements:  # mostly entailed once: left to the store to keep once
            if id(statement[1]) not in maybe_stated or statement not in self.stated_properties:
                found.append(ox.Quad(*statement, INFERRED_GRAPH))  # type: ignore[misc]
                if self.labels_entailed and statement[1] in LABEL_PREDICATES:
                    self.labels.add(found[-1])
        if len(recent) > RECENT:
            recent.clear()
        return found

    def closing(self) -> Iterator[ox.Quad]:
        """After the third pass: klynge:statedInfluence for every stated lineage step no graph states, with what
        it entails in turn, then every labelled IRI's display label (display-labels.rq over the labels, the
        entailed ones among them)."""
        for row in self.lineage.query(STATED_LINEAGE_STEPS.sparql, use_default_graph_as_union=True):
            step = ox.Quad(row["s"], row["p"], row["o"], INFERRED_GRAPH)  # type: ignore[arg-type]
            yield step
            yield from self.entailed(step.subject, step.predicate, step.object)
        for triple in display_labels(self.labels):
            yield ox.Quad(triple.subject, triple.predicate, triple.object, INFERRED_GRAPH)

    def derived(self, stated: list[Source], keep: bool = False) -> Iterator[ox.Quad]:
        """The third pass: everything the stated quads and the participation statistics entail, after each
        stated quad itself where ``keep`` (but for the axioms, never published), and the statistics."""
        for source in stated:
            graph, entailed = source.graph, self.entailed
            written = keep and source.published
            for quad in source.read():
                subject, predicate, object_ = quad.subject, quad.predicate, quad.object
                if written:
                    yield quad if graph is None else ox.Quad(subject, predicate, object_, graph)
                yield from entailed(subject, predicate, object_)
        yield from self.statistics
        for quad in self.statistics:
            yield from self.entailed(quad.subject, quad.predicate, quad.object)
        yield from self.closing()


def is_axiom(statement: ox.Quad | ox.Triple) -> bool:
    """Whether entailment-schema.rq could read a triple."""
    predicate = statement.predicate
    return predicate in SCHEMA_PREDICATES or (predicate == RDF_TYPE and statement.object == RDFS.Datatype)


def display_labels(store: ox.Store) -> list[ox.Triple]:
    """Each labelled IRI's display label (display-labels.rq over the union of ``store``'s graphs)."""
    return list(store.query(DISPLAY_LABELS.sparql, use_default_graph_as_union=True))  # type: ignore[arg-type]


def materialise(store: ox.Store, scratch: Path | None = None, *, described: bool = True) -> int:
    """Add the participation statistics of the records (``klynge.graph.aggregates``), the entailed standard
    terms and each resource's display label to a store that holds the sources; return the quads derived.
    ``scratch`` is not needed any more (nothing is written beside the store); callers may still pass it.
    ``described``: count the whole-graph VoID statistics too (``klynge.graph.statistics``; a graph built only
    to be validated needs none; counted here, on a store in memory, they read every quad once in Python).

    The standard vocabularies' axioms take part but are not added, so the published graph holds what they
    entail for klynge's resources, not the vocabularies themselves. A store on disk is better built in one
    bulk write by ``load_published`` (this reads it three times and adds to it); docs/modelling.md names each
    entailment's clients.
    """
    del scratch
    stated = with_axioms([Source(lambda: (q for q in store if q.graph_name != AGGREGATES_GRAPH))])
    derivation = Derivation(stated)
    derived = list(derivation.derived(stated))
    store.remove_graph(AGGREGATES_GRAPH)
    store.extend(derived)
    if described:
        statistics.publish(store)  # counted over everything above
    return derived_count(store)


def materialise_display_labels(store: ox.Store) -> None:
    """Give every labelled IRI one ``klynge:displayLabel`` (English, else Danish, else any label, else its
    title) in the inferred graph, so that pages and answers read a name instead of choosing one per row. A
    store built before keeps the labels it has."""
    store.extend([ox.Quad(t.subject, t.predicate, t.object, INFERRED_GRAPH) for t in display_labels(store)])


# ---------------------------------------------------------------------------------------------------------
# One bulk write: the sources streamed from their files, and what they entail
# ---------------------------------------------------------------------------------------------------------


def with_axioms(read: list[Source]) -> list[Source]:
    """The sources and the standard vocabularies' axioms, which take part in the derivation unpublished."""
    axioms = standard_axioms()
    return [*read, Source(lambda: axioms, published=False)]


def every(stated: list[Source]) -> Iterator[ox.Quad]:
    return chain.from_iterable(source.read() for source in stated)


def relabelled(quads: Iterable[ox.Quad], tag: str) -> Iterator[ox.Quad]:
    """The quads with each blank node's label made the file's own (``{label}f{tag}``), as the engine's loader
    renames them per file, but the same at every read, so that the passes agree on them."""
    blank = ox.BlankNode
    for quad in quads:
        subject, object_ = quad.subject, quad.object
        if type(subject) is blank or type(object_) is blank:
            if type(subject) is blank:
                subject = blank(f"{subject.value}f{tag}")
            if type(object_) is blank:
                object_ = blank(f"{object_.value}f{tag}")
            quad = ox.Quad(subject, quad.predicate, object_, quad.graph_name)
        yield quad


def file_source(path: Path, tag: str, graph: ox.NamedNode | None) -> Source:
    """A file's quads (for ``graph``, else in the file's own), read afresh at every call: for N-Triples and
    N-Quads, whose blank nodes are labelled in the file."""

    blank = names_blank_nodes(path)

    def read() -> Iterator[ox.Quad]:
        try:
            parsed = ox.parse(path=str(path), format=rdf_format(path), base_iri=path.resolve().as_uri())
            yield from relabelled(parsed, tag) if blank else parsed
        except (SyntaxError, OSError, UnicodeDecodeError, ValueError) as error:
            raise source_error(path, error) from None

    return Source(read, graph)


def names_blank_nodes(path: Path) -> bool:
    """Whether a line-based file could name a blank node (``_:`` anywhere; a scan at the disk's speed), so
    that one without is read with no relabelling."""
    if path.stat().st_size == 0:
        return False
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b"_:") >= 0


def sources(paths: Iterable[Path], scratch: Path) -> list[Source]:
    """Each source file as quads to read in passes: a small file parsed once and held, a large one read from
    the file at each pass (N-Triples and N-Quads as they are, other syntaxes written to N-Quads in ``scratch``
    first, since their anonymous blank nodes get new labels at every parse). A broken file is reported by the
    first pass, before anything is written."""
    read: list[Source] = []
    for index, path in enumerate(map(Path, paths)):
        tag = str(index)
        if not path.is_file():
            raise SourceError(path, None, None, "no such file")
        if path.stat().st_size < STREAMED_SIZE:
            held = list(relabelled(parse_file(path), tag))
            read.append(Source(lambda held=held: held))  # type: ignore[misc]
        elif rdf_format(path) in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
            read.append(file_source(path, tag, graph_name(path)))
        else:
            written = scratch / f"source-{index}.nq"
            placed = (
                ox.Quad(q.subject, q.predicate, q.object, graph_name(path)) for q in file_source(path, tag, None).read()
            )
            ox.serialize(placed, output=str(written), format=ox.RdfFormat.N_QUADS)
            read.append(file_source(written, tag, None))
    return read


def load_published(
    store: ox.Store, read: list[Source], noting: Callable[[Iterator[ox.Quad]], Iterator[ox.Quad]] | None = None
) -> None:
    """Write the published graph of the sources into an empty store on disk in one bulk write, as the engine's
    own loader would write the same quads: the sources and what the Derivation derives from them (the
    participation statistics and the inferred graph). Several bulk writes would leave RocksDB overlapping files
    to compact into a store larger by half. ``noting`` sees every quad on its way in (``klynge load`` notes
    there what the VoID statistics would read every subject's IRI for, ``statistics.Noted``, and counts the rest
    once this handle is closed: ``engines.disk_store.build``)."""
    stated = with_axioms(read)
    derivation = Derivation(stated)
    derived = derivation.derived(stated, keep=True)
    store.bulk_extend(derived if noting is None else noting(derived))


def derived_count(store: ox.Store) -> int:
    """The quads derived from the sources: the participation statistics, the inferred graph and the VoID
    statistics (derived-count.rq)."""
    counted = store.query(DERIVED_COUNT.sparql)
    return int(next(iter(counted))["n"].value)  # type: ignore[index]


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
