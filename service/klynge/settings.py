"""What a running service is configured with: where its IRIs live, where it is reached, and its limits."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BASE_IRI = "https://w3id.org/klynge/"


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
    query_timeout: float = 10.0
    max_results: int = 100_000
    workers: int = 2  # queries that may run long at once; one worker more is kept for short ones
    long_query_s: float = 0.5  # a query still running after this long takes one of the long slots
    worker_memory_mb: float = 2048  # memory one query may take beyond the store; 0: no bound
    read_timeout: float = 10.0  # seconds a client may take for its headers, and between parts of its body
    validate_on_start: bool = True
    cache_mb: float = 64  # memory for answers to repeated queries; 0 turns the cache off
    releases_resident: int = 1  # old releases (release=) kept in memory at once, least recently used first out
    releases_idle_s: float = 600  # an old release nobody asked for this long is dropped from memory

    def __post_init__(self) -> None:
        if not self.base_iri.endswith(("/", "#")):
            raise ValueError(f"the base IRI must end with / or #, not {self.base_iri!r}")
        if self.query_timeout <= 0:
            raise ValueError(f"the query time limit must be positive, not {self.query_timeout}")
        if self.max_results < 1:
            raise ValueError(f"the result-size limit must be at least 1, not {self.max_results}")
        if self.cache_mb < 0:
            raise ValueError(f"the answer cache cannot be smaller than 0 MB, not {self.cache_mb}")
        if self.long_query_s <= 0 or self.read_timeout <= 0:
            raise ValueError("the long-query threshold and the read timeout must be positive")
        if self.worker_memory_mb < 0:
            raise ValueError(f"a worker's memory limit cannot be below 0 MB, not {self.worker_memory_mb}")
        if self.releases_resident < 1 or self.releases_idle_s <= 0:
            raise ValueError("keep at least one old release resident, for a positive idle time")
        if self.workers < 1:
            raise ValueError(f"the service needs at least one query worker, not {self.workers}")
