"""``GET /api/docs``: Swagger UI from ``static/vendor/swagger-ui`` (no other host) on ``/api/openapi.json``."""
from __future__ import annotations

import re
from collections import Counter

import pytest
import requests

from tests.web.servers import fresh_database_url, relief_env, run, serving


def test_the_page_loads_the_vendored_swagger_ui_and_the_spec(client):
    answer = client.get("/api/docs")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    page = answer.get_data(as_text=True)
    assert 'data-spec-url="/api/openapi.json"' in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert not [s for s in sources if "//" in s], "the page loads nothing from another host"
    for path in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
                 "/static/js/api-docs.js"):
        assert path in sources
        assert client.get(path).status_code == 200


@pytest.mark.browser
@pytest.mark.slow
def test_swagger_ui_shows_every_tag_and_operation_under_the_sites_policy(browser, tmp_path):
    """Tags start folded (``static/js/api-docs.js``); opening each one shows all of its operations."""
    env = relief_env(fresh_database_url(tmp_path, "api_docs"), tmp_path / "instance")
    run(env, "init-db")
    with serving(env) as base:
        spec = requests.get(base + "/api/openapi.json", timeout=30).json()
        per_tag = Counter(op["tags"][0] for item in spec["paths"].values() for op in item.values())
        context = browser.new_context()
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(base + "/api/docs")
        page.wait_for_function(f"() => document.querySelectorAll('.opblock-tag').length >= {len(per_tag)}",
                               timeout=60_000)
        shown = {}
        for tag in per_tag:
            section = page.locator(f".opblock-tag-section:has(h3[data-tag='{tag}'])")
            section.locator("h3").click()
            section.locator(".opblock").first.wait_for(timeout=30_000)
            shown[tag] = section.locator(".opblock").count()
            section.locator("h3").click()
        context.close()
    assert problems == []
    assert shown == dict(per_tag)
