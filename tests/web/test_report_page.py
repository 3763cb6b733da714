"""The field report page in headless Chromium: offline shell, queued reports, exactly-once delivery."""
from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from relief.store.tables import FieldReport, Incident, Photo
from tests.conftest import CHROMIUM_ARGS

FIRST_LOAD_LIMIT = 300 * 1024


class OneRequestPerConnection(WSGIRequestHandler):
    """HTTP/1.0: no kept-alive connection outlives a server shutdown, so "server down" is really down."""

    protocol_version = "HTTP/1.0"


class LiveServer:
    """The real app on a real port, which the test can take down and bring back on the same port."""

    def __init__(self, app):
        self.app = app
        self.port = 0
        self.start()

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                  request_handler=OneRequestPerConnection)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (110, 80, 50)).save(out, "JPEG")
    return out.getvalue()


def rows(store, model, *where) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_first_load_is_small(client):
    html = client.get("/report").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(a.endswith("report.js") for a in assets) and any(a.endswith("leaflet.js") for a in assets)
    total = len(html.encode()) + sum(len(client.get(a).data) for a in assets)
    assert total <= FIRST_LOAD_LIMIT, f"first load is {total} bytes"
    assert "http://" not in html and "https://" not in html


def test_service_worker_may_control_the_report_page(client):
    response = client.get("/report-sw.js")
    assert response.status_code == 200 and response.headers["Service-Worker-Allowed"] == "/report"
    assert "javascript" in response.mimetype


def test_logged_in_page_sends_with_its_csrf_token(client, make_user):
    import json

    reporter = make_user("field_reporter")
    login = client.get("/login").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/login", data={"name": reporter.name, "password": f"pw-{reporter.name}", "csrf_token": form_token})
    page = client.get("/report").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    report = {"client_id": "page-session-0001", "kind": "hail", "lat": 30.3, "lon": 109.5,
              "occurred_at": "2026-07-01T08:00:00+08:00"}
    data = {"report": json.dumps(report), "photos": [(io.BytesIO(photo_bytes()), "hail.jpg")]}
    refused = client.post("/api/incidents", data=dict(data, photos=[(io.BytesIO(photo_bytes()), "hail.jpg")]),
                          content_type="multipart/form-data")
    assert refused.status_code == 403 and refused.get_json()["error"]["field"] == "csrf_token"
    sent = client.post("/api/incidents", data=data, headers={"X-CSRFToken": csrf}, content_type="multipart/form-data")
    assert sent.status_code == 201 and len(sent.get_json()["field_report"]["photos"]) == 1


@pytest.mark.browser
@pytest.mark.slow
def test_report_filed_offline_reaches_the_server_exactly_once(browser, live, store, make_user):
    reporter = make_user("field_reporter")
    context = browser.new_context(geolocation={"latitude": 30.2955, "longitude": 109.4870},
                                  permissions=["geolocation"], service_workers="allow")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/report#token={reporter.token}")
        page.wait_for_selector("body[data-report-ready='1']")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
        page.wait_for_function("() => document.getElementById('lat').value !== ''")
        assert "token=" not in page.url  # the token went to localStorage, not the history

        # The network goes, and so does the server: the page must now come from the service worker.
        context.set_offline(True)
        live.stop()
        page.reload()
        page.wait_for_selector("body[data-report-ready='1']")
        assert page.evaluate("navigator.onLine") is False
        page.wait_for_function("() => document.getElementById('lat').value !== ''")

        page.select_option("#kind", "landslide")
        page.fill("#description", "山体滑坡，道路中断")
        page.set_input_files("#photos",
                             files=[{"name": "slope.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
        page.click("#submit")
        item = page.wait_for_selector("#outbox li[data-status='queued']")
        client_id = item.get_attribute("data-client-id")
        page.wait_for_timeout(500)
        assert page.get_attribute(f"#outbox li[data-client-id='{client_id}']", "data-status") == "queued"
        assert rows(store, Incident) == 0

        live.start()
        context.set_offline(False)
        page.wait_for_selector(f"#outbox li[data-client-id='{client_id}'][data-status='sent']", timeout=20000)
        assert rows(store, Incident, Incident.client_id == client_id) == 1
        assert rows(store, Incident) == 1
        assert rows(store, FieldReport, FieldReport.client_id == client_id) == 1
        assert rows(store, Photo) == 1
        with store.read() as session:
            incident = session.scalar(select(Incident).where(Incident.client_id == client_id))
            assert (incident.kind, incident.description, incident.reported_by) == \
                ("landslide", "山体滑坡，道路中断", reporter.id)
            assert incident.geom.y == pytest.approx(30.2955, abs=1e-5)

        # The answer was lost, say: the phone sends the same report again.
        page.evaluate("""(id) => new Promise((resolve, reject) => {
            const open = indexedDB.open("relief-report", 1);
            open.onsuccess = () => {
              const tx = open.result.transaction("outbox", "readwrite");
              const store = tx.objectStore("outbox");
              const get = store.get(id);
              get.onsuccess = () => { const r = get.result; r.status = "queued"; store.put(r); };
              tx.oncomplete = () => resolve(true);
              tx.onerror = () => reject(tx.error);
            };
        })""", client_id)
        page.evaluate("window.reliefReport.flush()")
        page.wait_for_selector(f"#outbox li[data-client-id='{client_id}'][data-status='sent']", timeout=20000)
        assert rows(store, Incident) == 1 and rows(store, FieldReport) == 1 and rows(store, Photo) == 1
    finally:
        context.close()


@pytest.mark.browser
def test_refused_report_shows_failed_with_the_reason(browser, live, make_user):
    viewer = make_user("viewer")  # may read, may not report
    context = browser.new_context(geolocation={"latitude": 30.3, "longitude": 109.5}, permissions=["geolocation"])
    page = context.new_page()
    try:
        page.goto(f"{live.url}/report#token={viewer.token}")
        page.wait_for_selector("body[data-report-ready='1']")
        page.wait_for_function("() => document.getElementById('lat').value !== ''")
        page.fill("#description", "test")
        page.click("#submit")
        item = page.wait_for_selector("#outbox li[data-status='failed']", timeout=15000)
        assert "viewer" in item.inner_text()
    finally:
        context.close()


@pytest.mark.browser
def test_report_refused_for_want_of_login_goes_once_a_token_is_saved(browser, live, store, make_user):
    reporter = make_user("field_reporter")
    context = browser.new_context(geolocation={"latitude": 30.3, "longitude": 109.5}, permissions=["geolocation"])
    page = context.new_page()
    try:
        page.goto(f"{live.url}/report")
        page.wait_for_selector("body[data-report-ready='1']")
        page.wait_for_function("() => document.getElementById('lat').value !== ''")
        page.click("#submit")
        item = page.wait_for_selector("#outbox li[data-status='failed']", timeout=15000)
        client_id = item.get_attribute("data-client-id")
        page.fill("#token", reporter.token)
        page.click("#save-token")
        page.wait_for_selector(f"#outbox li[data-client-id='{client_id}'][data-status='sent']", timeout=15000)
        assert rows(store, Incident, Incident.client_id == client_id) == 1
    finally:
        context.close()


def test_the_township_is_picked_by_name_from_boundaries_kept_offline(client):
    from relief import asset_folder
    from relief.web.report_pages import AREA_URLS

    html = client.get("/report").get_data(as_text=True)
    assert re.search(r'<select name="township_code" id="township_code"', html)
    assert 'inputmode="numeric" maxlength="24"' not in html  # no code typed by hand
    settings = re.search(r'<script id="report-settings" type="application/json">(.*?)</script>', html, re.S).group(1)
    worker = (Path(asset_folder("static")) / "js" / "report-sw.js").read_text()
    for url in AREA_URLS:
        assert url in settings.replace("\\u0026", "&") and f'"{url}"' in worker
        answer = client.get(url)
        assert answer.status_code == 200 and answer.get_json()["type"] == "FeatureCollection"
