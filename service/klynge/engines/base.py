"""The seam between the answers and a store: what every backend does, and what is built on it once.

A backend runs a query on a dataset and returns serialised results, and says which version of the graph it
holds (``run``, ``graph_version``, ``graph_counts``). Everything else the routes use (rows of a SELECT, an
ASK's answer, the triples of a CONSTRUCT, the triple count) is derived from ``run`` here, in ``Engine``, so a
new backend (``EmbeddedEngine``, ``RemoteEngine``) implements three methods. Caching is a wrapper around any
engine (``klynge.engines.cache.CachingEngine``). Engines speak pyoxigraph terms in and out, nothing else of
pyoxigraph: a backend that holds the whole graph in this process says so with ``can_export`` and writes the
dumps and the tables itself (``export``, ``export_tables``); no pyoxigraph store leaves ``klynge.engines``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.engines.text_index import TextIndex
from klynge.rdf import sparql_lexer as sparql_guard

SPARQL_JSON = "application/sparql-results+json"
SPARQL_TSV = "text/tab-separated-values"
N_TRIPLES = "application/n-triples"
MAX_LABEL_LOOKUPS = 10_000  # a larger table is labelled only as far as this (remote backends)


class QueryError(Exception):
    """A query that could not be answered; ``message`` says why in words for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QuerySyntaxError(QueryError):
    """The parser's complaint, with the line and column it points at where known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}, column {self.column}: {self.message}"


class QueryRefused(QueryError):
    """A request this read-only service will not run: an update, SERVICE or LOAD."""


class QueryUnsupported(QueryError):
    """A query using something outside SPARQL 1.1 (a store's extension function or pragma) that this service
    will not send to a remote store."""


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""

    def __init__(self, message: str, seconds: float | None = None) -> None:
        super().__init__(message)
        self.seconds = seconds


class QueryTooDeep(QuerySyntaxError):
    """The query nests brackets deeper than the engine can safely parse; refused before it runs."""


class QueryBusy(QueryError):
    """The service cannot take the query now (too many long or waiting queries); ``retry_after`` seconds
    is when trying again makes sense."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryOutOfMemory(QueryError):
    """The query needed more memory than one query may use, and was stopped."""


class QueryTooLarge(QueryError):
    """The answer has more results (rows or triples) than the limit."""

    def __init__(self, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class NotExportable(Exception):
    """A whole-graph job (a dump, the tables) asked of an engine that does not hold the graph in this process;
    the message says so for the person asking."""


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a request names (the SPARQL Protocol's ``default-graph-uri``/``named-graph-uri``).

    Naming no graph (``Dataset()``, falsy) leaves the engine's own: the union of the klynge graphs as the
    default graph, or the query's FROM and FROM NAMED when it has them.
    """

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    @classmethod
    def of(cls, default: Iterable[str] = (), named: Iterable[str] = ()) -> Dataset:
        return cls(tuple(default), tuple(named))

    def __bool__(self) -> bool:
        return bool(self.default or self.named)


SERVICE_DATASET = Dataset()
# Who the query is run for (the client's address, set per request by the web layer): the worker pool shares its
# slots and queue fairly among clients and remembers how each one's queries ran.
CLIENT: ContextVar[str] = ContextVar("klynge_client", default="")
# RDF terms by variable name, bound by the engine, never pasted (a string: pyoxigraph's Term is a stub-only name)
Bindings: TypeAlias = "Mapping[str, ox.Term] | None"
Results: TypeAlias = tuple[bytes, str]  # serialised results and their media type


INSPECTIONS_KEPT_UP_TO = 16 * 1024  # characters: named queries repeat; a long text is read anew each time


@lru_cache(maxsize=1024)
def _kept_inspection(query: str) -> sparql_guard.Inspection:
    return sparql_guard.inspect(query)


def inspected(query: str) -> sparql_guard.Inspection:
    """What a query the service may run is (kept for short texts, so a megabyte query cannot fill memory);
    QueryRefused or QueryTooDeep otherwise."""
    try:
        if len(query) <= INSPECTIONS_KEPT_UP_TO:
            return _kept_inspection(query)
        return sparql_guard.inspect(query)
    except sparql_guard.Refused as error:
        raise QueryRefused(str(error)) from None
    except sparql_guard.TooDeep as error:
        raise QueryTooDeep(str(error), error.line, error.column) from None


@dataclass(frozen=True)
class InspectedQuery:
    """A query's text with what the lexer found in it, read once: the web layer makes one per request and it
    travels through ``cached`` and ``run`` to the backend, so no layer tokenises the text again (a megabyte
    query takes a tenth of a second to read)."""

    text: str
    inspection: sparql_guard.Inspection

    @classmethod
    def of(cls, query: str | InspectedQuery) -> InspectedQuery:
        """``query`` as it is, or the text inspected (QueryRefused or QueryTooDeep for one the service will not
        run)."""
        return query if isinstance(query, InspectedQuery) else cls(query, inspected(query))


class Engine:
    """How the routes query the graph. Bindings are RDF terms bound to variables, never pasted into text.

    A backend subclasses it and implements ``run`` (its query a text or an ``InspectedQuery``: ``InspectedQuery.of``
    gives the latter for both, reading a text once), ``graph_counts`` and ``graph_version``.
    """

    def run(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Bindings = None,
        base_iri: str | None = None,
    ) -> Results:
        """Any query's results serialised in ``result_format`` (a media type that suits the query form), with
        the media type of the bytes. A text is inspected first (``InspectedQuery.of``); an ``InspectedQuery`` is
        not again. A dataset that names graphs replaces the engine's own; relative IRIs in the query resolve
        against ``base_iri`` (without one, they are a syntax error)."""
        raise NotImplementedError

    def graph_counts(self) -> dict[str, int]:
        """Triples per named graph."""
        raise NotImplementedError

    def graph_version(self) -> str:
        """A short key that changes when the data does (for ETags and caches)."""
        raise NotImplementedError

    def graph_version_now(self) -> str | None:
        """``graph_version`` when it is known without computing or asking anything (the event loop may ask);
        None otherwise, by default."""
        return None

    def cached(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> Results | None:
        """What ``run`` would return, if it is at hand in memory without running anything (a route answers a
        repeated request without handing it to a thread); None by default: nothing is kept."""
        return None

    async def answer_on_loop(
        self,
        query: InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> Results | None:
        """What ``run`` returns, awaited on the event loop without holding a thread, where the backend can do so
        now (the embedded engine: a query worker idle for it); None, having run nothing, where it cannot, and
        the caller runs ``run`` in a thread. None by default. Errors are ``run``'s."""
        return None

    def can_export(self) -> bool:
        """Whether this engine holds the whole graph in this process and so can write it whole (the dumps, the
        tables); False by default (a remote store)."""
        return False

    def export(self, fmt: str) -> bytes:
        """The whole graph as one dump (``fmt``: a key of ``klynge.rdf.dumps.FORMATS``, ``xml`` for RDF/XML
        too), written once per engine; NotExportable when ``can_export`` is False."""
        raise NotExportable("dumps are written from the embedded store; this service queries a remote one")

    def export_tables(self) -> bytes:
        """The graph as the zipped tables package (``klynge.graph.tables``), written once per engine;
        NotExportable when ``can_export`` is False."""
        raise NotExportable("the tables are written from the embedded store; this service queries a remote one")

    def local_store(self) -> ox.Store | None:
        """The store holding the whole graph in this process; None if remote. For ``klynge.engines`` only (the
        release switch compares the served graph with the releases): no store leaves the package."""
        return None

    def display_labels(self, iris: Iterable[str]) -> dict[str, str]:
        """The display label of each IRI that has one (for table downloads that show labels beside IRIs); by
        default one lookup query per IRI, at most ``MAX_LABEL_LOOKUPS`` of them."""
        query = internal("display-label")
        labels = {}
        for iri in sorted(set(iris))[:MAX_LABEL_LOOKUPS]:
            rows = self.select(query.sparql, query.bind(resource=ox.NamedNode(iri)))
            if rows and "label" in rows[0]:
                labels[iri] = rows[0]["label"].value
        return labels

    def text_index(self) -> TextIndex | None:
        """The full-text index of the graph's words, built once (the service builds it before it answers);
        None for a backend that holds no store in this process, where search falls back to names by SPARQL."""
        return None

    def close(self) -> None:
        """Release what the engine holds (worker processes, connections); nothing by default."""

    def health(self) -> dict[str, object]:
        """Whether queries can be answered now (``ok``) and what the backend can tell of its state; by
        default, whether a trivial query is answered."""
        try:
            return {"ok": self.ask(internal("health").sparql) is True}
        except QueryError as error:
            return {"ok": False, "error": str(error)}

    def _expect(self, query: str, forms: tuple[str, ...]) -> InspectedQuery:
        """The query, inspected; a programming error, said plainly, when a method gets one of another form."""
        inspected_query = InspectedQuery.of(query)
        form = inspected_query.inspection.form
        if form and form not in forms:
            raise QueryError(f"expected a {' or '.join(forms)} query, got {form}")
        return inspected_query

    def select(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[dict[str, ox.Term]]:
        """The rows of a SELECT; a variable left unbound in a row is absent from its dict."""
        body, _ = self.run(self._expect(query, ("SELECT",)), SPARQL_TSV, bindings=bindings)
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
        names = [variable.value for variable in results.variables]
        return [{name: term for name, term in zip(names, row, strict=True) if term is not None} for row in results]

    def ask(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> bool:
        """The answer of an ASK."""
        body, _ = self.run(self._expect(query, ("ASK",)), SPARQL_JSON, bindings=bindings)
        return bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))

    def construct(self, query: str, bindings: Mapping[str, ox.Term] | None = None) -> list[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE."""
        body, _ = self.run(self._expect(query, ("CONSTRUCT", "DESCRIBE")), N_TRIPLES, bindings=bindings)
        return [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]

    def triple_count(self) -> int:
        """Triples in all graphs (counted per graph, as VoID does)."""
        return sum(self.graph_counts().values())


class Forwarding(Engine):
    """An engine around another (``inner``) that changes part of what it does: every method of ``Engine`` it does
    not override is the inner engine's own, asked of ``target()`` (the inner engine, unless a subclass picks
    another per call), never the base's default (a wrapper missing one would answer with no cache, store or
    export). ``select``, ``ask``, ``construct`` and ``triple_count`` stay derived from the wrapper's own ``run``,
    and ``answer_on_loop`` is not passed on: a wrapper adding to ``run`` would be bypassed, so one that may answer
    on the event loop says how (the base's None has the request ``run`` in a thread)."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner

    def target(self) -> Engine:
        """The engine this call is for."""
        return self.inner

    def run(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        bindings: Bindings = None,
        base_iri: str | None = None,
    ) -> Results:
        return self.target().run(query, result_format, dataset=dataset, bindings=bindings, base_iri=base_iri)

    def cached(
        self,
        query: str | InspectedQuery,
        result_format: str,
        *,
        dataset: Dataset = SERVICE_DATASET,
        base_iri: str | None = None,
    ) -> Results | None:
        return self.target().cached(query, result_format, dataset=dataset, base_iri=base_iri)

    def graph_counts(self) -> dict[str, int]:
        return self.target().graph_counts()

    def graph_version(self) -> str:
        return self.target().graph_version()

    def graph_version_now(self) -> str | None:
        return self.target().graph_version_now()

    def can_export(self) -> bool:
        return self.target().can_export()

    def export(self, fmt: str) -> bytes:
        return self.target().export(fmt)

    def export_tables(self) -> bytes:
        return self.target().export_tables()

    def local_store(self) -> ox.Store | None:
        return self.target().local_store()

    def display_labels(self, iris: Iterable[str]) -> dict[str, str]:
        return self.target().display_labels(iris)

    def text_index(self) -> TextIndex | None:
        return self.target().text_index()

    def close(self) -> None:
        self.inner.close()

    def health(self) -> dict[str, object]:
        return self.inner.health()
