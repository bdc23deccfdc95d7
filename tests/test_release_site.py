"""``klynge publish`` and the releases: their files, the feed, old version IRIs, and rules for retired IRIs."""

from __future__ import annotations

import re

import pytest

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
