"""Pages for people: the home page, search results, the SPARQL editor and the 404 page, plus their CSS and JS.

The editor is CodeMirror 6 from npm, bundled into ``static/build/`` by the setup (``make``), with our own
completion, results table and named-query form (``static/src/``): no CDN, so it works offline.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParameter
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from klynge.answers.as_of import FIRST_YEAR, LAST_YEAR, as_of
from klynge.answers.field import whole_field
from klynge.answers.lineage import NotFound, lineage
from klynge.answers.models import Lineage
from klynge.answers.search import search
from klynge.engines.base import Engine
from klynge.rdf import formats
from klynge.rdf.namespaces import KID
from klynge.web import page_kinds
from klynge.web.browse import home_ways
from klynge.web.dependencies import EngineDep
from klynge.web.engine_errors import EngineErrorRoute
from klynge.web.hardening import content_security_policy
from klynge.web.templating import STATIC_DIR, base_iri, picture_link, public_url, templates
from klynge.web.timeline import field_svg

router = APIRouter(include_in_schema=False, route_class=EngineErrorRoute)
EDITOR_BUNDLE = STATIC_DIR / "build" / "editor.js"
HOME_LINEAGE = KID["policy/innovationskraft-2021-2024"]  # the home page's lineage
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def home_lineage(engine: Engine) -> Lineage | None:
    """The lineage the home page shows, or None where the graph served lacks the programme."""
    try:
        return lineage(engine, HOME_LINEAGE)
    except NotFound:
        return None


@router.get(page_kinds.HOME.route, response_class=HTMLResponse)
def home(request: Request, engine: EngineDep) -> HTMLResponse:
    """What the graph is, the ways in by kind, the lineage of the current programme and a search box."""
    context = {
        "triples": engine.triple_count(),
        "public_url": public_url(request),
        "ways": home_ways(engine),
        "lineage": (shown := home_lineage(engine)),
        "lineage_steps": sorted(shown.steps, key=lambda s: (s.from_.start or "", s.to.start or "")) if shown else [],
    }
    return templates.TemplateResponse(request, "home.html", context)


@router.get(page_kinds.SEARCH.route, response_class=HTMLResponse)
def search_page(request: Request, engine: EngineDep, q: str = "") -> HTMLResponse:
    """Search results as links to the resources' pages; an empty query shows just the box, a bad one says why."""
    hits: list = []
    error = None
    if q.strip():
        try:
            hits = search(engine, q, limit=50)
        except ValueError as problem:
            error = str(problem)
    context = {"q": q, "hits": hits, "error": error}
    return templates.TemplateResponse(request, "search.html", context, status_code=400 if error else 200)


def editor_bundle_missing() -> bool:
    """True when this installation has no editor script (installed without Node: see hatch_build.py)."""
    return not EDITOR_BUNDLE.is_file()


def download_menu(offers: tuple[formats.Format, ...]) -> list[tuple[str, str, str]]:
    """A download menu for the editor: (format key, name, media type) of each offer, CSV first where offered
    (what a spreadsheet, R or pandas opens without asking), then in the registry's order."""
    ordered = sorted(offers, key=lambda fmt: fmt is not formats.SPARQL_CSV)
    return [(fmt.key, fmt.name, fmt.media_type) for fmt in ordered]


# The editor's download menus, from the format registry: a SELECT's, a CONSTRUCT's, a named query's table.
DOWNLOADS = {
    "table": download_menu(formats.RESULTS),
    "graph": download_menu(formats.GRAPH),
    "named": download_menu(formats.TABLE),
}


@router.get(page_kinds.EDITOR.route, response_class=HTMLResponse)
def editor(request: Request) -> HTMLResponse:
    """The SPARQL editor; ``?query=`` pre-fills it. Its theme is the one inline style the policy admits, by a
    nonce new to each answer (so the answer is not stored: a stored page would hold a spent nonce)."""
    nonce = secrets.token_urlsafe(18)
    context = {
        "query": request.query_params.get("query", ""),
        "base_iri": base_iri(request),
        "style_nonce": nonce,
        "bundle_missing": editor_bundle_missing(),
        "downloads": DOWNLOADS,
    }
    headers = {"Content-Security-Policy": content_security_policy(style_nonce=nonce), "Cache-Control": "no-store"}
    return templates.TemplateResponse(request, "editor.html", context, headers=headers)


@router.get("/as-of")
def as_of_this_year() -> RedirectResponse:
    """The nav's way into the as-of view: this year (within the span the view covers), one click from any other."""
    year = min(max(datetime.date.today().year, FIRST_YEAR), LAST_YEAR)
    return RedirectResponse(f"/as-of/{year}", status_code=307)


@router.get(page_kinds.AS_OF.route, response_class=HTMLResponse)
def as_of_page(
    request: Request, engine: EngineDep, year: Annotated[int, PathParameter(ge=FIRST_YEAR, le=LAST_YEAR)]
) -> HTMLResponse:
    """What was in force in a year, by the sources, with links to the year before and after."""
    answer = as_of(engine, year)
    context = {"answer": answer, "first": FIRST_YEAR, "last": LAST_YEAR}
    return templates.TemplateResponse(request, "as_of.html", context)


@router.get(page_kinds.TIMELINE.route, response_class=HTMLResponse)
def timeline_page(request: Request, engine: EngineDep) -> HTMLResponse:
    """The whole field on one time axis, lanes by kind, drawn in proportion to time, with the same items as a list."""
    field = whole_field(engine)
    base = base_iri(request)
    labels = {item.iri: item.label for items in field.lanes.values() for item in items}
    picture = field_svg(field, lambda target: picture_link(target, base))
    context = {"field": field, "picture": picture, "labels": labels}
    return templates.TemplateResponse(request, "timeline.html", context)


async def html_not_found(request: Request, error: HTTPException) -> Response:
    """A 404 as the site's own page for a browser (which asks for HTML); other clients get the JSON answer."""
    if error.status_code != 404 or "text/html" not in request.headers.get("accept", ""):
        return await http_exception_handler(request, error)
    message = error.detail if error.detail != "Not Found" else f"There is no page at {request.url.path}."
    return templates.TemplateResponse(request, "not_found.html", {"message": message}, status_code=404)
