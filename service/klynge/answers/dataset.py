"""The DCAT-AP and VoID description of the published graph, for /dataset, /.well-known/void and `klynge publish`.

The metadata a person decides (title, licence, publisher, themes) is written here once; every number
(triples, entities, classes, properties, partitions, the years covered), the release (version and dates, from
the ontology header) and the list of vocabularies used is read from the graph by the queries in ``sparql/``, so
the description never drifts from the data it describes.

It is written for DCAT-AP 3.0.1 with its mandatory, recommended and range shapes passing without any
background knowledge: every EU authority-table concept, IANA media type, licence, standard and page it points at
is typed here as the range shapes expect. Nothing in it needs a term DCAT-AP 2.1.1 lacks, so a harvester that
converts to 2.1.1 drops at most ``dcat:version`` (2.1.1's ``owl:versionInfo`` is deprecated in 3.0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from klynge.answers import statistics
from klynge.engines.base import Engine
from klynge.rdf.namespaces import PREFIXES
from klynge.sparql import query

RDF = PREFIXES["rdf"]
DCAT = PREFIXES["dcat"]
DCT = PREFIXES["dcterms"]
VOID = PREFIXES["void"]
FOAF = PREFIXES["foaf"]
VCARD = PREFIXES["vcard"]
SKOS = PREFIXES["skos"]
XSD = PREFIXES["xsd"]
DCATAP = "http://data.europa.eu/r5r/"
SPDX = "http://spdx.org/rdf/terms#"
GSP = "http://www.opengis.net/ont/geosparql#"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
ADMS_LICENCE_TYPE = "http://purl.org/adms/licencetype/"
ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"

TITLE = "klynge: Danish cluster and innovation policy as linked data"
DESCRIPTION = (
    "An open knowledge graph of Danish cluster and innovation policy since the 1990s: policies and their "
    "lineage, the public bodies behind them, the national cluster organisations and their business areas, "
    "regional specialisation nodes, funding, participation statistics and evaluations, each fact citing the "
    "document that states it."
)
LICENCE = EU + "licence/CC_BY_4_0"
KEYWORDS = ("cluster policy", "innovation policy", "Denmark", "policy lineage", "klyngeprogram")
# EU data themes, with the authority table's English labels.
THEMES = {"ECON": "Economy and finance", "GOVE": "Government and public sector", "REGI": "Regions and cities"}
LANGUAGES = {"ENG": "English", "DAN": "Danish"}
RIGHTS = (
    "Free to copy, adapt and redistribute, also commercially, under CC BY 4.0: name the klynge project and "
    "link the licence. The facts come from the public documents each one cites."
)
ACCESS_RIGHTS = EU + "access-right/PUBLIC"
AVAILABILITY = EU + "planned-availability/AVAILABLE"
# Denmark's extent (Jutland and the islands, without the Faroe Islands and Greenland), as DCAT-AP recommends a
# dct:Location to carry: a bounding box and a centroid, WGS 84 longitude/latitude, rounded to a tenth of a degree.
DENMARK_BBOX = "POLYGON((8.0 54.5, 15.2 54.5, 15.2 57.8, 8.0 57.8, 8.0 54.5))"
DENMARK_CENTROID = "POINT(10.0 56.0)"


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
# The graph as tidy CSV tables with their Table Schemas (``klynge export --format tables``), zipped: a
# distribution for pandas, R and spreadsheets, not an RDF dump.
TABLES = Dump("zip", "text/csv", "CSV")
TABLES_FILE = "klynge-tables"
TABLES_PACKAGING = "application/zip"
TABLES_SPEC = "https://specs.frictionlessdata.io/tabular-data-package/"


@dataclass(frozen=True)
class DumpFile:
    """Where one dump is downloaded, and (when the bytes are at hand) its size and SHA-256."""

    dump: Dump
    url: str
    size: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Site:
    """Where the data lives: the IRI base of its resources, the public URL it is served at, and the SPARQL
    endpoint answering for it (the service's own ``/sparql``; none for a static publication without one)."""

    base_iri: str
    public_url: str
    sparql_url: str | None = None

    def url(self, path: str) -> ox.NamedNode:
        """A public URL of this service."""
        return ox.NamedNode(self.public_url.rstrip("/") + "/" + path.lstrip("/"))

    def iri(self, path: str) -> ox.NamedNode:
        """An IRI under the data's base."""
        return ox.NamedNode(self.base_iri + path)


@dataclass(frozen=True)
class Release:
    """The release the graph is, from the ontology header: version, version IRI, first issued, last modified."""

    version: str
    version_iri: str
    issued: ox.Literal
    modified: ox.Literal


def release(engine: Engine) -> Release:
    """The release of the graph the engine serves."""
    (row,) = engine.select(query("dataset-release"), {})
    return Release(row["version"].value, row["versionIRI"].value, row["created"], row["modified"])


def namespace(iri: str) -> str:
    """The namespace of a term: everything up to its last ``#`` or ``/``."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def typed(value: str, datatype: str) -> ox.Literal:
    """A literal of an XSD (or other) datatype."""
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def integer(value: int) -> ox.Literal:
    """An xsd:integer literal."""
    return typed(str(value), XSD + "integer")


class Triples(list[ox.Triple]):
    """A growing list of triples; a plain string object becomes an English literal."""

    def add(self, subject: ox.NamedNode | ox.BlankNode, predicate: str, obj: ox.Term | str) -> None:
        value = ox.Literal(obj, language="en") if isinstance(obj, str) else obj
        self.append(ox.Triple(subject, ox.NamedNode(predicate), value))

    def a(self, subject: ox.NamedNode | ox.BlankNode, *classes: str) -> ox.NamedNode | ox.BlankNode:
        """Type ``subject`` with each class; returns it, so a node can be typed where it is first used."""
        for cls in classes:
            self.add(subject, RDF + "type", ox.NamedNode(cls))
        return subject

    def concept(self, iri: str, scheme: str, label: str, *classes: str) -> ox.NamedNode:
        """An EU authority-table (or ADMS) concept as the range shapes expect it: typed, in its scheme, labelled."""
        node = ox.NamedNode(iri)
        self.a(node, SKOS + "Concept", *classes)
        self.add(node, SKOS + "inScheme", ox.NamedNode(scheme))
        self.add(node, SKOS + "prefLabel", label)
        return node


def description(engine: Engine, site: Site, graph_counts: dict[str, int], dumps: Sequence[DumpFile]) -> list[ox.Triple]:
    """The catalogue, dataset, distributions and SPARQL service, with counts taken from the graph.

    ``graph_counts`` holds the triples of each named graph (one per source file, plus the entailments); each is
    a ``void:subset`` of the dataset. ``dumps`` says where each serialisation is downloaded (and the tables
    package, a ``TABLES`` file, where it is).
    """
    dataset = site.iri("dataset")
    catalogue = site.iri("dataset#catalogue")
    publisher = site.iri("dataset#publisher")
    contact = site.iri("dataset#contact")
    service = site.iri("dataset#sparql")
    rights = site.iri("dataset#rights")
    out = Triples()
    add = out.add
    the_release = release(engine)

    out.a(catalogue, DCAT + "Catalog")
    add(catalogue, DCT + "title", "klynge catalogue")
    add(catalogue, DCT + "description", "The datasets and services of the klynge knowledge graph.")
    add(catalogue, DCAT + "dataset", dataset)
    taxonomy = out.a(ox.NamedNode(EU + "data-theme"), SKOS + "ConceptScheme")
    add(catalogue, DCAT + "themeTaxonomy", taxonomy)
    add(taxonomy, DCT + "title", "Data theme")
    add(catalogue, FOAF + "homepage", out.a(site.url("/"), FOAF + "Document"))

    out.a(publisher, FOAF + "Agent")
    add(publisher, FOAF + "name", "The klynge project")
    add(
        publisher,
        DCT + "type",
        out.concept(
            ADMS_PUBLISHER_TYPE + "NonProfitOrganisation", ADMS_PUBLISHER_TYPE + "1.0", "Non-profit organisation"
        ),
    )
    add(out.a(ox.NamedNode(ADMS_PUBLISHER_TYPE + "1.0"), SKOS + "ConceptScheme"), DCT + "title", "Publisher type")

    out.a(contact, VCARD + "Kind", VCARD + "Organization")
    add(contact, VCARD + "fn", "The klynge project")
    add(contact, VCARD + "hasURL", site.url("/"))

    out.a(rights, DCT + "RightsStatement")
    add(rights, PREFIXES["rdfs"] + "label", RIGHTS)

    out.a(dataset, DCAT + "Dataset", VOID + "Dataset")
    add(dataset, DCT + "title", TITLE)
    add(dataset, DCT + "description", DESCRIPTION)
    add(dataset, DCT + "identifier", ox.Literal(dataset.value))
    add(dataset, DCAT + "version", ox.Literal(the_release.version))
    add(
        dataset,
        DCT + "accessRights",
        out.a(out.concept(ACCESS_RIGHTS, EU + "access-right", "public"), DCT + "RightsStatement"),
    )
    add(dataset, DCAT + "landingPage", site.url("/dataset"))
    out.a(site.url("/dataset"), FOAF + "Document")
    add(dataset, DCT + "conformsTo", out.a(site.iri("ontology"), DCT + "Standard"))
    add(dataset, VOID + "uriSpace", ox.Literal(site.base_iri + "id/"))
    add(dataset, VOID + "rootResource", site.iri("id/policy/innovationskraft-2021-2024"))
    add(dataset, VOID + "exampleResource", site.iri("id/policy/innovationskraft-2021-2024"))
    add(dataset, VOID + "exampleResource", site.iri("id/org/danish-business-authority"))
    add_temporal(engine, dataset, out)

    denmark = out.concept(EU + "country/DNK", EU + "country", "Denmark", DCT + "Location")
    add(denmark, DCAT + "bbox", typed(DENMARK_BBOX, GSP + "wktLiteral"))
    add(denmark, DCAT + "centroid", typed(DENMARK_CENTROID, GSP + "wktLiteral"))
    licence = out.a(ox.NamedNode(LICENCE), DCT + "LicenseDocument")
    add(licence, DCT + "type", out.concept(ADMS_LICENCE_TYPE + "Attribution", ADMS_LICENCE_TYPE + "1.0", "Attribution"))
    themes = [out.concept(EU + f"data-theme/{code}", EU + "data-theme", label) for code, label in THEMES.items()]
    languages = [
        out.concept(EU + f"language/{code}", EU + "language", label, DCT + "LinguisticSystem")
        for code, label in LANGUAGES.items()
    ]

    # What the catalogue, the dataset and the service share: who, when, under which licence, about what.
    served = (catalogue, dataset, service) if site.sparql_url else (catalogue, dataset)
    for resource in served:
        add(resource, DCT + "publisher", publisher)
        add(resource, DCT + "license", licence)
        add(resource, DCT + "issued", the_release.issued)
        add(resource, DCT + "modified", the_release.modified)
    for resource in (catalogue, dataset):
        add(resource, DCT + "spatial", denmark)
        add(resource, DCT + "language", languages[0])
    add(dataset, DCT + "language", languages[1])
    for resource in served[1:]:
        add(resource, DCAT + "contactPoint", contact)
        for theme in themes:
            add(resource, DCAT + "theme", theme)
        for keyword in KEYWORDS:
            add(resource, DCAT + "keyword", keyword)

    if site.sparql_url:
        add(catalogue, DCAT + "service", service)
        add(dataset, VOID + "sparqlEndpoint", ox.NamedNode(site.sparql_url))
        out.a(service, DCAT + "DataService")
        add(service, DCT + "title", "klynge SPARQL 1.1 endpoint")
        add(service, DCAT + "endpointURL", ox.NamedNode(site.sparql_url))
        add(service, DCAT + "endpointDescription", ox.NamedNode(site.sparql_url + "?format=ttl"))
        add(service, DCAT + "servesDataset", dataset)
        add(
            service,
            DCT + "conformsTo",
            out.a(ox.NamedNode("https://www.w3.org/TR/sparql11-protocol/"), DCT + "Standard"),
        )

    for file in dumps:
        add_distribution(out, site, dataset, file, licence, rights)
    for graph, count in sorted(graph_counts.items()):
        subset = ox.NamedNode(graph)
        add(dataset, VOID + "subset", subset)
        out.a(subset, VOID + "Dataset")
        add(subset, VOID + "triples", integer(count))
    add_statistics(engine, site, dataset, out)
    from klynge.answers.release_series import add_series, release_history  # it builds on this module

    add_series(out, site, dataset, catalogue, release_history(engine))
    # Grouped by subject (in first-use order, each subject's statements as added), so the Turtle reads by resource.
    order = {subject: rank for rank, subject in enumerate(dict.fromkeys(t.subject for t in out))}
    return sorted(out, key=lambda triple: order[triple.subject])


def add_distribution(
    out: Triples, site: Site, dataset: ox.NamedNode, file: DumpFile, licence: ox.NamedNode, rights: ox.NamedNode
) -> None:
    """One dump as a dcat:Distribution: where, what format, what rights, and its size and checksum when known."""
    add = out.add
    dump = file.dump
    anchor = "tables" if dump is TABLES else f"dump-{dump.extension}"
    distribution = site.iri(f"dataset#{anchor}")
    download = ox.NamedNode(file.url)
    add(dataset, DCAT + "distribution", distribution)
    out.a(distribution, DCAT + "Distribution")
    if dump is TABLES:
        add(distribution, DCT + "title", "klynge as tables (a Frictionless Data Package of CSV files)")
        add(
            distribution,
            DCT + "description",
            "The graph as tidy CSV tables, one row per thing, each with its "
            "Table Schema in datapackage.json, zipped: for pandas, R and spreadsheets.",
        )
        add(distribution, DCAT + "packageFormat", out.a(ox.NamedNode(IANA + TABLES_PACKAGING), DCT + "MediaType"))
        add(distribution, DCT + "conformsTo", out.a(ox.NamedNode(TABLES_SPEC), DCT + "Standard"))
    else:
        add(dataset, VOID + "dataDump", download)
        add(distribution, DCT + "title", f"klynge as {dump.file_type.replace('_', ' ')}")
        add(distribution, DCT + "description", f"The whole graph in one file ({dump.media_type}).")
    add(distribution, DCAT + "accessURL", download)
    add(distribution, DCAT + "downloadURL", download)
    add(distribution, DCAT + "mediaType", out.a(ox.NamedNode(IANA + dump.media_type), DCT + "MediaType"))
    add(
        distribution,
        DCT + "format",
        out.concept(
            EU + f"file-type/{dump.file_type}",
            EU + "file-type",
            dump.file_type.replace("_", " "),
            DCT + "MediaTypeOrExtent",
        ),
    )
    add(distribution, DCT + "license", licence)
    add(distribution, DCT + "rights", rights)
    add(distribution, DCATAP + "availability", out.concept(AVAILABILITY, EU + "planned-availability", "available"))
    if file.size is not None:
        add(distribution, DCAT + "byteSize", typed(str(file.size), XSD + "nonNegativeInteger"))
    if file.sha256 is not None:
        checksum = site.iri(f"dataset#{anchor}-sha256")
        add(distribution, SPDX + "checksum", out.a(checksum, SPDX + "Checksum"))
        sha256 = out.a(ox.NamedNode(SPDX + "checksumAlgorithm_sha256"), SPDX + "ChecksumAlgorithm")
        add(checksum, SPDX + "algorithm", sha256)
        add(checksum, SPDX + "checksumValue", typed(file.sha256, XSD + "hexBinary"))


def add_temporal(engine: Engine, dataset: ox.NamedNode, out: Triples) -> None:
    """dct:temporal: the years from the earliest policy start to the latest start or end in the data."""
    (row,) = engine.select(query("dataset-period"), {})
    if "start" not in row:
        return
    period = ox.BlankNode()
    out.add(dataset, DCT + "temporal", out.a(period, DCT + "PeriodOfTime"))
    out.add(period, DCAT + "startDate", typed(row["start"].value, XSD + "gYear"))
    out.add(period, DCAT + "endDate", typed(row["end"].value, XSD + "gYear"))


def add_statistics(engine: Engine, site: Site, dataset: ox.NamedNode, out: Triples) -> None:
    """VoID counts, class and property partitions and the vocabularies used: counted when the graph was built
    (``klynge.answers.statistics``, by SPARQL on a store built before)."""
    add = out.add
    counts = statistics.dataset_counts(engine, site.base_iri + "id/")
    add(dataset, VOID + "triples", integer(counts.triples))
    add(dataset, VOID + "distinctSubjects", integer(counts.subjects))
    add(dataset, VOID + "distinctObjects", integer(counts.objects))
    add(dataset, VOID + "properties", integer(counts.properties))
    add(dataset, VOID + "entities", integer(counts.entities))
    vocabularies: set[str] = set()
    classes = statistics.class_partition(engine)
    add(dataset, VOID + "classes", integer(len(classes)))
    for cls, entities in classes:
        partition = ox.BlankNode()
        add(dataset, VOID + "classPartition", partition)
        add(partition, VOID + "class", cls)
        add(partition, VOID + "entities", integer(entities))
        vocabularies.add(namespace(cls.value))
    for prop, triples in statistics.property_partition(engine):
        partition = ox.BlankNode()
        add(dataset, VOID + "propertyPartition", partition)
        add(partition, VOID + "property", prop)
        add(partition, VOID + "triples", integer(triples))
        vocabularies.add(namespace(prop.value))
    for vocabulary in sorted(vocabularies - {site.base_iri + "id/"}):
        add(dataset, VOID + "vocabulary", ox.NamedNode(vocabulary))


def dataset_triple_count(triples: Sequence[ox.Triple], dataset_iri: str) -> int:
    """The dataset's own void:triples in a description (not a subset's)."""
    return next(
        int(t.object.value) for t in triples if t.subject.value == dataset_iri and t.predicate.value == VOID + "triples"
    )


def schema_org(site: Site, the_release: Release, dumps: Sequence[DumpFile]) -> dict:
    """The dataset as schema.org ``Dataset`` JSON-LD, for search engines reading the /dataset page."""
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": site.iri("dataset").value,
        "name": TITLE,
        "description": DESCRIPTION,
        "url": site.url("/dataset").value,
        "identifier": site.iri("dataset").value,
        "version": the_release.version,
        "datePublished": the_release.issued.value,
        "dateModified": the_release.modified.value,
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "isAccessibleForFree": True,
        "keywords": list(KEYWORDS),
        "inLanguage": ["en", "da"],
        "spatialCoverage": {"@type": "Place", "name": "Denmark"},
        "creator": {"@type": "Organization", "name": "The klynge project", "url": site.url("/").value},
        "publisher": {"@type": "Organization", "name": "The klynge project", "url": site.url("/").value},
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": file.dump.media_type, "contentUrl": file.url}
            | ({"contentSize": f"{file.size} B"} if file.size is not None else {})
            for file in dumps
        ],
    }
