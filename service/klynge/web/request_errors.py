"""A request whose parameters do not fit the route (``/as-of/abc``, ``/api/path`` without ``from``): a page that
says what was wrong and what the address takes, for a person's browser; FastAPI's JSON ``{"detail": [...]}``
(422) for a program, unchanged.

What the address takes is read from the route's own declared parameters (their type, bounds, default and
description), so the page and the OpenAPI document say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic.fields import FieldInfo

from klynge.rdf.formats import parse_accept, quality
from klynge.web.templating import templates

KINDS = {int: "a whole number", float: "a number", str: "text", bool: "true or false"}
WHERE = {"path": "part of the path", "query": "a query parameter"}


@dataclass(frozen=True)
class Parameter:
    """One parameter of a route as a person reads it."""

    name: str
    where: str
    required: bool
    takes: str


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the request, in words."""

    name: str
    given: str | None
    says: str


def prefers_html(request: Request) -> bool:
    """A browser: it weights HTML above JSON (a program's ``*/*``, or no Accept, weights them alike)."""
    ranges = parse_accept(request.headers.get("accept", ""))
    return quality(ranges, "text/html") > quality(ranges, "application/json")


def takes(info: FieldInfo) -> str:
    """What a parameter takes: its kind, its bounds, its default and its description (alone for text)."""
    words = "" if info.annotation is str and info.description else KINDS.get(info.annotation, "a value")
    low = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    if low is not None and high is not None:
        words += f" from {low} to {high}"
    elif low is not None:
        words += f" of at least {low}"
    elif high is not None:
        words += f" of at most {high}"
    if not info.is_required():
        words += f" (default {info.default})"
    return "; ".join(part for part in (words.strip(), info.description) if part)


def parameters(request: Request) -> list[Parameter]:
    """The route's path and query parameters, as declared."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return []
    fields = [("path", f) for f in route.dependant.path_params] + [("query", f) for f in route.dependant.query_params]
    return [Parameter(f.alias, WHERE[kind], f.field_info.is_required(), takes(f.field_info)) for kind, f in fields]


def problem(error: dict) -> Problem:
    """One of pydantic's errors in our words."""
    name = str(error["loc"][-1]) if error.get("loc") else "the request"
    given = None if error.get("input") is None else str(error["input"])
    kind = error.get("type", "")
    if kind == "missing":
        says = "is missing"
    elif kind.endswith("_parsing") or kind.endswith("_type"):
        says = "is not " + next((words for t, words in KINDS.items() if t.__name__ in kind), "of the right kind")
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        says = "is outside the range this address takes"
    else:
        says = error.get("msg", "is not accepted")
    return Problem(name, given, says)


async def invalid_request(request: Request, error: RequestValidationError) -> Response:
    """422: a page for a browser, FastAPI's JSON for any other client."""
    if not prefers_html(request):
        return await request_validation_exception_handler(request, error)
    context = {"problems": [problem(e) for e in error.errors()], "parameters": parameters(request)}
    headers = {"Vary": "Accept"}
    return templates.TemplateResponse(request, "bad_request.html", context, status_code=422, headers=headers)


def single_values(request: Request, reserved: Collection[str], given_twice: Callable[[str], str]) -> dict[str, str]:
    """The query string's pairs whose names are not in ``reserved`` (the route's own parameters), each name
    at most once: a name given twice is a 400 with ``given_twice(name)``, never a value silently dropped.

    >>> from starlette.requests import Request
    >>> asked = Request({"type": "http", "query_string": b"a=1&format=ttl&b=2"})
    >>> single_values(asked, {"format"}, lambda name: f"{name} twice")
    {'a': '1', 'b': '2'}
    >>> single_values(Request({"type": "http", "query_string": b"a=1&a=2"}), (), lambda name: f"{name} twice")
    Traceback (most recent call last):
    fastapi.exceptions.HTTPException: 400: a twice
    """
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in reserved:
            continue
        if name in values:
            raise HTTPException(400, given_twice(name))
        values[name] = value
    return values
