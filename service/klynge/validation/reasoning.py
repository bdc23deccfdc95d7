"""Ask an OWL 2 DL reasoner (HermiT, through owlready2) whether the published graph is consistent.

SHACL checks the shape of each resource; only a reasoner sees that the ontology's axioms and the data
together contradict themselves (an individual typed in two disjoint classes, a wrong literal type). HermiT
says only *that* a graph is inconsistent (owlready2's Pellet could explain, but its jar needs a newer Java
than many machines have), so on that answer the store is searched for the usual cause, an individual typed in
two disjoint classes, and those clashes are reported.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import owlready2
import pyoxigraph as ox

from klynge.catalogue import internal
from klynge.graph.build import build_store, published_triples


class ReasonerUnavailable(RuntimeError):
    """The reasoner cannot run here (no Java, or Java failed for a reason other than inconsistency)."""


@dataclass(frozen=True)
class ConsistencyResult:
    """HermiT's verdict on one graph: consistent or not, why not, and how many triples it read.

    A consistent graph can still hold classes that can have no members (a class under two disjoint classes);
    they are listed in ``unsatisfiable`` and make the result not ``ok``.
    """

    consistent: bool
    triples: int
    explanation: str = ""
    unsatisfiable: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable

    def __str__(self) -> str:
        if not self.consistent:
            return f"inconsistent: HermiT found a contradiction in {self.triples} triples\n{self.explanation}"
        if self.unsatisfiable:
            listed = "\n".join(f"  {iri}" for iri in self.unsatisfiable)
            return f"consistent, but these classes can have no members (check their super-classes):\n{listed}"
        return f"consistent: HermiT found no contradiction in {self.triples} triples"


def java_executable() -> str:
    """The Java runtime owlready2 will start, or a clear error saying how to provide one."""
    found = shutil.which(owlready2.JAVA_EXE)
    if found is None:
        raise ReasonerUnavailable(
            f"the HermiT consistency check needs Java, but {owlready2.JAVA_EXE!r} is not on PATH; "
            "install a Java runtime (version 8 or newer, e.g. apt-get install default-jre-headless) "
            "or run without --reason"
        )
    return found


def _published_store(source: ox.Store | Iterable[Path] | None) -> ox.Store:
    if isinstance(source, ox.Store):
        return source
    return build_store(None if source is None else [Path(p) for p in source])


# owlready2 prints this for every Data Cube component property: the Data Cube vocabulary types each one as an
# instance of a qb class (qb:DimensionProperty, qb:MeasureProperty...) and OWL as an owl:ObjectProperty or
# owl:DatatypeProperty, as the standard asks; OWL 2 allows that punning, owlready2's Python classes cannot hold it
# and it keeps the property kind (what HermiT needs). Only these lines are dropped; any other warning is shown.
PUNNED_TYPE = r"(?:(?:cube|dimension|measure|attribute)\.\w+|owl\.(?:ObjectProperty|DatatypeProperty))"
DATA_CUBE_PUNNING = re.compile(
    r"^\* Owlready2 \* WARNING: (?:Object|Data)Property \S+ belongs to more than one entity types: "
    rf"\[{PUNNED_TYPE}(?:, {PUNNED_TYPE})*\]; I'm trying to fix it\.\.\.$"
)


@contextlib.contextmanager
def without_data_cube_punning_warnings() -> Iterator[None]:
    """Standard error of the block, less owlready2's warnings about Data Cube component properties."""
    caught = io.StringIO()
    try:
        with contextlib.redirect_stderr(caught):
            yield
    finally:
        kept = [line for line in caught.getvalue().splitlines(True) if not DATA_CUBE_PUNNING.match(line)]
        sys.stderr.write("".join(kept))


def _load_world(ntriples: Path) -> owlready2.World:
    """A fresh owlready2 World holding only the given graph, so checks never see each other's triples."""
    world = owlready2.World()
    with without_data_cube_punning_warnings():
        world.get_ontology(ntriples.resolve().as_uri()).load(format="ntriples")
    return world


def disjointness_clashes(store: ox.Store) -> list[str]:
    """Every individual typed (directly or by materialised super-class) in two classes declared disjoint."""
    rows = store.query(internal("disjoint-clashes").sparql, use_default_graph_as_union=True)
    return [f"{row['individual']} is both a {row['first']} and a {row['second']}, which are disjoint" for row in rows]


def _explain(store: ox.Store) -> str:
    clashes = disjointness_clashes(store)
    if clashes:
        return "\n".join(clashes)
    return (
        "no individual is typed in two disjoint classes; look for literals outside a property's declared "
        "range (e.g. klynge:rank 0) or IRIs used as values of datatype properties"
    )


def _run_hermit(world: owlready2.World) -> tuple[str, ...] | None:
    """The classes HermiT finds unsatisfiable, or None when the graph as a whole is inconsistent.

    Unsupported XSD datatypes (``xsd:gYear``, ``xsd:date``) are ignored rather than rejected: OWL 2 has no
    such datatypes, but the interop contract requires them for dates.
    """
    try:
        owlready2.sync_reasoner_hermit(world, debug=0, ignore_unsupported_datatypes=True)
    except owlready2.OwlReadyInconsistentOntologyError:
        return None
    except owlready2.OwlReadyJavaError as error:
        raise ReasonerUnavailable(f"HermiT failed before reaching a verdict: {str(error).strip()}") from None
    return tuple(sorted(cls.iri for cls in world.inconsistent_classes() if cls is not owlready2.Nothing))


def check_consistency(source: ox.Store | Iterable[Path] | None = None) -> ConsistencyResult:
    """Run HermiT over the published graph of a store, of some files, or (by default) of the repository."""
    java_executable()
    store = _published_store(source)
    triples = published_triples(store)
    with tempfile.TemporaryDirectory(prefix="klynge-reason-") as tmp:
        ntriples = Path(tmp) / "published.nt"
        ox.serialize(triples, output=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
        world = _load_world(ntriples)
        try:
            unsatisfiable = _run_hermit(world)
        finally:
            world.close()
    if unsatisfiable is None:
        return ConsistencyResult(consistent=False, triples=len(triples), explanation=_explain(store))
    return ConsistencyResult(consistent=True, triples=len(triples), unsatisfiable=unsatisfiable)
