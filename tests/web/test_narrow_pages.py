"""Pages fit a 400 px phone screen in headless Chromium (device emulation: Chrome opens no narrower window):
long IRIs, namespace lists and SHA-256 values wrap instead of widening the page past the screen."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

WIDTH = 400
PAGES = [
    "/",
    "/dataset",
    "/id/policy/innovationskraft-2021-2024",
    "/id/org/danish-business-authority",
    "/id/cluster/energy-cluster-denmark",
    "/id/nace/C21",
    "/graph/funding",
    "/search?q=vaekstforum",
    "/as-of/2022",
    "/as-of/abc",
    "/query",
]

# Elements wider than the screen, with what they are (to say which one overflows).
TOO_WIDE = """
const width = arguments[0];
return [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest(".timeline, .table-scroll, pre"))
  .filter((el) => getComputedStyle(el).position !== "fixed")
  .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(el.getBoundingClientRect().right)} px`
       + ` "${el.textContent.trim().slice(0, 40)}"`)
  .slice(0, 8);
"""


@pytest.fixture()
def phone(browser):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": WIDTH, "height": 800, "deviceScaleFactor": 1, "mobile": True}
    )
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_400_px(live_server, phone, path):
    phone.get(live_server + path)
    # A mobile browser widens its layout viewport to the widest content, then shrinks the page to fit.
    laid_out = phone.execute_script("return Math.max(window.innerWidth, document.documentElement.scrollWidth)")
    assert laid_out <= WIDTH, f"{path} lays out {laid_out} px wide: {phone.execute_script(TOO_WIDE, WIDTH)}"
