"""Every page, signed in and not, in zh and en: no horizontal scroll at 390×844, no critical axe violation.

One demo server for the module; pages that take an id get the first one the API lists. axe-core is
vendored from npm under ``tests/vendor/axe-core`` (the tests' copy; the app never serves it) and
injected into each page, so the check runs offline in Debian's Chromium.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.web.servers import fresh_database_url, relief_env, run, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}

#: Pages anyone may open.
PUBLIC = ("/", "/dashboard", "/report", "/reports/overdue", "/public/donations", "/login", "/api/docs")
#: Pages for staff; ``{household}``, ``{site}``, ``{incident}`` and ``{plan}`` are filled from the demo, ``{endpoint}``
#: is a webhook endpoint the fixture adds.
STAFF = ("/households", "/households/{household}", "/sites", "/sites/{site}", "/stock", "/donations/new",
         "/dispatch", "/users", "/incidents/{incident}", "/reconstruction", "/subscriptions",
         "/subscriptions/endpoints/{endpoint}", "/aid-flags", "/households/{household}/aid")

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
CRITICAL = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => v.impact === 'critical')
    .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("every-page")
    env = relief_env(fresh_database_url(folder, "every_page"), folder / "instance")
    run(env, "demo", "--households", "300")
    token = run(env, "users", "create", "page-admin", "--role", "admin", "--password", "pw-pages").strip()
    token = token.splitlines()[-1]
    with serving(env) as base:
        yield {"base": base, "token": token}


@pytest.fixture(scope="module")
def ids(server) -> dict[str, str]:
    """The first household, site and incident of the demo, by the API, and a webhook endpoint."""
    headers = {"Authorization": f"Bearer {server['token']}"}
    base = server["base"]

    def first(path: str, pick) -> str:
        answer = requests.get(base + path, headers=headers, timeout=30)
        answer.raise_for_status()
        return str(pick(answer.json()))

    return {
        "household": first("/api/guarantees?limit=1", lambda a: a["households"][0]["household_id"]),
        "site": first("/api/sites", lambda a: a["features"][0]["id"]),
        "incident": first("/api/incidents", lambda a: a["features"][0]["id"]),
        "endpoint": str(requests.post(base + "/api/webhooks/endpoints", headers=headers, timeout=30, json={
            "url": "https://93.184.216.34/hook", "description": "every page", "client_id": "every-page-endpoint"})
            .json()["endpoint"]["id"]),
    }


def _signed_in_context(browser, base: str, locale: str):
    context = browser.new_context(viewport=PHONE, locale=locale, bypass_csp=True)  # axe is injected
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=name]", "page-admin")
    page.fill("input[name=password]", "pw-pages")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.close()
    return context


def _check(context, url: str, lang: str) -> tuple[int, list[str], list[str]]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        answer = page.goto(url)
        assert answer is not None and answer.ok, f"{url}: HTTP {answer.status if answer else '?'}"
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(OVERFLOW)
        page.add_script_tag(path=str(AXE))
        critical = page.evaluate(CRITICAL)
        assert page.evaluate("() => document.documentElement.lang").startswith(lang)
        return overflow, critical, errors
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_fit_a_phone_and_pass_axe(browser, server, path, lang):
    context = browser.new_context(viewport=PHONE, locale="zh-CN" if lang == "zh" else "en-GB", bypass_csp=True)
    try:
        context.new_page().goto(f"{server['base']}/lang/{lang}")
        overflow, critical, errors = _check(context, server["base"] + path, lang)
    finally:
        context.close()
    assert overflow <= 1, f"{path} scrolls sideways by {overflow} px at 390 px"
    assert critical == [], f"{path}: {critical}"
    assert errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", STAFF)
def test_staff_pages_fit_a_phone_and_pass_axe(browser, server, ids, path, lang):
    context = _signed_in_context(browser, server["base"], "zh-CN" if lang == "zh" else "en-GB")
    try:
        context.new_page().goto(f"{server['base']}/lang/{lang}")
        overflow, critical, errors = _check(context, server["base"] + path.format(**ids), lang)
    finally:
        context.close()
    assert overflow <= 1, f"{path} scrolls sideways by {overflow} px at 390 px"
    assert critical == [], f"{path}: {critical}"
    assert errors == []
