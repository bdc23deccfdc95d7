"""Material the tests read from ``../shared/`` beside the checkout: the sources and the standards' own suites.

It is never copied into the repository. Where it is absent (a checkout on its own), the tests that need it are
skipped with a message saying what is missing; CI always has it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ``../shared/``, or a skip naming what is missing and where it was looked for."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the tests that read ../shared/{'/'.join(parts)} need the shared folder "
                    "beside the checkout")
    return path
