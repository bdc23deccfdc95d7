"""The FastAPI application: the engine and settings given to the routes, CORS for reads, one router per surface."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException

from klynge.engines.base import Engine, QueryError
from klynge.engines.releases import ARCHIVE_LIMITS, ReleaseArchive, ReleaseSwitch, repository_archive
from klynge.rdf.formats import NotAcceptable
from klynge.settings import Settings
from klynge.web import (
    api_answers,
    api_docs,
    api_queries,
    browse,
    cluster_programme,
    completion,
    dataset,
    dependencies,
    health,
    linked_data,
    pages,
    releases,
    request_errors,
    sparql,
)
from klynge.web.hardening import Hardening
from klynge.web.http_semantics import HttpSemantics
from klynge.web.negotiation import not_acceptable

# The linked-data router comes last: its paths are the widest.
ROUTERS = (
    sparql,
    health,
    api_queries,
    api_answers,
    browse,
    cluster_programme,
    completion,
    dataset,
    pages,
    releases,
    linked_data,
)
REPOSITORY = object()  # create_app's default archive: the releases recorded in the repository


def create_app(engine: Engine, settings: Settings, archive: ReleaseArchive | None | object = REPOSITORY) -> FastAPI:
    """An app answering from ``engine``, and from ``archive`` for ``release=`` (default: the releases recorded
    in the repository; None: no time travel); the routes are given them by ``klynge.web.dependencies``."""
    app = FastAPI(
        title="klynge",
        summary="An open knowledge graph of Danish cluster and innovation policy",
        description="SPARQL 1.1 endpoint at /sparql, named queries under /api/queries, lineage, paths and "
        "search under /api, every resource as linked data under its own IRI's path.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
    )
    held = (
        repository_archive(
            limits=replace(settings.limits, workers=ARCHIVE_LIMITS.workers, cache_mb=ARCHIVE_LIMITS.cache_mb),
            resident=settings.releases_resident,
            idle_seconds=settings.releases_idle_s,
        )
        if archive is REPOSITORY
        else archive
    )
    assert held is None or isinstance(held, ReleaseArchive)
    dependencies.install(app, ReleaseSwitch(engine, held), settings)  # release= picks a recorded release
    engine.text_index()  # the full-text index for search: built now, before the first request, not after
    # Browser tools (YASGUI, Comunica) query from other origins; every route only reads, POST /sparql included.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=[
            "ETag",
            "Content-Type",
            "Content-Disposition",
            "Link",
            "Memento-Datetime",
            "Klynge-Release",
            "Repr-Digest",
        ],
        max_age=86400,
    )
    app.add_middleware(releases.ReleaseSelection)  # release=, Memento, retired IRIs, cite-as
    app.add_middleware(HttpSemantics)  # HEAD on every GET route, Vary: Accept, signposting Link headers
    public = settings.public_base_url or settings.listen_url
    # outermost: every response
    app.add_middleware(Hardening, read_timeout=settings.limits.read_timeout, public_url=public)
    api_docs.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    releases.declare_release(app)  # release= on every operation that answers from the graph
    # A query error no route handled (a time limit hit by a page, say) still gets its status and a message.
    app.add_exception_handler(QueryError, lambda request, error: sparql.error_response(error))
    app.add_exception_handler(NotAcceptable, not_acceptable)
    app.add_exception_handler(HTTPException, pages.html_not_found)  # a browser's 404 is a page, not JSON
    app.add_exception_handler(RequestValidationError, request_errors.invalid_request)  # and so is its 422
    return app
