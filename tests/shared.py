"""Material the tests read from ``../shared/`` beside the checkout: the sources and the standards' own suites.

It is never copied into the repository. ``KLYNGE_SHARED`` names it where it is not beside the checkout (a CI
that mounts it elsewhere). Where it is absent (a checkout on its own), the tests that need it are skipped with a
message saying what is missing, and in CI those skips fail the run (tests/ci_skips.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KLYNGE_SHARED") or ROOT.parent / "shared")


def shared_path(*parts: str) -> Path:
    """A path under ``../shared/``, or a skip naming what is missing and where it was looked for."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"{path} is absent: the tests that read ../shared/{'/'.join(parts)} need the shared folder "
            "beside the checkout (or KLYNGE_SHARED naming it)"
        )
    return path
