"""The OpenAPI documentation page at /docs: Swagger UI 5 from the installed package, no CDN, no inline script.

FastAPI writes OpenAPI 3.1, which Swagger UI reads from version 5 on (4.x shows "Unable to render this
definition"); the swagger-ui-bundle-v2 package ships Swagger UI 5. Only the three files the page loads are served,
not the package's folder (its stock index.html, petstore initializer, OAuth redirect page and source maps), and
the page (``templates/api_docs.html``, under the site's own header, the way back to the pages) is started by
``static/api-docs.js`` reading the document's URL from a data attribute, so the page runs under a
``script-src 'self'`` content security policy. ``static/api-docs.css`` darkens Swagger UI's badge colours to
WCAG 2.1 AA contrast, and deep links are off (Swagger UI nests them inside the operation's button).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from klynge.web import page_kinds, statuses
from klynge.web.templating import templates

ASSETS = "/docs/assets"
# The bundle's files the page uses, and their media types; nothing else of the package is reachable.
FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def content(media_types: Iterable[str], description: str = "the answer, in the representation asked for") -> dict:
    """An OpenAPI response that declares every media type the route sends, so clients (and schemathesis)
    know what to expect; FastAPI alone declares only ``application/json``."""
    return {"description": description, "content": {media_type: {} for media_type in media_types}}


def install(app: FastAPI) -> None:
    """Serve /docs and its assets, and /openapi.json with every status described from one table
    (``klynge.web.statuses``); the app must be created with ``docs_url=None``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = statuses.document(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    context = {"assets": ASSETS, "openapi": app.openapi_url or "/openapi.json"}

    @app.get(page_kinds.API_DOCS.route, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        """Swagger UI under the site's own header, the way back to the pages."""
        return templates.TemplateResponse(request, "api_docs.html", dict(context))

    @app.get(ASSETS + "/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in FILES:
            raise HTTPException(404, f"no /docs asset {name!r}; the page uses {', '.join(FILES)}")
        return FileResponse(swagger_ui_path / name, media_type=FILES[name])
