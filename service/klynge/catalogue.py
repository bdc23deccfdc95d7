"""Query files: read the grlc-style headers of ``queries/*.rq`` (and ``klynge/sparql/*.rq``), bind parameters safely.

A named query is a SPARQL file whose leading ``#+`` lines are a YAML header (grlc's decorators: ``summary``,
``description``, ``method``, ``tags``, ``defaults``) plus ``parameters``, which documents each parameter with a
description and an example. Parameters are the query's variables that start with an underscore, named as
grlc names them: ``?_policy_iri`` is a required IRI called ``policy``, ``?__area_iri`` an optional one. An
optional parameter left out stays unbound, so the query answers for every value.

A value becomes an RDF term only after it passed its type's check, and the engine binds the term to the
variable (pyoxigraph substitutions; on a remote store, terms substituted token by token): no value is ever pasted
into query text. pyoxigraph binds only projected variables, so a SELECT names its columns and projects every
parameter variable (the API reports parameters apart and leaves those columns out). BOUND() does not see a
substitution: test whether an optional IRI parameter was given with ``isLiteral(COALESCE(?__x_iri, "unset"))``.

The service's own queries (resource pages, lineage, search, the dataset description, the shapes page) live in
``service/klynge/sparql/*.rq`` in the same format and are read by the same code; they are not public (no route,
no editor entry; ``NamedQuery.public`` is False), may be ASK queries, and need no ``method``. Code runs them as
``engine.select(q.sparql, q.bind(policy=term))``, so no query text is ever assembled in Python.

A query whose answer holds only names containing a string parameter may say so in its header,
``candidates: {name: text}``: ``?name`` is a literal of ``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel`` or
``dcterms:title`` whose ``LCASE(STR())`` contains that of the parameter ``text``. The query writes
``VALUES ?name { UNDEF }`` (which restricts nothing) where an engine with a name index may list the names that do
(``klynge.engines.text_index.TextIndex.names_containing``); the FILTER in the query still decides each row, so
the rows are the same either way.

A query's form, projection and variables come from the guard's tokens (``klynge.rdf.sparql_lexer``), the
same reading of the SPARQL grammar the endpoint uses: a ``?_x`` inside an IRI, a string or a comment is text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import yaml

from klynge.rdf.namespaces import XSD
from klynge.rdf.sparql_lexer import Token, operation, tokens
from klynge.resources import asset_files

INTERNAL_DIR = Path(__file__).resolve().parent / "sparql"

HEADER_KEYS = {"summary", "description", "method", "tags", "defaults", "parameters", "candidates"}
REQUIRED_KEYS = ("summary", "description", "method")
INTERNAL_REQUIRED_KEYS = ("summary", "description")
METHODS = {"GET"}
RESERVED = {"format", "release"}  # query-string names the API keeps for itself (release: klynge.web.releases)
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# ?_name_type (required) and ?__name_type (optional), also written with $; the type suffix is optional.
PARAMETER_PREFIX = "_"
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class CatalogueError(ValueError):
    """A named-query file that cannot become an API route: which file, which line, what is wrong."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}" if line is not None else f"{path}: {message}")


class ParameterError(ValueError):
    """A parameter value that does not pass its type's check: which parameter, what was wrong, a good value."""

    def __init__(self, parameter: str, problem: str, example: str | None = None) -> None:
        self.parameter, self.problem, self.example = parameter, problem, example
        good = f"; a good value looks like {example!r}" if example is not None else ""
        super().__init__(f"parameter {parameter!r}: {problem}{good}")


def _reject_control(value: str) -> str | None:
    """The problem with control characters in a value, if it has any."""
    bad = next((c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0), None)
    return None if bad is None else f"control character U+{ord(bad):04X} is not allowed"


IRI_FORBIDDEN = set('<>"{}|^`\\') | {" "}
IRI_SCHEME = re.compile(r"^https?://[^/?#]+")


def to_iri(value: str) -> ox.NamedNode | str:
    """An absolute http(s) IRI without characters that IRIs cannot hold, or the problem."""
    bad = next((c for c in value if c in IRI_FORBIDDEN or c.isspace()), None)
    if bad is not None:
        return f"{bad!r} cannot appear in an IRI"
    if not IRI_SCHEME.match(value):
        return "not an absolute http:// or https:// IRI"
    return ox.NamedNode(value)


INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
YEAR = re.compile(r"^[0-9]{4}$")
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*$")


def to_integer(value: str) -> ox.Literal | str:
    """An ``xsd:integer`` from decimal digits (an optional sign), or the problem."""
    if not INTEGER.match(value):
        return "not a whole number written in digits"
    return ox.Literal(str(int(value)), datatype=XSD.integer)


def to_year(value: str) -> ox.Literal | str:
    """An ``xsd:gYear`` from four digits, or the problem."""
    if not YEAR.match(value):
        return "not a year of four digits"
    return ox.Literal(value, datatype=XSD.gYear)


def to_string(value: str) -> ox.Literal | str:
    """A plain literal (``xsd:string``); anything without control characters is acceptable text."""
    return ox.Literal(value)


def to_tagged(value: str) -> ox.Literal | str:
    """A language-tagged literal written ``text@tag`` (the tag after the last ``@``), or the problem."""
    text, at, tag = value.rpartition("@")
    if not at or not text:
        return "not text followed by @ and a language tag"
    if not LANGUAGE_TAG.match(tag):
        return f"{tag!r} is not a language tag (letters, digits and hyphens, such as en, da or en-GB)"
    return ox.Literal(text, language=tag.lower())


def is_iri(term: ox.Term) -> bool:
    return isinstance(term, ox.NamedNode)


def typed(datatype: ox.NamedNode) -> Callable[[ox.Term], bool]:
    """Whether a term is a literal of ``datatype``."""
    return lambda term: isinstance(term, ox.Literal) and term.datatype == datatype and term.language is None


def is_tagged(term: ox.Term) -> bool:
    return isinstance(term, ox.Literal) and term.language is not None


@dataclass(frozen=True)
class ParameterType:
    """A parameter type: its grlc suffix, how the API documents it, how a value becomes a term, and which
    terms code may bind to it directly."""

    suffix: str
    label: str
    schema: Mapping[str, str]
    convert: Callable[[str], ox.Term | str]
    accepts: Callable[[ox.Term], bool]


TYPES = {
    t.suffix: t
    for t in (
        ParameterType("iri", "IRI", {"type": "string", "format": "uri"}, to_iri, is_iri),
        ParameterType("integer", "integer", {"type": "integer"}, to_integer, typed(XSD.integer)),
        ParameterType(
            "year", "year (xsd:gYear)", {"type": "string", "pattern": "^[0-9]{4}$"}, to_year, typed(XSD.gYear)
        ),
        ParameterType("string", "string", {"type": "string"}, to_string, typed(XSD.string)),
        ParameterType("lang", "language-tagged string (text@tag)", {"type": "string"}, to_tagged, is_tagged),
    )
}


@dataclass(frozen=True)
class Parameter:
    """A typed query parameter: ``variable`` is the SPARQL variable (``_policy_iri``), ``name`` the API's."""

    name: str
    variable: str
    type: ParameterType
    required: bool
    default: str | None
    description: str
    example: str
    choices: tuple[str, ...] = ()  # the header's ``enum``: the only values the parameter takes, if given

    def term(self, value: str) -> ox.Term:
        """The RDF term for a value, or a ParameterError that says what is wrong and shows a good value."""
        if self.choices and value not in self.choices:
            raise ParameterError(self.name, f"{value!r} is not one of {', '.join(self.choices)}", self.example)
        problem = _reject_control(value)
        result = self.type.convert(value) if problem is None else problem
        if isinstance(result, str):
            raise ParameterError(self.name, f"{value!r} is not a valid {self.type.label}: {result}", self.example)
        return result

    def describe(self) -> dict[str, object]:
        """The parameter as the API lists it."""
        return {
            "name": self.name,
            "type": self.type.suffix,
            "required": self.required,
            "default": self.default,
            "description": self.description,
            "example": self.example,
            "enum": list(self.choices) or None,
        }


@dataclass(frozen=True)
class Candidates:
    """A variable whose values an engine's name index may list (the header's ``candidates``): the names containing
    the string bound to ``parameter``, written at character ``at`` of the query, in place of its ``UNDEF``."""

    variable: str
    parameter: str
    at: int

    def listed(self, sparql: str, terms: Iterable[str]) -> str:
        """The query with these terms (SPARQL syntax) in place of the UNDEF that leaves the variable free."""
        return sparql[: self.at] + " ".join(terms) + sparql[self.at + len(UNDEF) :]


UNDEF = "UNDEF"


@dataclass(frozen=True)
class NamedQuery:
    """One researcher question: its SPARQL and the documentation its header gives."""

    name: str
    title: str
    description: str
    method: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    sparql: str
    form: str
    columns: tuple[str, ...]
    path: Path
    public: bool = True  # False for the service's own queries (klynge/sparql/): no route, no editor entry
    candidates: tuple[Candidates, ...] = ()  # variables a name index may list the values of (the header's)

    @property
    def returns_graph(self) -> bool:
        """Whether the answer is RDF (CONSTRUCT, DESCRIBE) rather than a table."""
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def bindings(self, values: Mapping[str, str]) -> dict[str, ox.Term]:
        """Validated terms for the given values (by parameter name), defaults filled in, unknown names refused."""
        known = {p.name for p in self.parameters}
        unknown = sorted(set(values) - known)
        if unknown:
            expected = ", ".join(sorted(known)) or "none"
            raise ParameterError(unknown[0], f"{self.name} takes no such parameter (it takes: {expected})")
        terms: dict[str, ox.Term] = {}
        for parameter in self.parameters:
            value = values.get(parameter.name, parameter.default)
            if value is None:
                if parameter.required:
                    raise ParameterError(parameter.name, "is required", parameter.example)
                continue
            terms[parameter.variable] = parameter.term(value)
        return terms

    def bind(self, **terms: ox.Term | None) -> dict[str, ox.Term]:
        """Engine bindings from RDF terms code already holds, by parameter name (None leaves one unbound).

        The terms are checked against the parameter types as strictly as a request's values are: an unknown
        or missing parameter, or a literal where an IRI belongs, is a ParameterError, never a wrong answer."""
        by_name = {p.name: p for p in self.parameters}
        unknown = sorted(set(terms) - set(by_name))
        if unknown:
            raise ParameterError(unknown[0], f"{self.name} takes no such parameter (it takes: {', '.join(by_name)})")
        bound: dict[str, ox.Term] = {}
        for name, parameter in by_name.items():
            term = terms.get(name)
            if term is None:
                if parameter.required:
                    raise ParameterError(name, f"{self.name} requires it", parameter.example)
                continue
            if not parameter.type.accepts(term):
                raise ParameterError(name, f"{term} is not of its type ({parameter.type.label})", parameter.example)
            bound[parameter.variable] = term
        return bound

    def describe(self) -> dict[str, object]:
        """The query as the API lists it, with its SPARQL text."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "method": self.method,
            "tags": list(self.tags),
            "form": self.form,
            "parameters": [p.describe() for p in self.parameters],
            "sparql": self.sparql,
        }


def split_header(text: str) -> tuple[list[tuple[int, str]], int]:
    """The ``#+`` lines at the top of a file (with their line numbers) and the line the query starts on."""
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            return lines, number
        lines.append((number, line[3:] if line.startswith("#+ ") else line[2:]))
    return lines, len(lines) + 1


def read_header(path: Path, text: str) -> tuple[dict[str, object], dict[str, int]]:
    """The header as data, and the file line on which each top-level key and each parameter is written."""
    lines, _ = split_header(text)
    if not lines:
        raise CatalogueError(path, 1, "no header: the file must start with '#+ summary: ...' lines")
    source = "\n".join(line for _, line in lines)
    file_line = [number for number, _ in lines]
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = file_line[min(mark.line, len(file_line) - 1)] if mark is not None else None
        raise CatalogueError(path, line, f"header is not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise CatalogueError(path, file_line[0], "header must be 'key: value' lines")
    where: dict[str, int] = {}
    for key, value in node.value:
        where[str(key.value)] = file_line[key.start_mark.line]
        if key.value == "parameters" and isinstance(value, yaml.MappingNode):
            for name, _ in value.value:
                where[f"parameters.{name.value}"] = file_line[name.start_mark.line]
    return data, where


def line_of(text: str, token: Token) -> int:
    """The file line a token starts on."""
    return text.count("\n", 0, token.start) + 1


def query_variables(text: str, items: list[Token]) -> dict[str, int]:
    """The parameter variables of a query (``_policy_iri``…) with the line each first appears on."""
    found: dict[str, int] = {}
    for token in items:
        if token.kind == "var" and token.text[1:].startswith(PARAMETER_PREFIX):
            found.setdefault(token.text[1:], line_of(text, token))
    return found


def parse_variable(variable: str) -> tuple[str, str, bool]:
    """Name, type suffix and whether required, from grlc's ``_name_type`` / ``__name_type`` convention."""
    required = not variable.startswith("__")
    stem = variable.lstrip("_")
    name, _, suffix = stem.rpartition("_")
    if not name or suffix not in TYPES:
        return stem, "string", required
    return name, suffix, required


def _text(path: Path, where: Mapping[str, int], key: str, value: object) -> str:
    """A header value that must be non-empty text."""
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(path, where.get(key), f"'{key}' must be non-empty text")
    return " ".join(value.split())


def _defaults(path: Path, where: Mapping[str, int], value: object) -> dict[str, str]:
    """grlc's ``defaults``: a list of one-key mappings (``- policy: https://…``), or one mapping."""
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else None
    if items is None or not all(isinstance(item, dict) for item in items):
        raise CatalogueError(path, where.get("defaults"), "'defaults' must be a list of 'name: value' entries")
    return {str(k): str(v) for item in items for k, v in item.items()}


def parse_parameters(
    path: Path, text: str, items: list[Token], header: dict[str, object], where: dict[str, int]
) -> tuple[Parameter, ...]:
    """The typed parameters of a query: every underscore variable, documented in the header, and only those."""
    documented = header.get("parameters") or {}
    if not isinstance(documented, dict):
        raise CatalogueError(path, where.get("parameters"), "'parameters' must map each name to description/example")
    defaults = _defaults(path, where, header["defaults"]) if header.get("defaults") is not None else {}
    body_start = split_header(text)[1]
    parameters: dict[str, Parameter] = {}
    for variable, line in query_variables(text, items).items():
        name, suffix, required = parse_variable(variable)
        doc = documented.get(name)
        if not isinstance(doc, dict) or not doc.get("description") or doc.get("example") is None:
            raise CatalogueError(
                path, line, f"parameter ?{variable} needs 'parameters: {name}: description: ..., example: ...'"
            )
        if name in RESERVED:
            raise CatalogueError(path, line, f"?{variable}: the name {name!r} is reserved by the API; rename it")
        if name in parameters and parameters[name].variable != variable:
            raise CatalogueError(path, line, f"?{variable} and ?{parameters[name].variable} share the name {name!r}")
        choices = doc.get("enum") or []
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise CatalogueError(path, where.get(f"parameters.{name}"), f"{name}: 'enum' must be a list of strings")
        parameter = Parameter(
            name=name,
            variable=variable,
            type=TYPES[suffix],
            required=required and name not in defaults,
            default=defaults.get(name),
            description=" ".join(str(doc["description"]).split()),
            example=str(doc["example"]),
            choices=tuple(choices),
        )
        for label, value in (("example", parameter.example), ("default", parameter.default)):
            if value is not None:
                try:
                    parameter.term(value)
                except ParameterError as error:
                    raise CatalogueError(path, where.get(f"parameters.{name}"), f"{label}: {error}") from None
        parameters[name] = parameter
    for name in sorted((set(documented) | set(defaults)) - set(parameters)):
        line = where.get(f"parameters.{name}", where.get("defaults"))
        raise CatalogueError(
            path,
            line,
            f"parameter {name!r} is documented but the query (from line {body_start}) has no ?_{name}_... variable",
        )
    return tuple(parameters.values())


def parse_candidates(
    path: Path, items: list[Token], header: dict[str, object], where: dict[str, int], parameters: Iterable[Parameter]
) -> tuple[Candidates, ...]:
    """The header's ``candidates`` (``variable: parameter``): each a string parameter of the query, each variable
    written once as ``VALUES ?variable { UNDEF }``, where the names go."""
    declared = header.get("candidates") or {}
    line = where.get("candidates")
    if not isinstance(declared, dict):
        raise CatalogueError(path, line, "'candidates' must map a variable to the string parameter its names contain")
    strings = {p.name: p.variable for p in parameters if p.type.suffix == "string"}
    found = []
    for variable, parameter in declared.items():
        if parameter not in strings:
            raise CatalogueError(path, line, f"candidates of ?{variable}: {parameter!r} is no string parameter")
        marks = [
            items[n + 3].start
            for n in range(len(items) - 4)
            if items[n].keyword == "VALUES"
            and items[n + 1].text[1:] == variable
            and (items[n + 2].text, items[n + 3].keyword, items[n + 4].text) == ("{", UNDEF, "}")
        ]
        if len(marks) != 1:
            raise CatalogueError(path, line, f"candidates of ?{variable}: write 'VALUES ?{variable} {{ UNDEF }}' once")
        found.append(Candidates(str(variable), strings[parameter], marks[0]))
    return tuple(found)


def projection(items: list[Token], select: int) -> list[str]:
    """The variables a SELECT clause projects, in order: plain ``?x`` and the ``?x`` of ``(… AS ?x)``.

    ``select`` is the index of the SELECT token; the clause ends at its ``WHERE``, ``FROM`` or opening brace."""
    columns: list[str] = []
    depth = 0
    for index in range(select + 1, len(items)):
        token = items[index]
        if depth == 0 and (token.text == "{" or token.keyword in ("WHERE", "FROM")):
            break
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif token.kind == "var" and (depth == 0 or (items[index - 1].keyword == "AS" and depth == 1)):
            columns.append(token.text[1:])
    return list(dict.fromkeys(columns))


def select_columns(
    path: Path, text: str, items: list[Token], select: int, parameters: Iterable[Parameter]
) -> list[str]:
    """The result columns of a SELECT: named explicitly, parameter variables among them but not shown.

    pyoxigraph binds only projected variables, so each parameter variable must be projected; the API reports
    parameters on their own, so their columns are left out of the answer.
    """
    projected = projection(items, select)
    line = line_of(text, items[select])
    if not projected:
        raise CatalogueError(path, line, "SELECT must name its columns (no SELECT *): they are the API's answer")
    for parameter in parameters:
        if parameter.variable not in projected:
            raise CatalogueError(
                path,
                line,
                f"SELECT must project ?{parameter.variable}: parameters are bound "
                "as projected variables (the API leaves their columns out)",
            )
    variables = {parameter.variable for parameter in parameters}
    return [column for column in projected if column not in variables]


def form_index(items: list[Token]) -> int | None:
    """The index of the query-form keyword (SELECT, ASK, CONSTRUCT, DESCRIBE) after the prologue."""
    form = operation(items)
    return next((i for i, token in enumerate(items) if token.keyword == form), None) if form in FORMS else None


def parse_query(path: Path, text: str | None = None, *, public: bool = True) -> NamedQuery:
    """One ``.rq`` file as a NamedQuery; a malformed header is a CatalogueError naming the file and line.

    ``public`` is False for the service's own queries: they may be ASK queries and need no ``method``."""
    text = path.read_text(encoding="utf-8") if text is None else text
    name = path.stem
    if not NAME.match(name):
        raise CatalogueError(path, None, f"file name {name!r} must be kebab-case (lower-case words joined by '-')")
    header, where = read_header(path, text)
    unknown = sorted(set(header) - HEADER_KEYS)
    if unknown:
        raise CatalogueError(
            path, where[unknown[0]], f"unknown header key {unknown[0]!r}; known keys: {', '.join(sorted(HEADER_KEYS))}"
        )
    for key in REQUIRED_KEYS if public else INTERNAL_REQUIRED_KEYS:
        if key not in header:
            raise CatalogueError(path, 1, f"header lacks '#+ {key}: ...'")
    title = _text(path, where, "summary", header["summary"])
    description = _text(path, where, "description", header["description"])
    method = _text(path, where, "method", header.get("method", "GET")).upper()
    if method not in METHODS:
        raise CatalogueError(path, where["method"], f"method {method!r} is not supported; use GET")
    tags = header.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
        raise CatalogueError(path, where.get("tags"), "'tags' must be a list of words ('#+   - lineage')")
    items = tokens(text)
    select = form_index(items)
    if select is None:
        raise CatalogueError(path, None, "no SELECT, ASK, CONSTRUCT or DESCRIBE in the query")
    form = items[select].keyword
    if form == "ASK" and public:
        line = line_of(text, items[select])
        raise CatalogueError(path, line, "an ASK answers no table or graph: write the question as a SELECT")
    parameters = parse_parameters(path, text, items, header, where)
    columns = select_columns(path, text, items, select, parameters) if form == "SELECT" else []
    candidates = parse_candidates(path, items, header, where, parameters)
    return NamedQuery(
        name=name,
        title=title,
        description=description,
        method=method,
        tags=tuple(tags),
        parameters=parameters,
        sparql=text,
        form=form,
        columns=tuple(columns),
        path=path,
        public=public,
        candidates=candidates,
    )


def load_catalogue(paths: Iterable[Path], *, public: bool = True) -> dict[str, NamedQuery]:
    """Queries by name, in file order."""
    return {query.name: query for query in (parse_query(path, public=public) for path in paths)}


@cache
def catalogue() -> dict[str, NamedQuery]:
    """The repository's named queries, the public API (read once per process)."""
    return load_catalogue(asset_files("queries", "*.rq"))


@cache
def internal_catalogue() -> dict[str, NamedQuery]:
    """The service's own queries from ``klynge/sparql/*.rq`` (read once per process); never routed."""
    return load_catalogue(sorted(INTERNAL_DIR.glob("*.rq")), public=False)


@cache
def with_candidates() -> dict[str, NamedQuery]:
    """The queries, public or the service's own, that declare ``candidates``, by their text (an engine
    recognises one by the text it is asked to run)."""
    every = [*catalogue().values(), *internal_catalogue().values()]
    return {query.sparql: query for query in every if query.candidates}


def internal(name: str) -> NamedQuery:
    """One of the service's own queries by file name; a missing file fails loudly at import time."""
    try:
        return internal_catalogue()[name]
    except KeyError:
        raise LookupError(f"no query {INTERNAL_DIR / (name + '.rq')}: the service's own queries live there") from None
