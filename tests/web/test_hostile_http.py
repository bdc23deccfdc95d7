"""HTTP-level protections (issue 9): security headers on every page, no inline script for the CSP to
block, no Host header in absolute URLs, undecodable query strings refused, and slow or vanishing clients
bounded. Servers are started by the tests on 127.0.0.1."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
import uvicorn
from fastapi.testclient import TestClient

from klynge.settings import Limits, Settings
from klynge.web.app import create_app
from klynge.web.serve import server_options

PAGES = [
    "/",
    "/query",
    "/docs",
    "/search?q=cluster",
    "/dataset",
    "/ontology",
    "/shapes",
    "/id/org/dfir",
    "/no-such-page",
]
OTHERS = [
    "/sparql?query=ASK%7B%7D",
    "/sparql?query=nonsense",
    "/static/klynge.css",
    "/static/api-docs.js",
    "/openapi.json",
    "/healthz",
]


@pytest.mark.parametrize("path", PAGES + OTHERS)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self'"  # no inline script
    assert directives["object-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["style-src"]  # inline style only by a page's own nonce


def test_the_editor_names_its_one_inline_style_by_a_nonce_of_its_own(client):
    """The editor's theme is a <style> CodeMirror writes at run time: the page hands the editor a nonce that
    its policy admits, new on every answer, and the answer is not stored (its nonce would be spent)."""
    nonces = []
    for _ in range(2):
        response = client.get("/query")
        policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
        nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{24})'", policy["style-src"]).group(1)
        assert f'data-style-nonce="{nonce}"' in response.text
        assert response.headers["cache-control"] == "no-store"
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


class InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event-handler attributes, inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        data_block = dict(attrs).get("type", "") == "application/ld+json"  # data, never run: CSP allows it
        if tag == "script" and "src" not in names and not data_block:
            self._in_script = True
        if tag == "style":
            self.blocked.append("<style>")
        self.blocked += [f"{tag}[{name}]" for name in names if name.startswith("on") or name == "style"]
        self.blocked += [f"{tag}[{n}=javascript:]" for n, v in attrs if (v or "").startswith("javascript:")]

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.blocked.append(f"inline script {data.strip()[:40]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_nothing_the_policy_would_block(client, path):
    finder = InlineFinder()
    finder.feed(client.get(path).text)
    assert finder.blocked == []


@pytest.mark.parametrize("path", ["/sparql?format=json", "/.well-known/void", "/dataset", "/"])
def test_the_host_header_never_gets_into_absolute_urls(client, path):
    """`Host: evil.example` once became `"@id":"http://evil.example/sparql"`."""
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.text
    assert Settings().listen_url in response.text


@pytest.mark.parametrize("path", ["/api/queries/", "/sparql/", "/query/", "/dataset/", "/docs/", "/as-of/2020/"])
def test_trailing_slash_redirects_name_the_public_url_not_the_host_header(engine, path):
    """sec review 2026-12-07 N5: the 307s said `Location: http://evil.example/…` even with --public-url."""
    app = create_app(engine, Settings(public_base_url="https://klynge.example/kg"))
    answer = TestClient(app).get(path + "?a=1", headers={"Host": "evil.example"}, follow_redirects=False)
    assert answer.status_code in (307, 308), answer.status_code
    assert answer.headers["location"] == f"https://klynge.example/kg{path.rstrip('/')}?a=1"


@pytest.mark.parametrize(
    "path",
    [
        "/sparql?query=ASK%20%7B%20FILTER(%22%C3%28%22)%20%7D",
        "/api/queries/name-contains?text=%FF",
        "/search?q=%C3",
    ],
)
def test_a_query_string_that_is_not_utf8_is_a_400(client, path):
    """It was silently turned into U+FFFD and answered, while the same bytes by POST got 400."""
    response = client.get(path)
    assert response.status_code == 400
    assert "not UTF-8" in response.text


def test_healthz_reports_the_pool(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok" and report["zygote"] == "running" and report["workers"] >= 2


# --- slow and vanishing clients ----------------------------------------------------------------------------

READ_TIMEOUT = 1.0


@contextmanager
def hardened_server(engine) -> Iterator[int]:
    """The app served as `klynge serve` serves it (its uvicorn options), with a 1 s read timeout."""
    settings = Settings(limits=Limits(read_timeout=READ_TIMEOUT))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(engine, settings), **server_options(settings)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def read_all(connection: socket.socket, within: float) -> tuple[bytes, bool]:
    """What the server sends, and whether it closed the connection within ``within`` seconds."""
    connection.settimeout(within)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except TimeoutError:
        return received, False
    return received, True


def test_a_client_trickling_its_headers_is_cut_off(engine):
    """Slowloris: 32 connections with unfinished headers were held 30 s; the server closed none."""
    with hardened_server(engine) as port:
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        for _ in range(4):  # one header line every 0.4 s, each resetting an idle timer
            time.sleep(0.4)
            try:
                connection.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        received, closed = read_all(connection, within=READ_TIMEOUT + 5)
        connection.close()
    assert closed and time.monotonic() - started < READ_TIMEOUT + 5
    assert received.startswith(b"HTTP/1.1 408")


def test_a_body_that_stops_coming_gets_408(engine):
    with hardened_server(engine) as port:
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 10485760\r\n\r\nASK {}"
        )
        received, closed = read_all(connection, within=READ_TIMEOUT + 5)
        connection.close()
    assert received.startswith(b"HTTP/1.1 408"), received[:100]
    assert b"did not arrive" in received and closed


def test_a_body_trickled_a_byte_at_a_time_is_cut_off_when_the_request_time_is_up(engine):
    """sec review 2026-12-07 N3: the timeout was between body parts, so a byte every 2 s (under a 10 s timeout)
    held a connection for ever; now headers and body together have the read timeout."""
    with hardened_server(engine) as port:
        connection = socket.create_connection(("127.0.0.1", port))
        started = time.monotonic()
        connection.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        cut_off = None
        for byte in b"ASK { ?s ?p ?o } # trickled" * 4:  # a byte every 0.25 s: each well within the timeout
            time.sleep(0.25)
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                cut_off = time.monotonic() - started
                break
            if time.monotonic() - started > READ_TIMEOUT + 5:
                break
        received, closed = read_all(connection, within=READ_TIMEOUT + 2)
        connection.close()
    assert received.startswith(b"HTTP/1.1 408"), received[:100]
    assert b"whole request must come within" in received
    assert closed and (cut_off is None or cut_off < READ_TIMEOUT + 3)


def test_a_request_whose_headers_took_most_of_the_time_has_the_rest_for_its_body(engine):
    with hardened_server(engine) as port:
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\n")
        time.sleep(READ_TIMEOUT * 0.7)
        connection.sendall(b"Content-Type: application/sparql-query\r\nContent-Length: 20\r\n\r\nASK")
        started = time.monotonic()
        received, closed = read_all(connection, within=READ_TIMEOUT + 5)
        waited = time.monotonic() - started
        connection.close()
    assert received.startswith(b"HTTP/1.1 408") and closed
    assert waited < READ_TIMEOUT * 0.6  # the time left, not a fresh read timeout for the body


@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D%23", "/api/lineage?iri=https://w3id.org/klynge/id/", "/id/"])
def test_a_url_too_long_to_read_is_414_saying_to_post(engine, path):
    """sec review 2026-12-07: a GET over ~64 KB got uvicorn's bare 400 "Invalid HTTP request received"."""
    with hardened_server(engine) as port:
        answers = {}
        for size in (4_000, 200_000):
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(f"GET {path}{'a' * size} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            answers[size], _ = read_all(connection, within=10)
            connection.close()
    assert not answers[4_000].startswith((b"HTTP/1.1 414", b"HTTP/1.1 400"))  # read and answered as usual
    assert answers[200_000].startswith(b"HTTP/1.1 414"), answers[200_000][:200]
    assert b"send a long query by POST" in answers[200_000]


def test_a_client_vanishing_mid_body_is_one_line_in_the_log(engine, caplog):
    with caplog.at_level(logging.WARNING), hardened_server(engine) as port:
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000\r\n\r\nASK {"
        )
        time.sleep(0.3)
        connection.close()
        deadline = time.monotonic() + 5
        while "disconnected" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    lines = [record for record in caplog.records if "disconnected" in record.getMessage()]
    assert len(lines) == 1 and "POST /sparql" in lines[0].getMessage()
    assert "Traceback" not in caplog.text and not any(record.exc_info for record in caplog.records)


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.mark.slow
def test_pages_work_under_the_policy_in_chromium(live_server, browser):
    """The policy is strict (no inline script or style); a page that relied on one would break silently, so
    Chromium loads each page kind and reports every violation it blocked."""
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_WATCH})
    blocked = {}
    pages = ["/", "/query", "/docs", "/dataset", "/ontology", "/shapes", "/id/org/dfir", "/search?q=cluster"]
    pages += ["/id/policy/innovationskraft-2021-2024", "/timeline", "/as-of/2022"]  # Graphviz pictures inline
    for path in pages:
        browser.get(live_server + path)
        time.sleep(0.5)  # scripts that run after load (the editor, Swagger UI) have their turn
        found = browser.execute_script("return window.__cspViolations || null")
        assert found is not None, f"the violation watcher did not run on {path}"
        if found:
            blocked[path] = found
    assert blocked == {}
