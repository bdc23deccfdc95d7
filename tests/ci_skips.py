"""In CI a skipped test fails the run, unless the allow-list below names it with the reason it may skip.

A skip says a check did not run: Virtuoso, Chromium, Java, Graphviz or Apache missing, or ``../shared`` absent
(the W3C SPARQL suite, the Data Cube integrity constraints, the DCAT-AP shapes and the source texts then skip,
and the W3C cases collapse into one skipped placeholder, so they are counted here too). On a developer's machine
that is a note in the ``-ra`` summary; in CI (``CI=true``, which GitHub, GitLab and ``.ci/run`` set) the run
fails, so a green CI means every check ran. Tests that may skip in CI are listed in ``ALLOWED`` (as pySHACL's
``ALLOWABLE_FAILURES``), each with a comment saying why. The closing lines count what ran, what skipped and what
was deselected.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase

import pytest

# Node ids (fnmatch patterns) that may skip in CI, and why. Keep it short: every entry is a check CI may not run.
ALLOWED: dict[str, str] = {
    # Needs the network: it downloads pytest's sdist from PyPI for Jenkins' junit-10.xsd (a schema no package
    # ships). A CI runner without network skips it; the JUnit output is still parsed by the CI recipe tests.
    "tests/test_validate_cli.py::test_junit_is_valid_and_has_one_case_per_shape_and_focus_node": "network",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def allowed(nodeid: str) -> bool:
    return any(fnmatchcase(nodeid, pattern) for pattern in ALLOWED)


class SkipGuard:
    """Collects the skips of a run and fails it in CI when one is not allowed."""

    def __init__(self) -> None:
        self.skipped: dict[str, str] = {}  # node id -> reason
        self.deselected = 0
        self.passed = 0

    @staticmethod
    def reason(report: pytest.CollectReport | pytest.TestReport) -> str:
        longrepr = report.longrepr
        return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.skipped:  # a whole module skipped: its tests are never collected
            self.skipped[report.nodeid] = self.reason(report)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            self.skipped[report.nodeid] = self.reason(report)
        elif report.when == "call" and report.passed:
            self.passed += 1

    def unexpected(self) -> dict[str, str]:
        return {nodeid: why for nodeid, why in self.skipped.items() if not allowed(nodeid)}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        clean = session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
        if in_ci() and self.unexpected() and clean:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        unexpected = self.unexpected()
        write = terminalreporter.write_line
        if unexpected and in_ci():
            terminalreporter.section("skipped in CI, not on the allow-list (tests/ci_skips.py)", red=True)
            for nodeid, why in sorted(unexpected.items()):
                write(f"{nodeid}: {why}")
        failing = "in CI this fails the run" if in_ci() else "CI would fail the run"
        verdict = failing if unexpected else "as CI requires"
        write(
            f"klynge tests: {self.passed} passed, {len(self.skipped)} skipped ({len(self.skipped) - len(unexpected)} "
            f"on the allow-list, {len(unexpected)} not: {verdict}), {self.deselected} deselected"
        )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(SkipGuard(), "klynge-skip-guard")
