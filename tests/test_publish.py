"""`klynge publish` output under a plain static file server: every IRI resolves, by Accept, to the right file.

The server is Python's http.server on 127.0.0.1 serving the folder as it is; the content negotiation a real host
does with the written ``.htaccess`` is emulated by reading that file (the subset of mod_rewrite it uses: an
unknown directive fails the test, so the rules cannot drift from what is checked). The w3id.org rules are
checked the same way, as redirects to the static host.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox
import pytest

from klynge.cli import main
from klynge.graph.publish import Publication, publish
from shared import ROOT

BASE = "https://w3id.org/klynge/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ACCEPTS = {  # what a client sends -> the representation it must get
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "text/turtle;q=0.9, application/n-triples;q=0.5": "ttl",
    BROWSER: "html",
    "*/*": "html",
}
CONTENT_TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "html": "text/html"}
RDF = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD}


# ---- a reading of the .htaccess subset --------------------------------------------------------------------

@dataclass
class Rule:
    pattern: re.Pattern
    target: str
    flags: set[str]
    conditions: list[tuple[str, bool, str]] = field(default_factory=list)  # (variable, negated, pattern)

    @property
    def redirect(self) -> int | None:
        status = next((f for f in self.flags if f.startswith("R=")), None)
        return int(status[2:]) if status else None


@dataclass
class Rules:
    rules: list[Rule]
    types: dict[str, str]

    def apply(self, path: str, accept: str, exists: Callable[[str], bool]) -> tuple[int | None, str]:
        """(redirect status or None, the path or URL the request ends at), as mod_rewrite in a .htaccess does."""
        for rule in self.rules:
            match = rule.pattern.search(path)
            if match is None or not all(self.holds(c, accept, path, exists) for c in rule.conditions):
                continue
            target = match.expand(re.sub(r"\$(\d)", r"\\g<\1>", rule.target))
            if rule.redirect:
                return rule.redirect, target
            path = target
            if "L" in rule.flags:
                break
        return None, path

    @staticmethod
    def holds(condition: tuple[str, bool, str], accept: str, path: str, exists: Callable[[str], bool]) -> bool:
        variable, negated, pattern = condition
        if variable == "%{HTTP_ACCEPT}":
            result = re.search(pattern, accept) is not None
        elif variable == "%{REQUEST_FILENAME}" and pattern == "-f":
            result = exists(path)
        else:
            raise AssertionError(f"the emulator does not read RewriteCond {variable} {pattern}")
        return result != negated


def read_rules(text: str) -> Rules:
    rules, types, pending = [], {}, []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        directive = words[0]
        if directive == "AddType":
            types[words[2]] = words[1]
        elif directive == "RewriteCond":
            negated = words[2].startswith("!")
            pending.append((words[1], negated, words[2].lstrip("!")))
        elif directive == "RewriteRule":
            flags = set(words[3].strip("[]").split(",")) if len(words) > 3 else set()
            rules.append(Rule(re.compile(words[1]), words[2], flags, pending))
            pending = []
        elif (directive, *words[1:]) not in {("Options", "-MultiViews"), ("RewriteEngine", "on"), ("RewriteBase", "/")}:
            raise AssertionError(f"the emulator does not read {line!r}")
    assert not pending, "a RewriteCond without its RewriteRule"
    return Rules(rules, types)


# ---- the publication and the static server ----------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[Publication, str]]:
    out = tmp_path_factory.mktemp("site") / "out"
    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)  # the port first: pages name it
    url = f"http://127.0.0.1:{server.server_port}"
    publication = publish(out, url)
    rules = read_rules((out / ".htaccess").read_text(encoding="utf-8"))

    class Negotiating(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **rules.types}

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path).lstrip("/")
            status, target = rules.apply(path, self.headers.get("Accept", "*/*"), lambda p: (out / p).is_file())
            if status is not None:
                self.send_response(status)
                self.send_header("Location", "/" + target)
                self.end_headers()
                return
            self.path = "/" + target
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = partial(Negotiating, directory=str(out))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield publication, url
    server.shutdown()
    server.server_close()


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

def test_every_iri_of_the_graph_is_published(site):
    publication, _ = site
    iris = set()
    for quad in dump_quads(publication):
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(BASE):
                iris.add(term.value[len(BASE):].split("#", 1)[0])
    assert iris - {""} <= set(publication.documents)
    assert {"ontology", f"ontology/{publication.version}", "shapes", "dataset"} <= set(publication.documents)
    assert sum(d.startswith("id/") for d in publication.documents) > 250


def test_every_document_resolves_by_accept_to_its_file(site):
    publication, url = site
    quads = dump_quads(publication)
    checked = 0
    for document in publication.documents:
        for accept, extension in ACCEPTS.items():
            response = get(url, "/" + document, accept)
            assert response.status == 200, (document, accept, response.status)
            assert response.getheader("Content-Type").startswith(CONTENT_TYPES[extension]), (document, accept)
            assert response.body == (publication.out / f"{document}.{extension}").read_bytes(), (document, accept)
            if extension in RDF:
                assert describes(response.body, extension, document, quads), (document, accept)
            checked += 1
    assert checked == len(publication.documents) * len(ACCEPTS)


def test_dumps_carry_the_version_and_their_checksums(site):
    publication, url = site
    sums = dict(line.split("  ")[::-1] for line in (publication.out / "dumps/SHA256SUMS").read_text().splitlines())
    assert len(sums) == 6  # five RDF dumps and the tables package
    catalogue = ox.Store()
    catalogue.load(get(url, "/dataset", "text/turtle").body, format=ox.RdfFormat.TURTLE)
    for extension in ("ttl", "nt", "jsonld", "rdf", "trig"):
        latest = get(url, f"/dumps/klynge.{extension}", "*/*")
        assert latest.status == 302
        assert latest.getheader("Location") == f"/dumps/klynge-{publication.version}.{extension}"
        body = get(url, latest.getheader("Location"), "*/*").body
        name = f"klynge-{publication.version}.{extension}"
        assert hashlib.sha256(body).hexdigest() == sums[name]
        download = ox.NamedNode(f"{BASE}dumps/{name}")
        (distribution,) = [q.subject for q in catalogue.quads_for_pattern(
            None, ox.NamedNode("http://www.w3.org/ns/dcat#downloadURL"), download)]
        size = next(catalogue.quads_for_pattern(distribution, ox.NamedNode("http://www.w3.org/ns/dcat#byteSize"), None))
        assert int(size.object.value) == len(body)
        assert any(q.object.value == sums[name] for q in catalogue.quads_for_pattern(
            None, ox.NamedNode("http://spdx.org/rdf/terms#checksumValue"), None))
    tables = f"klynge-tables-{publication.version}.zip"
    body = get(url, f"/dumps/{tables}", "*/*").body
    assert hashlib.sha256(body).hexdigest() == sums[tables]
    assert get(url, "/dumps/klynge-tables.zip", "*/*").body == body  # the name the /dataset page links
    assert list(catalogue.quads_for_pattern(None, None, ox.NamedNode(f"{BASE}dumps/{tables}")))


def test_the_catalogue_names_the_release_and_passes_dcat_ap(site):
    import rdflib

    from web.test_dcat_ap import SHAPES, results

    publication, url = site
    catalogue = rdflib.Graph().parse(data=get(url, "/dataset", "text/turtle").body, format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    assert str(catalogue.value(rdflib.URIRef(BASE + "dataset"), dcat.version)) == publication.version
    assert (None, rdflib.RDF.type, dcat.DataService) not in catalogue  # no --service-url: no endpoint to list
    for shapes_file in SHAPES:
        assert results(catalogue, shapes_file) == [], shapes_file
    void = get(url, "/.well-known/void", "*/*")
    assert void.getheader("Content-Type").startswith("text/turtle")
    assert void.body == (publication.out / "dataset.ttl").read_bytes()


def test_the_version_iri_and_the_changelog_name_the_release(site):
    publication, url = site
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


def test_w3id_rules_redirect_each_iri_to_the_file_the_host_serves(site):
    publication, url = site
    rules = read_rules((publication.out / "w3id.htaccess").read_text(encoding="utf-8"))
    for document in publication.documents:
        for accept, extension in ACCEPTS.items():
            status, target = rules.apply(document, accept, lambda _: False)
            assert (status, target) == (303, f"{url}/{document}.{extension}"), (document, accept)
    assert rules.apply("dumps/klynge.ttl", "*/*", lambda _: False) == (
        302, f"{url}/dumps/klynge-{publication.version}.ttl")
    assert rules.apply("", "*/*", lambda _: False) == (302, f"{url}/")


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
