"""Plugins for the whole suite: in CI a skipped test fails the run unless it is allowed (tests/ci_skips.py)."""

pytest_plugins = ["ci_skips"]
