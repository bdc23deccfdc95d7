"""``klynge publish --out DIR``: the graph as static files that any web host serves under its w3id.org IRIs.

For every document IRI (each resource under ``id/``, the named graphs, the ontology and its version IRI, the
shapes, the dataset) it writes ``PATH/index.html`` (so a plain host such as ``python3 -m http.server`` or
GitHub Pages serves the page at ``/PATH`` and ``/PATH/``) and one file per RDF format beside it, ``PATH.ttl``,
``PATH.jsonld``, ``PATH.nt`` and ``PATH.rdf``, fetched from the service itself (in process), so the static
pages are what ``klynge serve`` answers. In the pages, each format button links its file, the dumps link their
release's files, and links to what only the service answers (the editor, search, the SPARQL endpoint, the API,
the API docs) point at ``--service-url``, or are left out without one. Beside them: the dumps named by release
(``dumps/klynge-0.1.0.ttl``...) with ``SHA256SUMS``, the DCAT-AP catalogue and VoID naming the same version,
sizes and checksums, the stylesheets the pages use, and two sets of rewrite rules written from one table:

* ``.htaccess`` for an Apache host serving DIR at its root: content negotiation by ``Accept`` from each IRI's
  path to its files (an RDF format when asked for and HTML not, else the page);
* ``w3id.htaccess`` for the ``klynge/`` folder of the w3id.org redirect service: the same negotiation, as
  303 redirects to the static host (``--site-url``).

The site must sit at the root of its host: pages link resources by absolute path (``/id/...``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox

from klynge.answers import dataset
from klynge.rdf.namespaces import KLYNGE_BASE, PREFIXES
from klynge.rdf.rdf_text import serialize
from klynge.web import page_kinds

# Each document IRI gets these representations; the key is the file extension (and the ``?format=`` value).
REPRESENTATIONS = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
# Media types by extension, for the host (AddType) and the tests.
MEDIA_TYPES = {**REPRESENTATIONS, **{d.extension: d.media_type for d in dataset.DUMPS}}
# The paths under the base that are documents with representations (not files): the rules' one pattern, from
# the page table (the page kinds the static site carries).
DOCUMENT_PATHS = page_kinds.DOCUMENT_PATHS
# Accept patterns for the RDF representations, tried in this order, each only when HTML is not asked for.
NEGOTIATION = (
    ("ttl", r"text/turtle"),
    ("jsonld", r"application/ld\+json"),
    ("nt", r"application/n-triples"),
    ("rdf", r"application/rdf\+xml"),
)
ASSET = re.compile(r'(?:href|src)="(/static/[^"?#]+)"')
# A link of a page: the attribute and its value, for the links within the site.
LINK = re.compile(r'\b(href|src|action)="((?:/|\?)[^"]*)"')
ANCHOR = r'<a\b[^>]*?\bhref="((?:/|\?)[^"]*)"[^>]*>(.*?)</a>'


class PublishError(RuntimeError):
    """What stops a publication, in words saying what to fix."""


@dataclass(frozen=True)
class Publication:
    """What ``publish`` wrote: the document paths (under the base), the release, and every file."""

    out: Path
    documents: list[str]
    version: str
    files: list[Path]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder to write (absent or empty)")
    parser.add_argument(
        "--site-url",
        required=True,
        help="where the static host serves the folder, at the root of its host (e.g. https://klynge.example.org); "
        "w3id.htaccess redirects the IRIs there",
    )
    parser.add_argument(
        "--service-url",
        help="where `klynge serve` runs publicly, if it does: the catalogue then lists its SPARQL endpoint",
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="the checkout to publish: its ontology/, data/ and releases/ (default: the installed package's)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.root is not None and not (args.root / "ontology").is_dir():
            raise PublishError(f"--root {args.root} is no klynge checkout: it has no ontology/ folder")
        publication = publish(args.out, args.site_url, args.service_url, args.root)
    except PublishError as error:
        print(f"klynge publish: {error}", file=sys.stderr)
        return 2
    print(
        f"klynge publish: release {publication.version}, {len(publication.documents)} documents, "
        f"{len(publication.files)} files in {publication.out}"
    )
    return 0


def checked_site_url(url: str) -> str:
    """The site URL without a trailing slash, or a PublishError saying what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PublishError(f"--site-url must be an http(s) URL such as https://klynge.example.org, not {url!r}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise PublishError(f"--site-url must be the root of a host (pages link /id/... by absolute path), not {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def checked_out(out: Path) -> Path:
    """The output folder, created; a PublishError if it holds anything (nothing is overwritten)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PublishError(f"{out} exists and is not an empty folder; give a new or empty one")
    out.mkdir(parents=True, exist_ok=True)
    return out


def document_paths(store: ox.Store, graphs: Iterable[str], base: str = KLYNGE_BASE) -> list[str]:
    """Every document path under the base: IRIs the graph mentions (a hash IRI is its document's), the named
    graphs, and the documents every publication holds (the ontology, the shapes, the dataset)."""
    found = set(page_kinds.FIXED_DOCUMENTS)
    for quad in store:
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(base):
                found.add(term.value[len(base) :].split("#", 1)[0])
    found.update(graph[len(base) :] for graph in graphs if graph.startswith(base))
    found.discard("")
    unknown = sorted(path for path in found if not re.fullmatch(DOCUMENT_PATHS, path))
    if unknown:
        raise PublishError(f"IRIs outside the published paths ({DOCUMENT_PATHS}): {', '.join(unknown[:5])}")
    return sorted(found)


def publish(out: Path, site_url: str, service_url: str | None = None, root: Path | None = None) -> Publication:
    """Write the static publication into ``out`` (see the module's docstring), of the checkout ``root``'s graph
    and releases (default: the installed package's)."""
    from klynge.commands.publish_releases import publish_releases
    from klynge.engines.releases import ReleaseArchive
    from klynge.engines.store import EmbeddedEngine
    from klynge.graph.build import build_store, default_sources
    from klynge.graph.releases import read_history
    from klynge.settings import Limits, Settings
    from klynge.web.app import create_app

    site = checked_site_url(site_url)
    out = checked_out(out)
    store = build_store(default_sources(root))
    engine = EmbeddedEngine(store, limits=Limits(workers=1))
    try:
        history = read_history(root)
        archive = ReleaseArchive(history) if history.releases else None
        app = create_app(engine, Settings(public_base_url=site, validate_on_start=False), archive)
        with InProcess(app, urlsplit(site).netloc) as client:
            release = dataset.release(engine)
            documents = document_paths(store, engine.graph_counts())
            links = SiteLinks(frozenset(documents), release.version, service_url.rstrip("/") if service_url else None)
            writer = Writer(out, client, links)
            versioned = f"ontology/{release.version}"  # the current release: the ontology's own files, copied
            for path in documents:
                if path != versioned:
                    writer.document(path)
            writer.copy_document("ontology", versioned)
            files = writer.dumps(release.version)
            sparql = service_url.rstrip("/") + "/sparql" if service_url else None
            catalogue = dataset.description(
                engine, dataset.Site(KLYNGE_BASE, site, sparql), engine.graph_counts(), files
            )
            writer.catalogue(catalogue)
            writer.assets()
            writer.text("index.html", links.page(writer.fetch("", "text/html").decode("utf-8"), ""))
            rules = publish_releases(archive, store, writer, release.version)
            writer.text(".htaccess", rules.into(htaccess(release.version, site=None), w3id=False))
            writer.text("w3id.htaccess", rules.into(htaccess(release.version, site=site), w3id=True))
    finally:
        engine.close()
    return Publication(out, documents, release.version, sorted(writer.written))


def file_of(path: str, extension: str) -> str:
    """The file holding one representation of a document: its page is the folder's ``index.html`` (which every
    host serves at ``/PATH/``, and a plain one at ``/PATH`` by a redirect), each RDF format a file beside it."""
    return f"{path}/index.html" if extension == "html" else f"{path}.{extension}"


@dataclass(frozen=True)
class SiteLinks:
    """What a page's links within the site become on the static host: a format button its file, the latest dumps
    their release's files, VoID the dataset's Turtle, and a route only the service answers the service's URL
    (``service``), or no link at all (the text stays, a search form goes) when there is no service."""

    documents: frozenset[str]
    version: str
    service: str | None

    def target(self, url: str, page: str) -> str | None:
        """Where a link of the page at ``page`` should lead on the static host; None: nowhere, leave it out."""
        parts = urlsplit(url)
        path = page if not parts.path else parts.path.lstrip("/")
        absolute = url if parts.path else f"/{page}{url}"  # ``?format=…`` is relative to the page
        requested = dict(pair.partition("=")[::2] for pair in parts.query.split("&") if pair)
        if path in self.documents and set(requested) <= {"format"}:
            wanted = requested.get("format")
            if wanted is None:
                return url
            if wanted in REPRESENTATIONS:
                return "/" + file_of(path, wanted)
        elif (path == "" and not parts.query) or path.startswith(("static/", "dumps/")):
            return url
        elif path == ".well-known/void":
            return "/" + file_of("dataset", "ttl")
        return None if self.service is None else self.service + absolute

    def page(self, html: str, path: str) -> str:
        """The page with its links rewritten (see the class); the latest dumps are named by release everywhere,
        in the page's JSON-LD too."""

        def anchor(match: re.Match[str]) -> str:
            return match[0] if self.target(match[1], path) is not None else f"<span>{match[2]}</span>"

        def menu(match: re.Match[str]) -> str:  # in a menu a route the host lacks goes, text and all
            return re.sub(ANCHOR, lambda a: a[0] if self.target(a[1], path) is not None else "", match[0], flags=re.S)

        def form(match: re.Match[str]) -> str:
            return match[0] if self.target(match[1], path) is not None else ""

        def link(match: re.Match[str]) -> str:  # (a link element or image the host lacks loses its address)
            target = self.target(match[2], path)
            return "" if target is None else f'{match[1]}="{target}"'

        for dump in dataset.DUMPS:
            html = html.replace(f'/dumps/klynge.{dump.extension}"', f'/dumps/klynge-{self.version}.{dump.extension}"')
        html = re.sub(r"<nav\b.*?</nav>", menu, html, flags=re.S)
        html = re.sub(ANCHOR, anchor, html, flags=re.S)
        html = re.sub(r'<form\b[^>]*?\baction="((?:/|\?)[^"]*)"[^>]*>.*?</form>', form, html, flags=re.S)
        return LINK.sub(link, html)


@dataclass(frozen=True)
class Answer:
    """One response of the app: status, Content-Type and body."""

    status: int
    content_type: str
    body: bytes


class InProcess:
    """GET requests to an ASGI app in this process (no socket, no HTTP client library): one event loop for all.

    Each request names ``host`` (the public site) in its Host header, as a request reaching the site would.
    """

    def __init__(self, app, host: str) -> None:
        self.app, self.host = app, host.encode("ascii")
        self.runner = asyncio.Runner()

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.runner.close()

    def get(self, path: str, accept: str = "*/*") -> Answer:
        return self.runner.run(self._get(path, accept))

    async def _get(self, path: str, accept: str) -> Answer:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "https",
            "path": path,
            "raw_path": path.encode("utf-8"),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", self.host), (b"accept", accept.encode("ascii"))],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 443),
        }
        sent: list[dict] = []
        requested, done = False, asyncio.Event()

        async def receive() -> dict:
            """The (empty) request body once; then, as a client would, a disconnect once the answer is sent."""
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                done.set()

        await self.app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Answer(start["status"], headers.get("content-type", ""), body)


class Writer:
    """Writes the publication's files, fetching each from the service, and remembers what it wrote."""

    def __init__(self, out: Path, client: InProcess, links: SiteLinks) -> None:
        self.out = out
        self.client = client
        self.links = links
        self.written: set[Path] = set()
        self.pages: list[str] = []

    def write(self, relative: str, body: bytes) -> Path:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        self.written.add(path)
        return path

    def text(self, relative: str, body: str) -> Path:
        return self.write(relative, body.encode("utf-8"))

    def fetch(self, path: str, media_type: str) -> bytes:
        answer = self.client.get("/" + path, media_type)
        if answer.status != 200 or not answer.content_type.startswith(media_type):
            raise PublishError(
                f"the service answered /{path} for {media_type} with {answer.status} {answer.content_type}: "
                f"{answer.body[:200].decode('utf-8', 'replace')}"
            )
        return answer.body

    def document(self, path: str) -> None:
        """The page and the RDF files of one document IRI's path."""
        for extension, media_type in REPRESENTATIONS.items():
            body = self.fetch(path, media_type)
            if extension == "html":
                page = self.links.page(body.decode("utf-8"), path)
                self.pages.append(page)
                body = page.encode("utf-8")
            self.write(file_of(path, extension), body)

    def copy_document(self, source: str, target: str) -> None:
        """The representations of ``source`` also under ``target`` (the current release at its version IRI)."""
        for extension in REPRESENTATIONS:
            self.write(file_of(target, extension), (self.out / file_of(source, extension)).read_bytes())

    def dumps(self, version: str) -> list[dataset.DumpFile]:
        """The dumps named by release, their SHA256SUMS, and their catalogue entries."""
        files, sums = [], []
        for dump in dataset.DUMPS:
            body = self.fetch(f"dumps/klynge.{dump.extension}", dump.media_type)
            name = f"klynge-{version}.{dump.extension}"
            self.write(f"dumps/{name}", body)
            digest = hashlib.sha256(body).hexdigest()
            sums.append(f"{digest}  {name}\n")
            url = f"{KLYNGE_BASE}dumps/{name}"
            files.append(dataset.DumpFile(dump, url, len(body), digest))
        tables = self.fetch(f"dumps/{dataset.TABLES_FILE}.zip", dataset.TABLES_PACKAGING)
        name = f"{dataset.TABLES_FILE}-{version}.zip"
        for written in (name, f"{dataset.TABLES_FILE}.zip"):  # the catalogue's name, and the /dataset page's
            self.write(f"dumps/{written}", tables)
        digest = hashlib.sha256(tables).hexdigest()
        sums.append(f"{digest}  {name}\n")
        files.append(dataset.DumpFile(dataset.TABLES, f"{KLYNGE_BASE}dumps/{name}", len(tables), digest))
        self.text("dumps/SHA256SUMS", "".join(sums))
        return files

    def catalogue(self, triples: list[ox.Triple]) -> None:
        """The DCAT-AP catalogue and VoID (one description) as the dataset document's RDF files, replacing the
        service's (whose distributions are its own unversioned /dumps URLs)."""
        for extension, syntax in (("ttl", ox.RdfFormat.TURTLE), ("jsonld", ox.RdfFormat.JSON_LD)):
            self.write(f"dataset.{extension}", serialize(triples, syntax, PREFIXES))

    def assets(self) -> None:
        """The stylesheets and scripts the written pages load from /static/."""
        for asset in sorted({m for page in self.pages for m in ASSET.findall(page)}):
            answer = self.client.get(asset)
            if answer.status != 200:
                raise PublishError(f"a page loads {asset}, which the service does not serve ({answer.status})")
            self.write(asset.lstrip("/"), answer.body)


def htaccess(version: str, site: str | None) -> str:
    """Rewrite rules from one table: internal rewrites for the static host (``site`` None), or 303 redirects to
    ``site`` for w3id.org (a page to its folder, ``/PATH/``). The tests run them in Apache."""
    lines = list(header(version, site))
    if site is None:  # a page's folder is the document: no redirect from /PATH to /PATH/ before the rules
        lines += ["DirectorySlash Off", "RewriteBase /"]
    # END, not L, on the static host: a rewrite is final, so a document that is not there is a 404, not a loop of
    # internal rewrites (id/x -> id/x/index.html -> id/x/index.html/index.html ...) that Apache ends with a 500.
    target, flags = ("", "[END]") if site is None else (site + "/", "[R=303,L]")
    files_as_they_are = site is None  # a static host serves a file that exists (``id/x.ttl``) unchanged

    def document(extension: str) -> str:
        return f"{target}$1/" if site is not None and extension == "html" else target + file_of("$1", extension)

    lines += [
        "# The latest release's dumps under their unversioned names.",
        rf"RewriteRule ^dumps/klynge\.({'|'.join(d.extension for d in dataset.DUMPS)})$ "
        f"{target}dumps/klynge-{version}.$1 [R=302,L]",
        "# VoID where VoID clients look for it: the dataset's description.",
        *negotiated(
            r"\.well-known/void",
            lambda extension: f"{target}dataset.{extension}",
            flags,
            files_as_they_are,
            default="ttl",
        ),
        "# Each document IRI (with or without a final /): an RDF format when asked for (and HTML is not), else the",
        "# page, its folder's index.html.",
        *negotiated(f"({DOCUMENT_PATHS})/?", document, flags, files_as_they_are, default="html"),
    ]
    if site is not None:
        lines += [
            "# Everything else (dumps, checksums, stylesheets, the home page) as it is.",
            f"RewriteRule ^(.*)$ {target}$1 [R=302,L]",
        ]
    return "\n".join(lines) + "\n"


def header(version: str, site: str | None) -> Iterator[str]:
    where = "the static host's root (beside the files)" if site is None else "w3id.org's klynge/ folder"
    yield f"# klynge {version}: written by `klynge publish`, for {where}. Do not edit; publish again."
    yield "Options -MultiViews"
    for extension, media_type in MEDIA_TYPES.items():
        yield f"AddType {media_type} .{extension}"
    yield "RewriteEngine on"


def negotiated(
    pattern: str, where: Callable[[str], str], flags: str, files_as_they_are: bool, default: str
) -> Iterator[str]:
    """The rules sending ``pattern`` to ``where(extension)`` for each RDF format by Accept, else ``where(default)``."""
    file_check = ["RewriteCond %{REQUEST_FILENAME} !-f"] if files_as_they_are else []
    for extension, accept in NEGOTIATION:
        yield from file_check
        yield f"RewriteCond %{{HTTP_ACCEPT}} {accept}"
        yield r"RewriteCond %{HTTP_ACCEPT} !text/html"
        yield f"RewriteRule ^{pattern}$ {where(extension)} {flags}"
    yield from file_check
    yield f"RewriteRule ^{pattern}$ {where(default)} {flags}"
