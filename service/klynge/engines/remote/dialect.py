"""What one kind of store does differently from the SPARQL 1.1 Protocol, in one place per store.

A ``Dialect`` has three kinds of hook, so that a store is one subclass here and a line in ``DETECTED``:

- requests: how the dataset travels (``restrict``: protocol fields, or ``FROM``/``FROM NAMED`` in the text
  for a store that reads no ``default-graph-uri``), the HTTP method and headers;
- answers: whether an answer is complete, whether a failure means the store refused to start a query it
  judged too slow, and how to read the terms it wrote;
- loading: which quads the store must hold for its requests (``stored_quads``: Virtuoso also gets the merge
  of the graphs as one graph, which it plans well) and how they get there (``loads_by_update``, else the
  store's own loader on an N-Quads file: ``bulk_load``).

``SPARQL11`` assumes nothing beyond the standards (Fuseki and GraphDB are expected to need nothing more;
neither is exercised by the tests). ``Virtuoso`` is checked against a real Virtuoso 7 in the tests; ``QLever``
only against a loopback server that checks the HTTP it receives (no QLever runs here). The dialect is chosen
from the store's ``Server`` header on its first answer unless the engine is given one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from klynge.engines.remote.http import Answer, EndpointError
from klynge.engines.remote.standard import NO_GRAPH, Extensions, Restriction
from klynge.rdf.namespaces import KG, XSD_BOOLEAN
from klynge.rdf.sparql_lexer import Token, tokens

# Stores the service reads as plain SPARQL 1.1, and what they add. Jena (Fuseki): ``java:`` loads a class by
# name, ARQ's property functions (``apf:``, ``text:``) run code per pattern. GraphDB: its plugins' predicates.
JENA = Extensions(
    "Jena",
    prefixes=frozenset({"afn", "apf", "jfn", "list", "spatial", "text"}),
    iris=("java:", "http://jena.apache.org/", "http://jena.hpl.hp.com/", "http://www.w3.org/2005/xpath-functions"),
)
GRAPHDB = Extensions(
    "GraphDB", iris=("http://www.ontotext.com/", "http://rdf4j.org/schema/", "http://www.openrdf.org/")
)
# The graph Virtuoso's loading adds: the merge of the served graphs, which is the default graph it is sent.
# The fragment keeps it apart from the graphs of source files (``kg:{file stem}``), which have none.
UNION_GRAPH = KG["union#default-graph"].value


@dataclass(frozen=True)
class Sent:
    """A query as it goes over the wire: its text, the protocol's fields beside it, the HTTP method."""

    text: str
    fields: tuple[tuple[str, str], ...] = ()
    method: str = "POST"


def protocol_fields(default: Sequence[str], named: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The dataset as ``default-graph-uri``/``named-graph-uri`` fields, always both (a graph no store holds
    where a list is empty, so a store cannot fill it in with all its graphs)."""
    return tuple(
        [("default-graph-uri", g) for g in default or [NO_GRAPH]]
        + [("named-graph-uri", g) for g in named or [NO_GRAPH]]
    )


class Dialect:
    """A store that keeps to the standards: every answer complete, every term as SPARQL writes it."""

    name = "SPARQL 1.1"
    extensions: tuple[Extensions, ...] = (JENA, GRAPHDB)  # what stores read as SPARQL 1.1 add
    method = "POST"  # form-encoded: a long query fits, and no proxy logs it in a URL
    union_graph: str | None = None  # a graph the loading fills with the merge of the served graphs
    loads_by_update = True  # ``klynge load --sparql-endpoint`` sends SPARQL Update

    # -- requests ------------------------------------------------------------------------------------------

    def restrict(self, query: str, restriction: Restriction, merged: str | None = None) -> Sent:
        """The query and the fields that give the store exactly the restriction's dataset.

        ``merged`` names a graph the store holds that is the merge of the restriction's default graphs (the
        engine passes ``union_graph`` once it has checked the counts agree)."""
        default = [merged] if merged is not None else list(restriction.default)
        return Sent(query, protocol_fields(default, restriction.named), self.method)

    def headers(self, accept: str) -> dict[str, str]:
        """The request's headers for an answer in ``accept``."""
        return {"Accept": accept}

    # -- answers -------------------------------------------------------------------------------------------

    def stopped(self, answer: Answer) -> bool:
        """Whether the store stopped the query at its own time limit and sent what it had."""
        return False

    def truncated(self, answer: Answer) -> str | None:
        """The row limit the store cut the answer at, if it did."""
        return None

    def declined(self, error: EndpointError) -> bool:
        """Whether a failure is the store refusing to start a query it expects to run too long."""
        return False

    def term(self, term: ox.Term) -> ox.Term:
        """A term as the embedded store would write it."""
        return term

    def terms_to_fix(self, body: bytes) -> bool:
        """Whether ``term`` may change a term of this RDF answer (else its triples are read as they are)."""
        return False

    def results(self, body: bytes) -> bytes:
        """SPARQL JSON results with each term as the embedded store would write it."""
        return body

    # -- loading -------------------------------------------------------------------------------------------

    def stored_quads(self, quads: Sequence[ox.Quad], one_graph: bool = False) -> Iterator[ox.Quad]:
        """The quads the store must hold to serve the published ones: those, plus the union graph if the
        dialect has one (not when everything is in one graph already)."""
        yield from quads
        if self.union_graph is not None and not one_graph:
            union = ox.NamedNode(self.union_graph)
            merged = dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads)
            yield from (ox.Quad(t.subject, t.predicate, t.object, union) for t in merged)

    def bulk_load(self, nquads: Path, address: str | None = None) -> list[str]:
        """The command that loads an N-Quads file with the store's own loader, connecting to ``address`` where
        the loader connects at all (none: load by SPARQL Update)."""
        return []


XSD_BOOLEAN_BYTES = XSD_BOOLEAN.value.encode()
# A "0" or "1" typed as a boolean, its datatype written out or prefixed, in N-Triples or Turtle (a string that
# merely holds such text matches too, and is read the slow way, where ``term`` decides exactly).
STORED_BOOLEAN = re.compile(rb'"[01]"\^\^\S*boolean\b')


class Virtuoso(Dialect):
    """Virtuoso 7: anytime answers (X-SQL-State S1TAT), a row cap (X-SPARQL-MaxRows), a cost estimate it
    refuses to exceed, stored booleans written as "0"/"1" (equal values, unequal terms), and a planner that
    is fast on one default graph but 5-16x slower on scans on a list of them (docs/remote-stores.md): its loading adds
    the merge of the served graphs as ``UNION_GRAPH``, which is then the one default graph sent, and a query
    without ``GRAPH`` is sent no named graphs (it cannot read them, and the list slows some joins 2x)."""

    name = "Virtuoso"
    union_graph = UNION_GRAPH
    # DEFINE pragmas (graphs, sponging), OPTION (TRANSITIVE …), the bif:/sql: built-ins (bif:http_get fetches
    # any URL from the store's host) and OpenLink's own function namespaces.
    extensions = (
        Extensions(
            "Virtuoso",
            frozenset({"DEFINE", "OPTION", "TRANSITIVE", "T_IN", "T_OUT", "T_DISTINCT", "T_MIN", "T_MAX", "T_STEP"}),
            frozenset({"bif", "sql", "virtrdf", "virtcxml", "go"}),
            ("bif:", "sql:", "http://www.openlinksw.com/"),
        ),
        *Dialect.extensions,
    )

    def restrict(self, query: str, restriction: Restriction, merged: str | None = None) -> Sent:
        default = [merged] if merged is not None else list(restriction.default)
        named = list(restriction.named) if restriction.reads_named else []
        return Sent(query, protocol_fields(default, named), self.method)

    def stopped(self, answer: Answer) -> bool:
        return answer.headers.get("x-sql-state") == "S1TAT"

    def truncated(self, answer: Answer) -> str | None:
        return answer.headers.get("x-sparql-maxrows")

    def declined(self, error: EndpointError) -> bool:
        return "estimated execution time" in str(error)

    def term(self, term: ox.Term) -> ox.Term:
        if isinstance(term, ox.Literal) and term.datatype == XSD_BOOLEAN and term.value in ("0", "1"):
            return ox.Literal(term.value == "1")
        return term

    def terms_to_fix(self, body: bytes) -> bool:
        return STORED_BOOLEAN.search(body) is not None

    def results(self, body: bytes) -> bytes:
        if XSD_BOOLEAN_BYTES not in body:
            return body
        data = json.loads(body)
        for row in data.get("results", {}).get("bindings", []):
            for cell in row.values():
                if cell.get("datatype") == XSD_BOOLEAN.value and cell.get("value") in ("0", "1"):
                    cell["value"] = "true" if cell["value"] == "1" else "false"
        return json.dumps(data).encode()

    def bulk_load(self, nquads: Path, address: str | None = None) -> list[str]:
        """The bulk loader through isql (default 127.0.0.1:1111, as dba: give the password isql asks for; the
        file's folder must be in ``DirsAllowed``); the graphs come from the quads."""
        statement = f"ld_dir('{nquads.parent}', '{nquads.name}', 'urn:default'); rdf_loader_run(); checkpoint;"
        return ["isql-vt", address or "127.0.0.1:1111", "dba", "dba", f"exec={statement}"]


class QLever(Dialect):
    """QLever: the dataset written into the query as ``FROM``/``FROM NAMED`` (QLever answered "Not supported:
    default-graph-uri parameter" to the protocol's fields, ad-freiburg/qlever#1712, and its default graph
    without ``FROM`` is the union of all its graphs), and loading by its index builder from N-Quads: no
    SPARQL Update. Checked against a loopback server that checks the HTTP it receives, not a QLever."""

    name = "QLever"
    loads_by_update = False

    def restrict(self, query: str, restriction: Restriction, merged: str | None = None) -> Sent:
        clauses = [f"FROM <{g}>" for g in restriction.default or [NO_GRAPH]]
        clauses += [f"FROM NAMED <{g}>" for g in restriction.named or [NO_GRAPH]]
        return Sent(with_dataset_clauses(query, clauses), (), self.method)

    def bulk_load(self, nquads: Path, address: str | None = None) -> list[str]:
        """QLever's index builder on the N-Quads (then ``ServerMain -i klynge -p PORT`` serves the index)."""
        return ["IndexBuilderMain", "-i", "klynge", "-F", "nq", "-f", str(nquads)]


def with_dataset_clauses(query: str, clauses: Iterable[str]) -> str:
    """The query with its own ``FROM``/``FROM NAMED`` clauses replaced by ``clauses``, which go where SPARQL
    puts a dataset: before the WHERE group (after a CONSTRUCT template), or at the end of a DESCRIBE that has
    none. A malformed query is left for the store's parser to reject."""
    items = tokens(query)
    removed: list[tuple[int, int]] = []
    depth, insert_at, seen_form, in_template = 0, None, False, False
    index = 0
    while index < len(items):
        token = items[index]
        if token.keyword in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") and depth == 0:
            seen_form = True
            in_template = token.keyword == "CONSTRUCT" and index + 1 < len(items) and items[index + 1].text == "{"
        elif token.keyword == "FROM" and depth == 0:
            last = index + 2 if index + 1 < len(items) and items[index + 1].keyword == "NAMED" else index + 1
            if last < len(items):
                removed.append((token.start, end_of(items[last])))
                index = last
        elif seen_form and depth == 0 and insert_at is None and (token.keyword == "WHERE" or token.text == "{"):
            if in_template:  # the CONSTRUCT template's braces: the dataset comes after them
                in_template = False
            else:
                insert_at = token.start
        elif seen_form and depth == 0 and insert_at is None and token.keyword in ("ORDER", "LIMIT", "OFFSET"):
            insert_at = token.start  # DESCRIBE <x> with no WHERE group: before its modifiers
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        index += 1
    if insert_at is None:
        insert_at = len(query.rstrip())
    edits = sorted([*((start, end, "") for start, end in removed), (insert_at, insert_at, " ".join(clauses) + " ")])
    pieces, last_end = [], 0
    for start, end, text in edits:
        pieces += [query[last_end:start], text]
        last_end = end
    return "".join(pieces) + query[last_end:]


def end_of(token: Token) -> int:
    return token.start + len(token.text)


SPARQL11 = Dialect()
VIRTUOSO = Virtuoso()
QLEVER = QLever()
# A word in the store's Server header -> its dialect; any other store gets SPARQL11. (QLever is not detected:
# no QLever's headers were seen here, so it is named with ``--dialect qlever``.)
DETECTED = {"virtuoso": VIRTUOSO}
BY_NAME = {"sparql11": SPARQL11, "virtuoso": VIRTUOSO, "qlever": QLEVER}
# The union graphs dialects load: never a served graph of their own, whichever dialect reads the store.
UNIONS = frozenset(d.union_graph for d in BY_NAME.values() if d.union_graph is not None)
# Every known store's extensions are refused whichever store answers: a proxy may hide the Server header.
EXTENSIONS = tuple({e.store: e for d in (SPARQL11, *BY_NAME.values()) for e in d.extensions}.values())


def detect(server: str) -> Dialect:
    """The dialect for a store by its Server header."""
    lowered = server.lower()
    return next((dialect for word, dialect in DETECTED.items() if word in lowered), SPARQL11)
