"""The SPARQL 1.1 Protocol over HTTP: one request per query or update, the store's own words when it fails.

Queries and updates go form-encoded in a POST (``query=`` or ``update=``, chosen by the caller from the
guard's reading of the text, never guessed), or a query in a GET's URL where a dialect asks, with whatever
fields and headers the dialect gives (the dataset as ``default-graph-uri``/``named-graph-uri``). One
keep-alive connection pool per endpoint, so a request costs no new connection. httpx gives the status,
headers and body of a failure as they are, so the store's message reaches the user unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from klynge.engines.base import QueryError


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


@dataclass(frozen=True)
class Answer:
    """A remote store's reply: the body, its media type and the headers a dialect may read."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def server(self) -> str:
        return self.headers.get("server", "")


def store_message(text: str) -> str:
    """The store's message from an error body. Virtuoso echoes the whole query after it: the first paragraph."""
    return text.split("\n\nSPARQL query:", 1)[0].strip() or "(no message)"


FORM = "application/x-www-form-urlencoded"


class Endpoint:
    """One SPARQL endpoint, with a connection pool of its own (close it, or let the engine close it); requests
    sent from an event loop (``send_on_loop``) share a pool per loop."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.client = httpx.Client(timeout=timeout)
        self._loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def close(self) -> None:
        self.client.close()
        for loop, client in list(self._loop_clients.items()):  # closed on their own loops, while they run
            if loop.is_running():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(lambda loop=loop, client=client: loop.create_task(client.aclose()))
        self._loop_clients.clear()

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
        with self.failures():
            response = self.client.send(self.request(self.client, text, form, accept, parameters, method, headers))
        return self.answer(response)

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
        loop = asyncio.get_running_loop()
        client = self._loop_clients.get(loop)
        if client is None:
            client = self._loop_clients[loop] = httpx.AsyncClient(timeout=self.timeout)
        with self.failures():
            response = await client.send(self.request(client, text, form, accept, parameters, method, headers))
        return self.answer(response)

    def request(
        self,
        client: httpx.Client | httpx.AsyncClient,
        text: str,
        form: str,
        accept: str,
        parameters: Sequence[tuple[str, str]],
        method: str,
        headers: Mapping[str, str] | None,
    ) -> httpx.Request:
        fields = urlencode([("update" if form == "UPDATE" else "query", text), *parameters])
        sent = {"Accept": accept, **(headers or {})}
        if method == "GET" and form != "UPDATE":
            return client.build_request("GET", f"{self.url}{'&' if '?' in self.url else '?'}{fields}", headers=sent)
        sent["Content-Type"] = FORM
        return client.build_request("POST", self.url, content=fields, headers=sent)

    @contextlib.contextmanager
    def failures(self) -> Iterator[None]:
        """httpx's failures as the endpoint's."""
        try:
            yield
        except httpx.TimeoutException:
            raise EndpointTimeout(f"the SPARQL endpoint {self.url} gave no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise EndpointError(f"cannot reach the SPARQL endpoint {self.url}: {error}") from None

    def answer(self, response: httpx.Response) -> Answer:
        """The store's reply, or its failure in its own words."""
        headers = {name.lower(): value for name, value in response.headers.items()}
        if response.status_code == 400:
            raise EndpointRefused(store_message(response.text), 400, headers.get("server"))
        if response.status_code >= 300:
            message = store_message(response.text)
            raise EndpointError(
                f"the SPARQL endpoint {self.url} answered {response.status_code}: {message}",
                response.status_code,
                headers.get("server"),
            )
        media_type = headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        return Answer(response.content, media_type, headers)
