"""``klynge export``: every format re-imports isomorphic to the published graph, with the same bytes each run."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from klynge.cli import main
from klynge.graph.build import build_store, published_triples
from klynge.rdf.dumps import FORMATS, QUAD_DUMPS, export_bytes
from klynge.rdf.namespaces import PREFIXES
from klynge.validation.validate import rdflib_term, to_rdflib

RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml", "trig": "trig"}


@pytest.fixture(scope="module")
def store(published_store: ox.Store) -> ox.Store:
    return published_store


@pytest.mark.parametrize("fmt", [f for f in FORMATS if FORMATS[f] not in QUAD_DUMPS])
def test_triple_dump_reimports_isomorphic(fmt: str, store: ox.Store) -> None:
    dumped = Graph().parse(data=export_bytes(store, fmt), format=RDFLIB_FORMATS[fmt])
    assert isomorphic(dumped, to_rdflib(published_triples(store)))


def test_trig_dump_keeps_every_named_graph(store: ox.Store) -> None:
    dumped = Dataset().parse(data=export_bytes(store, "trig"), format="trig")
    names = {q.graph_name for q in store}
    assert {str(g.identifier) for g in dumped.graphs() if len(g)} == {n.value for n in names}
    for name in names:
        expected = to_rdflib(list(store.quads_for_pattern(None, None, None, name)))
        assert isomorphic(dumped.graph(rdflib_term(name)), expected), name.value


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_two_builds_give_the_same_bytes(fmt: str, store: ox.Store) -> None:
    assert export_bytes(store, fmt) == export_bytes(build_store(), fmt)


@pytest.mark.parametrize("fmt", ["ttl", "trig"])
def test_turtle_uses_readable_prefixes(fmt: str, store: ox.Store) -> None:
    text = export_bytes(store, fmt).decode()
    for prefix in ("klynge", "prov", "schema", "org", "skos", "dcterms"):
        assert f"@prefix {prefix}: <{PREFIXES[prefix]}> ." in text
    assert "\\/" not in text, "no escaped local names (kid:policy\\/x)"
    assert "<https://w3id.org/klynge/id/policy/innovationskraft-2021-2024>" in text
    assert "klynge:Programme" in text


def test_unknown_format_is_refused(store: ox.Store) -> None:
    with pytest.raises(ValueError, match="unknown export format 'csv'; use one of ttl, nt"):
        export_bytes(store, "csv")


def test_cli_writes_file_and_stdout_alike(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], store: ox.Store
) -> None:
    out = tmp_path / "klynge.nt"
    assert main(["export", "--format", "nt", "--out", str(out)]) == 0
    assert main(["export", "--format", "nt"]) == 0
    assert out.read_bytes() == capsysbinary.readouterr().out == export_bytes(store, "nt")


def test_cli_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--out", str(tmp_path / "absent" / "klynge.ttl")]) == 2
    assert "does not exist" in capsys.readouterr().err
