"""Every kind of page the service serves, checked by axe-core for WCAG 2.1 A and AA in headless Chromium.

EN 301 549 holds EU public-sector sites (the ECCP, data.europa.eu) to WCAG 2.1 AA. A failure names each rule
and the elements (as CSS selectors) that break it.
"""

from __future__ import annotations

import pytest
from web.chromium import axe_violations, described

pytestmark = pytest.mark.slow

PAGES = {
    "home": "/",
    "editor": "/query",
    "policy page": "/id/policy/innovationskraft-2021-2024",
    "organisation page": "/id/org/danish-business-authority",
    "ontology": "/ontology",
    "shapes": "/shapes",
    "dataset": "/dataset",
    "named graph": "/graph/funding",
    "search results": "/search?q=vaekstforum",
    "search with nothing found": "/search?q=zzzzqqq",
    "search error": "/search?q=%22",
    "resource not found": "/id/policy/no-such-policy",
    "page not found": "/no/such/page",
    "API docs": "/docs",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_page_has_no_wcag_21_aa_violation(browser, live_server, path):
    browser.get(live_server + path)
    violations = axe_violations(browser)
    assert not violations, f"{path}:\n{described(violations)}"
