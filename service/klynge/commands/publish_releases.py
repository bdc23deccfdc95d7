"""What ``klynge publish`` adds for the releases: their files, the feed, old version IRIs, and retired IRIs.

A job of the commands layer (it reads the release archive of ``klynge.engines``), kept apart from
``klynge.commands.publish`` (which calls ``publish_releases`` once) so the static site's layout
and the releases can change independently. Every file is fetched from the service in process, as the rest of
the site is, so the static files are what ``klynge serve`` answers:

* ``releases/VERSION/`` with ``klynge.nq`` (the release's dump), ``patch.rdfp`` (the RDF Patch from the release
  before), ``CITATION.cff``, ``datacite.json`` and ``release.json``; ``releases/feed.atom`` and
  ``releases/index.json`` (every release, newest first);
* the ontology of every earlier release under its version IRI (``ontology/0.1.0.ttl``...);
* for each IRI an earlier release described and the served graph does not: a 301 rule to its replacement
  (a rename found by ``klynge diff`` or ``dcterms:isReplacedBy``; on w3id.org straight to the new IRI) or a
  410 rule, with ``gone.html`` naming the last release that had each one (``ErrorDocument 410``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from klynge.commands.publish import Writer
from klynge.engines.releases import ReleaseArchive
from klynge.graph.releases import RELEASE_FILES
from klynge.rdf.namespaces import KLYNGE_BASE


@dataclass
class ReleaseRules:
    """Rewrite rules for retired IRIs: for the static host, and for w3id.org."""

    static: list[str] = field(default_factory=list)
    w3id: list[str] = field(default_factory=list)

    def into(self, htaccess: str, w3id: bool) -> str:
        """The rules placed right after ``RewriteEngine on``, before any rule that would rewrite a retired path."""
        rules = self.w3id if w3id else self.static
        if not rules:
            return htaccess
        return htaccess.replace("RewriteEngine on\n", "RewriteEngine on\n" + "\n".join(rules) + "\n", 1)


def retired(archive: ReleaseArchive, store: ox.Store) -> list[tuple[str, str, str | None]]:
    """(IRI, last release that described it, replacement or None) for each resource a release described and the
    served graph describes no more."""
    described = {q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)}
    found = []
    for iri in archive.described_iris():
        if iri.startswith(KLYNGE_BASE + "id/") and iri not in described:
            last = archive.last_release_with(iri)
            assert last is not None
            found.append((iri, last.version, archive.replacement(iri)))
    return sorted(found)


def publish_releases(
    archive: ReleaseArchive | None,
    store: ox.Store,
    writer: Writer,
    served_version: str,
) -> ReleaseRules:
    """Write the releases' files and pages through the publication's ``writer``, return the rules."""
    fetch, write = writer.fetch, writer.write
    rules = ReleaseRules()
    if archive is None:
        return rules
    for release in archive.history.releases:
        folder = f"releases/{release.version}"
        for name, media_type in RELEASE_FILES.items():
            write(f"{folder}/{name}", fetch(f"{folder}/{name}", media_type))
        write(f"{folder}/release.json", fetch(folder, "application/json"))
        if release.version != served_version:
            writer.document(f"ontology/{release.version}")
    write("releases/feed.atom", fetch("releases/feed.atom", "application/atom+xml"))
    write("releases/index.json", fetch("releases", "application/json"))
    gone = retired(archive, store)
    if not gone:
        return rules
    rules.static.append(
        "# IRIs an earlier release had: 301 to what replaced them, else 410 (gone.html names the "
        "last release that had each)."
    )
    rules.static.append("ErrorDocument 410 /gone.html")
    rules.w3id.append("# IRIs an earlier release had and a later one renamed: 301 to the new IRI.")
    for iri, _, replacement in gone:
        path = re.escape(iri[len(KLYNGE_BASE) :])
        if replacement is not None and replacement.startswith(KLYNGE_BASE):
            rules.static.append(
                f"RewriteRule ^{path}(?:/|/index\\.html|\\.ttl|\\.jsonld|\\.nt|\\.rdf)?$ "
                f"/{replacement[len(KLYNGE_BASE) :]} [R=301,L]"
            )
            rules.w3id.append(f"RewriteRule ^{path}$ {replacement} [R=301,L]")
        else:
            rules.static.append(f"RewriteRule ^{path}(?:/|/index\\.html|\\.ttl|\\.jsonld|\\.nt|\\.rdf)?$ - [G,L]")
    write("gone.html", gone_page(gone).encode())
    return rules


def gone_page(gone: list[tuple[str, str, str | None]]) -> str:
    """The 410 page of the static site: each retired IRI, the last release that had it, and what replaced it."""
    rows = "".join(
        f"<tr><td><code>{html.escape(iri)}</code></td><td>{version}</td>"
        f"<td>{html.escape(replacement) if replacement else '—'}</td></tr>"
        for iri, version, replacement in gone
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gone · klynge</title></head><body><main>'
        "<h1>Gone</h1><p>The IRI you asked for is in no current release of klynge. Each retired IRI is listed below "
        "with the last release that had it; that release's dump (<code>/releases/VERSION/klynge.nq</code>) still "
        "holds what it said.</p><table><thead><tr><th>IRI</th><th>Last release</th><th>Replaced by</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></main></body></html>\n"
    )
