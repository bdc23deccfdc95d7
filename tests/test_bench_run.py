"""bench/run.py's judgement and bookkeeping: the verdict per target, a load's figures read from `time -v`, and
its sections of bench/RESULTS.md (the servers themselves run only in the benchmark)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import run  # noqa: E402 - bench/run.py
from bench_queries import QUERIES  # noqa: E402


def scale_with(uncached_ms: float, oxigraph_ms: float) -> run.Scale:
    """A scale whose every query took these medians on klynge (cache off) and on Oxigraph's server."""
    peers = [run.Peer(run.UNCACHED, "", ""), run.Peer(run.OXIGRAPH_SERVER, "", "")]
    for peer, ms in zip(peers, (uncached_ms, oxigraph_ms), strict=True):
        for query in QUERIES:
            peer.timings[query.name] = run.Timing(samples=[ms / 1000] * 3)
    return run.Scale("dk", peers=peers)


def verdict_lines(scale: run.Scale) -> dict[str, str]:
    return {query.kind: line for query in QUERIES for line in run.verdicts(scale) if f"`{query.name}`" in line}


def test_lookups_may_take_half_again_and_scans_a_tenth_more():
    kinds = {query.kind for query in QUERIES}
    assert kinds == {"lookup", "aggregate"}  # both targets are exercised
    within = verdict_lines(scale_with(1.3, 1.0))  # 1.3x: a lookup's target met, a scan's missed
    assert "| met |" in within["lookup"] and "**missed**" in within["aggregate"]
    assert "1.30x" in within["lookup"]
    both = verdict_lines(scale_with(1.05, 1.0))
    assert "| met |" in both["lookup"] and "| met |" in both["aggregate"]
    neither = verdict_lines(scale_with(1.6, 1.0))
    assert "**missed**" in neither["lookup"] and "**missed**" in neither["aggregate"]


def test_a_server_that_failed_has_no_verdict():
    scale = scale_with(1.0, 1.0)
    scale.peers[1].timings = {query.name: run.Timing(error="Refused: 500") for query in QUERIES}
    assert all("not measured" in line for line in run.verdicts(scale)[2:])


@pytest.mark.skipif(
    not Path("/usr/bin/time").exists(), reason="GNU time not installed (Debian: time; .ci/run installs it)"
)
def test_a_loads_figures_are_read_from_its_time_summary(tmp_path: Path):
    log = tmp_path / "load.log"
    with log.open("w") as err:
        subprocess.run(["/usr/bin/time", "-v", "sleep", "1.2"], stderr=err, check=True)
    store = tmp_path / "store"
    store.mkdir()
    (store / "klynge-store.json").write_text(json.dumps({"quads": 42}))
    load = run.gnu_time_load(log, store)
    assert isinstance(load, run.load_peers.Load), load
    assert 1.2 <= load.wall < 10 and load.quads == 42 and load.peak_mib > 0
    assert "time -v" in load.version
    (tmp_path / "empty.log").write_text("loaded\n")
    assert "not found" in run.gnu_time_load(tmp_path / "empty.log", store)


def test_a_scales_section_replaces_its_own_and_keeps_the_others(tmp_path: Path):
    path = tmp_path / "RESULTS.md"
    other = "<!-- load-peers: begin -->\nloads\n<!-- load-peers: end -->\n"
    path.write_text("# old head\nstale figures\n\n<!-- bench-dk: begin -->\nold dk\n<!-- bench-dk: end -->\n\n" + other)
    run.write(path, "<!-- bench-dk: begin -->\nnew dk\n<!-- bench-dk: end -->\n", "bench-dk")
    run.write(path, "<!-- bench-eu27: begin -->\neu27\n<!-- bench-eu27: end -->\n", "bench-eu27")
    text = path.read_text()
    assert text.startswith(run.HEAD) and "stale figures" not in text and "old dk" not in text
    assert "new dk" in text and "loads" in text and text.index("new dk") < text.index("eu27")
