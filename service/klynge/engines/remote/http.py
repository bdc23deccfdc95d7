"""The SPARQL 1.1 Protocol over HTTP/1.1: one request per query or update, the store's own words when it fails.

Queries and updates go form-encoded in a POST (``query=`` or ``update=``, chosen by the caller from the
guard's reading of the text, never guessed), or a query in a GET's URL where a dialect asks, with whatever
fields and headers the dialect gives (the dataset as ``default-graph-uri``/``named-graph-uri``). The status,
headers and body of a failure are kept as they are, so the store's message reaches the user unchanged.

Why not httpx: a lookup the store answers in 1 ms cost 0.4 ms more through httpx's client in a thread and
0.9 ms more through its asynchronous one on the event loop (docs/remote-stores.md) than one request written
and read here. So a request goes on a kept-alive connection with nothing held back (TCP_NODELAY): the
standard library's ``http.client`` in threads (a few idle connections kept, each used by one thread at a
time), and asyncio's streams on an event loop (one write per request, idle connections kept per loop),
reading ``Content-Length``, chunked and read-to-close bodies (interim 1xx replies skipped). The time limit
holds for each wait on the store (connecting, sending, each read), as httpx's did. A kept-alive connection
the store has closed meanwhile is replaced once, at once. The URL may carry a user and password (sent as
Basic authentication); proxies from the environment are not used.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import socket
import ssl
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar
from urllib.parse import unquote, urlencode, urlsplit

from klynge.engines.base import INSPECTIONS_KEPT_UP_TO, QueryError

T = TypeVar("T")
IDLE_KEPT = 16  # idle connections kept per thread pool or event loop; more are closed once answered


class EndpointError(QueryError):
    """The remote store could not be reached or failed: which endpoint, and what went wrong.

    ``status`` is the HTTP status where there was an answer; ``server`` its Server header."""

    def __init__(self, message: str, status: int | None = None, server: str | None = None) -> None:
        super().__init__(message)
        self.status, self.server = status, server


class EndpointRefused(EndpointError):
    """The remote store refused the request as malformed (HTTP 400): its own message, without the echo."""


class EndpointTimeout(EndpointError):
    """No answer within the time limit, or the store stopped the query at its own limit."""


class Unanswered(Exception):
    """A kept-alive connection closed by the store before it answered: the request may go again on a new one."""


@dataclass(frozen=True)
class Answer:
    """A remote store's reply: the body, its media type and the headers a dialect may read."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def server(self) -> str:
        return self.headers.get("server", "")


@dataclass(frozen=True)
class Reply:
    """What came back over the wire: status, headers by lower-cased name, body."""

    status: int
    headers: dict[str, str]
    body: bytes


def store_message(text: str) -> str:
    """The store's message from an error body. Virtuoso echoes the whole query after it: the first paragraph."""
    return text.split("\n\nSPARQL query:", 1)[0].strip() or "(no message)"


FORM = "application/x-www-form-urlencoded"
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Endpoint:
    """One SPARQL endpoint, with idle connections of its own (close it, or let the engine close it): those of
    the threads that ``send``, and those of each event loop that sends with ``send_on_loop``."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        parts = urlsplit(url)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.unusable: str | None = None  # why the URL cannot be asked: said by the first request, as a failure
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.unusable = f"the SPARQL endpoint {url} is not an http:// or https:// URL"
        try:
            self.port = parts.port or (443 if self.tls else 80)
        except ValueError as error:
            self.port, self.unusable = 0, f"the SPARQL endpoint {url} has a bad port: {error}"
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.authority = parts.netloc.rpartition("@")[2]
        self.credentials: dict[str, str] = {}
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self.credentials["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        self._context = ssl.create_default_context() if self.tls else None
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._loop_idle: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Streams]] = (
            weakref.WeakKeyDictionary()
        )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        for loop, streams in list(self._loop_idle.items()):  # closed on their own loops, while they run
            if loop.is_running():
                for _, writer in streams:
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(writer.close)
        self._loop_idle.clear()

    # -- requests ------------------------------------------------------------------------------------------

    def request(
        self,
        text: str,
        form: str,
        accept: str,
        parameters: Sequence[tuple[str, str]],
        method: str,
        headers: Mapping[str, str] | None,
    ) -> tuple[str, str, bytes, dict[str, str]]:
        """The method, target, body and headers of one query or update."""
        if self.unusable is not None:
            raise EndpointError(self.unusable)
        fields = form_fields("update" if form == "UPDATE" else "query", text, tuple(parameters))
        sent = {"Accept": accept, **(headers or {}), **self.credentials}
        if method == "GET" and form != "UPDATE":
            return "GET", f"{self.path}{'&' if '?' in self.path else '?'}{fields}", b"", sent
        sent["Content-Type"] = FORM
        return "POST", self.path, fields.encode("ascii"), sent

    def send(
        self,
        text: str,
        *,
        form: str,
        accept: str,
        parameters: Sequence[tuple[str, str]] = (),
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send one query (``form`` SELECT/ASK/CONSTRUCT/DESCRIBE) or update (``form`` UPDATE, always POSTed)."""
        verb, target, body, sent = self.request(text, form, accept, parameters, method, headers)
        with self.failures():
            try:
                reply = self.exchange(verb, target, body, sent, reused=True)
            except Unanswered:
                reply = self.exchange(verb, target, body, sent, reused=False)
        return self.answer(reply)

    def exchange(self, verb: str, target: str, body: bytes, headers: dict[str, str], *, reused: bool) -> Reply:
        """One request and its reply on a kept-alive connection if ``reused`` and one is idle, else a new one."""
        with self._lock:
            connection = self._idle.pop() if reused and self._idle else None
        kept = connection is not None
        try:
            if connection is None:
                connection = self.connected()
            connection.request(verb, target, body=body or None, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, lowered(response.getheaders()), response.read())
        except (ConnectionError, http.client.BadStatusLine) as error:
            if connection is not None:
                connection.close()
            if kept:
                raise Unanswered from error
            raise
        except BaseException:
            if connection is not None:
                connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            with self._lock:
                if len(self._idle) < IDLE_KEPT:
                    self._idle.append(connection)
                    connection = None
            if connection is not None:
                connection.close()
        return reply

    def connected(self) -> http.client.HTTPConnection:
        """A new connection to the store, its small writes not held back (http.client writes a request's head
        and body apart, and Nagle's algorithm would hold the body until the head is acknowledged)."""
        connection = (
            http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self._context)
            if self.tls
            else http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        )
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    async def send_on_loop(
        self,
        text: str,
        *,
        form: str,
        accept: str,
        parameters: Sequence[tuple[str, str]] = (),
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """``send``, awaited on the running event loop (no thread held while the store answers)."""
        verb, target, body, sent = self.request(text, form, accept, parameters, method, headers)
        head = [f"{verb} {target} HTTP/1.1", f"Host: {self.authority}"]
        head += [f"{name}: {value}" for name, value in sent.items()]
        if verb == "POST":
            head.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        idle = self._loop_idle.setdefault(asyncio.get_running_loop(), [])
        with self.failures():
            try:
                reply = await self.exchange_on_loop(message, idle, reused=True)
            except Unanswered:
                reply = await self.exchange_on_loop(message, idle, reused=False)
        return self.answer(reply)

    async def exchange_on_loop(self, message: bytes, idle: list[Streams], *, reused: bool) -> Reply:
        """``exchange`` on the event loop, its idle connections in ``idle``."""
        streams = idle.pop() if reused and idle else None
        kept = streams is not None
        if streams is None:
            streams = await self.within(
                asyncio.open_connection(
                    self.host, self.port, ssl=self._context, server_hostname=self.host if self.tls else None
                )
            )
        reader, writer = streams
        try:
            writer.write(message)
            await self.within(writer.drain())
            reply, reusable = await read_reply(reader, self.within)
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            writer.close()
            if kept and (not isinstance(error, asyncio.IncompleteReadError) or not error.partial):
                raise Unanswered from error
            raise
        except BaseException:
            writer.close()
            raise
        if reusable and len(idle) < IDLE_KEPT:
            idle.append(streams)
        else:
            writer.close()
        return reply

    async def within(self, step: Awaitable[T]) -> T:
        """One wait on the store, within the time limit."""
        async with asyncio.timeout(self.timeout):
            return await step

    # -- answers -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def failures(self) -> Iterator[None]:
        """The transport's failures as the endpoint's."""
        try:
            yield
        except TimeoutError:  # socket.timeout and asyncio's alike
            raise EndpointTimeout(f"the SPARQL endpoint {self.url} gave no answer within {self.timeout:g} s") from None
        except (
            OSError,
            http.client.HTTPException,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ) as error:
            reason = str(error) or type(error).__name__
            raise EndpointError(f"cannot reach the SPARQL endpoint {self.url}: {reason}") from None

    def answer(self, reply: Reply) -> Answer:
        """The store's reply, or its failure in its own words."""
        headers = reply.headers
        if reply.status == 400:
            raise EndpointRefused(store_message(text_of(reply)), 400, headers.get("server"))
        if reply.status >= 300:
            message = store_message(text_of(reply))
            raise EndpointError(
                f"the SPARQL endpoint {self.url} answered {reply.status}: {message}",
                reply.status,
                headers.get("server"),
            )
        media_type = headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        return Answer(reply.body, media_type, headers)


def form_fields(name: str, text: str, parameters: tuple[tuple[str, str], ...]) -> str:
    """The query or update and the dataset's fields, URL-encoded; kept for short texts, since the standard
    library encodes byte by byte in Python (a tenth of a millisecond for a lookup, on every request)."""
    if len(text) <= INSPECTIONS_KEPT_UP_TO:
        return kept_fields(name, text, parameters)
    return urlencode([(name, text), *parameters])


@lru_cache(maxsize=256)
def kept_fields(name: str, text: str, parameters: tuple[tuple[str, str], ...]) -> str:
    return urlencode([(name, text), *parameters])


def lowered(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Headers by lower-cased name; a repeated one's values joined by commas, as HTTP reads them."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def text_of(reply: Reply) -> str:
    """An error body as text, in the charset its Content-Type names (else UTF-8), undecodable bytes replaced."""
    charset = next(
        (p.split("=", 1)[1].strip().strip('"') for p in reply.headers.get("content-type", "").split(";")[1:]
         if p.strip().lower().startswith("charset=")),
        "utf-8",
    )  # fmt: skip
    try:
        return reply.body.decode(charset, errors="replace")
    except LookupError:
        return reply.body.decode("utf-8", errors="replace")


async def read_reply(
    reader: asyncio.StreamReader, within: Callable[[Awaitable[bytes]], Awaitable[bytes]]
) -> tuple[Reply, bool]:
    """One HTTP/1.1 reply from ``reader`` (each read ``within`` the time limit), and whether the connection can
    carry another request."""
    status = 100
    while 100 <= status < 200:  # an interim reply (100 Continue) comes before the answer
        head = await within(reader.readuntil(b"\r\n\r\n"))
        status_line, _, header_block = head[:-4].partition(b"\r\n")
        version, _, rest = status_line.decode("latin-1").partition(" ")
        try:
            status = int(rest[:3])
        except ValueError:
            raise http.client.BadStatusLine(status_line.decode("latin-1")) from None
    pairs = [line.decode("latin-1").partition(":") for line in header_block.split(b"\r\n") if line]
    headers = lowered([(name.strip(), value.strip()) for name, _, value in pairs])
    connection = headers.get("connection", "").lower()
    reusable = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    if status in (204, 304):
        body = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body = await read_chunked(reader, within)
    elif "content-length" in headers:
        body = await within(reader.readexactly(int(headers["content-length"])))
    else:
        body, reusable = await within(reader.read()), False
    return Reply(status, headers, body), reusable


async def read_chunked(reader: asyncio.StreamReader, within: Callable[[Awaitable[bytes]], Awaitable[bytes]]) -> bytes:
    """A chunked body, its trailers read and dropped."""
    chunks: list[bytes] = []
    while True:
        size = int((await within(reader.readline())).split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await within(reader.readline())) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        chunks.append(await within(reader.readexactly(size)))
        await within(reader.readexactly(2))
