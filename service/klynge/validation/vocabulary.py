"""The closed-world vocabulary check: every term the graph, the shapes and the queries use must exist.

SHACL cannot catch a misspelt property: ``klynge:succeds`` is just another predicate, the lineage link it
was meant to make silently disappears, and the graph still conforms. So every term of the klynge ontology
namespace used in ``data/``, ``shapes/`` or ``queries/`` must be declared in the ontology, and every term of a
reused standard vocabulary must exist in that vocabulary, checked offline against the vocabulary's own term
list: rdflib's closed namespaces where rdflib ships one, else a term list in ``terms/`` built from the
published vocabulary file by

    python -m klynge.validation.vocabulary build-terms PREFIX=FILE ...

(``terms/README.md`` says which file each list was built from). A term used in the wrong role (a class as a
property, a property as a class) is reported too. Each problem names file and line and the nearest declared
term ("did you mean klynge:succeeds?").
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import namespace as rdflib_namespace

from klynge.graph.build import SourceError
from klynge.rdf.namespaces import PREFIXES, turtle_name
from klynge.validation.lines import display_path, parse_located

KLYNGE = PREFIXES["klynge"]
TERMS_DIR = Path(__file__).with_name("terms")
RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
OWL = PREFIXES["owl"]
SH = PREFIXES["sh"]

# Vocabularies whose term list rdflib ships as a closed namespace (schema.org's under https, same names).
RDFLIB_VOCABULARIES: dict[str, str] = {
    "rdf": "RDF",
    "rdfs": "RDFS",
    "owl": "OWL",
    "xsd": "XSD",
    "sh": "SH",
    "org": "ORG",
    "prov": "PROV",
    "skos": "SKOS",
    "dcterms": "DCTERMS",
    "schema": "SDO",
    "qb": "QB",
    "foaf": "FOAF",
    "vann": "VANN",
}
# Vocabularies checked against a term list built from the published file (rdflib has none, or an old one).
BUILT_VOCABULARIES = ("dcat", "rov", "sdmx-dimension", "sdmx-measure", "sdmx-attribute")

CLASS, PROPERTY, INDIVIDUAL, TERM = "class", "property", "individual", "term"
CLASS_TYPES = {RDFS + "Class", OWL + "Class", RDFS + "Datatype"}
PROPERTY_TYPES = {
    RDF + "Property",
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    OWL + "FunctionalProperty",
    OWL + "InverseFunctionalProperty",
    OWL + "TransitiveProperty",
    OWL + "SymmetricProperty",
    OWL + "AsymmetricProperty",
    OWL + "ReflexiveProperty",
    OWL + "IrreflexiveProperty",
    OWL + "OntologyProperty",
}
# Where a statement's object must be a class or a property, beyond the predicate and rdf:type positions.
CLASS_POSITIONS = {RDF + "type", SH + "targetClass", SH + "class", RDFS + "subClassOf"}
PROPERTY_POSITIONS = {
    SH + "path",
    SH + "targetSubjectsOf",
    SH + "targetObjectsOf",
    RDFS + "subPropertyOf",
    OWL + "inverseOf",
}


@dataclass(frozen=True, order=True)
class Use:
    """One use of a vocabulary term: where, and in which role (class, property, or just a term)."""

    file: str
    line: int
    term: str
    role: str


@dataclass(frozen=True, order=True)
class Problem:
    """A term that does not exist, or is used in the wrong role, with the fix to suggest."""

    file: str
    line: int
    term: str
    message: str


@dataclass(frozen=True)
class Vocabulary:
    """The terms of one namespace with their kinds, and where the list comes from (for messages)."""

    prefix: str
    namespace: str
    kinds: Mapping[str, str]
    origin: str


# -- Term lists ------------------------------------------------------------------------------------------------


def kind_of(types: set[str]) -> str:
    """A term's kind from its rdf:types: class, property, or (typed as something else) individual."""
    if types & PROPERTY_TYPES or any(t.endswith("Property") for t in types):
        return PROPERTY
    if types & CLASS_TYPES:
        return CLASS
    return INDIVIDUAL if types else TERM


def declared_terms(quads: Iterable[ox.Quad], namespace: str) -> dict[str, str]:
    """The terms of a namespace that a vocabulary file describes, each with its kind."""
    types: dict[str, set[str]] = {}
    for quad in quads:
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and subject.value.startswith(namespace):
            local = subject.value[len(namespace) :]
            if local:
                entry = types.setdefault(local, set())
                if quad.predicate.value == RDF + "type" and isinstance(quad.object, ox.NamedNode):
                    entry.add(quad.object.value)
    return {local: kind_of(found) for local, found in types.items()}


def _rdflib_vocabulary(prefix: str) -> Vocabulary:
    closed = getattr(rdflib_namespace, RDFLIB_VOCABULARIES[prefix])
    names = set(getattr(closed, "__annotations__", {})) | set(getattr(closed, "_extras", []))
    kinds = {name: TERM for name in names if not name.startswith("_")}
    return Vocabulary(prefix, PREFIXES[prefix], kinds, f"rdflib's {RDFLIB_VOCABULARIES[prefix]} namespace")


def read_terms(path: Path) -> dict[str, str]:
    """A term list written by build-terms: ``name<TAB>kind`` lines after ``#`` comments."""
    kinds = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, kind = line.split("\t")
            kinds[name] = kind
    return kinds


@cache
def standard_vocabularies() -> dict[str, Vocabulary]:
    """Every reused standard vocabulary by namespace IRI, with its term list."""
    found = [_rdflib_vocabulary(prefix) for prefix in RDFLIB_VOCABULARIES]
    for prefix in BUILT_VOCABULARIES:
        path = TERMS_DIR / f"{prefix}.tsv"
        found.append(Vocabulary(prefix, PREFIXES[prefix], read_terms(path), f"terms/{path.name}"))
    return {vocabulary.namespace: vocabulary for vocabulary in found}


def ontology_vocabulary(ontology: Iterable[ox.Quad]) -> Vocabulary:
    """The klynge terms the ontology declares, with the kinds it gives them."""
    typed = {name: kind for name, kind in declared_terms(ontology, KLYNGE).items() if kind != TERM}
    return Vocabulary("klynge", KLYNGE, typed, "the klynge ontology")


def declared_kinds(ontology: Iterable[ox.Quad]) -> dict[str, str]:
    """Every IRI the ontology types as a class or property, standard terms included (its OWL declarations)."""
    types: dict[str, set[str]] = {}
    for quad in ontology:
        if quad.predicate.value == RDF + "type" and isinstance(quad.subject, ox.NamedNode):
            types.setdefault(quad.subject.value, set()).add(quad.object.value)
    return {iri: kind for iri, found in types.items() if (kind := kind_of(found)) in (CLASS, PROPERTY)}


# -- Uses ------------------------------------------------------------------------------------------------------


def uses_in_quads(file: str, quads: Iterable[ox.Quad], lines: Iterable[int]) -> Iterator[Use]:
    """Every IRI of a parsed file, with the role its position gives it."""
    for quad, line in zip(quads, lines, strict=True):
        predicate = quad.predicate.value
        yield Use(file, line, predicate, PROPERTY)
        if isinstance(quad.subject, ox.NamedNode):
            role = PROPERTY if predicate in (RDFS + "domain", RDFS + "range") else TERM
            yield Use(file, line, quad.subject.value, role)
        if isinstance(quad.object, ox.NamedNode):
            role = CLASS if predicate in CLASS_POSITIONS else PROPERTY if predicate in PROPERTY_POSITIONS else TERM
            yield Use(file, line, quad.object.value, role)


PREFIX_DECLARATION = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)
FULL_IRI = re.compile(r"<([^<>\s\"{}|^`\\]*)>")
# A prefixed name outside IRIs, strings and variables: the local part may not end in a dot.
PREFIXED_NAME = re.compile(r"(?<![\w:?$-])([A-Za-z][\w-]*)?:((?:[\w-]|\.(?=[\w-]))+)")
# Scanned together so a '#' inside an IRI or a string does not start a comment.
IRI_STRING_OR_COMMENT = re.compile(r"<[^<>\s\"{}|^`\\]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#.*$")
TYPE_PATTERN = re.compile(r"(?:\ba|rdf:type)\s+$")


def uses_in_query(path: Path) -> Iterator[Use]:
    """The IRIs a SPARQL file names, by line; a term right after ``a`` is used as a class."""
    text = path.read_text(encoding="utf-8")
    prefixes = {(name or ""): iri for name, iri in PREFIX_DECLARATION.findall(text)}
    file = display_path(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = IRI_STRING_OR_COMMENT.sub(lambda m: m.group() if m.group()[0] == "<" else " " * len(m.group()), raw)
        if PREFIX_DECLARATION.search(line):
            continue
        for match in FULL_IRI.finditer(line):
            yield Use(file, number, match.group(1), _query_role(line, match.start()))
        without_iris = FULL_IRI.sub(lambda m: " " * len(m.group()), line)
        for match in PREFIXED_NAME.finditer(without_iris):
            namespace = prefixes.get(match.group(1) or "")
            if namespace is not None:
                yield Use(file, number, namespace + match.group(2), _query_role(without_iris, match.start()))


def _query_role(line: str, start: int) -> str:
    return CLASS if TYPE_PATTERN.search(line[:start]) else TERM


def uses_in_file(path: Path) -> list[Use]:
    """The term uses of one RDF or SPARQL file; an unreadable RDF file raises SourceError."""
    if path.suffix == ".rq":
        if not path.is_file():
            raise SourceError(path, None, None, "no such file")
        return list(uses_in_query(path))
    quads, lines = parse_located(path)
    return list(uses_in_quads(display_path(path), quads, lines))


# -- The check -------------------------------------------------------------------------------------------------


def compact(iri: str) -> str:
    return turtle_name(iri)


class Checker:
    """Judges term uses against the ontology's declarations and the standard vocabularies' term lists."""

    def __init__(self, ontology: Iterable[ox.Quad]) -> None:
        ontology = list(ontology)
        self.vocabularies = {KLYNGE: ontology_vocabulary(ontology), **standard_vocabularies()}
        self.kinds = declared_kinds(ontology)
        self._by_length = sorted(self.vocabularies, key=len, reverse=True)

    def vocabulary_of(self, iri: str) -> Vocabulary | None:
        return next((self.vocabularies[ns] for ns in self._by_length if iri.startswith(ns)), None)

    def kind(self, iri: str, vocabulary: Vocabulary) -> str:
        """What a term is: the ontology's declaration, else the term list's, else the naming convention.

        The convention (classes capitalised, properties not) holds in every checked vocabulary, so it only
        stands in where neither the ontology nor the term list says.
        """
        local = iri[len(vocabulary.namespace) :]
        kind = self.kinds.get(iri) or vocabulary.kinds.get(local, TERM)
        if kind == TERM and vocabulary.prefix not in ("xsd", "rdf"):
            kind = CLASS if local[:1].isupper() else PROPERTY
        return kind

    def problem(self, use: Use) -> Problem | None:
        vocabulary = self.vocabulary_of(use.term)
        if vocabulary is None:
            return None
        local = use.term[len(vocabulary.namespace) :]
        if local not in vocabulary.kinds:
            where = (
                "declared in the klynge ontology"
                if vocabulary.prefix == "klynge"
                else (f"a term of the {vocabulary.prefix} vocabulary (checked against {vocabulary.origin})")
            )
            return Problem(
                use.file,
                use.line,
                compact(use.term),
                f"{compact(use.term)} is not {where}{self.suggestion(local, use.role, vocabulary)}",
            )
        kind = self.kind(use.term, vocabulary)
        if use.role in (CLASS, PROPERTY) and kind in (CLASS, PROPERTY, INDIVIDUAL) and kind != use.role:
            return Problem(
                use.file,
                use.line,
                compact(use.term),
                f"{compact(use.term)} is {_article(kind)} {kind}, used here as {_article(use.role)} "
                f"{use.role}{self.suggestion(local, use.role, vocabulary)}",
            )
        return None

    def suggestion(self, local: str, role: str, vocabulary: Vocabulary) -> str:
        """``; did you mean prefix:term?`` with the nearest term of the right role, or nothing."""
        candidates = [
            name
            for name in vocabulary.kinds
            if name != local
            and (role not in (CLASS, PROPERTY) or self.kind(vocabulary.namespace + name, vocabulary) == role)
        ]
        folded = {name.lower(): name for name in candidates}
        match = folded.get(local.lower())
        if match is None:
            close = difflib.get_close_matches(local, candidates, n=1, cutoff=0.75)
            match = close[0] if close else None
        return f"; did you mean {vocabulary.prefix}:{match}?" if match else ""

    def check(self, uses: Iterable[Use]) -> list[Problem]:
        """Every problem of the uses, once per file, line and term, in file order."""
        return sorted({problem for use in uses if (problem := self.problem(use)) is not None})


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"


# -- Building the term lists -----------------------------------------------------------------------------------


def build_terms(prefix: str, source: Path, out_dir: Path = TERMS_DIR) -> Path:
    """Write ``terms/PREFIX.tsv``: every term the published vocabulary file declares in its namespace."""
    namespace = PREFIXES[prefix]
    quads, _ = parse_located(source, ox.DefaultGraph())
    kinds = declared_terms(quads, namespace)
    if not kinds:
        raise SourceError(source, None, None, f"declares no term in {namespace}: is it the {prefix} vocabulary?")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    header = [
        f"# Terms of {namespace} ({prefix}), {len(kinds)} of them: name, kind (class, property, individual, term).",
        f"# Built from {source.name} (sha256 {digest}) by",
        f"#   python -m klynge.validation.vocabulary build-terms {prefix}={source.name}",
        "# Do not edit by hand: rebuild from the published file (terms/README.md says where it is).",
    ]
    out = out_dir / f"{prefix}.tsv"
    out.write_text("\n".join([*header, *(f"{name}\t{kinds[name]}" for name in sorted(kinds))]) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the term lists of the vocabularies rdflib does not ship.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build-terms", help="write terms/PREFIX.tsv from a published vocabulary file")
    build.add_argument("sources", nargs="+", metavar="PREFIX=FILE", help=f"one of {', '.join(BUILT_VOCABULARIES)}")
    build.add_argument("--out", type=Path, default=TERMS_DIR, help="folder to write to (default: terms/)")
    args = parser.parse_args(argv)
    for source in args.sources:
        prefix, _, file = source.partition("=")
        if prefix not in BUILT_VOCABULARIES or not file:
            print(
                f"error: {source!r}: expected PREFIX=FILE with PREFIX one of {', '.join(BUILT_VOCABULARIES)}",
                file=sys.stderr,
            )
            return 2
        try:
            print(build_terms(prefix, Path(file), args.out))
        except SourceError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
