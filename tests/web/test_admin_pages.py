"""Users admin: ``GET /users`` and the role change it writes through (``POST /api/users/<id>/role``).

API checks with the test client; in Chromium, against a real ``relief serve`` on demo data, an admin in
Chinese and in English creates a user, revokes their token (the next API call with it is 401), changes
their role and deactivates them, all on the page; and the map, the dashboard and the users page fit a
390×844 phone with no horizontal scroll.
"""
from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.web.servers import fresh_database_url, relief_env, run, serving

# ---- the role change through the API --------------------------------------------------------------------

def test_an_admin_changes_a_role_once_per_client_id_and_it_is_audited(client, make_user):
    admin, target = make_user("admin"), make_user("viewer")
    url = f"/api/users/{target.id}/role"
    first = client.post(url, json={"role": "verifier", "client_id": "role-1"}, headers=admin.headers)
    assert first.status_code == 200 and first.get_json()["user"]["role"] == "verifier"
    again = client.post(url, json={"role": "verifier", "client_id": "role-1"}, headers=admin.headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    other = client.post(url, json={"role": "commander", "client_id": "role-1"}, headers=admin.headers)
    assert other.status_code == 409 and other.get_json()["error"]["field"] == "client_id"
    trail = client.get(f"/api/audit?entity=user&entity_id={target.id}", headers=admin.headers).get_json()["entries"]
    changes = [e for e in trail if e["action"] == "user.role"]
    assert len(changes) == 1 and changes[0]["detail"]["from"] == "viewer" and changes[0]["detail"]["to"] == "verifier"
    assert changes[0]["actor_id"] == admin.id


def test_the_new_role_holds_from_the_next_call_with_the_same_token(client, make_user):
    admin, target = make_user("admin"), make_user("viewer")
    assert client.get("/api/users", headers=target.headers).status_code == 403
    client.post(f"/api/users/{target.id}/role", json={"role": "admin"}, headers=admin.headers)
    assert client.get("/api/users", headers=target.headers).status_code == 200


@pytest.mark.parametrize("body, status, field", [({"role": "king"}, 400, "role"), ({}, 400, "role"),
                                                  ({"role": 3}, 400, "role")])
def test_a_bad_role_is_refused_naming_the_field(client, make_user, body, status, field):
    admin, target = make_user("admin"), make_user("viewer")
    response = client.post(f"/api/users/{target.id}/role", json=body, headers=admin.headers)
    assert response.status_code == status and response.get_json()["error"]["field"] == field


def test_no_one_changes_their_own_role_and_only_admins_change_any(client, make_user):
    admin, commander = make_user("admin"), make_user("commander")
    own = client.post(f"/api/users/{admin.id}/role", json={"role": "viewer"}, headers=admin.headers)
    assert own.status_code == 409 and own.get_json()["error"]["field"] == "role"
    assert client.post(f"/api/users/{admin.id}/role", json={"role": "viewer"},
                       headers=commander.headers).status_code == 403
    assert client.post("/api/users/999999/role", json={"role": "viewer"}, headers=admin.headers).status_code == 404


def test_the_users_page_is_for_admins_only(client, make_user):
    assert client.get("/users").status_code == 401
    assert client.get("/users", headers=make_user("commander").headers).status_code == 403
    html = client.get("/users", headers={**make_user("admin").headers, "Accept-Language": "zh"}).get_data(as_text=True)
    assert 'id="users"' in html and "users_pages.js" in html and "核查员" in html  # roles named in the page's language


# ---- in Chromium -------------------------------------------------------------------------------------------

ADMIN, PASSWORD = "users-admin", "pw-users-admin"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("users-page")
    env = relief_env(fresh_database_url(folder, "users_page"), folder / "instance")
    run(env, "demo", "--households", "300")
    token = run(env, "users", "create", ADMIN, "--role", "admin", "--password", PASSWORD).strip()
    with serving(env) as base:
        yield {"base": base, "token": token}


def log_in(page, base: str, lang: str) -> None:
    page.goto(f"{base}/lang/{lang}")
    page.goto(base + "/login")
    page.fill("input[name=name]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-map-ready]", timeout=20000)


def api(server, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    return requests.request(method, server["base"] + path, timeout=10,
                            headers={"Authorization": f"Bearer {token or server['token']}"}, **kwargs)


def user_named(server, name: str) -> dict:
    return next(u for u in api(server, "GET", "/api/users").json()["users"] if u["name"] == name)


WORDS = {"zh": {"deactivate": "停用", "verifier": "核查员", "field_reporter": "灾害信息员", "revoked": "已吊销"},
         "en": {"deactivate": "Deactivate", "verifier": "verifier", "field_reporter": "field reporter",
                "revoked": "revoked"}}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_admin_revokes_a_token_changes_a_role_and_deactivates_a_user_on_the_page(browser, server, lang):
    name = f"field-{lang}-{uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN" if lang == "zh" else "en-GB")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())
        log_in(page, server["base"], lang)
        page.goto(server["base"] + "/users")
        page.wait_for_selector("#users[data-ready='1']", timeout=15000)

        # a new user, made on the page: their token is shown once
        page.fill("#new-user input[name=name]", name)
        page.select_option("#new-user select[name=role]", "field_reporter")
        page.fill("#new-user input[name=password]", "pw-" + name)
        page.click("#new-user button[type=submit]")
        page.wait_for_selector(f"tr[data-name='{name}']", timeout=10000)
        token = page.inner_text("#new-token-value").strip()
        assert len(token) > 30
        assert api(server, "GET", "/api/guarantees?limit=1", token).status_code == 200
        row = page.locator(f"tr[data-name='{name}']")
        assert row.locator(".role-name").inner_text() == WORDS[lang]["field_reporter"]

        # revoke it: the very next call with it is refused
        row.locator("button[data-action=tokens]").click()
        page.locator("tr.token-list button[data-action=revoke]").click()
        page.wait_for_selector(f"tr.token-list >> text={WORDS[lang]['revoked']}", timeout=10000)
        assert api(server, "GET", "/api/guarantees?limit=1", token).status_code == 401

        # change the role: the row names the new role in the page's language
        row = page.locator(f"tr[data-name='{name}']")
        row.locator("select[data-role-of]").select_option("verifier")
        row.locator("button[data-action=role]").click()
        page.wait_for_function(f"""() => {{ const r = document.querySelector("tr[data-name='{name}'] .role-name");
            return r && r.textContent === {WORDS[lang]['verifier']!r}; }}""", timeout=10000)
        assert user_named(server, name)["role"] == "verifier"

        # deactivate: the API says so, and the user can no longer log in
        deactivate = page.locator(f"tr[data-name='{name}'] button[data-action=deactivate]")
        assert deactivate.inner_text() == WORDS[lang]["deactivate"]
        deactivate.click()
        page.wait_for_selector(f"tr[data-name='{name}'].inactive", timeout=10000)
        assert user_named(server, name)["active"] is False
        notice = page.inner_text("#users-notice")
        assert name in notice
        if lang == "zh":
            assert not re.search(r"[A-Za-z]{5,}", notice.replace(name, ""))
    finally:
        context.close()
    assert errors == []
    login = requests.post(server["base"] + "/login", data={"name": name, "password": "pw-" + name}, timeout=10)
    assert login.status_code in (400, 401)


# ---- a phone: 390 × 844 ------------------------------------------------------------------------------------

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter((e) => {
    const r = e.getBoundingClientRect();
    if (!r.width || getComputedStyle(e).visibility === 'hidden') return false;
    let p = e.parentElement;  // inside a scrolling wrapper is fine: that is what the wrapper is for
    while (p && p !== document.body) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return false;
      p = p.parentElement;
    }
    return r.right > width + 1 || r.left < -1;
  }).map((e) => e.tagName + '.' + e.className + '#' + e.id);
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5),
          bar: document.querySelector('.topbar').getBoundingClientRect().height};
}"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_dashboard_and_users_pages_fit_a_phone(browser, server, lang):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN" if lang == "zh" else "en-GB")
    try:
        page = context.new_page()
        log_in(page, server["base"], lang)
        for path, ready in (("/", "body[data-map-ready='1']"), ("/dashboard", "#sites table"),
                            ("/users", "#users[data-ready='1']")):
            page.goto(server["base"] + path)
            page.wait_for_selector(ready, timeout=20000)
            measured = page.evaluate(OVERFLOW)
            assert measured["scroll"] <= measured["width"], (path, measured)
            assert measured["wide"] == [], (path, measured)
            assert measured["bar"] < 60, (path, measured)  # one line: no word broken a character a line
            # the links fold behind the menu button, which opens them
            assert page.is_visible(".menu-button") and not page.is_visible(".topbar nav")
            page.click(".menu-button")
            assert page.is_visible(".topbar nav a[href='/users']")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.click(".menu-button")
        page.goto(server["base"] + "/")
        page.wait_for_selector("#key-figures[data-ready='1']", timeout=20000)
        strip = page.evaluate("document.getElementById('key-figures').getBoundingClientRect().height")
        assert strip < 110
    finally:
        context.close()
