"""The subscription pages: ``GET /subscriptions`` (subscriptions and webhook endpoints) and
``GET /subscriptions/endpoints/<id>`` (an endpoint's delivery log, dead letters and replay).

Gate and wording with the test client; in Chromium, against a real ``relief serve`` on demo data, an admin in
Chinese and in English adds an endpoint (its secret shown once), subscribes, stops the subscription and sends a
dead letter again, all on the pages, each write checked through the API.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import requests

from relief.store import webhooks as webhook_store
from relief.store.db import Store
from tests.web.servers import fresh_database_url, incident_body, relief_env, run, serving

PUBLIC_URL = "https://93.184.216.34/hook"


def new_endpoint(client, user, url=PUBLIC_URL) -> dict:
    answer = client.post("/api/webhooks/endpoints", json={"url": url, "client_id": str(uuid.uuid4())},
                         headers=user.headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_the_pages_need_a_login_and_speak_the_users_language(client, make_user):
    assert client.get("/subscriptions").status_code == 401
    browser = client.get("/subscriptions", headers={"Accept": "text/html"})
    assert browser.status_code in (302, 303) and "/login" in browser.headers["Location"]
    viewer = make_user("viewer")
    html = client.get("/subscriptions", headers={**viewer.headers, "Accept-Language": "zh"}).get_data(as_text=True)
    assert "subscriptions.js" in html and "订阅" in html and "每日汇总" in html
    assert "灾种" in html and 'name="hazards" value="landslide"' in html and "滑坡" in html
    assert 'name="owner"' not in html and 'name="allow_private_host"' not in html  # admin choices only
    admin = make_user("admin")
    html = client.get("/subscriptions", headers={**admin.headers, "Accept-Language": "en"}).get_data(as_text=True)
    assert "daily digest" in html and 'name="owner"' in html and 'name="allow_private_host"' in html


def test_an_endpoint_page_is_its_owners_and_the_admins(client, make_user):
    owner, other, admin = make_user("viewer"), make_user("commander"), make_user("admin")
    endpoint = new_endpoint(client, owner)["endpoint"]
    path = f"/subscriptions/endpoints/{endpoint['id']}"
    page = client.get(path, headers=owner.headers)
    assert page.status_code == 200 and PUBLIC_URL in page.get_data(as_text=True)
    assert "whsec_" not in page.get_data(as_text=True), "the secret is shown on creation only"
    assert client.get(path, headers=other.headers).status_code == 404
    assert client.get(path, headers=admin.headers).status_code == 200
    assert client.get("/subscriptions/endpoints/999999", headers=owner.headers).status_code == 404


def test_the_navigation_links_the_page_for_people_signed_in(client, make_user):
    assert 'href="/subscriptions"' in client.get("/users", headers=make_user("admin").headers).get_data(as_text=True)
    assert 'href="/subscriptions"' not in client.get("/dashboard").get_data(as_text=True)


# ---- in Chromium -------------------------------------------------------------------------------------------

ADMIN, PASSWORD = "subs-admin", "pw-subs-admin"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("subscriptions-page")
    url = fresh_database_url(folder, "subscriptions_page")
    env = relief_env(url, folder / "instance")
    run(env, "demo", "--households", "100")
    token = run(env, "users", "create", ADMIN, "--role", "admin", "--password", PASSWORD).strip().splitlines()[-1]
    with serving(env) as base:
        yield {"base": base, "token": token, "url": url}


def api(server, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, server["base"] + path, timeout=10,
                            headers={"Authorization": f"Bearer {server['token']}"}, **kwargs)


def dead_letter(server, endpoint_id: int, subscription_id: int) -> int:
    """A delivery to the endpoint that was given up on (as the worker leaves one after its retries)."""
    answer = api(server, "POST", "/api/incidents", json=incident_body(f"dead-{uuid.uuid4()}"))
    assert answer.status_code == 201
    store = Store(server["url"])
    try:
        with store.write() as session:
            seq = max(e["seq"] for e in webhook_store.events_after(session, 0, 100_000))
            now = datetime.now(timezone.utc)
            [delivery] = webhook_store.add_deliveries(session, [{
                "webhook_id": f"msg_{uuid.uuid4().hex}", "subscription_id": subscription_id, "endpoint_id": endpoint_id,
                "fold_key": None, "events": [{"seq": seq, "kind": "incident.created"}], "due_at": now}], now=now)
            webhook_store.mark_failed(session, delivery, next_attempt_at=None, response_code=500, error="HTTP 500")
        return delivery
    finally:
        store.dispose()


WORDS = {"zh": {"secret": "只显示这一次", "dead": "放弃", "pending": "等待", "landslide": "滑坡"},
         "en": {"secret": "shown this once", "dead": "given up", "pending": "waiting", "landslide": "landslide"}}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_admin_adds_an_endpoint_subscribes_stops_and_replays_a_dead_letter(browser, server, lang):
    description = f"county platform {lang} {uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN" if lang == "zh" else "en-GB")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{server['base']}/lang/{lang}")
        page.goto(server["base"] + "/subscriptions")  # the login page, then back here
        page.fill("input[name=name]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#endpoints[data-ready='1']", timeout=20000)

        page.fill("#new-endpoint input[name=url]", PUBLIC_URL)
        page.fill("#new-endpoint input[name=description]", description)
        page.click("#new-endpoint button[type=submit]")
        page.wait_for_selector("#new-secret:not([hidden])", timeout=10000)
        secret = page.input_value("#new-secret-value")
        assert secret.startswith("whsec_") and WORDS[lang]["secret"] in page.inner_text("#new-secret")
        listed = [e for e in api(server, "GET", "/api/webhooks/endpoints").json()["endpoints"]
                  if e["description"] == description]
        assert len(listed) == 1 and "secret" not in listed[0]
        endpoint_id = listed[0]["id"]

        page.select_option("#new-subscription select[name=endpoint_id]", str(endpoint_id))
        page.check("#new-subscription input[name=topics][value=incidents]")
        page.check("#new-subscription input[name=hazards][value=landslide]")
        page.select_option("#new-subscription select[name=min_level]", "IV")
        page.select_option("#new-subscription select[name=mode]", "hourly")
        page.click("#new-subscription button[type=submit]")
        mine = lambda: [s for s in api(server, "GET", "/api/subscriptions").json()["subscriptions"]  # noqa: E731
                        if s["endpoint_id"] == endpoint_id]
        page.wait_for_function("() => document.querySelectorAll('#subscriptions tr[data-subscription]').length > 0",
                               timeout=10000)
        [subscription] = mine()
        assert subscription["filter"]["topics"] == ["incidents"] and subscription["filter"]["min_level"] == "IV"
        assert subscription["mode"] == "hourly" and subscription["active"]
        assert subscription["filter"]["hazards"] == ["landslide"]
        row = page.inner_text(f"tr[data-subscription='{subscription['id']}']")
        assert WORDS[lang]["landslide"] in row, row

        delivery = dead_letter(server, endpoint_id, subscription["id"])
        page.locator(f"tr[data-subscription='{subscription['id']}'] button[data-action=delete]").click()
        page.wait_for_selector(f"tr[data-subscription='{subscription['id']}']", state="detached", timeout=10000)
        assert mine() == [], "a stopped subscription is no longer listed"

        page.goto(f"{server['base']}/subscriptions/endpoints/{endpoint_id}")
        page.wait_for_selector("#deliveries[data-ready='1']", timeout=10000)
        page.click("button[data-filter=dead]")
        row = page.locator(f"tr[data-delivery='{delivery}'][data-status=dead]")
        row.wait_for(timeout=10000)
        assert WORDS[lang]["dead"] in row.inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 1
        row.locator("button[data-action=replay]").click()
        page.wait_for_function(f"""() => !document.querySelector("tr[data-delivery='{delivery}']")""", timeout=10000)
        log = api(server, "GET", f"/api/webhooks/endpoints/{endpoint_id}/deliveries").json()["deliveries"]
        assert [d["status"] for d in log if d["id"] == delivery] == ["pending"]
        page.click("button[data-filter='']")
        page.wait_for_selector(f"tr[data-delivery='{delivery}'][data-status=pending]", timeout=10000)
        assert WORDS[lang]["pending"] in page.inner_text(f"tr[data-delivery='{delivery}']")
    finally:
        context.close()
    assert errors == []
