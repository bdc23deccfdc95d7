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
inside the worker by pyoxigraph's serialisers (graphs through ``klynge.rdf.rdf_text``: Turtle with the
prefixes, compacted JSON-LD), never Python objects per row.
The service waits for an answer either in a thread (``run``) or on its event loop (``run_on_loop``: the
answer read as it arrives on the worker's socket, so a short query holds no thread); both keep the same
books (one coroutine, ``_held``), and idle workers are taken latest-used first, so their caches stay warm.

Hostile queries must not take the service down, so:

- the pool keeps one worker more than may run *long* queries (past ``long_after`` seconds): a long query holds
  a long slot and is niced, and when every long slot is taken it is stopped with ``PoolBusy``; short queries
  therefore always find a worker, whatever runs away;
- work is told apart by what ran before, not by watching a query's first half second: a query whose text
  (comments and spacing aside) ran long before, or whose client's queries ran long in the last minute, is
  *long* work: it takes a long slot from its start or is refused at once (503) when none is free, so it never
  sits on the worker kept for short queries. Only a new client's new text is still found out by running;
- clients (by address, ``klynge.engines.base.CLIENT``) share fairly: a free worker goes to short work first,
  then to the client running the fewest queries; no client holds more than its share of the workers while
  others wait, of the long slots while others ask for long work, or of the waiting places (a full queue sends
  the greediest client's latest query away to make room);
- a query waiting for a worker waits a bounded time, and only so many may wait; one that never started is
  ``PoolBusy`` (503 with Retry-After), never a time-limit failure;
- each worker has an address-space limit (RLIMIT_AS), so a query that grows without bound ends its own worker,
  not the machine; its deep recursion gets a large thread stack;
- a worker's stderr is a memory file the service reads when the worker dies, so an engine panic (SIGABRT too)
  is told from a lack of memory and reported with the engine's message, and logged with the query's hash;
- workers die with the zygote (PR_SET_PDEATHSIG) and the zygote with the service (it watches its parent), so a
  killed service leaves no query running; the zygote reaps every worker and reports how each ended, so a lost
  query's message says what happened; a dead zygote is replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import faulthandler
import hashlib
import logging
import os
import pickle
import re
import resource
import select
import signal
import socket
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from multiprocessing.connection import Connection
from typing import NoReturn, TypeVar

import pyoxigraph as ox

from klynge.engines.answer_bytes import LINE_FORMATS, TooLarge, limited, solutions_bytes, triples_bytes
from klynge.rdf.namespaces import PREFIXES
from klynge.rdf.rdf_text import serialize
from klynge.rdf.sparql_lexer import TOKEN
from klynge.settings import Limits

log = logging.getLogger("klynge.engine")
T = TypeVar("T")


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
    """A worker's refusal: ``kind`` is ``syntax``, ``too-large``, ``memory`` or ``error``; line and column
    where known."""

    kind: str
    message: str
    line: int | None = None
    column: int | None = None


class WorkerLost(RuntimeError):
    """A worker died before it answered; the message says how it ended."""


class WorkerOutOfMemory(WorkerLost):
    """A worker ended because its query needed more memory than a worker may use."""


class WorkerPanicked(WorkerLost):
    """The engine panicked on the query (a bug of the engine, not a lack of memory); ``query_hash`` names the
    query in the log."""

    def __init__(self, message: str, query_hash: str) -> None:
        super().__init__(message)
        self.query_hash = query_hash


class PoolBusy(RuntimeError):
    """No worker could take the query now (every long slot taken, or too many waiting): try again later."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# ---------------------------------------------------------------------------------------------------------
# Inside a worker
# ---------------------------------------------------------------------------------------------------------

QUERY_STACK_BYTES = 256 * 2**20  # virtual until used: deep (but admitted) nesting recurses in pyoxigraph


UNKNOWN_FUNCTION = re.compile(r"The custom function <([^>]*)> is not supported")
MAX_UNKNOWN_FUNCTIONS = 32


def unknown_function(*arguments: ox.Term) -> None:
    """A function the engine does not have: its every call is an error (SPARQL 1.1 §17.6)."""


def run_query(store: ox.Store, job: Job, **options: object) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
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

    def query() -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        return run_query(store, job, substitutions=substitutions, **dataset)

    try:
        results = query()
        if isinstance(results, ox.QueryTriples):
            fmt = ox.RdfFormat.from_media_type(job.media_type)
            if fmt is None:
                return Failed("error", f"a graph cannot be given as {job.media_type}")
            if fmt in LINE_FORMATS:  # no prefixes to write for: the engine's own writer, at its speed
                body = triples_bytes(results, fmt, job.max_results)
            else:
                body = serialize(limited(results, job.max_results), fmt, PREFIXES)
        else:
            fmt = ox.QueryResultsFormat.from_media_type(job.media_type)
            if fmt is None:
                return Failed("error", f"query results cannot be given as {job.media_type}")
            if isinstance(results, ox.QueryBoolean):
                body = results.serialize(format=fmt)
            else:
                body = solutions_bytes(results, fmt, job.max_results, again=query)
    except SyntaxError as error:
        return Failed("syntax", *syntax_details(error))
    except TooLarge:
        return Failed("too-large", f"the answer has more than {job.max_results} results")
    except MemoryError:
        return Failed("memory", "the query needed more memory than a query may use")
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


def address_space() -> int:
    """This process's virtual memory size in bytes (Linux /proc)."""
    with open("/proc/self/status") as status:
        found = re.search(r"^VmSize:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


def limit_memory(extra_bytes: int | None) -> None:
    """Let this process grow by ``extra_bytes`` of address space beyond what it maps now (the store included),
    so a runaway allocation fails in this worker instead of the machine running out."""
    if extra_bytes:
        limit = address_space() + QUERY_STACK_BYTES + extra_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))


def serve_jobs(connection: Connection, open_store: Callable[[], ox.Store], memory_bytes: int | None) -> NoReturn:
    """A worker's life. The jobs run in a thread of their own: pyoxigraph's random numbers (RAND(), UUID(),
    fresh blank nodes) come from a per-thread generator, seeded on first use, and the forking thread's was
    seeded before the fork, so every worker would repeat the same "random" sequence. The thread's stack is
    large, as pyoxigraph's parser and evaluator recurse once per level of nesting."""
    os.environ["RUST_BACKTRACE"] = "0"  # a failed allocation is one line in the log, not a backtrace
    # A worker's crash is the service's to report (``ending`` says how it ended, in the query's answer); a
    # "Fatal Python error" dump inherited from a parent running with faulthandler (pytest, -X faulthandler)
    # would only read as a crash of the service itself.
    faulthandler.disable()
    store = open_store()
    limit_memory(memory_bytes)
    threading.stack_size(QUERY_STACK_BYTES)
    thread = threading.Thread(target=answer_jobs, args=(connection, store), name="klynge-query-worker")
    thread.start()
    thread.join()
    os._exit(0)


# ---------------------------------------------------------------------------------------------------------
# The zygote
# ---------------------------------------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1
NOTICE = 12  # bytes of a death notice: the pid (8) and the wait status (4)


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when the thread that forked it ends (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def report_deaths(notices: socket.socket) -> None:
    """Reap every worker that has ended and tell the service how (dropped if the service does not read)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        with contextlib.suppress(OSError):
            notices.send(pid.to_bytes(8, "big") + (status & 0xFFFFFFFF).to_bytes(4, "big"), socket.MSG_DONTWAIT)


def zygote(
    control: socket.socket,
    notices: socket.socket,
    open_store: Callable[[], ox.Store],
    parent: int,
    memory_bytes: int | None,
) -> NoReturn:
    """Fork a worker for every byte the service sends; exit when the service goes away (its socket closes or
    this process is handed to another parent), which ends every worker too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the service's to handle; it closes us
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    me = os.getpid()
    while os.getppid() == parent:
        ready, _, _ = select.select([control, wake_read], [], [], 1.0)
        if wake_read in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_read, 4096)
        report_deaths(notices)
        if control not in ready:
            continue
        if not control.recv(1):
            break
        service_end, worker_end = socket.socketpair()
        stderr = os.memfd_create("klynge-worker-stderr")
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            die_with_parent()
            if os.getppid() != me:  # the zygote ended before the death signal was asked for
                os._exit(1)
            for fd in (wake_read, wake_write):
                os.close(fd)
            control.close()
            notices.close()
            service_end.close()
            os.dup2(stderr, 2)
            os.close(stderr)
            serve_jobs(Connection(worker_end.detach()), open_store, memory_bytes)
        worker_end.close()
        socket.send_fds(control, [pid.to_bytes(8, "big")], [service_end.fileno(), stderr])
        service_end.close()
        os.close(stderr)
    os._exit(0)


def fork_zygote(
    open_store: Callable[[], ox.Store], memory_bytes: int | None
) -> tuple[int, socket.socket, socket.socket]:
    """Start the zygote; return its pid and the service's ends of its control and notice sockets."""
    service_end, zygote_end = socket.socketpair()
    notices_in, notices_out = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    parent = os.getpid()
    forked_by_main_thread = threading.current_thread() is threading.main_thread()
    pid = os.fork()
    if pid == 0:
        try:
            if forked_by_main_thread:  # a death signal follows the forking *thread*: only the main one lasts
                die_with_parent()
            service_end.close()
            notices_in.close()
            zygote(zygote_end, notices_out, open_store, parent, memory_bytes)
        finally:
            os._exit(1)
    zygote_end.close()
    notices_out.close()
    return pid, service_end, notices_in


# ---------------------------------------------------------------------------------------------------------
# In the service
# ---------------------------------------------------------------------------------------------------------

LOWEST_PRIORITY = 19  # a long query yields the CPU to short ones (and to everything else)
MAX_WAITING = 32  # queries waiting for a worker at once, beyond which a query is refused at once (503)
LONG_MEMORY_S = 60.0  # a client whose query ran long sends long work for this long (unless it proves otherwise)
SHORTS_TO_FORGIVE = 3  # quick answers in a row after which a client's queries are no longer taken as long
LONG_WAIT_S = 2.0  # long work waits at most this long for a worker before it is told to come back (503)
MAX_CLIENTS = 4096  # client records kept (the least recently seen dropped first)
MAX_FINGERPRINTS = 4096  # query texts whose run time is remembered
KIND_ORDER = {"short": 0, "new": 1, "long": 2}
STDERR_TAIL = 8192  # bytes of a dead worker's stderr read for its panic message
FINGERPRINT_TOKENS_UP_TO = 16 * 1024  # characters: longer texts are hashed as they are


def query_fingerprint(query: str) -> str:
    """The query's text without comments and spacing, hashed: the same query sent with another comment
    (a nonce, say) is known to be the same work. A repeated text is not tokenised again (a 5 KB named query
    takes a quarter of a millisecond, on every request)."""
    if len(query) > FINGERPRINT_TOKENS_UP_TO:
        return hashlib.blake2b(query.encode(), digest_size=16).hexdigest()
    return _tokens_fingerprint(query)


@lru_cache(maxsize=1024)
def _tokens_fingerprint(query: str) -> str:
    significant = (m.group() for m in TOKEN.finditer(query) if m.lastgroup not in ("space", "comment"))
    return hashlib.blake2b(" ".join(significant).encode(), digest_size=16).hexdigest()


@dataclass
class ClientRecord:
    """What the pool knows of one client (by address): what it runs and waits for now, and how its queries
    ran lately."""

    running: int = 0
    waiting: int = 0
    long_running: int = 0
    long_until: float = 0.0  # its queries are long work until then
    shorts: int = 0  # quick answers in a row

    @property
    def active(self) -> bool:
        return bool(self.running or self.waiting)


@dataclass(eq=False)
class Ticket:
    """A query's place: waiting for a worker, then holding one (``worker``) until it ends."""

    client: str
    kind: str  # "short", "new" or "long" (see WorkerPool._kind)
    arrived: float
    deadline: float
    fingerprint: str = ""
    worker: Worker | None = None
    evicted: bool = False  # sent away from a full queue to make room for another client's query
    refusal: PoolBusy | None = None  # found to be long work while it waited, with no long slot for it


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


PANIC = re.compile(r"panicked at ([^\n]*?):\n([^\n]*)")


def ending(status: int | None, memory_bytes: int | None, stderr: str = "", query: str = "") -> WorkerLost:
    """How a worker ended (its wait status, from the zygote, and what it wrote to its stderr), in words for
    the person whose query it ran. An engine panic is logged with the query's hash, for an upstream report."""
    panics = PANIC.findall(stderr)
    if panics:
        where, message = panics[-1]
        digest = hashlib.sha256(query.encode()).hexdigest()
        log.error("pyoxigraph %s panicked at %s: %s (query sha256 %s)", ox.__version__, where, message, digest)
        return WorkerPanicked(
            f"the query engine (pyoxigraph {ox.__version__}) failed on this query: {message.strip()} (a bug of "
            f"the engine, at {where}; recorded as query {digest[:16]}); rewrite the query to avoid it",
            digest,
        )
    if status is None:
        return WorkerLost("the query worker stopped without answering (how it ended is not known); it was replaced")
    if os.WIFEXITED(status):
        return WorkerLost(f"the query worker exited with status {os.WEXITSTATUS(status)} before answering")
    number = os.WTERMSIG(status)
    if number == signal.SIGABRT and memory_bytes:
        return WorkerOutOfMemory(
            f"the query needed more than the {memory_bytes // 2**20} MiB of memory a query may use, so its "
            "worker stopped; narrow the query"
        )
    if number == signal.SIGSEGV:
        return WorkerLost(
            "the query worker crashed (SIGSEGV), as pyoxigraph can on a query that is extremely deeply nested "
            "or long; simplify the query"
        )
    if number == signal.SIGKILL:
        return WorkerLost("the query worker was killed (SIGKILL) from outside, perhaps by the system for memory")
    return WorkerLost(f"the query worker was ended by {signal.Signals(number).name} before answering")


@dataclass
class Worker:
    """The service's handle on one worker process."""

    pid: int
    connection: Connection
    stderr: int = -1  # a memory file holding what the worker wrote to its stderr (a panic's message)
    niced: bool = False  # yields the CPU for good: replaced after its query

    def kill(self) -> None:
        """End the process at once, whatever it is computing, and drop the connection and its stderr."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.connection.close()
        if self.stderr >= 0:
            with contextlib.suppress(OSError):
                os.close(self.stderr)
            self.stderr = -1

    def stderr_tail(self) -> str:
        """The end of what the worker wrote to its stderr ('' if nothing)."""
        if self.stderr < 0:
            return ""
        try:
            size = os.fstat(self.stderr).st_size
            return os.pread(self.stderr, STDERR_TAIL, max(0, size - STDERR_TAIL)).decode("utf-8", "replace")
        except OSError:
            return ""

    def yield_cpu(self) -> None:
        """Give the process the lowest priority (nice 19: about 1/70 of the CPU a short query's worker gets when
        both want it), for good: it is replaced after its long query."""
        self.niced = True
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.pid, LOWEST_PRIORITY)


class Waits:
    """How a running job waits: for the worker's answer, and for the steps that may block (making a worker)."""

    async def answer(self, worker: Worker, seconds: float) -> Done | Failed | None:
        """The worker's answer, or None when it has not come within ``seconds``."""
        raise NotImplementedError

    async def call(self, step: Callable[..., T], *args: object) -> T:
        """``step(*args)``, which may block."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop watching the worker (before it is killed or handed on)."""


class Blocking(Waits):
    """In a thread: every wait blocks, and nothing suspends (``finished`` runs the job's coroutine at once)."""

    async def answer(self, worker: Worker, seconds: float) -> Done | Failed | None:
        return worker.connection.recv() if worker.connection.poll(seconds) else None

    async def call(self, step: Callable[..., T], *args: object) -> T:
        return step(*args)


def finished(job: Coroutine[object, None, T]) -> T:
    """The result of a coroutine that never suspends (one waiting by ``Blocking``)."""
    try:
        job.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    job.close()
    raise RuntimeError("a blocking wait suspended")


class OnLoop(Waits):
    """On the event loop: the answer is read as it arrives (a chunk per readiness of the socket, so a large
    answer never blocks the loop) and a step that may block runs in the loop's executor."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.reader: AnswerReader | None = None

    async def answer(self, worker: Worker, seconds: float) -> Done | Failed | None:
        if self.reader is None or self.reader.worker is not worker:
            self.close()
            self.reader = AnswerReader(self.loop, worker)
        return await self.reader.within(seconds)

    async def call(self, step: Callable[..., T], *args: object) -> T:
        return await self.loop.run_in_executor(None, step, *args)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None


class AnswerReader:
    """One message from a worker's socket in ``multiprocessing.connection``'s framing (a 4-byte size, or -1 and
    an 8-byte size, then the pickle), read on the event loop whenever the socket is readable, never waiting."""

    def __init__(self, loop: asyncio.AbstractEventLoop, worker: Worker) -> None:
        self.loop = loop
        self.worker = worker
        self.fd = worker.connection.fileno()
        self.done: asyncio.Future[Done | Failed] = loop.create_future()
        self.head = bytearray()
        self.body: bytearray | None = None
        self.got = 0
        self.watching = True
        loop.add_reader(self.fd, self.readable)

    async def within(self, seconds: float) -> Done | Failed | None:
        """The answer, or None when it has not come within ``seconds`` (reading goes on: ask again)."""
        if not self.done.done():
            await asyncio.wait((self.done,), timeout=seconds)
        return self.done.result() if self.done.done() else None

    def readable(self) -> None:
        try:
            if self.body is None:
                self.read_head()
            else:
                self.got += os.readv(self.fd, [memoryview(self.body)[self.got :]]) or self.ended()
            if self.body is not None and self.got == len(self.body):
                self.close()
                self.done.set_result(pickle.loads(self.body))
        except (BlockingIOError, InterruptedError):
            return
        except Exception as error:  # a dead worker, a broken pickle: the job's waiter raises it
            self.close()
            if not self.done.done():
                self.done.set_exception(error)

    def read_head(self) -> None:
        """The size, read a byte string at a time (it may arrive split); the body is sized from it."""
        need = 4 if len(self.head) < 4 or self.head[:4] != b"\xff\xff\xff\xff" else 12
        chunk = os.read(self.fd, need - len(self.head))
        if not chunk:
            self.ended()
        self.head += chunk
        if len(self.head) == 4 and self.head != b"\xff\xff\xff\xff":
            self.body = bytearray(int.from_bytes(self.head, "big", signed=True))
        elif len(self.head) == 12:
            self.body = bytearray(int.from_bytes(self.head[4:], "big"))

    def ended(self) -> int:
        raise EOFError("the worker closed its connection")

    def close(self) -> None:
        """Stop watching the socket (at once, before the worker may be killed and its descriptor reused), and
        make it blocking again, as a thread reads it: uvloop's watch leaves it non-blocking."""
        if not self.watching:
            return
        self.watching = False
        with contextlib.suppress(ValueError, OSError):
            self.loop.remove_reader(self.fd)
            os.set_blocking(self.fd, True)


class WorkerPool:
    """``size`` long slots and one worker more; a job waits (boundedly, fairly among clients) for an idle worker,
    a worker past the deadline is replaced, known long work holds a long slot from its start, and other work
    still running after ``long_after`` seconds needs one (see the module's docstring).

    ``size`` is ``limits.workers``; ``memory_bytes`` (``limits.worker_memory_mb``) bounds what each worker may
    allocate beyond the store (None: no bound). ``fork_lock`` is held while a zygote is forked again from the
    running service, so the caller can keep its own use of the store out of that moment.
    """

    def __init__(
        self,
        open_store: Callable[[], ox.Store],
        limits: Limits,
        *,
        max_waiting: int | None = None,
        fork_lock: threading.Lock | None = None,
    ) -> None:
        self.size = limits.workers
        self.long_after = limits.long_after
        self.memory_bytes = limits.worker_memory_bytes
        self.max_waiting = MAX_WAITING if max_waiting is None else max_waiting
        self.zygote_restarts = 0
        self._open_store = open_store
        self._fork_lock = fork_lock or threading.Lock()
        self._spawn_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._notice_lock = threading.Lock()
        self._cond = threading.Condition(self._state_lock)  # tickets, idle workers, slots and clients
        self._long_ends: dict[int, float] = {}  # worker pid -> deadline of the long query it runs
        self._tickets: list[Ticket] = []  # waiting for a worker
        self._busy: dict[int, Ticket] = {}  # worker pid -> the ticket it serves
        self._clients: OrderedDict[str, ClientRecord] = OrderedDict()
        self._fingerprints: OrderedDict[str, str] = OrderedDict()  # query fingerprint -> "short" or "long"
        self._missing = 0
        self._deaths: OrderedDict[int, int] = OrderedDict()
        self._zygote_pid, self._control, self._notices = fork_zygote(open_store, self.memory_bytes)
        self._idle: deque[Worker] = deque()
        self._workers: dict[int, Worker] = {}
        for _ in range(self.size + 1):
            self._idle.append(self._spawn())

    # --- workers and the zygote -----------------------------------------------------------------------------

    def _spawn(self) -> Worker:
        """A new worker from the zygote, which is forked again if it has gone."""
        with self._spawn_lock:
            try:
                worker = self._ask_zygote()
            except WorkerLost:
                self._restart_zygote()
                worker = self._ask_zygote()
            self._workers[worker.pid] = worker
            return worker

    def _ask_zygote(self) -> Worker:
        try:
            self._control.sendall(b"w")
            message, fds, _, _ = socket.recv_fds(self._control, 8, 2)
        except OSError as error:
            raise WorkerLost(f"the worker factory has stopped: {error}") from None
        if len(message) != 8 or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            raise WorkerLost("the worker factory has stopped")
        return Worker(int.from_bytes(message, "big"), Connection(fds[0]), fds[1])

    def _zygote_alive(self) -> bool:
        try:
            pid, _ = os.waitpid(self._zygote_pid, os.WNOHANG)  # reaps it when it has ended: no zombie
        except ChildProcessError:
            return False
        return pid == 0

    def _end_zygote(self) -> None:
        """Close the zygote's sockets, kill it and reap it (its workers die with it)."""
        self._control.close()
        self._notices.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._zygote_pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._zygote_pid, 0)

    def _restart_zygote(self) -> None:
        """Replace the zygote (the spawn lock held); its workers die with it."""
        self._end_zygote()
        with self._fork_lock:
            self._zygote_pid, self._control, self._notices = fork_zygote(self._open_store, self.memory_bytes)
        self._deaths.clear()
        self.zygote_restarts += 1

    def _renew(self, worker: Worker) -> Worker:
        """Kill a worker; a fresh one from the zygote."""
        worker.kill()
        with self._spawn_lock:
            self._workers.pop(worker.pid, None)
        self._drain_notices()
        return self._spawn()

    def _replace(self, worker: Worker) -> None:
        """Kill a worker and put a fresh one in its place among the idle (later, if none can be made now)."""
        try:
            self._give_back(self._renew(worker), fresh=True)
        except WorkerLost:
            with self._state_lock:
                self._missing += 1

    def _refill(self) -> None:
        """Make the workers that could not be made when their predecessors went."""
        while True:
            with self._state_lock:
                if not self._missing:
                    return
                self._missing -= 1
            try:
                self._give_back(self._spawn(), fresh=True)
            except WorkerLost:
                with self._state_lock:
                    self._missing += 1
                return

    def _drain_notices(self) -> None:
        """Read the death notices waiting, so the socket never fills with those of workers we killed."""
        with self._notice_lock:
            self._read_notices(0.0)

    def _read_notices(self, within: float) -> None:
        """Read one death notice, waiting up to ``within`` seconds, or (``within`` 0) every one waiting; the
        notice lock held."""
        while True:
            try:
                if within > 0:
                    self._notices.settimeout(within)
                    data = self._notices.recv(NOTICE)
                else:
                    data = self._notices.recv(NOTICE, socket.MSG_DONTWAIT)
            except OSError:  # nothing (more) to read, a timeout included
                return
            if len(data) == NOTICE:
                self._deaths[int.from_bytes(data[:8], "big")] = int.from_bytes(data[8:], "big")
                while len(self._deaths) > 256:
                    self._deaths.popitem(last=False)
            if within > 0:
                return

    def _death(self, pid: int, within: float = 1.0) -> int | None:
        """The wait status of a worker that has ended, as the zygote reports it (None if it does not)."""
        deadline = time.monotonic() + within
        with self._notice_lock:
            while pid not in self._deaths and time.monotonic() < deadline:
                self._read_notices(deadline - time.monotonic())
            return self._deaths.pop(pid, None)

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers (idle or busy)."""
        with self._spawn_lock:
            return list(self._workers)

    def health(self) -> dict[str, object]:
        """What the pool can do now; a dead zygote is replaced first (``ok`` is False if it cannot be)."""
        with self._spawn_lock:
            if not self._zygote_alive():
                with contextlib.suppress(OSError):
                    self._restart_zygote()
            zygote = self._zygote_alive()
            live = sum(exists(pid) for pid in self._workers)
        self._refill()
        with self._state_lock:
            state = {"long_running": len(self._long_ends), "waiting": len(self._tickets), "missing": self._missing}
        return {
            "ok": zygote and live > 0,
            "zygote": "running" if zygote else "stopped",
            "workers": live,
            "long_slots": self.size,
            "zygote_restarts": self.zygote_restarts,
            **state,
        }

    # --- running a job --------------------------------------------------------------------------------------

    def run(self, job: Job, timeout: float, client: str = "") -> Done | Failed:
        """Run a job for ``client`` (its address) within ``timeout`` seconds, the wait for a worker included.

        TimeoutError when the query runs past the time (its worker is killed and replaced); PoolBusy, with
        Retry-After, when it cannot start now (no long slot for long work, its client's share of the queue
        taken, or no worker free in time: it never started); WorkerLost (saying how) when the worker dies.
        """
        deadline = time.monotonic() + timeout
        self._refill()
        fingerprint = query_fingerprint(job.query)
        ticket = self._admit(client, fingerprint, deadline, timeout)
        return finished(self._held(job, ticket, deadline, timeout, Blocking()))

    async def run_on_loop(self, job: Job, timeout: float, client: str = "") -> Done | Failed | None:
        """``run`` without a thread, on the running event loop: when a worker is idle for the job and nothing
        waits before it, the job is sent and its answer read as it arrives (the loop is never blocked), with
        the same time limit, long-query rules and bookkeeping; None, having taken nothing, when the job would
        have to wait (for a worker, a long slot or a new worker) or is long: ``run`` it in a thread then.

        Saves an uncached request two thread switches (to a thread and back), which on a busy machine each
        wait for a core. The answer is awaited shielded: a cancelled request still reads its worker's answer
        (as a thread would), so the worker's next job never reads this one's."""
        if len(job.query) > FINGERPRINT_TOKENS_UP_TO:  # a long text is sent (and tokenised) from a thread
            return None
        deadline = time.monotonic() + timeout
        fingerprint = query_fingerprint(job.query)
        ticket = self._take_idle(client, fingerprint, deadline)
        if ticket is None:
            return None
        held = asyncio.ensure_future(self._held(job, ticket, deadline, timeout, OnLoop(asyncio.get_running_loop())))
        held.add_done_callback(lambda task: task.cancelled() or task.exception())  # read, if its request went
        return await asyncio.shield(held)

    async def _held(self, job: Job, ticket: Ticket, deadline: float, timeout: float, io: Waits) -> Done | Failed:
        """The job run on the worker its ticket holds, and the worker handed on; ``io`` says how to wait (a
        thread blocks, the event loop awaits; ``run`` drives this coroutine to its end without suspending)."""
        worker = ticket.worker
        assert worker is not None
        ran_long = False
        try:
            try:
                if not exists(worker.pid):  # ended while idle (out of memory, killed by hand): not this query's fault
                    worker = ticket.worker = await io.call(self._renew_busy, worker, ticket)
            except WorkerLost:
                with self._state_lock:
                    self._missing += 1
                ticket.worker = None
                raise
            try:
                try:
                    worker.connection.send(job)
                    answer, ran_long = await self._answer(worker, deadline, ticket, io)
                finally:
                    io.close()  # before the worker is handed on or killed: its descriptor may be reused
            except (EOFError, OSError, pickle.PickleError):
                ticket.worker = None
                raise await io.call(self._lost, worker, job) from None
            except PoolBusy:
                ran_long = True
                ticket.worker = None
                await io.call(self._replace, worker)
                raise
            if answer is None:
                ran_long = True
                ticket.worker = None
                await io.call(self._replace, worker)
                raise TimeoutError(f"the query ran past the time limit of {timeout:g} s and was stopped")
            ticket.worker = None
            if ran_long or worker.niced:
                await io.call(self._replace, worker)  # niced for good: a fresh one answers at full priority
            else:
                self._give_back(worker)
            return answer
        finally:
            self._finish(ticket, ticket.fingerprint, ran_long)

    def _lost(self, worker: Worker, job: Job) -> WorkerLost:
        """How a worker that died on ``job`` ended (waiting a moment for the zygote's notice); it is replaced."""
        status, stderr = self._death(worker.pid), worker.stderr_tail()
        self._replace(worker)
        return ending(status, self.memory_bytes, stderr, job.query)

    def _renew_busy(self, worker: Worker, ticket: Ticket) -> Worker:
        """A fresh worker in place of one that died while idle, keeping the ticket's bookkeeping; the other idle
        workers are looked at too (what ended one, the system short of memory or a hand, may have ended more),
        as the latest used is taken first and one further down may not be reached for a while."""
        fresh = self._renew(worker)
        with self._cond:
            self._busy.pop(worker.pid, None)
            self._busy[fresh.pid] = ticket
            if worker.pid in self._long_ends:
                self._long_ends[fresh.pid] = self._long_ends.pop(worker.pid)
            dead = [idle for idle in self._idle if not exists(idle.pid)]
            for idle in dead:
                self._idle.remove(idle)
        for idle in dead:
            self._replace(idle)
        return fresh

    def _kind(self, record: ClientRecord, fingerprint: str, now: float) -> str:
        """How a query is expected to run, from what ran before (never from its first half second):
        ``long`` when the same query text ran long, or its client's queries did lately; ``short`` when the same
        text, or its client's queries, answered quickly; ``new`` when nothing is known."""
        known = self._fingerprints.get(fingerprint)
        if known is not None:
            return known
        if record.long_until > now:
            return "long"
        return "short" if record.shorts else "new"

    def _admit(self, client: str, fingerprint: str, deadline: float, timeout: float) -> Ticket:
        """A ticket holding a worker, waited for fairly until the deadline; PoolBusy when the query may not
        start (it never did)."""
        now = time.monotonic()
        with self._cond:
            record = self._client(client)
            kind = self._kind(record, fingerprint, now)
            demand = len({t.client for t in (*self._tickets, *self._busy.values())} | {client})
            queue_share = max(1, self.max_waiting // demand)
            if len(self._tickets) >= self.max_waiting and not self._make_room(client, queue_share):
                raise PoolBusy(f"{len(self._tickets)} queries are already waiting for a query worker", retry_after=1)
            if record.waiting >= queue_share:
                raise PoolBusy(
                    f"this client already has {record.waiting} queries waiting for a query worker, its share of "
                    f"the {self.max_waiting} places while {demand} clients ask",
                    retry_after=1,
                )
            if kind == "long":
                refusal = self._long_refusal(client, record, now, "ran long before")
                if refusal is not None:
                    raise refusal
            ticket = Ticket(client, kind, now, deadline, fingerprint)
            self._tickets.append(ticket)
            record.waiting += 1
            try:
                self._dispatch()
                limit = deadline if kind != "long" else min(deadline, now + LONG_WAIT_S)
                while ticket.worker is None:
                    if ticket.refusal is not None:
                        raise ticket.refusal
                    if ticket.evicted:
                        raise PoolBusy(
                            "the query's client held more than its share of the places in the queue when another "
                            "client asked, so its latest query gave its place up without starting",
                            retry_after=1,
                        )
                    remaining = limit - time.monotonic()
                    if remaining <= 0:
                        raise PoolBusy(
                            f"no query worker became free for it within {limit - now:.1f} s (the time limit is "
                            f"{timeout:g} s), so the query did not start",
                            retry_after=1,
                        )
                    self._cond.wait(min(remaining, 0.5))
                    self._dispatch()  # shares change as clients come and go: look again now and then
            finally:
                record.waiting -= 1
                if ticket in self._tickets:
                    self._tickets.remove(ticket)
        return ticket

    def _take_idle(self, client: str, fingerprint: str, deadline: float) -> Ticket | None:
        """A ticket holding an idle worker at once, as ``_admit`` would give it with nothing waiting; None, with
        nothing taken, when the query would wait, is long work or a worker is missing (``run`` handles those)."""
        now = time.monotonic()
        if not self._cond.acquire(blocking=False):  # threads are at the books: the loop does not wait for them
            return None
        try:
            if self._tickets or not self._idle or self._missing:
                return None
            record = self._client(client)
            kind = self._kind(record, fingerprint, now)
            if kind == "long":
                return None
            ticket = Ticket(client, kind, now, deadline, fingerprint)
            self._tickets.append(ticket)
            self._dispatch()
            if ticket.worker is None:
                if ticket in self._tickets:
                    self._tickets.remove(ticket)
                return None
            return ticket
        finally:
            self._cond.release()

    def _make_room(self, client: str, share: int) -> bool:
        """Free a place in a full queue for ``client`` by sending away the latest ticket of the client that
        holds the most places, if it holds more than its ``share``; whether a place was freed."""
        held: dict[str, list[Ticket]] = {}
        for ticket in self._tickets:
            held.setdefault(ticket.client, []).append(ticket)
        greediest = max(held, key=lambda name: len(held[name]), default=None)
        if greediest is None or greediest == client or len(held[greediest]) <= share:
            return False
        latest = max(held[greediest], key=lambda ticket: ticket.arrived)
        latest.evicted = True
        self._tickets.remove(latest)
        self._cond.notify_all()
        return True

    def _long_share(self, now: float) -> int:
        """Long slots one client may hold: all of them, shared evenly among the clients asking for long work."""
        asking = sum(1 for record in self._clients.values() if record.long_until > now or record.long_running)
        return max(1, self.size // max(1, asking))

    def _long_refusal(self, client: str, record: ClientRecord, now: float, why: str) -> PoolBusy | None:
        """Why a query may not take a long slot now (None: it may); the state lock held."""
        first_end = min(self._long_ends.values(), default=now)
        retry = max(1, int(first_end - now + 1))
        if len(self._long_ends) >= self.size:
            return PoolBusy(
                f"the query {why} (past {self.long_after:g} s) while {self.size} long queries were running "
                "already, so it was stopped; try again later",
                retry_after=retry,
            )
        share = self._long_share(now)
        if record.long_running >= share:
            return PoolBusy(
                f"the query {why} (past {self.long_after:g} s) and its client already runs {record.long_running} "
                f"long queries, its share of the {self.size} long slots; try again when one has ended",
                retry_after=retry,
            )
        return None

    def _client(self, client: str) -> ClientRecord:
        """The record of a client (kept for the most recent MAX_CLIENTS); the state lock held."""
        record = self._clients.pop(client, None) or ClientRecord()
        self._clients[client] = record
        while len(self._clients) > MAX_CLIENTS:
            oldest = next(iter(self._clients))
            if self._clients[oldest].active:
                break
            del self._clients[oldest]
        return record

    def _dispatch(self) -> None:
        """Hand idle workers to waiting tickets (the state lock held): short work first, then new, then long;
        within a kind, the client running the fewest queries, then the earliest. Long work takes a long slot
        from its start and never the last worker, and no client runs more than its share while others wait."""
        self._reclassify()
        while self._idle and self._tickets:
            clients = {t.client for t in (*self._tickets, *self._busy.values())}
            share = max(1, -(-(self.size + 1) // len(clients)))
            general = sum(1 for pid, t in self._busy.items() if t.kind == "long" or pid in self._long_ends)
            eligible = [
                t
                for t in self._tickets
                if self._clients[t.client].running < share
                and (t.kind != "long" or (general < self.size and len(self._long_ends) < self.size))
            ]
            if not eligible:
                return
            ticket = min(eligible, key=lambda t: (KIND_ORDER[t.kind], self._clients[t.client].running, t.arrived))
            self._tickets.remove(ticket)
            worker = self._idle.pop()  # the latest used: its caches are warm
            ticket.worker = worker
            self._busy[worker.pid] = ticket
            record = self._clients[ticket.client]
            record.running += 1
            if ticket.kind == "long":
                self._long_ends[worker.pid] = ticket.deadline
                record.long_running += 1
            self._cond.notify_all()

    def _reclassify(self) -> None:
        """Waiting work found to be long meanwhile (its text ran long for another client) is long work now:
        it waits for a long slot, or is told to come back when there is none (the state lock held)."""
        now = time.monotonic()
        for ticket in [t for t in self._tickets if t.kind != "long"]:
            if self._kind(self._clients[ticket.client], ticket.fingerprint, now) != "long":
                continue
            ticket.kind = "long"
            ticket.refusal = self._long_refusal(ticket.client, self._clients[ticket.client], now, "ran long before")
            if ticket.refusal is not None:
                self._tickets.remove(ticket)
                self._cond.notify_all()

    def _give_back(self, worker: Worker, *, fresh: bool = False) -> None:
        """A worker ready for the next ticket: one that just answered is taken first (its caches are warm), a
        ``fresh`` one (still opening the store, caches cold) last."""
        with self._cond:
            if fresh:
                self._idle.appendleft(worker)
            else:
                self._idle.append(worker)
            self._dispatch()

    def _finish(self, ticket: Ticket, fingerprint: str, ran_long: bool) -> None:
        """Free the ticket's slot and remember how its query ran, for its text and its client."""
        now = time.monotonic()
        with self._cond:
            for pid, held in list(self._busy.items()):
                if held is ticket:
                    del self._busy[pid]
                    if self._long_ends.pop(pid, None) is not None:
                        self._clients[ticket.client].long_running -= 1
            record = self._clients.get(ticket.client)
            if record is not None:
                record.running -= 1
                if ran_long:
                    record.long_until, record.shorts = now + LONG_MEMORY_S, 0
                else:
                    record.shorts += 1
                    if record.shorts >= SHORTS_TO_FORGIVE:
                        record.long_until = 0.0
            self._fingerprints[fingerprint] = "long" if ran_long else "short"
            self._fingerprints.move_to_end(fingerprint)
            while len(self._fingerprints) > MAX_FINGERPRINTS:
                self._fingerprints.popitem(last=False)
            self._dispatch()

    async def _answer(
        self, worker: Worker, deadline: float, ticket: Ticket, io: Waits
    ) -> tuple[Done | Failed | None, bool]:
        """The worker's answer (None past the deadline) and whether the query ran long. Long work holds its
        long slot from the start; other work past ``long_after`` takes one, or is stopped (PoolBusy)."""
        if ticket.kind == "long":
            worker.yield_cpu()  # known long work never competes with short work for the CPU
        short = min(self.long_after, max(0.0, deadline - time.monotonic()))
        answer = await io.answer(worker, short)
        if answer is not None:
            return answer, False
        if time.monotonic() >= deadline:
            return None, False
        if ticket.kind != "long":
            now = time.monotonic()
            with self._cond:
                record = self._clients[ticket.client]
                record.long_until = now + LONG_MEMORY_S  # its client's next queries are long work
                refusal = self._long_refusal(ticket.client, record, now, "was still running")
                if refusal is None:
                    self._long_ends[worker.pid] = deadline
                    record.long_running += 1
            if refusal is not None:
                raise refusal
        worker.yield_cpu()
        return await io.answer(worker, max(0.0, deadline - time.monotonic())), True

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
            self._end_zygote()
