"""Time travel over the recorded releases, for every route at once: ``release=``, Memento, retired IRIs, citation.

``ReleaseSelection`` (ASGI middleware) reads ``release=VERSION`` from any request's query string and makes
the request's queries answer from that release (``klynge.engines.releases.SELECTED``), so every route,
answer and named query time-travels without a parameter of its own. Beyond that, for linked data:

* Memento (RFC 7089, pattern 1.1: the original resource is its own TimeGate): ``Accept-Datetime`` on
  ``/id/...`` redirects (302, ``Vary: accept-datetime``) to the release in force at that time,
  ``/id/...?release=V``, which answers with ``Memento-Datetime`` and ``Link`` (original, timegate, timemap).
  ``/timemap/id/...`` lists every release of the resource in ``application/link-format``.
* Retired IRIs: an ``/id/...`` the served graph does not know but a release did answers 301 to its replacement
  (a rename ``klynge diff`` found, or ``dcterms:isReplacedBy`` in a release) or 410 Gone naming the last release
  that had it (RDF: ``owl:deprecated``, ``dcterms:isReplacedBy``), never 404.
* Citation: every successful answer names its release (``Klynge-Release``), a pinned URL (``Link:
  rel="cite-as"`` on answers, the release IRI or its DOI on the release itself) and the SHA-256 of its bytes
  (``Repr-Digest``, RFC 9530); an HTML page shows the same in a "Cite this" block.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from klynge.engines.base import Engine
from klynge.engines.releases import SELECTED, ReleaseArchive, ReleaseSwitch
from klynge.graph.releases import (
    PATCH_MEDIA_TYPE,
    RELEASE_FILES,
    VERSION,
    Release,
    ReleaseError,
    patch_counts,
    version_key,
)
from klynge.rdf.namespaces import DCTERMS, KLYNGE_BASE, OWL, RDFS, shorten
from klynge.web import api_docs, statuses
from klynge.web.dependencies import app_engine, app_settings, engine_of
from klynge.web.http_semantics import signpost
from klynge.web.query_string import query_fields
from klynge.web.templating import public_url

VERSION_PATTERN = VERSION.pattern
ANSWER_PREFIXES = ("/api/", "/sparql", "/as-of/", "/id/", "/graph/", "/dataset", "/ontology", "/search", "/timeline")
LINK_FORMAT = "application/link-format"


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def with_query(path: str, query: list[tuple[str, str]], **changes: str | None) -> str:
    """``path`` with its query string changed (a None value drops the parameter)."""
    kept = [(k, v) for k, v in query if k not in changes]
    kept += [(k, v) for k, v in changes.items() if v is not None]
    return path + ("?" + urlencode(kept) if kept else "")


def link_values(links: list[tuple[str, str, dict[str, str]]]) -> str:
    return ", ".join(
        f'<{target}>; rel="{rel}"' + "".join(f'; {key}="{value}"' for key, value in extra.items())
        for target, rel, extra in links
    )


def plain(status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, list, bytes]:
    body = text.encode()
    return status, [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])], body


def archive_of(engine: Engine) -> ReleaseArchive | None:
    """The releases the service's engine answers ``release=`` from (None: it holds none)."""
    return engine.archive if isinstance(engine, ReleaseSwitch) else None


def resource_iri(path: str) -> str:
    """The IRI klynge's releases record for a path of this service."""
    return KLYNGE_BASE + path.lstrip("/")


class ReleaseSelection:
    """ASGI middleware: the release a request names or implies, and the headers that say which it was."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine = app_engine(scope["app"])
        archive = archive_of(engine)
        path: str = scope["path"]
        query = query_fields(scope.get("query_string", b""))
        asked = [value for key, value in query if key == "release"]
        early = self.refusal(archive, asked, path)
        if early is None and not asked and archive is not None and path.startswith("/id/"):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            if "accept-datetime" in headers:
                early = self.timegate(archive, path, query, headers["accept-datetime"])
        if early is not None:
            await respond(send, *early)
            return
        version = asked[0] if asked else None
        if version is None and archive is not None:
            version = versioned_ontology(archive, path)
        # The release's store is made ready in a thread (its first request materialises it) and kept for the
        # whole request, so no query of the request meets a store being built or dropped.
        held = version is not None and isinstance(engine, ReleaseSwitch)
        done = await run_in_threadpool(engine.hold, version) if held else None
        token = SELECTED.set(version)
        try:
            await self.answer(scope, receive, send, engine, archive, version, path, query)
        finally:
            SELECTED.reset(token)
            if done is not None:
                done()

    @staticmethod
    def refusal(archive: ReleaseArchive | None, asked: list[str], path: str) -> tuple[int, list, bytes] | None:
        if not asked:
            return None
        if len(asked) > 1:
            return plain(400, "give release= once: one request answers from one release")
        try:
            version_key(asked[0])
        except ReleaseError as error:
            return plain(400, f"release: {error}")
        if archive is None:
            return plain(404, "this service holds no releases; leave release= out for the served graph")
        if asked[0] not in archive.versions:
            return plain(404, f"there is no release {asked[0]}; the releases are {', '.join(archive.versions)}")
        return None

    @staticmethod
    def timegate(archive: ReleaseArchive | None, path: str, query: list, value: str) -> tuple[int, list, bytes]:
        """RFC 7089 §4.1.1: redirect to the memento in force at the asked time."""
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            moment = None
        if moment is None:
            example = "Mon, 07 Dec 2026 15:00:00 GMT"
            return plain(400, f"Accept-Datetime {value[:60]!r} is not an HTTP date (e.g. {example})")
        if archive is None:
            return plain(404, "this service holds no releases, so it has no mementos")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        release = archive.history.in_force_at(moment)
        target = with_query(path, query, release=release.version)
        links = link_values([(path, "original timegate", {}), ("/timemap" + path, "timemap", {"type": LINK_FORMAT})])
        return (
            302,
            [
                (b"location", target.encode()),
                (b"vary", b"accept-datetime"),
                (b"link", links.encode()),
                (b"content-type", b"text/plain; charset=utf-8"),
            ],
            f"See {target}\n".encode(),
        )

    async def answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        engine: object,
        archive: ReleaseArchive | None,
        version: str | None,
        path: str,
        query: list,
    ) -> None:
        if not path.startswith(ANSWER_PREFIXES):  # files, assets, docs: passed through as they stream
            await self.app(scope, receive, send)
            return
        started: dict[str, object] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        status = int(started.get("status", 500))
        headers = list(started.get("headers", []))
        body = b"".join(chunks)
        if status == 404 and version is None and archive is not None and path.startswith("/id/"):
            retired = await run_in_threadpool(retired_answer, archive, path, scope)  # may scan the first dump once
            if retired is not None:
                await respond(send, *retired)
                return
        if status == 200 and path.startswith(ANSWER_PREFIXES) and isinstance(engine, ReleaseSwitch):
            if archive and version:
                release = archive.release(version)
            elif engine.served_match_known():  # compared once: no trip to a thread on every answer
                release = engine.served_release()
            else:
                release = await run_in_threadpool(engine.served_release)
            if path.startswith("/id/") and archive is not None:
                body = with_history(body, archive, path)
            if version is not None:
                body = links_kept_in(body, version, headers)
            site = public_url(Request(scope))
            headers, body = cite(headers, body, release, site + path, query, version)
            if path.startswith("/id/") and archive is not None:
                original = with_query(path, query, release=None)
                headers.append(
                    (
                        b"link",
                        link_values(
                            [
                                (original, "original timegate", {}),
                                ("/timemap" + path, "timemap", {"type": LINK_FORMAT}),
                            ]
                        ).encode(),
                    )
                )
                if version is not None:
                    headers.append((b"memento-datetime", http_date(release.issued).encode()))
                else:  # the original resource is its own TimeGate (RFC 7089 §4.1.1)
                    headers.append((b"vary", b"accept-datetime"))
        await respond(send, status, headers, body)


STAYING_LINK = re.compile(rb'href="(/(?:id|as-of|graph|timeline|search|ontology)(?:/[^"?#]*)?)(\?[^"#]*)?"')


def links_kept_in(body: bytes, version: str, headers: list) -> bytes:
    """A page of release ``version`` whose links to other pages stay in that release (HTML only)."""
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if not content_type.startswith(b"text/html"):
        return body

    def pinned(match: re.Match[bytes]) -> bytes:
        target, query = match.group(1), match.group(2) or b""
        if b"release=" in query:
            return match.group(0)
        joiner = b"&amp;" if query else b"?"
        return b'href="' + target + query + joiner + b"release=" + version.encode() + b'"'

    return STAYING_LINK.sub(pinned, body)


def versioned_ontology(archive: ReleaseArchive, path: str) -> str | None:
    """The release whose ontology a version IRI (``/ontology/0.1.0``) names: each version IRI stays resolvable."""
    match = re.fullmatch(r"/ontology/(\d+\.\d+\.\d+)", path)
    return match.group(1) if match and match.group(1) in archive.versions else None


async def respond(send: Send, status: int, headers: list, body: bytes) -> None:
    """Send an answer; its Content-Length is the body's, except where a status has none of its own (304)."""
    if status != 304:
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def cite(
    headers: list, body: bytes, release: Release | None, path: str, query: list, version: str | None
) -> tuple[list, bytes]:
    """The answer with what cites it: release, pinned URL and digest as headers, and as a block on a page."""
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"").decode("latin-1")
    digest = hashlib.sha256(body)  # hashed once (a scan's answer runs to megabytes), again only if the block goes in
    pinned = with_query(path, query, release=release.version) if release else None
    if content_type.startswith("text/html") and b"</main>" in body:
        block = cite_block(release, pinned, digest.hexdigest())
        body = body.replace(b"</main>", block.encode() + b"</main>", 1)
        digest = hashlib.sha256(body)
    headers = [
        *headers,
        (b"klynge-release", (release.version if release else "unreleased").encode()),
        (b"repr-digest", f"sha-256=:{base64.b64encode(digest.digest()).decode()}:".encode()),
    ]
    if pinned and "/id/" not in path:  # a resource's cite-as is its IRI (linked_data signposts it)
        headers.append((b"link", f'<{pinned}>; rel="cite-as"'.encode()))
    return headers, body


def cite_block(release: Release | None, pinned: str | None, digest: str) -> str:
    if release is None:
        return (
            '<aside class="cite" aria-label="Cite this"><h2>Cite this</h2><p>This answer comes from the '
            "served graph, which is no release yet: it cannot be cited by release.</p></aside>"
        )
    return (
        '<aside class="cite" aria-label="Cite this"><h2>Cite this</h2><dl>'
        f'<dt>Release</dt><dd><a href="{html.escape(release.cite_as)}">{release.version}</a> '
        f"({release.date})</dd>"
        f'<dt>Pinned URL</dt><dd><a href="{html.escape(pinned or "")}">{html.escape(pinned or "")}</a></dd>'
        f"<dt>SHA-256 of this answer</dt><dd><code>{digest}</code> (the page without this block)</dd>"
        "</dl></aside>"
    )


def retired_answer(archive: ReleaseArchive, path: str, scope: Scope) -> tuple[int, list, bytes] | None:
    """301 to the replacement of an IRI a release had, or 410 naming the last release that had it (only where the
    service answers for klynge's own IRIs: the releases record those)."""
    if app_settings(scope["app"]).base_iri != KLYNGE_BASE:
        return None
    iri = resource_iri(path)
    last = archive.last_release_with(iri)
    if last is None:
        return None
    replacement = archive.replacement(iri)
    accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept"), "")
    wants_turtle = "text/turtle" in accept and "text/html" not in accept
    if replacement is not None:
        target = "/" + replacement[len(KLYNGE_BASE) :] if replacement.startswith(KLYNGE_BASE) else replacement
        turtle = f"<{iri}> {DCTERMS.isReplacedBy} <{replacement}> ;\n    {OWL.deprecated} true .\n"
        said = f"{iri} was replaced by {replacement} in release {last_next(archive, last)}.\n"
        body = turtle if wants_turtle else said
        kind = b"text/turtle" if wants_turtle else b"text/plain; charset=utf-8"
        return 301, [(b"location", target.encode()), (b"content-type", kind)], body.encode()
    pinned = f"{path}?release={last.version}"
    if wants_turtle:
        body = f"<{iri}> {OWL.deprecated} true ;\n    {RDFS.seeAlso} <{last.iri}> .\n"
        return 410, [(b"content-type", b"text/turtle")], body.encode()
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gone · klynge</title>'
        '<link rel="stylesheet" href="/static/klynge.css"></head><body><main>'
        f"<h1>Gone</h1><p><code>{html.escape(iri)}</code> is no longer in the graph. The last release that had it "
        f'is <a href="{html.escape(pinned)}">{last.version}</a> ({last.date}); that release still answers for it.</p>'
        f'<p>Its history: <a href="/timemap{html.escape(path)}">every release of it</a>.</p></main></body></html>'
    )
    return 410, [(b"content-type", b"text/html; charset=utf-8")], page.encode()


def last_next(archive: ReleaseArchive, last: Release) -> str:
    """The release after ``last`` (the one that retired an IRI)."""
    versions = archive.versions
    index = versions.index(last.version)
    return versions[index + 1] if index + 1 < len(versions) else "(unreleased)"


def timemap(archive: ReleaseArchive, path: str) -> str | None:
    """The TimeMap of a resource (RFC 7089 §5.1.1) in application/link-format, or None if no release has it."""
    iri = resource_iri(path)
    held = archive.releases_with(iri)
    if not held:
        return None
    links: list[tuple[str, str, dict[str, str]]] = [
        (path, "original", {}),
        (path, "timegate", {}),
        ("/timemap" + path, "self", {"type": LINK_FORMAT}),
    ]
    for index, release in enumerate(held):
        rel = "memento"
        if index == 0:
            rel = "first memento" if len(held) > 1 else "first last memento"
        elif index == len(held) - 1:
            rel = "last memento"
        links.append((f"{path}?release={release.version}", rel, {"datetime": http_date(release.issued)}))
    return ",\n".join(link_values([link]) for link in links) + "\n"


def with_history(body: bytes, archive: ReleaseArchive, path: str) -> bytes:
    """A resource page with the releases in which the resource changed and which of its properties changed
    (the statements themselves are in each release's patch); HTML pages only."""
    if not body.lstrip().startswith(b"<!") or b"</main>" not in body:
        return body
    changes = archive.changes_of(resource_iri(path))
    if not changes:
        return body
    items = []
    for index, (release, removed, added) in enumerate(changes):
        touched = sorted({predicate_of(line) for line in removed + added})
        first = index == 0 and not removed
        what = "first described" if first else f"{len(added)} statements added, {len(removed)} removed"
        names = ", ".join(f"<code>{html.escape(name)}</code>" for name in touched)
        items.append(
            f'<li><a href="{html.escape(path)}?release={release.version}">{release.version}</a> ({release.date}): '
            f'{what}; properties: {names} (<a href="/releases/{release.version}/patch.rdfp">patch</a>)</li>'
        )
    section = (
        '<section class="releases" aria-label="Releases"><h2>In the releases</h2><ul>'
        + "".join(items)
        + f'</ul><p><a href="/timemap{html.escape(path)}">TimeMap</a> (Memento, RFC 7089)</p></section>'
    )
    return body.replace(b"</main>", section.encode() + b"</main>", 1)


def predicate_of(line: str) -> str:
    """The predicate of an N-Quads line, shortened with the project's prefixes."""
    iri = line.split("> <", 2)[1].split(">", 1)[0]
    return shorten(iri) or iri


# -- OpenAPI: every operation that answers from the graph declares release= --------------------------------------

# Operations that do not answer from one release: the releases themselves, TimeMaps (every release), liveness.
NOT_RELEASED = ("/releases", "/timemap/", "/healthz")
RELEASE_REFUSALS = {
    "400": "`release` is not a release number (MAJOR.MINOR.PATCH) or is given twice; the message says which",
    "404": "`release` names no release this service holds; the message lists the releases",
}


def release_parameter(archive: ReleaseArchive | None) -> dict:
    """The OpenAPI ``release`` query parameter: an enum of the recorded versions (a pattern when none is held)."""
    versions = archive.versions if archive is not None else []
    schema: dict[str, object] = {"type": "string", "pattern": VERSION_PATTERN}
    if versions:
        schema["enum"] = list(reversed(versions))
    parameter = {
        "name": "release",
        "in": "query",
        "required": False,
        "description": "Answer from this release of the graph (MAJOR.MINOR.PATCH, e.g. "
        f"{versions[-1] if versions else '0.2.0'}) instead of the served graph: the same query and release give "
        "the same bytes and ETag after restarts and later releases. A malformed value is a 400, a release the "
        "service does not hold a 404 listing the releases (see /releases).",
        "schema": schema,
    }
    if versions:
        parameter["example"] = versions[-1]
    return parameter


def declare_release(app: FastAPI) -> None:
    """Make /openapi.json declare ``release`` on every operation the release middleware answers from a release
    (it honours ``release=`` on any route; the routes themselves never see it), with its 400 and 404."""
    plain_openapi = app.openapi
    declared: list[bool] = []

    def openapi() -> dict:
        schema = plain_openapi()
        if declared:
            return schema
        parameter = release_parameter(archive_of(app_engine(app)))
        for path, operations in schema.get("paths", {}).items():
            if path.startswith(NOT_RELEASED):
                continue
            for operation in operations.values():
                others = [p for p in operation.get("parameters", []) if p.get("name") != "release"]
                operation["parameters"] = [*others, parameter]
                for status, description in RELEASE_REFUSALS.items():
                    response = operation.setdefault("responses", {}).setdefault(
                        status, {"description": statuses.describe(int(status), description)}
                    )
                    if "content" in response:
                        response["content"].setdefault("text/plain", {})
                    if description not in response["description"]:
                        response["description"] += f"; or {description}"
        declared.append(True)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# -- Routes: the releases, their files, the feed, and TimeMaps --------------------------------------------------

router = APIRouter(tags=["releases"])
FILES = RELEASE_FILES


def the_archive(request: Request) -> ReleaseArchive:
    archive = archive_of(engine_of(request))
    if archive is None:
        raise HTTPException(404, "this service holds no releases")
    return archive


def release_file(archive: ReleaseArchive, version: str, name: str) -> bytes:
    """One file of a release, rebuilt from the record where the repository keeps a delta instead."""
    release = archive.release(version)
    if name == "klynge.nq":
        return archive.history.nquads(version)
    if name == "patch.rdfp":
        return archive.history.patch(version)
    return (release.folder / name).read_bytes()


NO_RELEASE = {404: {"description": "no such release (or the service holds none); the message lists the releases"}}
FILE_TYPES = sorted(set(RELEASE_FILES.values()))


@router.get(
    "/releases",
    summary="The releases, newest first, with their files",
    responses={404: {"description": "the service holds no releases"}},
)
def releases_list(request: Request) -> JSONResponse:
    archive = the_archive(request)
    listed = []
    for release in reversed(archive.history.releases):
        listed.append(
            {
                **release.record(),
                "iri": release.iri,
                "cite_as": release.cite_as,
                "files": {name: f"/releases/{release.version}/{name}" for name in FILES},
            }
        )
    return JSONResponse({"releases": listed, "feed": "/releases/feed.atom"})


@router.get(
    "/releases/feed.atom",
    summary="An Atom feed of the releases, with their patches and dumps",
    response_class=Response,
    responses={
        200: api_docs.content(["application/atom+xml"], "the feed (RFC 4287)"),
        404: {"description": "the service holds no releases"},
    },
)
def releases_feed(request: Request) -> Response:
    return Response(atom_feed(the_archive(request), public_url(request)), media_type="application/atom+xml")


@router.get("/releases/{version}", summary="One release: its record, as JSON", responses=NO_RELEASE)
def release_record(request: Request, version: str) -> JSONResponse:
    archive = the_archive(request)
    try:
        release = archive.release(version)
    except ReleaseError as error:
        raise HTTPException(404, str(error)) from None
    signpost(request, [(release.cite_as, "cite-as", None)])
    return JSONResponse(
        {**release.record(), "iri": release.iri, "files": {name: f"/releases/{version}/{name}" for name in FILES}}
    )


@router.get(
    "/releases/{version}/{name}",
    summary="A file of one release: dump, patch or citation metadata",
    response_class=Response,
    responses={
        200: api_docs.content(FILE_TYPES, "the file"),
        404: {"description": "no such release or file; the message says which there are"},
    },
)
def release_download(request: Request, version: str, name: str) -> Response:
    archive = the_archive(request)
    if name not in FILES:
        raise HTTPException(404, f"a release has the files {', '.join(FILES)}, not {name!r}")
    try:
        body = release_file(archive, version, name)
    except ReleaseError as error:
        raise HTTPException(404, str(error)) from None
    except OSError:
        raise HTTPException(404, f"release {version} has no {name}") from None
    return Response(body, media_type=FILES[name], headers={"ETag": f'"{hashlib.sha256(body).hexdigest()[:32]}"'})


@router.get(
    "/timemap/id/{path:path}",
    summary="The TimeMap of a resource (RFC 7089), in application/link-format",
    response_class=Response,
    responses={
        200: api_docs.content([LINK_FORMAT], "the TimeMap"),
        404: {"description": "no release describes the resource (or the service holds none)"},
    },
)
def resource_timemap(request: Request, path: str) -> Response:
    links = timemap(the_archive(request), "/id/" + path)
    if links is None:
        raise HTTPException(404, f"no release describes /id/{path}")
    return Response(links, media_type=LINK_FORMAT)


def atom_feed(archive: ReleaseArchive, site: str) -> str:
    """RFC 4287 Atom: one entry per release (newest first), linking its page, its patch and its dump."""

    def esc(text: str) -> str:
        return html.escape(text, quote=True)

    releases = list(reversed(archive.history.releases))
    stamp = releases[0].issued.strftime("%Y-%m-%dT%H:%M:%SZ") if releases else "1970-01-01T00:00:00Z"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        "  <title>klynge releases</title>",
        f"  <id>{esc(KLYNGE_BASE)}releases</id>",
        f"  <updated>{stamp}</updated>",
        "  <author><name>The klynge project</name></author>",
        f'  <link rel="self" type="application/atom+xml" href="{esc(site)}/releases/feed.atom"/>',
    ]
    for release in releases:
        added, deleted = patch_counts(archive.history.patch(release.version).decode())
        base = f"{site}/releases/{release.version}"
        lines += [
            "  <entry>",
            f"    <title>klynge {release.version}</title>",
            f"    <id>{esc(release.iri)}</id>",
            f"    <updated>{release.issued.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>",
            f'    <link rel="alternate" type="application/json" href="{esc(base)}"/>',
            f'    <link rel="enclosure" type="{PATCH_MEDIA_TYPE}" title="RDF Patch from '
            f'{release.previous or "nothing"}" href="{esc(base)}/patch.rdfp"/>',
            f'    <link rel="enclosure" type="application/n-quads" title="dump" href="{esc(base)}/klynge.nq"/>',
            f"    <summary>Release {release.version}: {release.quads} quads; the patch from "
            f"{release.previous or 'nothing'} adds {added} and deletes {deleted}.</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"
