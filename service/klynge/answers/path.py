"""The shortest chain of relations between two resources.

Chains of growing length are tried in turn (``sparql/path-1.rq`` … ``path-6.rq``), each one query that meets
in the middle, so a long chain costs two short walks rather than one long one. The chain's labels come in one
query; each hop's best statement and its sources in one query per hop.
"""

from __future__ import annotations

import pyoxigraph as ox

from klynge.answers.describe import Engine, select, spelled_out, text
from klynge.answers.lineage import NotFound, require, resource
from klynge.answers.models import Path, PathStep, Resource

MAX_PATH_LENGTH = 6


def chain_variables(length: int) -> list[str]:
    """The variables of ``path-{length}.rq`` that hold the chain's inner nodes, in order from start to end."""
    left_length = (length + 1) // 2
    right_length = length - left_length
    if right_length == 0:
        return [f"l{i}" for i in range(1, left_length)]
    return [f"l{i}" for i in range(1, left_length)] + ["middle"] + [f"r{i}" for i in range(right_length - 1, 0, -1)]


def shortest_path(engine: Engine, start: ox.NamedNode, end: ox.NamedNode, max_length: int = MAX_PATH_LENGTH) -> Path:
    """The shortest chain of relations between two resources, each step with predicate and sources."""
    require(engine, start)
    require(engine, end)
    chain = [start] if start == end else find_chain(engine, start, end, max_length)
    labels = chain_labels(engine, chain)
    steps = [path_step(engine, a, b, labels) for a, b in zip(chain, chain[1:], strict=False)]
    return Path(from_=labels[start.value], to=labels[end.value], length=len(steps), steps=steps)


def find_chain(engine: Engine, start: ox.NamedNode, end: ox.NamedNode, max_length: int) -> list[ox.NamedNode]:
    """The nodes of a shortest chain from start to end, both included."""
    for length in range(1, max_length + 1):
        rows = select(engine, f"path-{length}", **{"from": start, "to": end})
        if rows:
            return [start, *(rows[0][name] for name in chain_variables(length)), end]
    raise NotFound(f"no chain of at most {max_length} relations joins {start.value} and {end.value}")


def chain_labels(engine: Engine, chain: list[ox.NamedNode]) -> dict[str, Resource]:
    """Every node of the chain with its display label, from one query."""
    padded = (chain + chain[-1:] * MAX_PATH_LENGTH)[: MAX_PATH_LENGTH + 1]
    row = select(engine, "path-labels", **{f"n{i}": node for i, node in enumerate(padded)})[0]
    return {node.value: Resource(iri=node.value, label=text(row.get(f"l{i}"))) for i, node in enumerate(chain)}


def path_step(engine: Engine, a: ox.NamedNode, b: ox.NamedNode, labels: dict[str, Resource]) -> PathStep:
    """One hop of a chain: the best predicate joining a and b (stated, specific, forward first), its sources."""
    rows = select(engine, "path-step", a=a, b=b)
    best = rows[0]
    same = [row for row in rows if row["p"] == best["p"] and row["direction"] == best["direction"]]
    sources = {row["source"].value: resource(row["source"], row.get("sourceLabel")) for row in same if "source" in row}
    predicate = best["p"].value
    return PathStep(
        from_=labels[a.value],
        to=labels[b.value],
        predicate=Resource(iri=predicate, label=text(best.get("pLabel")) or spelled_out(predicate)),
        direction=text(best["direction"]),
        sources=list(sources.values()),
    )
