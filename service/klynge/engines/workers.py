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

Hostile queries must not take the service down, so:

- the pool keeps one worker more than may run *long* queries (past ``long_after`` seconds): a long query takes
  a long slot and is niced, and when every long slot is taken it is stopped with ``PoolBusy``; short queries
  therefore always find a worker, whatever runs away;
- a query waiting for a worker waits a bounded time, and only so many may wait (``PoolBusy`` past that);
- each worker has an address-space limit (RLIMIT_AS), so a query that grows without bound ends its own worker,
  not the machine; its deep recursion gets a large thread stack;
- workers die with the zygote (PR_SET_PDEATHSIG) and the zygote with the service (it watches its parent), so a
  killed service leaves no query running; the zygote reaps every worker and reports how each ended, so a lost
  query's message says what happened; a dead zygote is replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import os
import pickle
import queue
import re
import resource
import select
import signal
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import NoReturn

import pyoxigraph as ox

from klynge.engines.answer_bytes import TooLarge, limited, solutions_bytes
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
            serve_jobs(Connection(worker_end.detach()), open_store, memory_bytes)
        worker_end.close()
        socket.send_fds(control, [pid.to_bytes(8, "big")], [service_end.fileno()])
        service_end.close()
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

LONG_NICENESS = 10  # a long query yields the CPU to short ones
MAX_WAITING = 32  # queries waiting for a worker at once, beyond which a query is refused at once (503)


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


def ending(status: int | None, memory_bytes: int | None) -> WorkerLost:
    """How a worker ended (its wait status, from the zygote), in words for the person whose query it ran."""
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

    def kill(self) -> None:
        """End the process at once, whatever it is computing, and drop the connection."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.connection.close()

    def yield_cpu(self) -> None:
        """Lower the process's priority (for good: it is replaced after its long query)."""
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + LONG_NICENESS))


class WorkerPool:
    """``size`` long slots and one worker more; a job waits (boundedly) for an idle worker, a worker past the
    deadline is replaced, and a job still running after ``long_after`` seconds needs a long slot.

    ``memory_bytes`` bounds what each worker may allocate beyond the store (None: no bound). ``fork_lock`` is
    held while a zygote is forked again from the running service, so the caller can keep its own use of the
    store out of that moment.
    """

    def __init__(
        self,
        open_store: Callable[[], ox.Store],
        size: int,
        *,
        long_after: float = 0.5,
        memory_bytes: int | None = None,
        max_waiting: int | None = None,
        fork_lock: threading.Lock | None = None,
    ) -> None:
        if size < 1:
            raise ValueError(f"the pool needs at least one worker, not {size}")
        self.size = size
        self.long_after = long_after
        self.memory_bytes = memory_bytes
        self.max_waiting = MAX_WAITING if max_waiting is None else max_waiting
        self.zygote_restarts = 0
        self._open_store = open_store
        self._fork_lock = fork_lock or threading.Lock()
        self._spawn_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._notice_lock = threading.Lock()
        self._long_ends: dict[int, float] = {}  # worker pid -> deadline of the long query it runs
        self._waiting = 0
        self._missing = 0
        self._deaths: OrderedDict[int, int] = OrderedDict()
        self._zygote_pid, self._control, self._notices = fork_zygote(open_store, memory_bytes)
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._workers: dict[int, Worker] = {}
        for _ in range(size + 1):
            self._idle.put(self._spawn())

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
            message, fds, _, _ = socket.recv_fds(self._control, 8, 1)
        except OSError as error:
            raise WorkerLost(f"the worker factory has stopped: {error}") from None
        if len(message) != 8 or len(fds) != 1:
            raise WorkerLost("the worker factory has stopped")
        return Worker(int.from_bytes(message, "big"), Connection(fds[0]))

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
            self._idle.put(self._renew(worker))
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
                self._idle.put(self._spawn())
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
            state = {"long_running": len(self._long_ends), "waiting": self._waiting, "missing": self._missing}
        return {
            "ok": zygote and live > 0,
            "zygote": "running" if zygote else "stopped",
            "workers": live,
            "long_slots": self.size,
            "zygote_restarts": self.zygote_restarts,
            **state,
        }

    # --- running a job --------------------------------------------------------------------------------------

    def run(self, job: Job, timeout: float) -> Done | Failed:
        """Run a job on an idle worker within ``timeout`` seconds, the wait for an idle worker included.

        TimeoutError when the time runs out (a worker still computing is killed and replaced), PoolBusy when
        too many wait or every long slot is taken, WorkerLost (saying how) when the worker dies.
        """
        deadline = time.monotonic() + timeout
        self._refill()
        worker = self._idle_worker(timeout)
        try:
            if not exists(worker.pid):  # ended while idle (out of memory, killed by hand): not this query's fault
                worker = self._renew(worker)
        except WorkerLost:
            with self._state_lock:
                self._missing += 1
            raise
        try:
            worker.connection.send(job)
            answer, was_long = self._answer(worker, deadline)
        except (EOFError, OSError, pickle.PickleError):
            status = self._death(worker.pid)
            self._replace(worker)
            raise ending(status, self.memory_bytes) from None
        if answer is None:
            self._replace(worker)
            raise TimeoutError(f"the query ran past the time limit of {timeout:g} s and was stopped")
        if was_long:
            self._replace(worker)  # niced for good: a fresh one answers short queries at full priority
        else:
            self._idle.put(worker)
        return answer

    def _idle_worker(self, timeout: float) -> Worker:
        """An idle worker, waited for at most ``timeout`` seconds; PoolBusy when too many wait already."""
        with self._state_lock:
            if self._waiting >= self.max_waiting:
                raise PoolBusy(f"{self._waiting} queries are already waiting for a query worker", retry_after=1)
            self._waiting += 1
        try:
            return self._idle.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no query worker became free within the time limit of {timeout:g} s") from None
        finally:
            with self._state_lock:
                self._waiting -= 1

    def _answer(self, worker: Worker, deadline: float) -> tuple[Done | Failed | None, bool]:
        """The worker's answer (None past the deadline) and whether the query ran long."""
        short = min(self.long_after, max(0.0, deadline - time.monotonic()))
        if worker.connection.poll(short):
            return worker.connection.recv(), False
        if time.monotonic() >= deadline:
            return None, False
        with self._state_lock:
            full = len(self._long_ends) >= self.size
            if not full:
                self._long_ends[worker.pid] = deadline
            first_end = min(self._long_ends.values(), default=deadline)
        if full:
            self._replace(worker)
            raise PoolBusy(
                f"the query was still running after {self.long_after:g} s while {self.size} long queries were "
                "running already, so it was stopped; try again later",
                retry_after=max(1, int(first_end - time.monotonic() + 1)),
            )
        try:
            worker.yield_cpu()
            answered = worker.connection.poll(max(0.0, deadline - time.monotonic()))
            return (worker.connection.recv() if answered else None), True
        finally:
            with self._state_lock:
                self._long_ends.pop(worker.pid, None)

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
