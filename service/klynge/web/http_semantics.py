"""What every route owes HTTP clients, done once for all of them: HEAD, ``Vary: Accept``, signposting links.

- **HEAD** on every GET route (RFC 9110 §9.3.2: link checkers and crawlers use it): the request is routed
  as a GET and the body dropped, so the headers (Content-Type, Content-Length, ETag, Link) are GET's own.
- **Vary: Accept** on every answer of a route that negotiated its format (``negotiation.negotiate`` marks the
  request), errors included, so a shared cache never hands one format to a client asking for another.
- **Link** headers a route asked for (``signpost``): FAIR signposting (``cite-as``, ``describedby``,
  ``license``, ``type``), so a machine finds the persistent IRI, the metadata and the licence of a page
  without parsing it.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def signpost(request: Request, links: Iterable[tuple[str, str, str | None]]) -> None:
    """Ask for Link headers on this request's answer: (target, rel, media type or None) each."""
    state = request.scope.setdefault("state", {})
    state.setdefault("links", []).extend(links)


def link_header(links: Iterable[tuple[str, str, str | None]]) -> str:
    """``<target>; rel="…"; type="…"`` for each link (RFC 8288), comma-separated."""
    return ", ".join(
        f'<{target}>; rel="{rel}"' + (f'; type="{media_type}"' if media_type else "")
        for target, rel, media_type in links
    )


def with_vary(headers: list[tuple[bytes, bytes]], field: bytes) -> list[tuple[bytes, bytes]]:
    """The headers with ``field`` in Vary, merged into an existing Vary (CORS adds ``Origin``)."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            fields = [part.strip().lower() for part in value.split(b",")]
            if field.lower() not in fields:
                headers[index] = (name, value + b", " + field)
            return headers
    return [*headers, (b"vary", field)]


class HttpSemantics:
    """ASGI middleware giving every route HEAD, Vary: Accept where it negotiated, and the Link headers asked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:  # a copy: the server keeps its own scope, and so knows to send no body
            scope = dict(scope, method="GET")
        state = scope.setdefault("state", {})

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if state.get("negotiated"):
                    headers = with_vary(headers, b"Accept")
                if state.get("links"):
                    headers.append((b"link", link_header(state["links"]).encode()))
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, sending)
