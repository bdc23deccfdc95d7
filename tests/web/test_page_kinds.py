"""The page table (klynge.web.page_kinds) is what the service serves and publishes: every kind is a route,
every HTML route is a kind, every example answers as the table says, and the static site carries exactly
the kinds the table marks published."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from klynge.commands import publish
from klynge.web.app import ROUTERS
from klynge.web.page_kinds import DOCUMENT_PATHS, PAGE_KINDS


def routes(app: FastAPI) -> list[APIRoute]:
    """The app's own routes and those of every router it includes."""
    found = [route for route in app.routes if isinstance(route, APIRoute)]
    for module in ROUTERS:
        found += [route for route in module.router.routes if isinstance(route, APIRoute)]
    return found


def test_every_kind_is_a_route_and_every_html_route_a_kind(web_app):
    gets = {route.path_format for route in routes(web_app) if "GET" in route.methods}
    kinds = {kind.route.replace(":path", "") for kind in PAGE_KINDS}
    assert kinds <= gets, kinds - gets
    html = {route.path_format for route in routes(web_app) if route.response_class is HTMLResponse}
    assert html and html <= kinds, html - kinds


def test_every_example_answers_with_its_status(client):
    for kind in PAGE_KINDS:
        for example in kind.examples:
            response = client.get(example.path, headers={"Accept": "text/html"})
            assert response.status_code == example.status, (kind.name, example)
            assert response.headers["content-type"].startswith("text/html"), (kind.name, example)


def test_the_static_site_carries_the_published_kinds_only():
    assert publish.DOCUMENT_PATHS == DOCUMENT_PATHS
    for kind in PAGE_KINDS:
        for example in kind.examples:
            path = example.path.lstrip("/").split("?")[0]
            if example.status == 200 and path:
                assert bool(re.fullmatch(DOCUMENT_PATHS, path)) == (kind.published is not None), (kind.name, path)
