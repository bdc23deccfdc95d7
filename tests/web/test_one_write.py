"""A response's head and its small body leave in one write; nothing is held past the response or the close."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
import uvicorn

from klynge.web.hardening import timed_protocol
from klynge.web.one_write import COALESCE_UP_TO, HeadHeldTransport

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


class Recording:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_a_head_leaves_with_the_body_that_follows_it():
    transport = Recording()
    held = HeadHeldTransport(transport)  # type: ignore[arg-type]
    held.write(HEAD)
    assert transport.writes == []
    held.write(b"hello")
    assert transport.writes == [HEAD + b"hello"]


def test_a_large_body_is_written_after_its_head_uncopied():
    transport = Recording()
    held = HeadHeldTransport(transport)  # type: ignore[arg-type]
    body = b"x" * (COALESCE_UP_TO + 1)
    held.write(HEAD)
    held.write(body)
    assert transport.writes == [HEAD, body]


@pytest.mark.parametrize("end", ["flush", "close"])
def test_a_head_without_a_body_write_leaves_at_the_end_of_the_response_or_the_close(end):
    transport = Recording()
    held = HeadHeldTransport(transport)  # type: ignore[arg-type]
    held.write(HEAD)
    getattr(held, end)()
    assert transport.writes == [HEAD]
    assert transport.closed == (end == "close")
    assert held.is_closing() == (end == "close")  # everything else is the transport's own


def test_what_is_not_a_response_head_is_written_at_once():
    transport = Recording()
    held = HeadHeldTransport(transport)  # type: ignore[arg-type]
    for data in (
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n",
        b"HTTP/1.1 400 Bad Request\r\n\r\nInvalid request",
        b"5\r\nhello\r\n",
    ):
        held.write(data)
    assert transport.writes == [
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n",
        b"HTTP/1.1 400 Bad Request\r\n\r\nInvalid request",
        b"5\r\nhello\r\n",
    ]


async def body_later(scope, receive, send):  # noqa: ANN001 - the ASGI signature
    """Starts the response, and sends its body a moment later: a head written at once would arrive alone."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    await asyncio.sleep(0.2)
    await send({"type": "http.response.body", "body": b"hello"})


def served(app) -> tuple[uvicorn.Server, int]:  # noqa: ANN001 - an ASGI app
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, http=timed_protocol(5.0), log_level="error")
    )
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.02)
    return server, port


def test_the_served_protocol_sends_a_small_answer_in_one_segment_and_answers_head():
    server, port = served(body_later)
    try:
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            client.settimeout(5)
            first = client.recv(65536)  # one write: the head and the body arrive together
            assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b"\r\n\r\nhello")
            client.sendall(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n")  # no body is written: the head still goes
            head = client.recv(65536)
            assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    finally:
        server.should_exit = True
