"""Evaluate queries in worker processes that can be killed, because pyoxigraph cannot interrupt a query.

A query past its time limit must stop using CPU, so it runs in a process of its own and the process is
killed (SIGKILL) when the limit passes; a fresh worker takes its place. Workers come from a *zygote*: one
process forked from the service right after the store is built, before the web server starts any thread.
It forks every worker, at start and after each kill, and hands the service its end of a socket pair by
``SCM_RIGHTS``. So:

- an in-memory store is shared copy-on-write by every worker (it is read-only: nothing copies its pages), with
  no second load and no serialisation of the graph;
- workers are never forked from the multi-threaded web server, where a lock held by another thread at fork
  time would stay locked in the child forever;
- an on-disk store is opened read-only in each worker after the fork (``Store.read_only``), so no RocksDB
  handle or background thread crosses a fork.

Requests and answers cross the socket as small pickles; answers are the serialised results (bytes) made
inside the worker by pyoxigraph's serialisers (graphs through ``klynge.graph.rdf_text``: Turtle with the
prefixes, compacted JSON-LD), never Python objects per row.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import NoReturn

import pyoxigraph as ox

from klynge.graph.rdf_text import serialize
from klynge.namespaces import PREFIXES


@dataclass(frozen=True)
class Job:
    """One query for a worker: the text, the result format's media type, the dataset and the bindings.

    Without graphs named, the default graph is the union of all graphs, unless ``union_default_graph`` is off
    (the query names its own with FROM). Relative IRIs in the query resolve against ``base_iri`` (the
    endpoint's URL, as the SPARQL Protocol suggests); without one they are a syntax error.
    """

    query: str
    media_type: str
    max_results: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    bindings: Mapping[str, ox.Term] = field(default_factory=dict)
    union_default_graph: bool = True
    base_iri: str | None = None


@dataclass(frozen=True)
class Done:
    """A worker's answer: the serialised results and their media type."""

    body: bytes
    media_type: str


@dataclass(frozen=True)
class Failed:
    """A worker's refusal: ``kind`` is ``syntax``, ``too-large`` or ``error``; line and column where known."""

    kind: str
    message: str
    line: int | None = None
    column: int | None = None


class WorkerLost(RuntimeError):
    """A worker died before it answered."""


class PoolBusy(TimeoutError):
    """No worker became free within the time limit: the query never started, and may run later."""


# ---------------------------------------------------------------------------------------------------------
# Inside a worker
# ---------------------------------------------------------------------------------------------------------


class TooLarge(Exception):
    """More results than the job allows."""


class LineLimitedBuffer:
    """A binary sink for a TSV serialiser that stops it (by raising) once it writes more lines than allowed."""

    def __init__(self, max_lines: int) -> None:
        self.max_lines = max_lines
        self.lines = 0
        self.chunks: list[bytes] = []
        self.overflowed = False

    def write(self, chunk: bytes) -> int:
        self.lines += chunk.count(b"\n")
        if self.lines > self.max_lines:
            self.overflowed = True
            raise TooLarge
        self.chunks.append(bytes(chunk))
        return len(chunk)

    def flush(self) -> None:
        """Nothing is buffered here; the serialiser may still call it."""


def limited(triples: Iterable[ox.Triple], limit: int) -> Iterator[ox.Triple]:
    """The triples of a CONSTRUCT or DESCRIBE, stopping with TooLarge past the limit."""
    for count, triple in enumerate(triples, 1):
        if count > limit:
            raise TooLarge
        yield triple


def solutions_bytes(solutions: ox.QuerySolutions, fmt: ox.QueryResultsFormat, limit: int) -> bytes:
    """SELECT results in ``fmt``, at most ``limit`` rows.

    The rows are counted as they are written: TSV has exactly one line per row (its terms escape line
    breaks), so the results go to TSV first, stopping the evaluation at the limit; another format is made
    from the TSV by pyoxigraph's parser and serialiser, both native code.
    """
    sink = LineLimitedBuffer(limit + 1)  # the header line, then one per row
    try:
        solutions.serialize(sink, format=ox.QueryResultsFormat.TSV)
    except (TooLarge, OSError):
        if sink.overflowed:
            raise TooLarge from None
        raise
    tsv = b"".join(sink.chunks)
    if fmt == ox.QueryResultsFormat.TSV:
        return tsv
    return ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=fmt)


UNKNOWN_FUNCTION = re.compile(r"The custom function <([^>]*)> is not supported")
MAX_UNKNOWN_FUNCTIONS = 32


def unknown_function(*arguments: ox.Term) -> None:
    """A function the engine does not have: its every call is an error (SPARQL 1.1 §17.6)."""


def run_query(store: ox.Store, job: Job, **options: object) -> object:
    """The query's results. A call of a function pyoxigraph does not know is an evaluation error, as SPARQL
    says (the BIND or projection stays unbound, the FILTER fails), not a failed request: pyoxigraph refuses
    such a query (its only sign is the message), so it runs again with that function defined as failing."""
    functions: dict[ox.NamedNode, object] = {}
    while True:
        try:
            return store.query(job.query, base_iri=job.base_iri, custom_functions=functions or None, **options)
        except RuntimeError as error:
            unknown = UNKNOWN_FUNCTION.fullmatch(str(error))
            if unknown is None or len(functions) >= MAX_UNKNOWN_FUNCTIONS:
                raise
            functions[ox.NamedNode(unknown.group(1))] = unknown_function


def graphs(iris: tuple[str, ...]) -> list[ox.NamedNode]:
    return [ox.NamedNode(iri) for iri in iris]


def evaluate(store: ox.Store, job: Job) -> Done | Failed:
    """Run one job on the store and serialise its results in the job's format."""
    dataset: dict[str, object] = {"use_default_graph_as_union": job.union_default_graph}
    if job.default_graphs or job.named_graphs:  # the protocol's dataset overrides the query's FROM
        dataset = {"default_graph": graphs(job.default_graphs), "named_graphs": graphs(job.named_graphs)}
    substitutions = {ox.Variable(name): term for name, term in job.bindings.items()}
    try:
        results = run_query(store, job, substitutions=substitutions, **dataset)
        if isinstance(results, ox.QueryTriples):
            fmt = ox.RdfFormat.from_media_type(job.media_type)
            if fmt is None:
                return Failed("error", f"a graph cannot be given as {job.media_type}")
            body = serialize(limited(results, job.max_results), fmt, PREFIXES)
        else:
            fmt = ox.QueryResultsFormat.from_media_type(job.media_type)
            if fmt is None:
                return Failed("error", f"query results cannot be given as {job.media_type}")
            if isinstance(results, ox.QueryBoolean):
                body = results.serialize(format=fmt)
            else:
                body = solutions_bytes(results, fmt, job.max_results)
    except SyntaxError as error:
        return Failed("syntax", *syntax_details(error))
    except TooLarge:
        return Failed("too-large", f"the answer has more than {job.max_results} results")
    except Exception as error:  # whatever goes wrong, the worker answers and lives on
        return Failed("error", str(error) or type(error).__name__)
    return Done(body, fmt.media_type)


def syntax_details(error: SyntaxError) -> tuple[str, int | None, int | None]:
    """The parser's message and the line and column it points at (pyoxigraph writes ``error at 3:14: …``)."""
    message = str(error.msg)
    head, _, rest = message.partition(": ")
    line, _, column = head.removeprefix("error at ").partition(":")
    if head.startswith("error at ") and line.isdigit() and column.isdigit() and rest:
        return rest, int(line), int(column)
    return message, error.lineno, error.offset


def answer_jobs(connection: Connection, store: ox.Store) -> None:
    """Answer jobs one after the other until the service closes its end."""
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(evaluate(store, job))


def serve_jobs(connection: Connection, open_store: Callable[[], ox.Store]) -> NoReturn:
    """A worker's life. The jobs run in a thread of their own: pyoxigraph's random numbers (RAND(), UUID(),
    fresh blank nodes) come from a per-thread generator, seeded on first use, and the forking thread's was
    seeded before the fork, so every worker would repeat the same "random" sequence."""
    thread = threading.Thread(target=answer_jobs, args=(connection, open_store()), name="klynge-query-worker")
    thread.start()
    thread.join()
    os._exit(0)


# ---------------------------------------------------------------------------------------------------------
# The zygote
# ---------------------------------------------------------------------------------------------------------


def zygote(control: socket.socket, open_store: Callable[[], ox.Store]) -> NoReturn:
    """Fork a worker for every byte the service sends; exit when the service goes away."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed workers: no zombies
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the service's to handle; it closes us
    while control.recv(1):
        service_end, worker_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            control.close()
            service_end.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            serve_jobs(Connection(worker_end.detach()), open_store)
        worker_end.close()
        socket.send_fds(control, [pid.to_bytes(8, "big")], [service_end.fileno()])
        service_end.close()
    os._exit(0)


def fork_zygote(open_store: Callable[[], ox.Store]) -> tuple[int, socket.socket]:
    """Start the zygote; return its pid and the service's end of its control socket."""
    service_end, zygote_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            service_end.close()
            zygote(zygote_end, open_store)
        finally:
            os._exit(1)
    zygote_end.close()
    return pid, service_end


# ---------------------------------------------------------------------------------------------------------
# In the service
# ---------------------------------------------------------------------------------------------------------


def exists(pid: int) -> bool:
    """Whether a process exists (it may be another's child, so no waitpid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def reaped(pids: list[int], within: float) -> None:
    """Wait (a bounded time) until processes that are not our children have gone."""
    deadline = time.monotonic() + within
    for pid in pids:
        while exists(pid) and time.monotonic() < deadline:
            time.sleep(0.005)


@dataclass
class Worker:
    """The service's handle on one worker process."""

    pid: int
    connection: Connection

    def kill(self) -> None:
        """End the process at once, whatever it is computing, and drop the connection."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.connection.close()


class WorkerPool:
    """A fixed number of workers; a job waits for an idle one, and a worker past the deadline is replaced."""

    def __init__(self, open_store: Callable[[], ox.Store], size: int) -> None:
        if size < 1:
            raise ValueError(f"the pool needs at least one worker, not {size}")
        self.size = size
        self._spawn_lock = threading.Lock()
        self._zygote_pid, self._control = fork_zygote(open_store)
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._workers: dict[int, Worker] = {}
        for _ in range(size):
            self._idle.put(self._spawn())

    def _spawn(self) -> Worker:
        """A new worker from the zygote."""
        with self._spawn_lock:
            try:
                self._control.sendall(b"w")
                message, fds, _, _ = socket.recv_fds(self._control, 8, 1)
            except OSError as error:
                raise WorkerLost(f"the worker factory has stopped: {error}") from None
            if len(message) != 8 or len(fds) != 1:
                raise WorkerLost("the worker factory has stopped")
            worker = Worker(int.from_bytes(message, "big"), Connection(fds[0]))
            self._workers[worker.pid] = worker
            return worker

    def _renew(self, worker: Worker) -> Worker:
        """Kill a worker; a fresh one from the zygote."""
        worker.kill()
        with self._spawn_lock:
            self._workers.pop(worker.pid, None)
        return self._spawn()

    def _replace(self, worker: Worker) -> None:
        """Kill a worker and put a fresh one in its place among the idle."""
        self._idle.put(self._renew(worker))

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers (idle or busy)."""
        with self._spawn_lock:
            return list(self._workers)

    def run(self, job: Job, timeout: float) -> Done | Failed:
        """Run a job on an idle worker within ``timeout`` seconds, the wait for an idle worker included.

        PoolBusy when no worker became free in time, TimeoutError when the time runs out (a worker still
        computing is killed and replaced), WorkerLost when the worker dies.
        """
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise PoolBusy(f"all {self.size} query workers stayed busy for {timeout:g} s") from None
        if not exists(worker.pid):  # ended while idle (out of memory, killed by hand): not this query's fault
            worker = self._renew(worker)
        try:
            worker.connection.send(job)
            answered = worker.connection.poll(max(0.0, deadline - time.monotonic()))
            answer = worker.connection.recv() if answered else None
        except (EOFError, OSError, pickle.PickleError) as error:
            self._replace(worker)
            raise WorkerLost(f"the query worker failed: {error or type(error).__name__}") from None
        if answer is None:
            self._replace(worker)
            raise TimeoutError(f"the query ran past the time limit of {timeout:g} s and was stopped")
        self._idle.put(worker)
        return answer

    def close(self) -> None:
        """Kill every worker and the zygote.

        The zygote is killed rather than left to see its control socket close: a pool forked later in the
        same process holds a copy of that socket, so the zygote would not see it close.
        """
        with self._spawn_lock:
            workers, self._workers = list(self._workers.values()), {}
            for worker in workers:
                worker.kill()
            reaped([worker.pid for worker in workers], within=2.0)  # by the zygote, while it lives
            self._control.close()
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._zygote_pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._zygote_pid, 0)
