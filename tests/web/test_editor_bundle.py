"""The editor page of an installation without the editor's script (klynge installed without Node) says how to
get it; with the script it says nothing of the kind. The install itself is tested in tests/test_fresh_clone.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from klynge.web import pages

MISSING = "The editor's script is not part of this installation"


def test_the_editor_page_says_how_to_build_a_missing_bundle(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pages, "EDITOR_BUNDLE", tmp_path / "editor.js")
    page = client.get("/query")
    assert page.status_code == 200
    assert MISSING in page.text and "<code>npm ci &amp;&amp; npm run build</code>" in page.text
    assert 'role="alert"' in page.text


def test_a_built_bundle_gets_no_notice(client: TestClient) -> None:
    assert pages.EDITOR_BUNDLE.is_file(), "make builds the bundle before the tests"
    assert MISSING not in client.get("/query").text
