"""The DCAT-AP and VoID description of the published graph, for /dataset and /.well-known/void.

The metadata a person decides (title, licence, publisher, themes) is written here once; every number
(triples, entities, classes, properties, partitions) and the list of vocabularies used is counted from the
graph by SPARQL through the engine, so the description never drifts from the data it describes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from klynge.answers.describe import Engine
from klynge.namespaces import PREFIXES

RDF = PREFIXES["rdf"]
DCAT = PREFIXES["dcat"]
DCT = PREFIXES["dcterms"]
VOID = PREFIXES["void"]
FOAF = PREFIXES["foaf"]
VCARD = PREFIXES["vcard"]
XSD = PREFIXES["xsd"]
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"

TITLE = "klynge: Danish cluster and innovation policy as linked data"
DESCRIPTION = (
    "An open knowledge graph of Danish cluster and innovation policy since the 1990s: policies and their "
    "lineage, the public bodies behind them, the national cluster organisations and their business areas, "
    "regional specialisation nodes, funding, participation statistics and evaluations, each fact citing the "
    "document that states it."
)
LICENCE = EU + "licence/CC_BY_4_0"
KEYWORDS = ("cluster policy", "innovation policy", "Denmark", "policy lineage", "klyngeprogram")
THEMES = ("ECON", "GOVE", "REGI")


@dataclass(frozen=True)
class Dump:
    """One downloadable serialisation of the whole graph."""

    extension: str
    media_type: str
    file_type: str  # the EU file-type authority code


DUMPS = (
    Dump("ttl", "text/turtle", "RDF_TURTLE"),
    Dump("nt", "application/n-triples", "RDF_N_TRIPLES"),
    Dump("jsonld", "application/ld+json", "JSON_LD"),
    Dump("rdf", "application/rdf+xml", "RDF_XML"),
    Dump("trig", "application/trig", "RDF_TRIG"),
)

COUNTS_QUERY = """
SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
       (COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }"""
ENTITIES_QUERY = """
SELECT ?space (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), STR(?space))) }
GROUP BY ?space"""
CLASS_PARTITION_QUERY = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s a ?class FILTER(isIRI(?class)) }
GROUP BY ?class ORDER BY ?class"""
PROPERTY_PARTITION_QUERY = """
SELECT ?property (COUNT(*) AS ?triples) WHERE { ?s ?property ?o } GROUP BY ?property ORDER BY ?property"""


@dataclass(frozen=True)
class Site:
    """Where the data lives: the IRI base of its resources and the public URL of this service."""

    base_iri: str
    public_url: str

    def url(self, path: str) -> ox.NamedNode:
        """A public URL of this service."""
        return ox.NamedNode(self.public_url.rstrip("/") + "/" + path.lstrip("/"))

    def iri(self, path: str) -> ox.NamedNode:
        """An IRI under the data's base."""
        return ox.NamedNode(self.base_iri + path)


def namespace(iri: str) -> str:
    """The namespace of a term: everything up to its last ``#`` or ``/``."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def integer(value: int) -> ox.Literal:
    """An xsd:integer literal."""
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


class Triples(list[ox.Triple]):
    """A growing list of triples; a plain string object becomes an English literal."""

    def add(self, subject: ox.NamedNode | ox.BlankNode, predicate: str, obj: ox.Term | str) -> None:
        value = ox.Literal(obj, language="en") if isinstance(obj, str) else obj
        self.append(ox.Triple(subject, ox.NamedNode(predicate), value))


def description(engine: Engine, site: Site, graph_counts: dict[str, int]) -> list[ox.Triple]:
    """The catalogue, dataset, distributions and SPARQL service, with counts taken from the graph.

    ``graph_counts`` holds the triples of each named graph (one per source file, plus the entailments); each
    is a ``void:subset`` of the dataset, and together they make its ``void:triples``.
    """
    dataset = site.iri("dataset")
    catalogue = site.iri("dataset#catalogue")
    publisher = site.iri("dataset#publisher")
    service = site.iri("dataset#sparql")
    out = Triples()
    add = out.add

    add(catalogue, RDF + "type", ox.NamedNode(DCAT + "Catalog"))
    add(catalogue, DCT + "title", "klynge catalogue")
    add(catalogue, DCT + "description", "The datasets and services of the klynge knowledge graph.")
    add(catalogue, DCT + "publisher", publisher)
    add(catalogue, DCAT + "dataset", dataset)
    add(catalogue, DCAT + "service", service)
    add(catalogue, DCT + "language", ox.NamedNode(EU + "language/ENG"))
    add(catalogue, FOAF + "homepage", site.url("/"))

    add(publisher, RDF + "type", ox.NamedNode(FOAF + "Agent"))
    add(publisher, FOAF + "name", "The klynge project")

    contact = site.iri("dataset#contact")
    add(contact, RDF + "type", ox.NamedNode(VCARD + "Organization"))
    add(contact, VCARD + "fn", "The klynge project")
    add(contact, VCARD + "hasURL", site.url("/"))

    for kind in (DCAT + "Dataset", VOID + "Dataset"):
        add(dataset, RDF + "type", ox.NamedNode(kind))
    add(dataset, DCT + "title", TITLE)
    add(dataset, DCT + "description", DESCRIPTION)
    add(dataset, DCT + "publisher", publisher)
    add(dataset, DCAT + "contactPoint", contact)
    add(dataset, DCT + "license", ox.NamedNode(LICENCE))
    add(dataset, DCT + "conformsTo", site.iri("ontology"))
    add(dataset, DCT + "spatial", ox.NamedNode(EU + "country/DNK"))
    for language in ("ENG", "DAN"):
        add(dataset, DCT + "language", ox.NamedNode(EU + f"language/{language}"))
    for theme in THEMES:
        add(dataset, DCAT + "theme", ox.NamedNode(EU + f"data-theme/{theme}"))
    for keyword in KEYWORDS:
        add(dataset, DCAT + "keyword", keyword)
    period = ox.BlankNode()
    add(dataset, DCT + "temporal", period)
    add(period, RDF + "type", ox.NamedNode(DCT + "PeriodOfTime"))
    add(period, DCAT + "startDate", ox.Literal("1990", datatype=ox.NamedNode(XSD + "gYear")))
    add(dataset, DCAT + "landingPage", site.url("/"))
    add(dataset, VOID + "uriSpace", ox.Literal(site.base_iri + "id/"))
    add(dataset, VOID + "sparqlEndpoint", site.url("/sparql"))
    add(dataset, VOID + "rootResource", site.iri("id/policy/innovationskraft-2021-2024"))
    add(dataset, VOID + "exampleResource", site.iri("id/policy/innovationskraft-2021-2024"))
    add(dataset, VOID + "exampleResource", site.iri("id/org/danish-business-authority"))

    add(service, RDF + "type", ox.NamedNode(DCAT + "DataService"))
    add(service, DCT + "title", "klynge SPARQL 1.1 endpoint")
    add(service, DCAT + "endpointURL", site.url("/sparql"))
    add(service, DCAT + "endpointDescription", site.url("/sparql"))
    add(service, DCAT + "servesDataset", dataset)
    add(service, DCT + "conformsTo", ox.NamedNode("https://www.w3.org/TR/sparql11-protocol/"))
    add(service, DCT + "license", ox.NamedNode(LICENCE))

    for dump in DUMPS:
        distribution = site.iri(f"dataset#dump-{dump.extension}")
        download = site.url(f"/dumps/klynge.{dump.extension}")
        add(dataset, DCAT + "distribution", distribution)
        add(dataset, VOID + "dataDump", download)
        add(distribution, RDF + "type", ox.NamedNode(DCAT + "Distribution"))
        add(distribution, DCT + "title", f"klynge as {dump.file_type.replace('_', ' ')}")
        add(distribution, DCT + "description", f"The whole graph in one file ({dump.media_type}).")
        add(distribution, DCAT + "accessURL", download)
        add(distribution, DCAT + "downloadURL", download)
        add(distribution, DCAT + "mediaType", ox.NamedNode(IANA + dump.media_type))
        add(distribution, DCT + "format", ox.NamedNode(EU + f"file-type/{dump.file_type}"))
        add(distribution, DCT + "license", ox.NamedNode(LICENCE))

    for graph, count in sorted(graph_counts.items()):
        subset = ox.NamedNode(graph)
        add(dataset, VOID + "subset", subset)
        add(subset, RDF + "type", ox.NamedNode(VOID + "Dataset"))
        add(subset, VOID + "triples", integer(count))
    add_statistics(engine, site, dataset, sum(graph_counts.values()), out)
    return out


def add_statistics(engine: Engine, site: Site, dataset: ox.NamedNode, triple_count: int, out: Triples) -> None:
    """VoID counts, class and property partitions and the vocabularies used, all counted by SPARQL."""
    add = out.add
    counts = engine.select(COUNTS_QUERY, {})[0]
    entities = engine.select(ENTITIES_QUERY, {"space": ox.Literal(site.base_iri + "id/")})[0]
    add(dataset, VOID + "triples", integer(triple_count))
    add(dataset, VOID + "distinctSubjects", integer(int(counts["subjects"].value)))
    add(dataset, VOID + "distinctObjects", integer(int(counts["objects"].value)))
    add(dataset, VOID + "properties", integer(int(counts["properties"].value)))
    add(dataset, VOID + "entities", integer(int(entities["entities"].value)))
    vocabularies: set[str] = set()
    classes = engine.select(CLASS_PARTITION_QUERY, {})
    add(dataset, VOID + "classes", integer(len(classes)))
    for row in classes:
        partition = ox.BlankNode()
        add(dataset, VOID + "classPartition", partition)
        add(partition, VOID + "class", row["class"])
        add(partition, VOID + "entities", integer(int(row["entities"].value)))
        vocabularies.add(namespace(row["class"].value))
    for row in engine.select(PROPERTY_PARTITION_QUERY, {}):
        partition = ox.BlankNode()
        add(dataset, VOID + "propertyPartition", partition)
        add(partition, VOID + "property", row["property"])
        add(partition, VOID + "triples", integer(int(row["triples"].value)))
        vocabularies.add(namespace(row["property"].value))
    for vocabulary in sorted(vocabularies - {site.base_iri + "id/"}):
        add(dataset, VOID + "vocabulary", ox.NamedNode(vocabulary))
