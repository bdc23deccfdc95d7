"""The CI skip guard (tests/ci_skips.py) run on small suites of its own, as pytest runs in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SUITE = """
import pytest

def test_runs():
    pass

def test_junit_is_valid_and_has_one_case_per_shape_and_focus_node():
    pytest.skip("no network")
"""
NEEDS_TOOL = """
import pytest

def test_needs_a_browser():
    pytest.skip("no /usr/bin/chromium")
"""
WHOLE_MODULE = """
import pytest

pytest.skip("../shared is absent", allow_module_level=True)

def test_w3c():
    pass
"""


def run(tmp_path: Path, files: dict[str, str], ci: str) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    environment = {**os.environ, "PYTHONPATH": str(HERE), "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ci_skips", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("files", "code", "counts"),
    [
        ({"tests/test_validate_cli.py": SUITE}, 0, "1 passed, 1 skipped (1 on the allow-list, 0 not: as CI requires)"),
        (
            {"tests/test_validate_cli.py": SUITE, "tests/test_browser.py": NEEDS_TOOL},
            1,
            "1 passed, 2 skipped (1 on the allow-list, 1 not: in CI this fails the run)",
        ),
        (
            {"tests/test_w3c.py": WHOLE_MODULE, "tests/test_ok.py": "def test_ok():\n    pass\n"},
            1,
            "1 passed, 1 skipped (0 on the allow-list, 1 not: in CI this fails the run)",
        ),
    ],
    ids=["allowed", "tool-missing", "module-not-collected"],
)
def test_in_ci_a_skip_off_the_allow_list_fails_the_run(
    tmp_path: Path, files: dict[str, str], code: int, counts: str
) -> None:
    done = run(tmp_path, files, "true")
    assert done.returncode == code, done.stdout + done.stderr
    assert f"klynge tests: {counts}, 0 deselected" in done.stdout
    if code:
        assert "skipped in CI, not on the allow-list (tests/ci_skips.py)" in done.stdout


def test_outside_ci_a_skip_is_noted_only(tmp_path: Path) -> None:
    done = run(tmp_path, {"tests/test_browser.py": NEEDS_TOOL}, "")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "klynge tests: 0 passed, 1 skipped (0 on the allow-list, 1 not: CI would fail the run)" in done.stdout
