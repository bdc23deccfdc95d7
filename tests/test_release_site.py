"""``klynge publish`` and the releases: their files, the feed, old version IRIs, and rules for retired IRIs."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest

from apache import apache, readable_folder
from klynge.cli import main
from klynge.commands.publish import InProcess, SiteLinks, Writer
from klynge.commands.publish_releases import publish_releases
from klynge.engines.cache import CachingEngine
from klynge.engines.releases import ReleaseArchive
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store
from klynge.graph.releases import RELEASE_FILES, read_history
from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from release_copies import REMOVED, RENAMED_FROM, RENAMED_TO, REPOSITORY_LATEST, SECOND, cut_repository_copies, sources

BASE = "https://w3id.org/klynge/"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The release part of a publication of a repository copy whose last release renamed and removed IRIs."""
    root, _ = cut_repository_copies(tmp_path_factory)
    store = build_store(sources(root))
    archive = ReleaseArchive(read_history(root))
    app = create_app(CachingEngine(EmbeddedEngine(store, limits=Limits(workers=1))), Settings(), archive)
    out = tmp_path_factory.mktemp("site")
    with InProcess(app, "w3id.org") as client:
        writer = Writer(out, client, SiteLinks(frozenset(), SECOND, None))
        rules = publish_releases(archive, store, writer, SECOND)
    written = {path.relative_to(out).as_posix(): path.read_bytes() for path in writer.written}
    return archive, rules, written


def test_every_release_is_written_with_its_files_and_the_feed(published):
    archive, _, written = published
    for release in archive.history.releases:
        for name in RELEASE_FILES:
            assert f"releases/{release.version}/{name}" in written
        assert written[f"releases/{release.version}/klynge.nq"] == archive.history.nquads(release.version)
    assert written["releases/feed.atom"].count(b"<entry>") == len(archive.versions)
    old = written[f"ontology/{REPOSITORY_LATEST}.ttl"].decode()
    assert f"{BASE}ontology/{REPOSITORY_LATEST}>" in old and f"ontology/{SECOND}.ttl" not in written


def test_retired_iris_get_301_or_410_rules_and_the_gone_page_names_the_last_release(published):
    _, rules, written = published
    static = "\n".join(rules.static)
    renamed = re.escape(RENAMED_FROM[len(BASE) :])
    representations = "(?:/|/index\\.html|\\.ttl|\\.jsonld|\\.nt|\\.rdf)?$"
    assert f"RewriteRule ^{renamed}{representations} /{RENAMED_TO[len(BASE) :]} [R=301,L]" in static
    gone = [rule for rule in rules.static if rule.endswith("[G,L]")]
    assert len(gone) == 1
    for suffix in ("/index.html", ".ttl", ".rdf", ""):
        assert re.search(gone[0].split()[1], REMOVED[len(BASE) :] + suffix)
    assert f"RewriteRule ^{renamed}$ {RENAMED_TO} [R=301,L]" in rules.w3id
    page = written["gone.html"].decode()
    assert f"<code>{REMOVED}</code></td><td>{REPOSITORY_LATEST}</td>" in page
    htaccess = rules.into("# header\nRewriteEngine on\nRewriteRule ^(.*)$ $1.html [L]\n", w3id=False)
    assert htaccess.index("ErrorDocument 410 /gone.html") < htaccess.index("RewriteRule ^(.*)$")


# -- Retired IRIs on a real Apache: a history where a later release drops one IRI and renames another ------------


@pytest.fixture(scope="module")
def apache_site(tmp_path_factory):
    """`klynge publish --root` of a repository copy whose last release renamed DFIR and removed a requirement,
    served by Apache httpd reading the written .htaccess."""
    root, _ = cut_repository_copies(tmp_path_factory)
    out = readable_folder("klynge-release-site-") / "out"
    assert main(["publish", "--out", str(out), "--site-url", "http://127.0.0.1:1", "--root", str(root)]) == 0
    for folder in [out, *(p for p in out.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)
    with apache([out]) as (url,):
        yield url, out


def fetch(url: str, path: str, accept: str = "text/html"):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", path, headers={"Accept": accept})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body.decode("utf-8", "replace")


def test_apache_answers_410_for_a_dropped_iri_naming_the_last_release_that_had_it(apache_site):
    url, out = apache_site
    dropped = "/" + REMOVED[len(BASE) :]
    assert not (out / REMOVED[len(BASE) :]).exists()  # no file: the answer is the rule's
    for suffix, accept in (("", "text/html"), ("", "text/turtle"), (".ttl", "*/*"), ("/index.html", "text/html")):
        status, _, body = fetch(url, dropped + suffix, accept)
        assert status == 410, (suffix, accept, status)
        assert f"<code>{REMOVED}</code></td><td>{REPOSITORY_LATEST}</td>" in body
    status, _, _ = fetch(url, "/id/requirement/never-was-here")
    assert status == 404


def test_apache_answers_301_for_a_renamed_iri_to_its_replacement(apache_site):
    url, out = apache_site
    old, new = "/" + RENAMED_FROM[len(BASE) :], "/" + RENAMED_TO[len(BASE) :]
    for suffix in ("", ".ttl", "/index.html"):
        status, headers, _ = fetch(url, old + suffix)
        assert status == 301, suffix
        assert headers["Location"].endswith(new), headers["Location"]
    status, headers, body = fetch(url, new, "text/turtle")
    assert status == 200 and RENAMED_TO in body
