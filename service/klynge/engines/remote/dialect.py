"""What one kind of store does differently from the SPARQL 1.1 Protocol, in one place per store.

The engine asks its dialect whether an answer is complete, whether a failure means the store refused to
start a query it judged too slow, and how to read the terms it wrote. ``SPARQL11`` assumes nothing beyond the
standards (Fuseki and GraphDB are expected to need nothing more; neither is exercised by the tests). A store
whose answers differ gets a subclass here and a line in ``DETECTED``. A dialect covers answers only: a store
that needs other request parameters or another loader (QLever takes no ``default-graph-uri`` and no SPARQL
Update) needs changes in ``RemoteEngine.parameters`` and ``klynge.engines.load`` too. The dialect is chosen
from the store's ``Server`` header on its first answer unless the engine is given one.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from klynge.engines.remote.http import Answer, EndpointError
from klynge.engines.remote.standard import Extensions
from klynge.rdf.namespaces import XSD_BOOLEAN

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


class Dialect:
    """A store that keeps to the standards: every answer complete, every term as SPARQL writes it."""

    name = "SPARQL 1.1"
    extensions: tuple[Extensions, ...] = (JENA, GRAPHDB)  # what stores read as SPARQL 1.1 add

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

    def results(self, body: bytes) -> bytes:
        """SPARQL JSON results with each term as the embedded store would write it."""
        return body


XSD_BOOLEAN_BYTES = XSD_BOOLEAN.value.encode()


class Virtuoso(Dialect):
    """Virtuoso 7: anytime answers (X-SQL-State S1TAT), a row cap (X-SPARQL-MaxRows), a cost estimate it
    refuses to exceed, and stored booleans written as "0"/"1" (equal values, unequal terms)."""

    name = "Virtuoso"
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

    def results(self, body: bytes) -> bytes:
        if XSD_BOOLEAN_BYTES not in body:
            return body
        data = json.loads(body)
        for row in data.get("results", {}).get("bindings", []):
            for cell in row.values():
                if cell.get("datatype") == XSD_BOOLEAN.value and cell.get("value") in ("0", "1"):
                    cell["value"] = "true" if cell["value"] == "1" else "false"
        return json.dumps(data).encode()


SPARQL11 = Dialect()
VIRTUOSO = Virtuoso()
# A word in the store's Server header -> its dialect; any other store gets SPARQL11.
DETECTED = {"virtuoso": VIRTUOSO}
# Every known store's extensions are refused whichever store answers: a proxy may hide the Server header.
EXTENSIONS = tuple({e.store: e for d in (SPARQL11, *DETECTED.values()) for e in d.extensions}.values())


def detect(server: str) -> Dialect:
    """The dialect for a store by its Server header."""
    lowered = server.lower()
    return next((dialect for word, dialect in DETECTED.items() if word in lowered), SPARQL11)
