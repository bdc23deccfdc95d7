"""Old releases in memory only while asked for: materialised lazily, once, whole; evicted and dropped when idle;
and the release the served graph holds answered by the served engine (no second copy), with the same bytes."""

from __future__ import annotations

import threading
import time
import weakref

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from klynge.engines.cache import CachingEngine
from klynge.engines.releases import SELECTED, ReleaseArchive, ReleaseSwitch
from klynge.engines.store import EmbeddedEngine
from klynge.graph.build import build_store
from klynge.graph.releases import read_history
from klynge.settings import Settings
from klynge.web.app import create_app
from release_copies import REPOSITORY_LATEST, SECOND, STRATEGY, THIRD, cut_repository_copies, sources

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
LINEAGE = "https://w3id.org/klynge/graph/lineage"
START = f"SELECT ?start WHERE {{ <{STRATEGY}> <http://schema.org/startDate> ?start }}"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A repository copy with three releases and more: the repository's, SECOND and THIRD."""
    return cut_repository_copies(tmp_path_factory)[1]


def quads(archive: ReleaseArchive, version: str) -> int:
    token = SELECTED.set(version)
    try:
        switch = ReleaseSwitch(CachingEngine(EmbeddedEngine(ox.Store(), workers=1)), archive)
        return int(switch.select(COUNT)[0]["n"].value)
    finally:
        SELECTED.reset(token)


def test_no_release_is_in_memory_until_asked_for_and_one_stays_resident(root):
    archive = ReleaseArchive(read_history(root), resident=1)
    try:
        assert archive.resident_versions() == []
        assert quads(archive, REPOSITORY_LATEST) == archive.release(REPOSITORY_LATEST).quads
        assert archive.resident_versions() == [REPOSITORY_LATEST]
        assert quads(archive, SECOND) == archive.release(SECOND).quads
        assert archive.resident_versions() == [SECOND]  # the least recently used went
        assert quads(archive, SECOND) == archive.release(SECOND).quads
        assert len(archive.builds[SECOND]) == 1 and len(archive.builds[REPOSITORY_LATEST]) == 1
    finally:
        archive.close()


def test_a_release_in_use_is_kept_beyond_the_limit_and_dropped_after_its_last_use(root):
    archive = ReleaseArchive(read_history(root), resident=1)
    try:
        archive.acquire(REPOSITORY_LATEST)
        archive.acquire(SECOND)
        assert sorted(archive.resident_versions()) == sorted([REPOSITORY_LATEST, SECOND])
        archive.release_hold(REPOSITORY_LATEST)
        assert archive.resident_versions() == [SECOND]
        archive.release_hold(SECOND)
        assert archive.resident_versions() == [SECOND]
    finally:
        archive.close()
    assert archive.resident_versions() == []


def test_an_idle_release_is_dropped(root):
    archive = ReleaseArchive(read_history(root), resident=2, idle_seconds=0.3)
    try:
        assert quads(archive, THIRD) == archive.release(THIRD).quads
        assert archive.resident_versions() == [THIRD]
        deadline = time.monotonic() + 10
        while archive.resident_versions() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert archive.resident_versions() == []
        assert quads(archive, THIRD) == archive.release(THIRD).quads  # and is built again when asked for
        assert len(archive.builds[THIRD]) == 2
    finally:
        archive.close()


def test_concurrent_first_requests_build_a_release_once_and_see_it_whole(root):
    archive = ReleaseArchive(read_history(root))
    counts: list[int] = []
    engines: list[object] = []
    start = threading.Barrier(6)

    def ask() -> None:
        start.wait()
        engine = archive.acquire(SECOND)
        try:
            engines.append(engine)
            counts.append(int(engine.select(COUNT)[0]["n"].value))
        finally:
            archive.release_hold(SECOND)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(archive.builds[SECOND]) == 1
        assert counts == [archive.release(SECOND).quads] * 6
        assert len({id(engine) for engine in engines}) == 1
    finally:
        archive.close()


def test_the_served_graph_answers_for_the_release_it_holds_with_the_same_bytes(root):
    """A service whose served store holds exactly release SECOND's lines answers release=SECOND itself (nothing
    materialised); a service serving another graph materialises SECOND and answers the same bytes and ETag."""
    history = read_history(root)
    exact = ox.Store()
    exact.bulk_extend(ox.parse(history.nquads(SECOND), format=ox.RdfFormat.N_QUADS))
    holding = ReleaseArchive(history)
    other = ReleaseArchive(history)
    served = TestClient(create_app(CachingEngine(EmbeddedEngine(exact, workers=1)), Settings(), holding))
    elsewhere = TestClient(
        create_app(CachingEngine(EmbeddedEngine(build_store(sources(root)), workers=1)), Settings(), other)
    )
    try:
        assert holding.resident_versions() == other.resident_versions() == []
        answers = []
        for client in (served, elsewhere):
            answer = client.get("/sparql", params={"query": START, "release": SECOND}, headers={"Accept": "text/csv"})
            page = client.get(f"/id/{STRATEGY.split('/id/')[1]}", params={"release": SECOND, "format": "nt"})
            own = client.get(  # the query's own dataset: the lineage graph of SECOND
                "/sparql",
                params={"query": START.replace("WHERE", f"FROM <{LINEAGE}> WHERE"), "release": SECOND},
                headers={"Accept": "text/csv"},
            )
            assert answer.status_code == page.status_code == own.status_code == 200
            assert own.text.split("\r\n")[1] == "2015"  # the start date SECOND changed
            answers.append(
                (answer.content, answer.headers.get("etag"), page.content, page.headers.get("etag"), own.content)
            )
        assert answers[0] == answers[1]
        assert holding.resident_versions() == [] and other.resident_versions() == [SECOND]
        assert served.app.state.engine.served_match().answering == SECOND
        assert elsewhere.app.state.engine.served_match().answering is None  # parsed blank nodes: other labels
    finally:
        holding.close()
        other.close()


def test_a_dropped_release_frees_its_store(root):
    archive = ReleaseArchive(read_history(root), idle_seconds=0.05)
    engine = archive.acquire(SECOND)
    kept = weakref.ref(engine.inner)
    archive.release_hold(SECOND)
    del engine
    time.sleep(0.2)
    archive.drop_idle()
    assert archive.resident_versions() == [] and kept() is None
