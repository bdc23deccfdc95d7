"""What a running service is configured with: where its IRIs live, where it is reached, and its limits.

``Limits`` is one value from the command line to the worker pool: ``klynge serve`` makes an option of each
field (``--timeout``, ``--long-after``, …, the help text in the field's metadata), and the same value reaches
the app (``Settings.limits``), the embedded engine and its worker pool under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BASE_IRI = "https://w3id.org/klynge/"
MIB = 2**20


def option(help: str, metavar: str) -> dict[str, str]:
    """A field's ``klynge serve`` option: its help text (%(default)s is the field's default) and metavar."""
    return {"help": help, "metavar": metavar}


@dataclass(frozen=True)
class Limits:
    """What one query, one request and the service as a whole may use; the defaults suit ``make serve``."""

    timeout: float = field(
        default=10.0, metadata=option("time limit of each query in seconds (default: %(default)s)", "S")
    )
    max_results: int = field(
        default=100_000, metadata=option("most rows or triples one answer may have (default: %(default)s)", "N")
    )
    workers: int = field(
        default=2,
        metadata=option(
            "queries that may run long at once (past --long-after); one worker more is kept for short "
            "queries, so they are answered whatever runs away (default: %(default)s)",
            "N",
        ),
    )
    long_after: float = field(
        default=0.5,
        metadata=option(
            "seconds after which a running query is long: it yields the CPU, and when every long slot is "
            "taken it is stopped with 503 and Retry-After (default: %(default)s)",
            "S",
        ),
    )
    worker_memory_mb: float = field(
        default=2048,
        metadata=option(
            "memory one query may use beyond the store; past it the query ends with 507 (default: "
            "%(default)s; 0: no limit)",
            "MB",
        ),
    )
    read_timeout: float = field(
        default=10.0,
        metadata=option(
            "seconds a client may take to send a whole request, headers and body together, whatever its "
            "pace (default: %(default)s)",
            "S",
        ),
    )
    cache_mb: float = field(
        default=64,
        metadata=option(
            "memory kept for the answers of repeated queries, which the read-only graph lets the service "
            "give again without running them; 0 turns the cache off (default: %(default)s)",
            "MB",
        ),
    )
    # Far above any hand-written query, far below what would strain the service; not a serve option.
    max_body_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError(f"the query time limit must be positive, not {self.timeout}")
        if self.max_results < 1:
            raise ValueError(f"the result-size limit must be at least 1, not {self.max_results}")
        if self.cache_mb < 0:
            raise ValueError(f"the answer cache cannot be smaller than 0 MB, not {self.cache_mb}")
        if self.long_after <= 0 or self.read_timeout <= 0:
            raise ValueError("the long-query threshold and the read timeout must be positive")
        if self.worker_memory_mb < 0:
            raise ValueError(f"a worker's memory limit cannot be below 0 MB, not {self.worker_memory_mb}")
        if self.workers < 1:
            raise ValueError(f"the service needs at least one query worker, not {self.workers}")
        if self.max_body_bytes < 1:
            raise ValueError(f"the request-body limit must be at least 1 byte, not {self.max_body_bytes}")

    @property
    def worker_memory_bytes(self) -> int | None:
        """The worker's memory bound in bytes; None: no bound."""
        return int(self.worker_memory_mb * MIB) or None

    @property
    def cache_bytes(self) -> int:
        return int(self.cache_mb * MIB)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Settings:
    """The service's configuration (``klynge serve`` options; defaults suit ``make serve``).

    ``base_iri`` is the prefix of the IRIs the service answers for under its own paths; ``public_base_url``
    is the URL clients reach it at behind a proxy (None: ``listen_url``, the address it listens on; never
    the Host header a client sends, which anyone can set).
    """

    base_iri: str = DEFAULT_BASE_IRI
    public_base_url: str | None = None
    listen_url: str = "http://127.0.0.1:8000"
    limits: Limits = DEFAULT_LIMITS
    validate_on_start: bool = True
    releases_resident: int = 1  # old releases (release=) kept in memory at once, least recently used first out
    releases_idle_s: float = 600  # an old release nobody asked for this long is dropped from memory

    def __post_init__(self) -> None:
        if not self.base_iri.endswith(("/", "#")):
            raise ValueError(f"the base IRI must end with / or #, not {self.base_iri!r}")
        if self.releases_resident < 1 or self.releases_idle_s <= 0:
            raise ValueError("keep at least one old release resident, for a positive idle time")
