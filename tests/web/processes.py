"""Waiting for a process to end, for the tests that kill servers, zygotes and workers."""

from __future__ import annotations

import os
import time


def gone(pid: int, within: float = 10.0) -> bool:
    """Whether the process has disappeared (killed and reaped) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False
