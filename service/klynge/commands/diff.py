"""``klynge diff OLD NEW``: what a change does to the graph, for the person reviewing it.

A text diff of Turtle shows moved lines and re-labelled blank nodes; this shows statements. Each side is a git
revision (its ``ontology/`` and ``data/``), a directory (its ``ontology/`` and ``data/`` if it has them, else
every RDF file below it) or files (several joined with commas). The stated graphs are compared, not the
entailments. Blank nodes are matched by what they say, not by their labels: a blank node is a value made of
its statements, so an unchanged one is equal on both sides and a changed one is a changed value. Changes are
grouped by resource with its label; a value that changed is shown old -> new; a resource whose IRI changed but
whose statements did not is shown as renamed; lineage changes (any sub-property of ``prov:wasInfluencedBy``
and their inverses) come first. Exit codes follow ``diff``: 0 equal, 1 different, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from klynge.graph.build import FORMATS, SourceError, parse_file, rdf_format, source_error
from klynge.rdf.namespaces import PREFIXES, shorten

RDF_TYPE = PREFIXES["rdf"] + "type"
LABELS = (PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "prefLabel", PREFIXES["dcterms"] + "title")
SUB_PROPERTY = PREFIXES["rdfs"] + "subPropertyOf"
INVERSE = PREFIXES["owl"] + "inverseOf"
INFLUENCE = PREFIXES["prov"] + "wasInfluencedBy"
GRAPH_FOLDERS = ("ontology", "data")


class DiffInputError(Exception):
    """A side that cannot be read: not a file, directory or git revision, or a file that does not parse."""


@dataclass(frozen=True)
class Blank:
    """A blank node as a value: the sorted statements it makes (nested blank nodes as values too).

    Two are equal when ``key``, a digest of their statements with nested blank nodes by their keys, is; so
    comparing, hashing and sorting stay flat however deep the nesting (an RDF list of thousands of items).
    """

    key: str
    statements: tuple[tuple[str, Value], ...] = field(compare=False, repr=False)

    def __str__(self) -> str:
        return self.key


Value = ox.NamedNode | ox.Literal | Blank
Statement = tuple[ox.NamedNode | Blank, ox.NamedNode, Value]


@dataclass
class Side:
    """One side of the comparison: what it was read from, and its statements with blank nodes as values."""

    label: str
    statements: set[Statement]
    lineage: set[str]
    labels: dict[str, str]


# -- Reading a side --------------------------------------------------------------------------------------------


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffInputError("git is not installed, so no side can be a revision") from None


def _revision_quads(revision: str) -> list[ox.Quad]:
    """The graph's files of a git revision of the repository the working directory is in."""
    if _git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").returncode != 0:
        raise DiffInputError(f"{revision}: not a file, a directory or a git revision of this repository")
    top = _git("rev-parse", "--show-toplevel").stdout.decode().strip()
    listed = _git("-C", top, "ls-tree", "-r", "--name-only", revision, "--", *GRAPH_FOLDERS)
    names = [name for name in listed.stdout.decode().splitlines() if Path(name).suffix.lower() in FORMATS]
    if not names:
        raise DiffInputError(f"{revision}: the revision has no RDF files in {' or '.join(GRAPH_FOLDERS)}/")
    quads = []
    for name in names:
        shown = _git("-C", top, "show", f"{revision}:{name}")
        try:
            quads += ox.parse(shown.stdout, format=rdf_format(Path(name)), base_iri=(Path(top) / name).as_uri())
        except (SyntaxError, ValueError) as error:
            raise DiffInputError(f"{revision}:{source_error(Path(name), error)}") from None
    return quads


def side_files(spec: str) -> list[Path] | None:
    """The RDF files a side names as files or a directory, or None when it names none (a revision, then)."""
    paths = [Path(part) for part in spec.split(",")]
    if len(paths) == 1 and paths[0].is_dir():
        folder = paths[0]
        graph = [folder / name for name in GRAPH_FOLDERS if (folder / name).is_dir()]
        found = sorted(p for base in (graph or [folder]) for p in base.rglob("*") if p.suffix.lower() in FORMATS)
        if not found:
            raise DiffInputError(f"{folder}: the directory holds no RDF files")
        return found
    if len(paths) > 1 or paths[0].exists():
        return paths
    return None


def read_side(spec: str) -> Side:
    """A side's statements; raises DiffInputError when it cannot be read."""
    files = side_files(spec)
    if files is None:
        quads = _revision_quads(spec)
    else:
        try:
            quads = [quad for path in files for quad in parse_file(path)]
        except SourceError as error:
            raise DiffInputError(str(error)) from None
    return side_of(spec, quads)


def side_of(label: str, quads: Iterable[ox.Quad]) -> Side:
    """Statements with blank nodes folded into values, the lineage properties and the labels of a graph."""
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    about: dict[ox.BlankNode, list[tuple[ox.NamedNode, ox.Term]]] = defaultdict(list)
    pointed_at = set()
    for subject, predicate, obj in triples:
        if isinstance(subject, ox.BlankNode):
            about[subject].append((predicate, obj))
        if isinstance(obj, ox.BlankNode):
            pointed_at.add(obj)
    values = blank_values(about)

    def value(term: ox.Term) -> Value:
        return values[term] if isinstance(term, ox.BlankNode) else term

    statements: set[Statement] = set()
    for subject, predicate, obj in triples:
        if isinstance(subject, ox.BlankNode) and subject in pointed_at:
            continue  # said as part of the value of the statement that points at it
        statements.add((value(subject), predicate, value(obj)))
    return Side(label, statements, lineage_properties(triples), labels_of(triples))


CYCLE = Blank("cycle", (("cycle", ox.Literal("…")),))  # stands for a blank node met again on its own path


def blank_values(about: dict[ox.BlankNode, list[tuple[ox.NamedNode, ox.Term]]]) -> dict[ox.BlankNode, Blank]:
    """Every blank node's value, inner ones first, without recursion (nesting can be thousands deep)."""
    values: dict[ox.BlankNode, Blank] = {}
    for root in about:
        stack, on_path = [(root, False)], set()
        while stack:
            node, finished = stack.pop()
            if node in values:
                continue
            if not finished:
                on_path.add(node)
                stack.append((node, True))
                stack += [(o, False) for _, o in about[node] if isinstance(o, ox.BlankNode) and o not in on_path]
                continue
            on_path.discard(node)
            inner = sorted(
                ((p.value, values.get(o, CYCLE) if isinstance(o, ox.BlankNode) else o) for p, o in about[node]),
                key=lambda pair: (pair[0], str(pair[1])),
            )
            digest = hashlib.sha256("\n".join(f"{p} {o}" for p, o in inner).encode()).hexdigest()
            values[node] = Blank(digest, tuple(inner))
    return values


def lineage_properties(triples: Iterable[tuple[ox.Term, ox.Term, ox.Term]]) -> set[str]:
    """prov:wasInfluencedBy, every property below it, and their inverses, as the side's ontology says."""
    triples = list(triples)
    below = {INFLUENCE}
    grew = True
    while grew:
        found = {s.value for s, p, o in triples if p.value == SUB_PROPERTY and o.value in below}
        grew = bool(found - below)
        below |= found
    inverses = {o.value for s, p, o in triples if p.value == INVERSE and s.value in below}
    inverses |= {s.value for s, p, o in triples if p.value == INVERSE and o.value in below}
    return below | inverses


def labels_of(triples: Iterable[tuple[ox.Term, ox.Term, ox.Term]]) -> dict[str, str]:
    """Each IRI's label: English rdfs:label first, then skos:prefLabel, dcterms:title, any language."""
    ranked: dict[str, tuple[int, str]] = {}
    for subject, predicate, obj in triples:
        if isinstance(subject, ox.NamedNode) and predicate.value in LABELS and isinstance(obj, ox.Literal):
            rank = LABELS.index(predicate.value) * 2 + (obj.language not in ("en", None))
            if subject.value not in ranked or (rank, obj.value) < ranked[subject.value]:
                ranked[subject.value] = (rank, obj.value)
    return {iri: text for iri, (_, text) in ranked.items()}


# -- Comparing -------------------------------------------------------------------------------------------------


@dataclass
class ResourceChange:
    """What changed about one resource (an IRI, or a blank node no statement points at)."""

    resource: ox.NamedNode | Blank
    label: str
    status: str  # "added", "removed" or "changed"
    added: list[tuple[ox.NamedNode, Value]] = field(default_factory=list)
    removed: list[tuple[ox.NamedNode, Value]] = field(default_factory=list)
    changed: list[tuple[ox.NamedNode, Value, Value]] = field(default_factory=list)


@dataclass
class Rename:
    old: ox.NamedNode
    new: ox.NamedNode
    label: str
    references: int


@dataclass
class Difference:
    """The whole comparison: lineage statements added and removed, renamed resources, and the rest by resource."""

    old: str
    new: str
    lineage: list[tuple[str, Statement]]
    renamed: list[Rename]
    resources: list[ResourceChange]

    @property
    def equal(self) -> bool:
        return not (self.lineage or self.renamed or self.resources)


def _renames(removed: set[Statement], added: set[Statement]) -> dict[ox.NamedNode, ox.NamedNode]:
    """Resources that left and arrived saying the same things, references to themselves included."""

    def signatures(statements: set[Statement], subjects: set[ox.NamedNode]) -> dict[frozenset, ox.NamedNode]:
        said: dict[ox.NamedNode, set] = defaultdict(set)
        for subject, predicate, obj in statements:
            if subject in subjects:
                said[subject].add((predicate, "self" if obj == subject else obj))
        return {frozenset(found): subject for subject, found in said.items()}

    def whole(statements: set[Statement], others: set[Statement]) -> set[ox.NamedNode]:
        subjects = {s for s, _, _ in statements if isinstance(s, ox.NamedNode)}
        return subjects - {s for s, _, _ in others}

    gone = signatures(removed, whole(removed, added))
    came = signatures(added, whole(added, removed))
    return {gone[key]: came[key] for key in gone.keys() & came.keys()}


def compare(old: Side, new: Side) -> Difference:
    """The difference between two sides, grouped for review."""
    removed, added = old.statements - new.statements, new.statements - old.statements
    labels = {**old.labels, **new.labels}
    lineage_iris = old.lineage | new.lineage
    renames = _renames(removed, added)
    renamed = []
    for before, after in renames.items():
        references = {(s, p, o) for s, p, o in removed if o == before and (s, p, after) in added}
        removed -= {st for st in removed if st[0] == before} | references
        added -= {st for st in added if st[0] == after} | {(s, p, after) for s, p, _ in references}
        renamed.append(Rename(before, after, labels.get(after.value, ""), len(references)))
    lineage = sorted(
        [("removed", st) for st in removed if st[1].value in lineage_iris]
        + [("added", st) for st in added if st[1].value in lineage_iris],
        key=lambda change: (str(change[1][0]), str(change[1][2]), change[0]),
    )
    removed = {st for st in removed if st[1].value not in lineage_iris}
    added = {st for st in added if st[1].value not in lineage_iris}
    old_subjects = {s for s, _, _ in old.statements}
    new_subjects = {s for s, _, _ in new.statements}
    resources = []
    for subject in sorted({s for s, _, _ in removed | added}, key=str):
        status = "added" if subject not in old_subjects else "removed" if subject not in new_subjects else "changed"
        label = labels.get(subject.value, "") if isinstance(subject, ox.NamedNode) else ""
        change = ResourceChange(subject, label, status)
        gone = defaultdict(list)
        for _, predicate, obj in sorted((st for st in removed if st[0] == subject), key=str):
            gone[predicate].append(obj)
        came = defaultdict(list)
        for _, predicate, obj in sorted((st for st in added if st[0] == subject), key=str):
            came[predicate].append(obj)
        for predicate in sorted(gone.keys() | came.keys(), key=str):
            before, after = gone.get(predicate, []), came.get(predicate, [])
            if len(before) == 1 and len(after) == 1:
                change.changed.append((predicate, before[0], after[0]))
            else:
                change.removed += [(predicate, obj) for obj in before]
                change.added += [(predicate, obj) for obj in after]
        resources.append(change)
    return Difference(old.label, new.label, lineage, sorted(renamed, key=lambda r: str(r.old)), resources)


# -- Writing ---------------------------------------------------------------------------------------------------

LONG = 300  # characters of a literal shown before it is cut


DEEP = 4  # levels of nested blank nodes written out before "[ … ]"


def show(term: Value | str, depth: int = 0) -> str:
    """A term as Turtle writes it, IRIs shortened with the project's prefixes, long literals and deep blank
    nodes cut."""
    if isinstance(term, str):
        return show(ox.NamedNode(term))
    if isinstance(term, Blank):
        if depth >= DEEP:
            return "[ … ]"
        return "[ " + " ; ".join(f"{show(p)} {show(o, depth + 1)}" for p, o in term.statements) + " ]"
    if isinstance(term, ox.NamedNode):
        return shorten(term.value) or f"<{term.value}>"
    text = term.value if len(term.value) <= LONG else term.value[:LONG] + "…"
    quoted = json.dumps(text, ensure_ascii=False)
    if term.language:
        return f"{quoted}@{term.language}"
    datatype = term.datatype.value
    return quoted if datatype == PREFIXES["xsd"] + "string" else f"{quoted}^^{show(term.datatype)}"


def _named(term: Value, labels: dict[str, str]) -> str:
    label = labels.get(term.value) if isinstance(term, ox.NamedNode) else None
    return f"{show(term)} ({label})" if label else show(term)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def summary(difference: Difference) -> str:
    """One line: the two sides and what differs between them, by kind."""
    if difference.equal:
        return f"{difference.old} -> {difference.new}: the stated graphs are equal."
    parts = [
        f"{_count(len(difference.lineage), 'lineage statement')} added or removed" if difference.lineage else "",
        f"{_count(len(difference.renamed), 'resource')} renamed" if difference.renamed else "",
    ]
    for status in ("added", "removed", "changed"):
        number = sum(1 for r in difference.resources if r.status == status)
        parts.append(f"{_count(number, 'resource')} {status}" if number else "")
    return f"{difference.old} -> {difference.new}: " + ", ".join(part for part in parts if part) + "."


def render_text(difference: Difference, labels: dict[str, str]) -> str:
    lines = [summary(difference)]
    if difference.lineage:
        lines += ["", "Lineage"]
        lines += [
            f"  {'+' if change == 'added' else '-'} {_named(s, labels)}  {show(p)}  {_named(o, labels)}"
            for change, (s, p, o) in difference.lineage
        ]
    if difference.renamed:
        lines += ["", "Renamed"]
        lines += [
            f"  {show(r.old)} -> {show(r.new)}"
            + (f" ({r.label})" if r.label else "")
            + f", {r.references} reference{'s' * (r.references != 1)} updated"
            for r in difference.renamed
        ]
    for change in difference.resources:
        status = "" if change.status == "changed" else f"  [{change.status}]"
        lines += ["", _named(change.resource, labels) + status]
        lines += [f"  ~ {show(p)}  {show(old)} -> {show(new)}" for p, old, new in change.changed]
        lines += [f"  - {show(p)}  {show(o)}" for p, o in change.removed]
        lines += [f"  + {show(p)}  {show(o)}" for p, o in change.added]
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """Markdown inline code that survives backticks in the text."""
    fence = "``" if "`" in text else "`"
    return f"{fence}{' ' if fence == '``' else ''}{text}{' ' if fence == '``' else ''}{fence}"


def _md_named(term: Value, labels: dict[str, str]) -> str:
    label = labels.get(term.value) if isinstance(term, ox.NamedNode) else None
    return f"{_code(show(term))} {label}" if label else _code(show(term))


def render_markdown(difference: Difference, labels: dict[str, str]) -> str:
    """For a pull-request comment: a heading with the counts, lineage first, then one section per resource."""
    lines = [f"### klynge diff: {_code(difference.old)} → {_code(difference.new)}", "", summary(difference)]
    if difference.lineage:
        lines += ["", "#### Lineage", ""]
        lines += [
            f"- **{change}** {_md_named(s, labels)} {_code(show(p))} {_md_named(o, labels)}"
            for change, (s, p, o) in difference.lineage
        ]
    if difference.renamed:
        lines += ["", "#### Renamed", ""]
        lines += [
            f"- {_code(show(r.old))} → {_code(show(r.new))}"
            + (f" {r.label}" if r.label else "")
            + f" ({r.references} reference{'s' * (r.references != 1)} updated)"
            for r in difference.renamed
        ]
    for change in difference.resources:
        status = "" if change.status == "changed" else f" *({change.status})*"
        lines += ["", f"#### {_md_named(change.resource, labels)}{status}", ""]
        lines += [
            f"- changed {_code(show(p))}: {_code(show(old))} → {_code(show(new))}" for p, old, new in change.changed
        ]
        lines += [f"- removed {_code(show(p))} {_code(show(o))}" for p, o in change.removed]
        lines += [f"- added {_code(show(p))} {_code(show(o))}" for p, o in change.added]
    return "\n".join(lines) + "\n"


def render_json(difference: Difference, labels: dict[str, str]) -> str:
    def pair(predicate: ox.NamedNode, obj: Value) -> dict[str, str]:
        return {"property": show(predicate), "value": show(obj)}

    document = {
        "old": difference.old,
        "new": difference.new,
        "equal": difference.equal,
        "lineage": [
            {
                "change": change,
                "subject": show(s),
                "property": show(p),
                "object": show(o),
                "subject_label": labels.get(getattr(s, "value", ""), ""),
                "object_label": labels.get(o.value, "") if isinstance(o, ox.NamedNode) else "",
            }
            for change, (s, p, o) in difference.lineage
        ],
        "renamed": [
            {"old": show(r.old), "new": show(r.new), "label": r.label, "references": r.references}
            for r in difference.renamed
        ],
        "resources": [
            {
                "resource": show(change.resource),
                "label": change.label,
                "status": change.status,
                "changed": [
                    {"property": show(p), "old": show(old), "new": show(new)} for p, old, new in change.changed
                ],
                "removed": [pair(p, o) for p, o in change.removed],
                "added": [pair(p, o) for p, o in change.added],
            }
            for change in difference.resources
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[Difference, dict[str, str]], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}


def diff(old_spec: str, new_spec: str) -> tuple[Difference, dict[str, str]]:
    """Read both sides and compare them; raises DiffInputError when a side cannot be read."""
    old, new = read_side(old_spec), read_side(new_spec)
    return compare(old, new), {**old.labels, **new.labels}


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``klynge diff``."""
    for name, which in (("old", "before"), ("new", "after")):
        parser.add_argument(
            name,
            metavar=name.upper(),
            help=f"the graph {which} the change: a git revision (its ontology/ and data/), a directory, or "
            "RDF files joined with commas",
        )
    parser.add_argument(
        "--format",
        choices=list(RENDERERS),
        default="text",
        help="text (default), markdown (for a pull-request comment) or json",
    )


def run(args: argparse.Namespace) -> int:
    """Print the difference; 0 when the graphs are equal, 1 when they differ, 2 when a side cannot be read."""
    try:
        difference, labels = diff(args.old, args.new)
    except DiffInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(RENDERERS[args.format](difference, labels), end="")
    return 0 if difference.equal else 1
