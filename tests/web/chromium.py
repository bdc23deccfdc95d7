"""Headless Chromium for the page tests: Debian's chromium and chromedriver driven by Selenium, and axe-core
(from npm, installed by `make`) to check pages against WCAG 2.1 A and AA.

Tests that need a browser skip with the reason where chromium, chromedriver or selenium is missing; `.ci/run`
installs them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)

AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]}).then(
  (result) => done(result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary}))}))),
  (error) => done([{rule: "axe-error", impact: "", help: String(error), nodes: []}]));
"""


def start_chromium(profile: Path) -> object:
    """A headless Chromium with its own profile folder, or a skip saying what is missing."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    if not CHROMEDRIVER.exists():
        pytest.skip("no chromedriver (apt-get install chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    return driver


def axe_violations(driver: object) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page the driver shows: rule, impact, help and elements."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE} is missing): run `npm ci` (make does)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script(AXE_RUN, WCAG_21_AA)


def described(violations: list[dict]) -> str:
    """Violations as lines a reader can act on: the rule, what it asks, and each element (CSS selector)."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['rule']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {node['target']}: {node['summary']}" for node in violation["nodes"][:10])
    return "\n".join(lines)
