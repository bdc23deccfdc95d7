"""klynge load: the repository graph plus extra files, with entailments, in an on-disk store."""

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.engines.load import load_store
from klynge.graph.synth import synth_lines

PARTICIPATION = "https://w3id.org/klynge/ontology#Participation"
PROV_ASSOCIATION = "http://www.w3.org/ns/prov#Association"


@pytest.fixture(scope="module")
def synth_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "small.nt"
    path.write_text("".join(synth_lines(1, seed=1, scale=0.01)))
    return path


def klynge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "klynge.cli", *args], capture_output=True, text=True)


def test_store_holds_sources_and_entailments(tmp_path: Path, synth_file: Path) -> None:
    store, added = load_store(tmp_path / "store", [synth_file])
    assert added > 0
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <%s> }"
    participations = next(iter(store.query(count % PARTICIPATION, use_default_graph_as_union=True)))["n"]
    associations = next(iter(store.query(count % PROV_ASSOCIATION, use_default_graph_as_union=True)))["n"]
    assert int(participations.value) == 300
    assert associations == participations, "every participation is also a prov:Association once materialised"
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    policy = ox.NamedNode("https://w3id.org/klynge/id/policy/innovationskraft-2021-2024")
    assert any(store.quads_for_pattern(policy, label, None)), "the repository graph is loaded too"


def test_cli_reports_and_the_store_reopens(tmp_path: Path, synth_file: Path) -> None:
    done = klynge("load", "--store", str(tmp_path / "store"), str(synth_file))
    assert done.returncode == 0, done.stderr
    assert "MiB on disk" in done.stdout
    reported = int(done.stdout.split()[1].replace(",", ""))
    assert len(ox.Store.read_only(str(tmp_path / "store"))) == reported


def test_cli_errors_name_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.nt"
    broken.write_text("<https://example.org/a> <https://example.org/b> .\n")
    done = klynge("load", "--store", str(tmp_path / "store"), str(broken))
    assert done.returncode == 2
    assert f"{broken}:1:" in done.stderr and "Traceback" not in done.stderr
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    done = klynge("load", "--store", str(not_a_folder))
    assert done.returncode == 2 and "is not a folder" in done.stderr
