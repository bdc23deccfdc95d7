"""/docs works offline: Swagger UI comes from this service, never from a CDN."""

import re

from fastapi.testclient import TestClient


def test_docs_page_loads_its_assets_from_the_service(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(url.startswith("/docs/assets/") for url in assets), assets
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert "/openapi.json" in page.text
