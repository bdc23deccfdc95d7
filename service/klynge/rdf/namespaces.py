"""The vocabularies klynge speaks: one table of prefix -> namespace IRI, and the terms the code names.

Every prefix table reads ``PREFIXES`` (dumps, RDF responses, validation reports, the editor, the tests), so a
prefix is added once and means the same everywhere. Namespace IRIs written elsewhere in the package fail
``tests/test_namespace_literals.py``, except in the modules its allow-list names with a reason.
``KLYNGE.Programme`` or ``SCHEMA["startDate"]`` gives a pyoxigraph ``NamedNode``; ``str(KLYNGE)`` the
namespace IRI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

KLYNGE_BASE = "https://w3id.org/klynge/"

PREFIXES: dict[str, str] = {
    "klynge": KLYNGE_BASE + "ontology#",
    "kid": KLYNGE_BASE + "id/",
    "ksh": KLYNGE_BASE + "shapes#",
    "kg": KLYNGE_BASE + "graph/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "org": "http://www.w3.org/ns/org#",
    "rov": "http://www.w3.org/ns/regorg#",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "http://schema.org/",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "qb": "http://purl.org/linked-data/cube#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "vann": "http://purl.org/vocab/vann/",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "formats": "http://www.w3.org/ns/formats/",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
}


def curie(iri: str) -> str:
    """The IRI as a prefixed name where one of the project's namespaces covers it, else in angle brackets.

    >>> curie(KLYNGE.Policy.value), curie("http://example.org/x")
    ('klynge:Policy', '<http://example.org/x>')
    """
    for name, namespace in PREFIXES.items():
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "_-" for c in local):
            return f"{name}:{local}"
    return f"<{iri}>"


def expand(name: str) -> str | None:
    """The IRI of a prefixed name written as ``curie`` writes it (or of ``<iri>``); None if it is neither.

    >>> expand("klynge:Policy") == KLYNGE.Policy.value, expand("<http://example.org/x>"), expand("nope:x")
    (True, 'http://example.org/x', None)
    """
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, colon, local = name.partition(":")
    if not colon or prefix not in PREFIXES or not local or not all(c.isalnum() or c in "_-" for c in local):
        return None
    return PREFIXES[prefix] + local


class Namespace:
    """A namespace whose attributes and items are the ``NamedNode`` of a term in it.

    Not a ``str`` subclass, so a term called ``title`` or ``count`` is a term, never a string method.
    """

    __slots__ = ("iri",)

    def __init__(self, iri: str) -> None:
        self.iri = iri

    def __getattr__(self, name: str) -> ox.NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        return ox.NamedNode(self.iri + name)

    def __getitem__(self, name: str) -> ox.NamedNode:
        return ox.NamedNode(self.iri + name)

    def __str__(self) -> str:
        return self.iri

    def __repr__(self) -> str:
        return f"Namespace({self.iri!r})"


KLYNGE = Namespace(PREFIXES["klynge"])
KID = Namespace(PREFIXES["kid"])
KG = Namespace(PREFIXES["kg"])
RDF = Namespace(PREFIXES["rdf"])
RDFS = Namespace(PREFIXES["rdfs"])
OWL = Namespace(PREFIXES["owl"])
XSD = Namespace(PREFIXES["xsd"])
SH = Namespace(PREFIXES["sh"])
ORG = Namespace(PREFIXES["org"])
PROV = Namespace(PREFIXES["prov"])
SCHEMA = Namespace(PREFIXES["schema"])
DCTERMS = Namespace(PREFIXES["dcterms"])
SKOS = Namespace(PREFIXES["skos"])
FOAF = Namespace(PREFIXES["foaf"])
QB = Namespace(PREFIXES["qb"])
DCAT = Namespace(PREFIXES["dcat"])
VOID = Namespace(PREFIXES["void"])
SD = Namespace(PREFIXES["sd"])
FORMATS = Namespace(PREFIXES["formats"])

ONTOLOGY_IRI = KLYNGE_BASE + "ontology"
ONTOLOGY_GRAPH = KG.ontology
INFERRED_GRAPH = KG.inferred

RDF_TYPE = RDF.type

# Any RDF term pyoxigraph hands back (its stubs name no such union).
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
XSD_BOOLEAN = XSD.boolean
XSD_INTEGER = XSD.integer


def prefixes(names: Iterable[str] | None = None) -> dict[str, str]:
    """The table restricted to ``names`` (all of it for None); an unknown name is a KeyError, not a gap.

    >>> list(prefixes(["skos", "rdfs"]))
    ['skos', 'rdfs']
    >>> prefixes(["nope"])
    Traceback (most recent call last):
    KeyError: 'nope'
    """
    return dict(PREFIXES) if names is None else {name: PREFIXES[name] for name in names}


def sparql_prologue(names: Iterable[str] | None = None) -> str:
    """``PREFIX`` declarations for a SPARQL query (every prefix, or those named).

    >>> sparql_prologue(["rdfs"]).split()
    ['PREFIX', 'rdfs:', '<http://www.w3.org/2000/01/rdf-schema#>']
    """
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes(names).items())


def turtle_prologue(names: Iterable[str] | None = None) -> str:
    """``@prefix`` declarations for a Turtle document (every prefix, or those named)."""
    return "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in prefixes(names).items())


def shorten(iri: str) -> str | None:
    """``prefix:local`` for an IRI in one of the table's namespaces (the longest that fits), else None.

    >>> shorten(PREFIXES["kid"] + "policy/x"), shorten("http://example.org/x")
    ('kid:policy/x', None)
    """
    fits = [(prefix, ns) for prefix, ns in PREFIXES.items() if iri.startswith(ns) and len(iri) > len(ns)]
    if not fits:
        return None
    prefix, namespace = max(fits, key=lambda pair: len(pair[1]))
    return f"{prefix}:{iri[len(namespace) :]}"


# A local name Turtle and SPARQL read without escapes (PN_LOCAL less its backslash escapes): no "/", "#", "?"...
PLAIN_LOCAL_NAME = re.compile(r"(?:[\w:]|%[0-9A-Fa-f]{2})(?:(?:[\w.:-]|%[0-9A-Fa-f]{2})*(?:[\w:-]|%[0-9A-Fa-f]{2}))?")


def turtle_name(iri: str) -> str:
    """An IRI as a person reads it *and* can paste back into Turtle or SPARQL: ``klynge:Policy`` where the local
    name needs no escape, else ``<iri>`` whole (``kid:policy/x`` would not parse: "'/' is not allowed").

    >>> turtle_name(KLYNGE.Policy.value)
    'klynge:Policy'
    >>> turtle_name(PREFIXES["kid"] + "policy/x") == f"<{PREFIXES['kid']}policy/x>"
    True
    """
    short = shorten(iri)
    if short is not None and PLAIN_LOCAL_NAME.fullmatch(short.split(":", 1)[1]):
        return short
    return f"<{iri}>"
