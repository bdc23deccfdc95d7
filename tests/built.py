"""What several test modules build from the same sources, built once per run: the published store of the
repository or of one broken fixture (with the ontology), and pySHACL's verdict on it.

pySHACL takes seconds per graph; ``tests/test_shapes.py`` (the expected violations of each fixture) and
``tests/test_shacl_sparql.py`` (the SPARQL compiler against pySHACL) read the same verdicts from here instead of
running it twice. The stores are shared: a test must not change one (copy it into a store of its own first).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyoxigraph as ox

from klynge.graph.build import build_store
from klynge.resources import asset_files
from klynge.validation.validate import ValidationResult, validate_store


def sources(fixture: Path | None) -> list[Path] | None:
    """The files of a fixture's graph: the ontology and the fixture (None: the repository's sources)."""
    return None if fixture is None else [*asset_files("ontology"), fixture]


@cache
def published_store(fixture: Path | None = None) -> ox.Store:
    """The published graph (sources and entailments) of the repository, or of the ontology and ``fixture``."""
    return build_store(sources(fixture))


@cache
def pyshacl_validation(fixture: Path | None = None) -> ValidationResult:
    """pySHACL's verdict (RDFS inference, as ``klynge validate`` runs it) on ``published_store(fixture)``."""
    return validate_store(published_store(fixture), sources=sources(fixture))
