"""The named-query catalogue: header parsing, typed parameters, and refusal of anything that is not a clean value."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.catalogue import (
    INTERNAL_DIR,
    CatalogueError,
    ParameterError,
    catalogue,
    internal,
    internal_catalogue,
    parse_query,
)
from klynge.graph.build import build_store
from klynge.resources import asset_dir

XSD = "http://www.w3.org/2001/XMLSchema#"

GOOD = """\
#+ summary: Things of a kind
#+ description: >
#+   Every thing of a kind,
#+   with its label.
#+ method: GET
#+ tags:
#+   - demo
#+   - lineage
#+ defaults:
#+   - year: 2021
#+ parameters:
#+   kind:
#+     description: The kind.
#+     example: https://w3id.org/klynge/ontology#Policy
#+   year:
#+     description: A year.
#+     example: 2020
#+   since:
#+     description: Optional start year.
#+     example: 1998
#+   text:
#+     description: Text.
#+     example: cluster
#+   name:
#+     description: A tagged name.
#+     example: Vækstforum@da

PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?_kind_iri ?_year_integer ?__since_year ?__text_string ?__name_lang ?thing (STR(?l) AS ?label) WHERE {
  ?thing a ?_kind_iri ; rdfs:label ?l .
  # ?_not_a_parameter in a comment, "?_nor_in_a_string", <http://example.org/?_nor_in_an_iri>
}
"""


def write(tmp_path: Path, text: str, name: str = "things-of-a-kind") -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def query(tmp_path):
    return parse_query(write(tmp_path, GOOD))


def test_header_fields(query):
    assert query.name == "things-of-a-kind"
    assert query.title == "Things of a kind"
    assert query.description == "Every thing of a kind, with its label."
    assert query.method == "GET"
    assert query.tags == ("demo", "lineage")
    assert query.form == "SELECT"
    assert query.columns == ("thing", "label")


def test_parameters_typed_from_grlc_names(query):
    by_name = {p.name: p for p in query.parameters}
    assert list(by_name) == ["kind", "year", "since", "text", "name"]
    assert {name: p.type.suffix for name, p in by_name.items()} == {
        "kind": "iri", "year": "integer", "since": "year", "text": "string", "name": "lang",
    }  # fmt: skip
    assert by_name["kind"].required and by_name["kind"].variable == "_kind_iri"
    assert not by_name["year"].required and by_name["year"].default == "2021"  # a default makes it optional
    assert not by_name["since"].required and by_name["since"].variable == "__since_year"
    assert by_name["kind"].description == "The kind."
    assert by_name["name"].example == "Vækstforum@da"


def test_bindings_convert_each_type(query):
    terms = query.bindings(
        {
            "kind": "https://w3id.org/klynge/ontology#Policy",
            "year": "2019",
            "since": "1998",
            "text": "netværk",
            "name": "Vækstforum@da",
        }
    )
    assert terms == {
        "_kind_iri": ox.NamedNode("https://w3id.org/klynge/ontology#Policy"),
        "_year_integer": ox.Literal("2019", datatype=ox.NamedNode(XSD + "integer")),
        "__since_year": ox.Literal("1998", datatype=ox.NamedNode(XSD + "gYear")),
        "__text_string": ox.Literal("netværk"),
        "__name_lang": ox.Literal("Vækstforum", language="da"),
    }


def test_defaults_fill_in_and_optional_parameters_stay_unbound(query):
    terms = query.bindings({"kind": "http://example.org/Kind"})
    assert set(terms) == {"_kind_iri", "_year_integer"}
    assert terms["_year_integer"].value == "2021"


def test_integer_normalised(query):
    assert query.bindings({"kind": "http://x.org/k", "year": "+007"})["_year_integer"].value == "7"
    assert query.bindings({"kind": "http://x.org/k", "year": "-3"})["_year_integer"].value == "-3"


def test_missing_required_parameter(query):
    with pytest.raises(ParameterError) as caught:
        query.bindings({})
    assert caught.value.parameter == "kind"
    assert "required" in str(caught.value) and "https://w3id.org/klynge/ontology#Policy" in str(caught.value)


def test_unknown_parameter_names_the_known_ones(query):
    with pytest.raises(ParameterError, match="takes no such parameter.*kind, name, since, text, year"):
        query.bindings({"kind": "http://x.org/k", "knid": "http://x.org/k"})


INJECTIONS = [
    "<x> } ; DROP ALL #",
    '"> ?s ?p ?o',
    "http://x.org/a> ?s ?p ?o . <http://x.org/b",
    "http://x.org/a b",
    'http://x.org/"quoted"',
    "http://x.org/a}",
    "http://x.org/a\\u003E",
    "http://x.org/\nDROP ALL",
    "http://x.org/a\tb",
    "javascript:alert(1)",
    "urn:isbn:123",
    "/id/policy/relative",
    "policy/innovationskraft-2021-2024",
    "",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_iri_rejects_what_is_not_a_clean_absolute_http_iri(query, value):
    with pytest.raises(ParameterError) as caught:
        query.bindings({"kind": value})
    message = str(caught.value)
    assert caught.value.parameter == "kind"
    assert "kind" in message and "not a valid IRI" in message
    assert "https://w3id.org/klynge/ontology#Policy" in message  # an example of a good value


@pytest.mark.parametrize("value", ["12a", "1e3", "1.0", " 12", "12 ", "0x1F", "١٢", "", "2021; DROP ALL", "9" * 19])
def test_integer_rejects_anything_but_digits(query, value):
    with pytest.raises(ParameterError, match="'year'.*not a valid integer.*whole number.*'2020'"):
        query.bindings({"kind": "http://x.org/k", "year": value})


@pytest.mark.parametrize("value", ["99", "20199", "2019-01", "year", "２０１９"])
def test_year_needs_four_digits(query, value):
    with pytest.raises(ParameterError, match="'since'.*four digits.*'1998'"):
        query.bindings({"kind": "http://x.org/k", "since": value})


@pytest.mark.parametrize("value", ["Vækstforum", "@da", "Vækstforum@", "Vækstforum@d a", 'x@da" . ?s ?p ?o #'])
def test_language_tagged_needs_text_at_tag(query, value):
    with pytest.raises(ParameterError, match="'name'.*language-tagged"):
        query.bindings({"kind": "http://x.org/k", "name": value})


def test_language_tag_after_last_at(query):
    term = query.bindings({"kind": "http://x.org/k", "name": "a@b.dk@en-GB"})["__name_lang"]
    assert term == ox.Literal("a@b.dk", language="en-gb")


@pytest.mark.parametrize("value", ["a\x00b", "line\nbreak", "bell\x07", "del\x7f", "c1\x85"])
def test_control_characters_rejected_in_every_type(query, value):
    with pytest.raises(ParameterError, match="control character"):
        query.bindings({"kind": "http://x.org/k", "text": value})


def test_string_with_quotes_is_just_text(query):
    """Quotes and braces in a string are its content: the term is bound, never pasted, so nothing escapes."""
    value = '"> } ; DROP ALL # ?s ?p ?o'
    assert query.bindings({"kind": "http://x.org/k", "text": value})["__text_string"] == ox.Literal(value)


def test_bound_string_runs_as_a_value(query):
    """The hostile string is bound by substitution: the query runs and matches it literally."""
    store = ox.Store()
    thing, kind = ox.NamedNode("http://x.org/t"), ox.NamedNode("http://x.org/k")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.add(ox.Quad(thing, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), kind))
    store.add(ox.Quad(thing, label, ox.Literal("x")))
    terms = query.bindings({"kind": kind.value, "text": "} ; DROP ALL #"})
    rows = list(store.query(query.sparql, substitutions={ox.Variable(k): v for k, v in terms.items()}))
    assert [row["thing"] for row in rows] == [thing]
    assert len(store) == 2


# --- malformed files -------------------------------------------------------------------------------------------


def header_error(tmp_path: Path, text: str, name: str = "bad-query") -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        parse_query(write(tmp_path, text, name))
    return caught.value


def test_invalid_yaml_names_file_and_line(tmp_path):
    error = header_error(tmp_path, "#+ summary: A\n#+ description: B\n#+ tags: [unclosed\n#+ method: GET\nASK {}\n")
    assert error.path.name == "bad-query.rq" and error.line in (3, 4)
    assert str(error).startswith(f"{error.path}:{error.line}: header is not valid YAML")


def test_missing_header(tmp_path):
    error = header_error(tmp_path, "SELECT ?x WHERE { ?x ?p ?o }\n")
    assert error.line == 1 and "no header" in str(error)


def test_missing_summary(tmp_path):
    assert "lacks '#+ summary" in str(header_error(tmp_path, "#+ description: B\n#+ method: GET\nASK {}\n"))


def test_unknown_key_named_with_its_line(tmp_path):
    error = header_error(tmp_path, "#+ summary: A\n#+ description: B\n#+ method: GET\n#+ summery: C\nASK {}\n")
    assert error.line == 4 and "unknown header key 'summery'" in str(error)


def test_method_must_be_get(tmp_path):
    error = header_error(tmp_path, "#+ summary: A\n#+ description: B\n#+ method: POST\nASK {}\n")
    assert error.line == 3 and "use GET" in str(error)


def test_empty_summary(tmp_path):
    error = header_error(tmp_path, "#+ summary:\n#+ description: B\n#+ method: GET\nASK {}\n")
    assert error.line == 1 and "'summary' must be non-empty text" in str(error)


def test_tags_must_be_a_list(tmp_path):
    error = header_error(tmp_path, "#+ summary: A\n#+ description: B\n#+ method: GET\n#+ tags: 3\nASK {}\n")
    assert error.line == 4 and "'tags' must be a list" in str(error)


HEAD = "#+ summary: A\n#+ description: B\n#+ method: GET\n"


def test_undocumented_parameter_named_with_its_query_line(tmp_path):
    error = header_error(tmp_path, HEAD + "\nSELECT ?_thing_iri ?p\nWHERE { ?_thing_iri ?p ?o }\n")
    assert error.line == 5 and "?_thing_iri needs 'parameters: thing: description" in str(error)


def test_documented_parameter_missing_from_query(tmp_path):
    text = HEAD + "#+ parameters:\n#+   ghost:\n#+     description: D\n#+     example: 1\nSELECT ?s WHERE {}\n"
    error = header_error(tmp_path, text)
    assert error.line == 5 and "'ghost' is documented but the query" in str(error)


def test_parameter_must_be_projected(tmp_path):
    text = (HEAD + "#+ parameters:\n#+   thing:\n#+     description: D\n#+     example: http://x.org/a\n"
            "SELECT ?p\nWHERE { ?_thing_iri ?p ?o }\n")  # fmt: skip
    error = header_error(tmp_path, text)
    assert error.line == 8 and "must project ?_thing_iri" in str(error)


def test_select_star_refused(tmp_path):
    assert "no SELECT *" in str(header_error(tmp_path, HEAD + "SELECT * WHERE { ?s ?p ?o }\n"))


def test_bad_example_is_a_header_error(tmp_path):
    text = HEAD + "#+ parameters:\n#+   thing:\n#+     description: D\n#+     example: not an iri\nDESCRIBE ?_thing_iri"
    error = header_error(tmp_path, text)
    assert error.line == 5 and "example: parameter 'thing'" in str(error)


def test_bad_default_is_a_header_error(tmp_path):
    text = (HEAD + "#+ defaults:\n#+   - year: soon\n#+ parameters:\n#+   year:\n#+     description: D\n"
            "#+     example: 2020\nSELECT ?_year_integer ?s WHERE { ?s ?p ?_year_integer }\n")  # fmt: skip
    assert "default: parameter 'year'" in str(header_error(tmp_path, text))


def test_reserved_parameter_name(tmp_path):
    text = HEAD + "#+ parameters:\n#+   format:\n#+     description: D\n#+     example: x\nDESCRIBE ?_format_string\n"
    assert "reserved" in str(header_error(tmp_path, text))


def test_ask_refused(tmp_path):
    error = header_error(tmp_path, HEAD + "\nASK { ?s ?p ?o }\n")
    assert error.line == 5 and "write the question as a SELECT" in str(error)


def test_file_name_must_be_kebab_case(tmp_path):
    assert "kebab-case" in str(header_error(tmp_path, HEAD + "ASK {}\n", name="Bad_Name"))


def test_no_query_form(tmp_path):
    assert "no SELECT, ASK, CONSTRUCT or DESCRIBE" in str(header_error(tmp_path, HEAD + "# SELECT in a comment\n"))


# --- the repository's catalogue -------------------------------------------------------------------------------


def test_repository_catalogue_is_every_documented_file_in_queries():
    queries = catalogue()
    assert sorted(queries) == sorted(path.stem for path in asset_dir("queries").glob("*.rq"))
    for query in queries.values():
        assert query.title and query.description and query.method == "GET" and query.tags, query.name
        for parameter in query.parameters:
            assert parameter.description and parameter.example, (query.name, parameter.name)
            parameter.term(parameter.example)


# --- how the projection is read (the guard's tokens, not patterns over the text) ------------------------------


@pytest.mark.parametrize(
    ("select", "columns"),
    [
        ("SELECT ?a ?b WHERE { ?a ?p ?b }", ["a", "b"]),
        ("select distinct ?a (COUNT(?b) AS ?n) ?c { ?a ?b ?c }", ["a", "n", "c"]),
        ('SELECT (CONCAT("?x (", STR(?y)) AS ?z) WHERE { ?y ?p ?o }', ["z"]),
        ("SELECT ?a # ?commented\n ?b FROM <http://example.org/?c> WHERE { ?a ?p ?b }", ["a", "b"]),
        ("SELECT ?a WHERE { { SELECT ?a ?hidden WHERE { ?a ?p ?hidden } } }", ["a"]),
        ("SELECT (COALESCE(?a, (?b + 1)) AS ?v) WHERE { ?a ?p ?b }", ["v"]),
    ],
)
def test_projection_is_read_from_tokens(tmp_path, select, columns):
    assert list(parse_query(write(tmp_path, HEAD + select + "\n")).columns) == columns


# --- the service's own queries (klynge/sparql/*.rq) ------------------------------------------------------------


def test_service_queries_stay_out_of_the_public_catalogue():
    own = internal_catalogue()
    assert sorted(own) == sorted(path.stem for path in INTERNAL_DIR.glob("*.rq")) and own
    assert not set(own) & set(catalogue())
    assert not any(query.public for query in own.values()) and all(query.public for query in catalogue().values())


def test_every_service_query_runs_with_its_examples():
    """Each file parses and runs on the published graph (its rows are checked where the code uses it)."""
    store = build_store()
    for query in internal_catalogue().values():
        terms = {p.variable: p.term(p.example) for p in query.parameters}
        subs = {ox.Variable(name): term for name, term in terms.items()}
        store.query(query.sparql, substitutions=subs, use_default_graph_as_union=True)


def test_a_service_query_may_ask_and_needs_no_method(tmp_path):
    text = """#+ summary: Is it there
#+ description: Whether the resource is stated anywhere.
#+ parameters:
#+   resource:
#+     description: The resource.
#+     example: https://w3id.org/klynge/id/x
ASK { ?_resource_iri ?p ?o }
"""
    query = parse_query(write(tmp_path, text, "is-stated"), public=False)
    assert query.form == "ASK" and not query.public
    with pytest.raises(CatalogueError, match="method"):
        parse_query(write(tmp_path, text, "is-stated"))


def test_binding_terms_checks_their_type(tmp_path):
    query = parse_query(write(tmp_path, GOOD))
    kind = ox.NamedNode("https://w3id.org/klynge/ontology#Policy")
    year = ox.Literal("2020", datatype=ox.NamedNode(XSD + "integer"))
    assert query.bind(kind=kind, year=year, since=None) == {"_kind_iri": kind, "_year_integer": year}
    with pytest.raises(ParameterError, match="not of its type"):
        query.bind(kind=ox.Literal("Policy"), year=year)
    with pytest.raises(ParameterError, match="no such parameter"):
        query.bind(kind=kind, year=year, colour=kind)
    with pytest.raises(ParameterError, match="requires it"):
        query.bind(year=year)


def test_a_missing_service_query_names_the_file():
    with pytest.raises(LookupError, match="no-such-query.rq"):
        internal("no-such-query")


NAMED = HEAD + "#+ parameters:\n#+   text:\n#+     description: D\n#+     example: x\n"
CONTAINS = "FILTER(CONTAINS(LCASE(STR(?name)), LCASE(STR(?_text_string)))) }\n"


def test_candidates_are_where_the_query_leaves_them_free(tmp_path):
    text = (
        NAMED
        + "#+ candidates:\n#+   name: text\nSELECT ?_text_string ?name WHERE { VALUES ?name { UNDEF } ?s ?p ?name "
    )
    query = parse_query(write(tmp_path, text + CONTAINS))
    (candidates,) = query.candidates
    assert (candidates.variable, candidates.parameter) == ("name", "_text_string")
    listed = candidates.listed(query.sparql, ['"a"@en', '"b"'])
    assert 'VALUES ?name { "a"@en "b" }' in listed and listed.replace('"a"@en "b"', "UNDEF") == query.sparql


@pytest.mark.parametrize(
    ("candidates", "where", "problem"),
    [
        ("#+ candidates: [name]\n", "VALUES ?name { UNDEF }", "must map a variable"),
        ("#+ candidates:\n#+   name: other\n", "VALUES ?name { UNDEF }", "'other' is no string parameter"),
        ("#+ candidates:\n#+   name: text\n", "", "write 'VALUES ?name { UNDEF }' once"),
        ("#+ candidates:\n#+   name: text\n", "VALUES ?name { UNDEF } VALUES ?name { UNDEF }", "once"),
        ("#+ candidates:\n#+   name: text\n", 'VALUES ?name { "x" }', "write 'VALUES ?name { UNDEF }' once"),
    ],
)
def test_candidates_must_name_a_string_parameter_and_their_place(tmp_path, candidates, where, problem):
    text = NAMED + candidates + f"SELECT ?_text_string ?name WHERE {{ {where} ?s ?p ?name " + CONTAINS
    error = header_error(tmp_path, text)
    assert error.line == 8 and problem in str(error)
