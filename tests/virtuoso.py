"""A throw-away Virtuoso 7 for tests, and the comparison of answers between two stores.

A test module that needs a real remote SPARQL store makes a session fixture of ``running`` (one server per
test run, with its own config and database in a temp folder, on free loopback ports, shut down at the end).
Where Debian's ``virtuoso-opensource`` is not installed it skips with the reason, so the rest of the suite
runs anywhere. ``answer_set`` puts two stores' answers to one query in a form where only real differences
remain.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
VSP_ROOT = Path("/var/lib/virtuoso-opensource-7/vsp")
START_TIMEOUT = 60

CONFIG = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 500M

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {vsp}
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 0
"""
# MaxQueryCostEstimationTime = 0 turns off Virtuoso's refusal of queries it estimates to be slow: its estimates
# come from sampled index statistics, vary from run to run, and put /api/path's chain queries (and at times
# /ontology's) past its default of 400 s on this small graph. docs/remote-stores.md says to raise it.


def missing_reason() -> str | None:
    """Why a Virtuoso cannot be started here, or None when it can."""
    for program in (VIRTUOSO, ISQL):
        if shutil.which(program) is None:
            return f"{program} not found: install Debian's virtuoso-opensource to run the remote-store tests"
    return None


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Virtuoso:
    """One running server: its folder, its SQL port (for isql) and its HTTP port (for SPARQL)."""

    directory: Path
    sql_port: int
    http_port: int
    process: subprocess.Popen | None = None

    @property
    def sparql_url(self) -> str:
        """The SPARQL 1.1 query and update endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    def isql(self, statement: str) -> str:
        """Run one SQL statement as dba; raise with Virtuoso's message when it fails."""
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql {statement!r} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        """Write the config, start the server in the foreground of its own process and wait until it listens."""
        config = self.directory / "virtuoso.ini"
        config.write_text(
            CONFIG.format(dir=self.directory, sql_port=self.sql_port, http_port=self.http_port, vsp=VSP_ROOT)
        )
        # +foreground keeps the server our child, so it can be ended by its pid whatever happens.
        self.process = subprocess.Popen(
            [VIRTUOSO, "+configfile", str(config), "+foreground"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_until_up()
        self.isql('GRANT SPARQL_UPDATE TO "SPARQL";')

    def wait_until_up(self) -> None:
        """Poll the SPARQL endpoint until it answers, or fail with the end of the server's log."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.sparql_url}?query=ASK%7B%7D", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        log = self.directory / "virtuoso.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
        self.stop()
        raise RuntimeError(f"Virtuoso did not start on {self.sparql_url}:\n{tail}")

    def stop(self) -> None:
        """Shut down cleanly through isql; end the process if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.isql("shutdown;")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """The body of a session fixture: a fresh Virtuoso, stopped afterwards; a skip where none is installed."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = Virtuoso(tmp_path_factory.mktemp("virtuoso"), free_port(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------------------
# Comparing answers
# ---------------------------------------------------------------------------------------------------------

GROUP_CONCAT = re.compile(
    r"GROUP_CONCAT\s*\((?:[^()]|\([^()]*\))*?;\s*separator\s*=\s*(\"[^\"]*\"|'[^']*')\s*\)\s*AS\s*[?$](\w+)",
    re.IGNORECASE,
)


def concatenated(query: str) -> dict[str, str]:
    """The variables a query builds with GROUP_CONCAT, and their separators."""
    return {match.group(2): match.group(1)[1:-1] for match in GROUP_CONCAT.finditer(query)}


XSD = "http://www.w3.org/2001/XMLSchema#"
EXACT_NUMBERS = {ox.NamedNode(XSD + "integer"), ox.NamedNode(XSD + "decimal")}


def comparable(term: ox.Term | None, separator: str | None = None) -> object:
    """A term as a value to compare: blank nodes are all alike (their labels are the store's own), a
    GROUP_CONCAT is the set of its parts (SPARQL leaves their order to the store), and an xsd:decimal is its
    number (Virtuoso keeps numbers natively and gives a whole xsd:decimal back as xsd:integer)."""
    if isinstance(term, ox.BlankNode):
        return "_:blank"
    if separator is not None and isinstance(term, ox.Literal):
        return frozenset(term.value.split(separator))
    if isinstance(term, ox.Literal) and term.datatype in EXACT_NUMBERS:
        return ("exact number", Decimal(term.value))
    return term


def answer_set(query: str, rows: Iterable[Mapping[str, ox.Term]]) -> set[tuple[tuple[str, object], ...]]:
    """SELECT rows as a set of (variable, value) tuples, unbound variables left out.

    A GROUP_CONCAT of nothing counts as unbound: Virtuoso gives "" (as SPARQL 1.1 defines it), pyoxigraph
    leaves it unbound when every value was an error (STR of an unbound variable).
    """
    separators = concatenated(query)
    return {
        tuple(
            sorted(
                (name, comparable(value, separators.get(name)))
                for name, value in row.items()
                if not (name in separators and value == ox.Literal(""))
            )
        )
        for row in rows
    }


def triple_set(triples: Iterable[ox.Triple | ox.Quad]) -> set[tuple[ox.Term, ox.Term, ox.Term]]:
    """Triples (or quads read from an N-Triples answer) as a set of (subject, predicate, object)."""
    return {(t.subject, t.predicate, t.object) for t in triples}
