"""How fast the SPARQL editor shows a large answer: headless Chromium against `klynge serve` on loopback.

For each size, the editor at /query runs `SELECT ?s ?p ?o ?copy { VALUES ?copy {…} ?s ?p ?o } LIMIT n` (a fresh
comment each run, so the answer cache does not answer it) and the time from the click on Run to the first page
of the table in the page is read in the page itself (performance.now), with the page's height and the rows in
the DOM. Writes its section of bench/RESULTS.md between its own markers; the other sections are kept.

    python bench/editor.py [--runs 5] [--sizes 4000,20000] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import results  # bench/RESULTS.md's sections (bench/ is the script's folder, so on the path)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BEGIN, END = results.markers("editor")

RUN_AND_TIME = """
const [expected, done] = [arguments[0], arguments[arguments.length - 1]];
const results = document.getElementById("results");
const started = performance.now();
const observer = new MutationObserver(() => {
  const info = document.querySelector(".page-info");
  if (!info || !info.textContent.endsWith(expected)) return;
  observer.disconnect();
  requestAnimationFrame(() => done({
    ms: performance.now() - started,
    height: document.documentElement.scrollHeight,
    rows: results.querySelectorAll("tbody tr").length,
  }));
});
observer.observe(results, {childList: true, subtree: true, characterData: true});
document.getElementById("run").click();
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(port: int) -> subprocess.Popen:
    """`klynge serve` on the repository's graph, on loopback, once it answers."""
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "klynge"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("klynge serve did not answer within 120 s")


def chromium(profile: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))
    driver.set_script_timeout(120)
    return driver


def measure(driver: webdriver.Chrome, base: str, size: int, run: int) -> dict:
    copies = " ".join(str(n) for n in range(1, size // 3000 + 2))
    pattern = f"VALUES ?copy {{ {copies} }} ?s ?p ?o"
    query = f"# run {run} {time.time_ns()}\nSELECT ?s ?p ?o ?copy WHERE {{ {pattern} }} LIMIT {size}"
    driver.get(f"{base}/query?{urllib.parse.urlencode({'query': query})}")
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "editor-app").get_attribute("data-ready"))
    return driver.execute_async_script(RUN_AND_TIME, f"of {size:,}")


def section(rows: list[tuple[int, list[dict]]], runs: int) -> str:
    lines = [
        BEGIN,
        "## The editor in Chromium",
        "",
        f"Written by `python bench/editor.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({results.machine()}). "
        "Click on Run to the first page of the table drawn, in headless Chromium, "
        f"{runs} runs per size, each with a fresh comment so the answer cache does not answer it.",
        "",
        "| rows | median ms | max ms | page height px | rows in the DOM |",
        "|---|---|---|---|---|",
    ]
    for size, samples in rows:
        times = [s["ms"] for s in samples]
        lines.append(
            f"| {size:,} | {statistics.median(times):.0f} | {max(times):.0f} | "
            f"{max(s['height'] for s in samples)} | {max(s['rows'] for s in samples)} |"
        )
    lines += ["", "Target (issue 11): a 4,000-row answer shows in under a second and the page stays short.", END]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="4000,20000")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    port = free_port()
    server = serve(port)
    try:
        with tempfile.TemporaryDirectory() as profile:
            driver = chromium(profile)
            try:
                sizes = [int(size) for size in args.sizes.split(",")]
                rows = [
                    (size, [measure(driver, f"http://127.0.0.1:{port}", size, n) for n in range(args.runs)])
                    for size in sizes
                ]
            finally:
                driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=30)
    block = section(rows, args.runs)
    results.merge(args.out, "editor", block)
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
