"""klynge load: the repository graph plus extra files, with entailments, in an on-disk store."""

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from klynge.commands.synth import synth_lines
from klynge.engines.disk_store import load_store

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


# --- a store is never half-loaded (issue 9) ------------------------------------------------------------------

SIGKILL = 9


def test_a_killed_load_leaves_the_old_store_or_none_never_a_part(tmp_path: Path, synth_file: Path) -> None:
    """kill -9 of `klynge load` once left an empty store that validated and was served; now the store is built
    beside its folder and swapped in when complete."""
    import os
    import time

    target = tmp_path / "store"
    loading = subprocess.Popen(
        [sys.executable, "-m", "klynge.cli", "load", "--store", str(target), str(synth_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not any(tmp_path.glob(".store.loading-*")) and loading.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(loading.pid, SIGKILL)  # while it writes (or, on a fast machine, just after it finished)
    loading.wait()
    if target.exists():  # it had finished: then the store is whole
        assert (target / "klynge-store.json").is_file()
        assert len(ox.Store.read_only(str(target))) > 0
    validated = klynge("validate", "--store", str(target))
    if not target.exists():
        assert validated.returncode == 2 and "klynge load --store" in validated.stderr
    else:
        assert validated.returncode == 0, validated.stdout + validated.stderr
    again = klynge("load", "--store", str(target), str(synth_file))  # what the kill left does not get in the way
    assert again.returncode == 0, again.stderr
    assert not list(tmp_path.glob(".store.loading-*")) and not list(tmp_path.glob(".store.old-*"))


def test_validate_and_serve_refuse_a_store_without_its_completion_marker(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store = ox.Store(str(folder))  # what an interrupted load of the past left: a store, 0 quads, no marker
    store.flush()
    del store
    for command in ("validate", "serve"):
        done = klynge(command, "--store", str(folder))  # serve stops before it listens
        assert done.returncode in (1, 2), done.stdout
        assert "no complete klynge store" in done.stderr and f"klynge load --store {folder}" in done.stderr
        assert "Traceback" not in done.stderr
    refused = klynge("load", "--store", str(folder))
    assert refused.returncode == 2 and "would discard what it holds" in refused.stderr


def test_an_empty_graph_never_conforms() -> None:
    from klynge.validation.validate import validate_store

    for engine in ("sparql", "pyshacl"):
        result = validate_store(ox.Store(), engine=engine)
        assert not result.conforms and "empty" in result.text


def test_load_is_refused_while_the_store_is_served_and_extends_when_not(tmp_path: Path, synth_file: Path) -> None:
    from klynge.engines.disk_store import StoreError, lock_for_serving

    folder = tmp_path / "store"
    store, _ = load_store(folder, [])
    base = len(store)
    del store
    lock = lock_for_serving(folder)  # what `klynge serve --store` holds while it runs
    with pytest.raises(StoreError, match="is being served"):
        load_store(folder, [synth_file])
    lock.close()
    extended, _ = load_store(folder, [synth_file])
    assert len(extended) > base


def store_facts(folder: Path) -> tuple[int, int]:
    """Quads and blank-node subjects of a store folder."""
    store = ox.Store.read_only(str(folder))
    blank = "SELECT (COUNT(DISTINCT ?s) AS ?n) { GRAPH ?g { ?s ?p ?o FILTER(isBlank(?s)) } }"
    return len(store), int(next(iter(store.query(blank)))["n"].value)


def test_loading_the_same_graph_again_gives_the_same_store(tmp_path: Path) -> None:
    """sec review 2026-12-07 N7: a second load doubled the repository graph's blank nodes (5,825 -> 5,863
    quads) and validation still passed."""
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        '@prefix ex: <http://example.org/> .\nex:a ex:list ( ex:b ex:c ) ; ex:note [ ex:text "a blank node" ] .\n'
    )
    folder = tmp_path / "store"
    load_store(folder, [])
    once = store_facts(folder)
    load_store(folder, [])
    assert store_facts(folder) == once
    load_store(folder, [extra])
    with_extra = store_facts(folder)
    assert with_extra[0] > once[0] and with_extra[1] == once[1] + 3  # the list's two cells and the note
    load_store(folder, [extra])
    load_store(folder, [])  # the repository graph again: the extra file's graph stays, once
    assert store_facts(folder) == with_extra


def test_serve_refuses_a_folder_an_interrupted_load_left(tmp_path: Path) -> None:
    """sec review 2026-12-07 N8: a load killed before it wrote anything leaves no folder but its lock file;
    serve then filled the folder with the repository's graph alone (5,825 of 493,303 quads) and said 0."""
    folder = tmp_path / "store"
    (tmp_path / ".store.lock").write_text("")  # what 'klynge load --store store' killed at 2 s leaves
    done = subprocess.run(  # bounded: a serve that starts would not return
        [sys.executable, "-m", "klynge.cli", "serve", "--store", str(folder), "--no-validate", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "did not finish" in done.stderr and f"klynge load --store {folder}" in done.stderr
    assert not folder.exists()
    assert klynge("validate", "--store", str(folder)).returncode == 2


def named_quads(folder: Path) -> set[ox.Quad]:
    """A store's quads but those with a blank node (each load labels blank nodes afresh)."""
    store = ox.Store.read_only(str(folder))
    return {q for q in store if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


def statistics(folder: Path) -> dict[str, str]:
    """The published participation counts: observation -> value."""
    store = ox.Store.read_only(str(folder))
    value = ox.NamedNode("http://purl.org/linked-data/sdmx/2009/measure#obsValue")
    aggregates = ox.NamedNode("https://w3id.org/klynge/graph/aggregates")
    return {q.subject.value: q.object.value for q in store.quads_for_pattern(None, value, None, aggregates)}


def test_an_extended_store_equals_a_fresh_load_of_all_its_files(tmp_path: Path) -> None:
    """Extending a store derives its participation statistics, display labels and entailments again from
    everything it then holds: the records split over two files, loaded one at a time, give the statistics of
    all of them, and a file loaded again with fewer records leaves none of what its old records entailed."""
    lines = list(synth_lines(1, seed=4, scale=0.01))
    records = [line for line in lines if "/participation/" in line.split(" ", 1)[0]]
    rest = [line for line in lines if line not in set(records)]
    half = len(records) // 2
    first, second, shorter = tmp_path / "one" / "part-a.nt", tmp_path / "part-b.nt", tmp_path / "two" / "part-a.nt"
    parts = (rest + records[:half], records[half:], rest + records[: half // 2])
    for path, part in zip((first, second, shorter), parts, strict=True):
        path.parent.mkdir(exist_ok=True)
        path.write_text("".join(part))
    extended = tmp_path / "extended"
    load_store(extended, [first])
    alone = statistics(extended)
    load_store(extended, [second])
    load_store(fresh := tmp_path / "fresh", [first, second])
    assert statistics(extended) == statistics(fresh) != alone and alone
    assert named_quads(extended) == named_quads(fresh)
    assert recorded(extended) == recorded(fresh)
    load_store(extended, [shorter])  # part-a again, with a quarter of the records: its graph is replaced
    load_store(fresh := tmp_path / "fresh-again", [shorter, second])
    assert named_quads(extended) == named_quads(fresh)
    assert statistics(extended) == statistics(fresh) != alone


def recorded(folder: Path) -> int:
    return len(ox.Store.read_only(str(folder)))
