"""What every response and connection gets, whatever the route: browser protections, honest refusals of
undecodable query strings, and bounds on how long a client may take to send its request.

- A URL longer than the HTTP parser reads (about 64 KB) is a 414 saying to POST, not a bare 400.
- A redirect back to this service names it by its public URL, never by the client's Host header.
- Every response carries a Content-Security-Policy (the pages load scripts and styles only from this service,
  with no inline script or style), ``X-Content-Type-Options: nosniff``, frame protection and a referrer policy.
- A query string that is not UTF-8 once percent-decoded is a 400, as a POST body is, instead of turning
  silently into U+FFFD.
- A request, headers and body together, must arrive within ``read_timeout`` seconds of the connection opening
  (or of the previous response), whatever its pace: a slow client (slowloris, on headers or on a body trickled
  a byte at a time) is cut off with a 408 instead of holding a connection for ever. A client that goes away in
  the middle of its body is one line in the log, not a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from klynge.engines.base import CLIENT
from klynge.web.one_write import HeadHeldTransport
from klynge.web.query_string import unquoted

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("klynge.web")


def content_security_policy(style_nonce: str | None = None) -> str:
    """Scripts and styles only from this service, none inline; a page that must add a style at run time (the
    editor: CodeMirror 6 writes its theme into a <style> element) names it by a nonce of its own response."""
    styles = "'self'" + (f" 'nonce-{style_nonce}'" if style_nonce else "")
    return (
        f"default-src 'self'; script-src 'self'; style-src {styles}; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)


LONG_REQUEST_LINE = 8 * 1024  # a parser failure past this much of a request line is a URL too long (414)
REQUEST_STARTED = "klynge.request_started"  # scope key: the event loop's time when the request's clock began


class BodyTimeout(Exception):
    """The client stopped sending its request body."""


def undecodable(query_string: bytes) -> str | None:
    """Why a raw query string is not UTF-8 once percent-decoded (None when it is): decoded whole, in C, and
    part by part (to name the parameter) only when that fails. The separators are ASCII, so the whole is UTF-8
    exactly when every part is."""
    try:
        unquoted(query_string).decode("utf-8")
        return None
    except ValueError:  # not UTF-8, or a malformed escape (which urllib keeps as it is): looked at part by part
        pass
    for part in query_string.split(b"&"):
        for piece in part.split(b"=", 1):
            try:
                unquote_to_bytes(piece.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError as error:
                name = part.split(b"=", 1)[0].decode("ascii", "replace")
                return f"the {name} parameter is not UTF-8 text once percent-decoded ({error.reason})"
    return None


async def plain(send: Send, status: int, message: str, *, close: bool = False) -> None:
    """A plain-text response from the middleware itself."""
    headers = [(b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS]
    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": message.encode()})


class Hardening:
    """ASGI middleware: the security headers, the query-string check, the body timeout and quiet
    disconnects (see the module's docstring)."""

    def __init__(self, app: ASGIApp, read_timeout: float, public_url: str = "") -> None:
        self.app = app
        self.read_timeout = read_timeout
        self.public_url = public_url.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reason = undecodable(scope.get("query_string", b""))
        if reason is not None:
            await plain(send, 400, f"{reason}; percent-encode the UTF-8 bytes of the text")
            return
        CLIENT.set((scope.get("client") or ("", 0))[0])  # whose queries these are, for the pool's fair shares
        started = False
        body_done = False

        loop = asyncio.get_running_loop()
        deadline = scope.get(REQUEST_STARTED, loop.time()) + self.read_timeout  # headers and body together

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:  # after the body, the app waits for a disconnect: no limit on that
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):  # no task per message, as wait_for would make
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
                if 300 <= message.get("status", 200) < 400 and self.public_url:
                    message["headers"] = [
                        (name, self.own_location(value, scope) if name.lower() == b"location" else value)
                        for name, value in message["headers"]
                    ]
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except BodyTimeout:
            if not started:
                message = f"the request body did not arrive: the whole request must come within {self.read_timeout:g} s"
                await plain(send, 408, message, close=True)
        except ClientDisconnect:
            client = scope.get("client") or ("?", 0)
            log.warning(
                "client %s:%s disconnected before sending the whole body of %s %s",
                client[0],
                client[1],
                scope["method"],
                scope["path"],
            )

    def own_location(self, location: bytes, scope: Scope) -> bytes:
        """A redirect to this service names it by its public URL, never by the Host header the client sent
        (Starlette's trailing-slash redirects build an absolute URL from it)."""
        host = next((value for name, value in scope.get("headers", []) if name == b"host"), None)
        target = urlsplit(location.decode("latin-1"))
        if host is None or not target.netloc or target.netloc.encode("latin-1") != host:
            return location
        rest = target.path + (f"?{target.query}" if target.query else "")
        return (self.public_url + rest).encode("latin-1")


def timed_protocol(read_timeout: float) -> type:
    """uvicorn's HTTP protocol, closing (with a 408) a connection whose request headers do not all arrive
    within ``read_timeout`` seconds; uvicorn itself only times out idle connections, and every byte of a
    slowly sent header resets that."""

    class HeaderDeadline(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        _deadline: asyncio.TimerHandle | None = None
        _answered: object = None
        _armed_at: float = 0.0
        _line_bytes = 0  # bytes of the request line received so far
        _line_done = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.transport = HeadHeldTransport(transport)  # the responses' writes; flow control keeps the real one
            self._arm()

        def data_received(self, data: bytes) -> None:
            if not self._line_done:
                end = data.find(b"\n")
                self._line_bytes += len(data) if end < 0 else end
                self._line_done = end >= 0
            super().data_received(data)
            if self.cycle is not None and self.cycle is not self._answered:  # a request's headers are in
                if self._deadline is not None:  # the body's time counts from the same start (Hardening)
                    self.cycle.scope[REQUEST_STARTED] = self._armed_at
                self._disarm()

        def on_response_complete(self) -> None:
            self.transport.flush()
            self._answered = self.cycle
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            """The parser's refusal; a request line too long for it (a long query sent by GET) is a 414 that
            says to POST, not uvicorn's bare 400."""
            if self._line_bytes < LONG_REQUEST_LINE:
                super().send_400_response(msg)
                return
            message = (
                f"the URL is longer than this server reads ({self._line_bytes // 1024} KB of it arrived): send a "
                "long query by POST, as 'application/sparql-query' or as a form field query=…"
            ).encode()
            self.transport.write(
                b"HTTP/1.1 414 URI Too Long\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(message), message)
            )
            self.transport.close()

        def _arm(self) -> None:
            self._disarm()
            self._line_bytes, self._line_done = 0, False  # the next request's line starts now
            self._armed_at = self.loop.time()
            self._deadline = self.loop.call_later(read_timeout, self._headers_late)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _headers_late(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            message = f"the request headers did not arrive within {read_timeout:g} s".encode()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(message), message)
            )
            self.transport.close()

    return HeaderDeadline
