"""`klynge publish` output on the hosts it is written for: a plain static host and Apache with its .htaccess.

The plain host is ``python3 -m http.server`` serving the folder as it is (as GitHub Pages or any static host
would): a crawl from the home page finds no dead link within the site. The content negotiation is checked by
a real Apache httpd reading the written ``.htaccess`` (``tests/apache.py``), and the w3id.org rules by the same
Apache serving ``w3id.htaccess`` in a ``klynge/`` folder, as w3id.org does.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pyoxigraph as ox
import pytest

from apache import apache, free_port, readable_folder
from klynge.cli import main
from klynge.commands.publish import Publication, SiteLinks, file_of, publish
from shared import ROOT

BASE = "https://w3id.org/klynge/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ACCEPTS = {  # what a client sends -> the representation it must get
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdf",
    "text/turtle;q=0.9, application/n-triples;q=0.5": "ttl",
    BROWSER: "html",
    "*/*": "html",
}
CONTENT_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "html": "text/html",
}
RDF = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
}


# ---- the publication and its hosts ------------------------------------------------------------------------


@dataclass
class Site:
    publication: Publication
    plain: str  # python3 -m http.server over the folder; the --site-url the pages name
    apache: str  # Apache httpd over the folder, reading its .htaccess
    w3id: str  # Apache serving w3id.htaccess in klynge/, as w3id.org does


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    root = readable_folder("klynge-site-")
    out, w3id = root / "out", root / "w3id"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        publication = publish(out, url)
        (w3id / "klynge").mkdir(parents=True)
        shutil.copy(out / "w3id.htaccess", w3id / "klynge" / ".htaccess")
        plain = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with apache([out, w3id]) as (on_apache, on_w3id):
                wait_for(url)
                yield Site(publication, url, on_apache, on_w3id)
        finally:
            plain.terminate()
            plain.wait(timeout=10)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def get(url: str, path: str, accept: str) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", path, headers={"Accept": accept})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def dump_quads(publication: Publication) -> list[ox.Quad]:
    trig = next((publication.out / "dumps").glob("klynge-*.trig")).read_bytes()
    return list(ox.parse(trig, format=ox.RdfFormat.TRIG))


def describes(body: bytes, extension: str, document: str, quads: list[ox.Quad]) -> bool:
    """Whether an RDF file is about the document: a triple with its IRI (or one of its hash IRIs), or, for a
    named graph, exactly that graph's triples in the dump."""
    iri = BASE + document
    triples = list(ox.parse(body, format=RDF[extension], base_iri=iri))
    if document.startswith("graph/"):  # blank nodes are relabelled by each parse: compare the rest, and counts
        stated = [q.triple for q in quads if q.graph_name.value == iri]
        ground = {str(t) for t in stated if "_:" not in str(t)}
        return len(stated) == len(triples) > 0 and ground <= {str(t) for t in triples}
    for triple in triples:
        for term in (triple.subject, triple.object):
            if isinstance(term, ox.NamedNode) and term.value.split("#", 1)[0] == iri:
                return True
    return False


# ---- the checks ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_iri_of_the_graph_is_published(site):
    publication = site.publication
    iris = set()
    for quad in dump_quads(publication):
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(BASE):
                iris.add(term.value[len(BASE) :].split("#", 1)[0])
    assert iris - {""} <= set(publication.documents)
    assert {"ontology", f"ontology/{publication.version}", "shapes", "dataset"} <= set(publication.documents)
    assert sum(d.startswith("id/") for d in publication.documents) > 250


@pytest.mark.slow
def test_every_document_resolves_by_accept_to_its_file_on_apache(site):
    publication = site.publication
    quads = dump_quads(publication)
    checked = 0
    for document in publication.documents:
        for accept, extension in ACCEPTS.items():
            for path in ("/" + document, f"/{document}/") if extension in ("html", "ttl") else ("/" + document,):
                response = get(site.apache, path, accept)
                assert response.status == 200, (path, accept, response.status)
                assert response.getheader("Content-Type").startswith(CONTENT_TYPES[extension]), (path, accept)
                assert response.body == (publication.out / file_of(document, extension)).read_bytes(), (path, accept)
                checked += 1
            if extension in RDF:
                assert describes(response.body, extension, document, quads), (document, accept)
    assert checked == len(publication.documents) * (len(ACCEPTS) + 4)
    files = get(site.apache, "/" + file_of(publication.documents[0], "ttl"), BROWSER)
    assert files.status == 200 and files.getheader("Content-Type").startswith("text/turtle"), "files as they are"


class Links(HTMLParser):
    """The links of a page: href, src and form actions."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src", "action") and value]


def crawl(start: str) -> tuple[set[str], dict[str, int]]:
    """Every URL of the site reachable from ``start`` (redirects followed, as a browser does), and the dead ones
    with their status."""
    host = urlsplit(start).netloc
    seen, todo, dead = {start}, [start], {}
    while todo:
        url = todo.pop()
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body, final, kind = response.read(), response.geturl(), response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            dead[url] = error.code
            continue
        if kind != "text/html":
            continue
        links = Links()
        links.feed(body.decode("utf-8"))
        for link in links.found:
            target = urldefrag(urljoin(final, link))[0]
            if urlsplit(target).netloc == host and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen, dead


@pytest.mark.slow
def test_a_plain_static_host_serves_the_site_with_no_dead_link(site):
    """Under python3 -m http.server (no rewrites): a crawl from the home page, 0 dead links within the site."""
    publication = site.publication
    seen, dead = crawl(site.plain + "/")
    assert dead == {}
    pages = {urlsplit(url).path.strip("/") for url in seen}
    for extension in ("ttl", "jsonld", "nt", "rdf"):
        assert f"id/policy/innovationskraft-2021-2024.{extension}" in pages, "each format button links its file"
    assert f"dumps/klynge-{publication.version}.ttl" in pages
    assert not any(path.startswith(("api/", "sparql", "query", "search", "docs")) for path in pages)
    for document in publication.documents:  # every IRI's page, at /PATH (a redirect to /PATH/) and /PATH/
        response = urllib.request.urlopen(f"{site.plain}/{document}", timeout=10)
        assert response.read() == (publication.out / file_of(document, "html")).read_bytes(), document


HOME = (
    '<nav><a href="/search">Search</a> <a href="/dataset">Dataset</a></nav>'
    '<form action="/search" method="get"><input name="q"></form>'
    '<a class="format" href="?format=ttl">Turtle</a> <a href="/id/x?format=jsonld">JSON-LD</a> '
    '<a href="?format=trig">TriG</a> '
    '<a href="/api/lineage?iri=x">JSON</a> <a href="/dumps/klynge.ttl">dump</a> <a href="/.well-known/void">VoID</a>'
    '<script type="application/ld+json">{"contentUrl": "http://h/dumps/klynge.nt"}</script>'
)


def test_service_only_links_point_at_the_service_or_are_left_out():
    alone = SiteLinks(frozenset({"id/x", "dataset"}), "1.2.0", None).page(HOME, "id/x")
    assert alone == (
        '<nav> <a href="/dataset">Dataset</a></nav>'
        '<a class="format" href="/id/x.ttl">Turtle</a> <a href="/id/x.jsonld">JSON-LD</a> '
        '<span>TriG</span> <span>JSON</span> <a href="/dumps/klynge-1.2.0.ttl">dump</a> <a href="/dataset.ttl">VoID</a>'
        '<script type="application/ld+json">{"contentUrl": "http://h/dumps/klynge-1.2.0.nt"}</script>'
    )
    served = SiteLinks(frozenset({"id/x", "dataset"}), "1.2.0", "https://q.example.org").page(HOME, "id/x")
    assert '<a href="https://q.example.org/search">Search</a>' in served
    assert '<form action="https://q.example.org/search" method="get">' in served
    assert '<a href="https://q.example.org/api/lineage?iri=x">JSON</a>' in served
    assert '<a href="https://q.example.org/id/x?format=trig">TriG</a>' in served, "a format only the service writes"


@pytest.mark.slow
def test_dumps_carry_the_version_and_their_checksums(site):
    publication, url = site.publication, site.apache
    sums = dict(line.split("  ")[::-1] for line in (publication.out / "dumps/SHA256SUMS").read_text().splitlines())
    assert len(sums) == 6  # five RDF dumps and the tables package
    catalogue = ox.Store()
    catalogue.load(get(url, "/dataset", "text/turtle").body, format=ox.RdfFormat.TURTLE)
    for extension in ("ttl", "nt", "jsonld", "rdf", "trig"):
        latest = get(url, f"/dumps/klynge.{extension}", "*/*")
        assert latest.status == 302
        location = urlsplit(latest.getheader("Location"))  # Apache makes it absolute
        assert location.path == f"/dumps/klynge-{publication.version}.{extension}"
        body = get(url, location.path, "*/*").body
        name = f"klynge-{publication.version}.{extension}"
        assert hashlib.sha256(body).hexdigest() == sums[name]
        download = ox.NamedNode(f"{BASE}dumps/{name}")
        (distribution,) = [
            q.subject
            for q in catalogue.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/ns/dcat#downloadURL"), download)
        ]
        size = next(catalogue.quads_for_pattern(distribution, ox.NamedNode("http://www.w3.org/ns/dcat#byteSize"), None))
        assert int(size.object.value) == len(body)
        assert any(
            q.object.value == sums[name]
            for q in catalogue.quads_for_pattern(None, ox.NamedNode("http://spdx.org/rdf/terms#checksumValue"), None)
        )
    tables = f"klynge-tables-{publication.version}.zip"
    body = get(url, f"/dumps/{tables}", "*/*").body
    assert hashlib.sha256(body).hexdigest() == sums[tables]
    assert get(url, "/dumps/klynge-tables.zip", "*/*").body == body  # the name the /dataset page links
    assert list(catalogue.quads_for_pattern(None, None, ox.NamedNode(f"{BASE}dumps/{tables}")))


@pytest.mark.slow
def test_the_catalogue_names_the_release_and_passes_dcat_ap(site):
    import rdflib

    from web.test_dcat_ap import SHAPES, results

    publication, url = site.publication, site.apache
    catalogue = rdflib.Graph().parse(data=get(url, "/dataset", "text/turtle").body, format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    assert str(catalogue.value(rdflib.URIRef(BASE + "dataset"), dcat.version)) == publication.version
    assert (None, rdflib.RDF.type, dcat.DataService) not in catalogue  # no --service-url: no endpoint to list
    for shapes_file in SHAPES:
        assert results(catalogue, shapes_file) == [], shapes_file
    void = get(url, "/.well-known/void", "*/*")
    assert void.getheader("Content-Type").startswith("text/turtle")
    assert void.body == (publication.out / "dataset.ttl").read_bytes()
    assert get(site.plain, "/dataset.ttl", "*/*").body == void.body


@pytest.mark.slow
def test_the_version_iri_and_the_changelog_name_the_release(site):
    publication, url = site.publication, site.apache
    versioned = ox.Store()
    versioned.load(get(url, f"/ontology/{publication.version}", "text/turtle").body, format=ox.RdfFormat.TURTLE)
    version_of = ox.NamedNode("http://www.w3.org/2002/07/owl#versionIRI")
    (version_iri,) = versioned.quads_for_pattern(ox.NamedNode(BASE + "ontology"), version_of, None)
    assert version_iri.object.value == f"{BASE}ontology/{publication.version}"
    (modified,) = versioned.quads_for_pattern(None, ox.NamedNode("http://purl.org/dc/terms/modified"), None)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    release = re.search(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", changelog, re.M)
    assert release is not None, "CHANGELOG.md has no '## [X.Y.Z] - YYYY-MM-DD' release heading"
    assert release.groups() == (publication.version, modified.object.value)


@pytest.mark.slow
def test_w3id_rules_redirect_each_iri_to_the_file_the_host_serves(site):
    publication, url = site.publication, site.plain
    for document in publication.documents:
        for accept, extension in ACCEPTS.items():
            response = get(site.w3id, f"/klynge/{document}", accept)
            where = f"{url}/{document}/" if extension == "html" else f"{url}/{document}.{extension}"
            assert (response.status, response.getheader("Location")) == (303, where), (document, accept)
    latest = get(site.w3id, "/klynge/dumps/klynge.ttl", "*/*")
    assert (latest.status, latest.getheader("Location")) == (302, f"{url}/dumps/klynge-{publication.version}.ttl")
    home = get(site.w3id, "/klynge/", "*/*")
    assert (home.status, home.getheader("Location")) == (302, f"{url}/")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--site-url", "ftp://example.org"], "must be an http(s) URL"),
        (["--site-url", "https://example.org/klynge"], "must be the root of a host"),
    ],
)
def test_bad_arguments_get_a_clear_error(tmp_path, capsys, arguments, message):
    assert main(["publish", "--out", str(tmp_path / "new"), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_folder_with_files_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["publish", "--out", str(tmp_path), "--site-url", "https://example.org"]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"
