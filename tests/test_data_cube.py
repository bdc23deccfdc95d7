"""RDF Data Cube: the W3C integrity constraints IC-1..IC-21 hold for the published graph, none of them vacuously.

The constraints are the W3C's own queries in ``../shared/conformance/data-cube/integrity_constraints.py``, run
from there (never copied) over the published graph written to N-Triples. Each constraint is also shown to have
something to check: the structures, slices, code lists and hierarchies it is about exist in the graph. One
mutation (an observation without its data set) shows that the run fails when a constraint is broken.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.graph.build import published_triples
from shared import shared_path

QB = "http://purl.org/linked-data/cube#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def run_constraints(triples: list[ox.Triple], folder: Path) -> dict[str, str]:
    """Each constraint's verdict (pass, FAIL, N/A) from the W3C script, run in its own folder."""
    script = shared_path("conformance", "data-cube", "integrity_constraints.py")
    graph = folder / "published.nt"
    ox.serialize(triples, output=str(graph), format=ox.RdfFormat.N_TRIPLES)
    done = subprocess.run(
        [sys.executable, script.name, str(graph)],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "RESULT:" in done.stdout, done.stderr[-2000:]
    verdicts = {}
    for line in done.stdout.splitlines():
        match = re.match(r"^(pass|FAIL|N/A)\s+(IC-\d+)", line)
        if match:
            verdicts.setdefault(match.group(2), match.group(1))
            if match.group(1) != "pass":
                verdicts[match.group(2)] = match.group(1)
    return verdicts


@pytest.fixture(scope="module")
def store(published_store: ox.Store) -> ox.Store:
    return published_store


def count(store: ox.Store, pattern: str) -> int:
    query = f"PREFIX qb: <{QB}> SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"
    return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)


def test_every_integrity_constraint_passes(store: ox.Store, tmp_path: Path) -> None:
    verdicts = run_constraints(published_triples(store), tmp_path)
    assert set(verdicts) == {f"IC-{n}" for n in range(1, 22)}
    assert {name: verdict for name, verdict in verdicts.items() if verdict != "pass"} == {}


def test_no_constraint_passes_for_want_of_something_to_check(store: ox.Store) -> None:
    """What each group of constraints is about is there: structures, slices, measure types, code lists."""
    premises = {
        "IC-1, IC-11..IC-14 observations in data sets": "?o a qb:Observation ; qb:dataSet ?d",
        "IC-2, IC-3 data sets with a structure": "?d a qb:DataSet ; qb:structure ?s",
        "IC-4, IC-5 coded dimensions with a range": "?p a qb:DimensionProperty ; qb:codeList ?l",
        "IC-6, IC-13 optional attributes": "?c qb:componentRequired false",
        "IC-7..IC-10, IC-18 slices": "?d qb:slice ?s . ?s qb:sliceStructure ?k ; qb:observation ?o",
        "IC-15..IC-17 measure-dimension observations": "?o qb:measureType ?m",
        "IC-19 code lists that are concept schemes": "?p qb:codeList ?l . ?l a <http://www.w3.org/2004/02/skos/core#ConceptScheme>",
        "IC-19 code lists that are collections": "?p qb:codeList ?l . ?l a <http://www.w3.org/2004/02/skos/core#Collection>",
        "IC-20 hierarchy by an IRI": "?l a qb:HierarchicalCodeList ; qb:parentChildProperty ?p FILTER(isIRI(?p))",
        "IC-21 hierarchy by an inverse": "?l a qb:HierarchicalCodeList ; qb:parentChildProperty ?p FILTER(isBlank(?p))",
    }
    assert {name: count(store, pattern) for name, pattern in premises.items() if count(store, pattern) == 0} == {}
    # Every data set has its structure, and the graph's 10 data sets hold all its observations.
    assert count(store, "?d a qb:DataSet") == count(store, "?d a qb:DataSet ; qb:structure ?s") == 10
    assert count(store, "?o a qb:Observation") == count(store, "?o a qb:Observation ; qb:dataSet ?d") >= 60


def test_a_broken_constraint_is_reported(store: ox.Store, tmp_path: Path) -> None:
    """Take one observation out of its data set: IC-1 fails (the run does check)."""
    node = ox.NamedNode("https://w3id.org/klynge/id/node/sector/DK01-1")
    triples = [t for t in published_triples(store) if not (t.subject == node and t.predicate.value == QB + "dataSet")]
    assert run_constraints(triples, tmp_path)["IC-1"] == "FAIL"
