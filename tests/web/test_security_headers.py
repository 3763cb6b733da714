"""Security headers on every answer, a CSP every page satisfies (checked in Chromium), secure cookies.

The browser part runs a real ``relief serve`` on a small demo and opens each
page anonymously and as an admin, recording every ``securitypolicyviolation``
and every console message about the Content Security Policy: there must be
none, while the map still draws, goes live over its socket, and the report
page's service worker still takes control.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from relief import asset_folder
from relief.web.security import page_policy, tile_source
from tests.web.servers import demo_serving


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/login", "/dashboard", "/report", "/reports/overdue", "/public/donations",
                                  "/api/health", "/static/js/map.js", "/api/no-such-thing"])
def test_every_answer_carries_the_headers(client, path):
    response = client.get(path)
    csp = policy(response)
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["connect-src"] == "'self'" and csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http: HSTS only over https


def test_https_behind_a_proxy_is_not_forced_but_gets_hsts(client):
    plain = client.get("/login")
    assert plain.status_code == 200  # no redirect to https: the reverse proxy terminates TLS
    secure = client.get("/login", base_url="https://relief.example.org")
    assert "max-age" in secure.headers["Strict-Transport-Security"]
    assert "includeSubDomains" not in secure.headers["Strict-Transport-Security"]


@pytest.mark.parametrize(("url", "source"), [
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ("https://tiles.example.org:8443/osm/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
    ("/tiles/{z}/{x}/{y}.png", None),
    (None, None),
])
def test_tile_source_is_the_tile_server_host(url, source):
    assert tile_source(url) == source


def test_the_configured_tile_server_may_serve_images_only(app):
    app.config["TILE_URL"] = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    csp = page_policy(app.config)
    assert csp["img-src"].split() == ["'self'", "data:", "https://*.tile.example.org"]
    assert "example.org" not in csp["connect-src"] + csp["script-src"]


def test_the_exported_map_has_its_own_policy_and_is_an_attachment(client):
    response = client.get("/export/map.html")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    csp = policy(response)
    assert csp["sandbox"].split()[0] == "allow-scripts" and "allow-same-origin" not in csp["sandbox"]
    assert csp["default-src"] == "'none'" and csp["connect-src"] == "'none'"
    assert csp["script-src"] == "'unsafe-inline'" and csp["frame-ancestors"] == "'none'"
    # Only that view: the map page keeps the strict policy.
    assert "unsafe-inline" not in client.get("/").headers["Content-Security-Policy"]


def _session_cookie(response) -> str:
    return next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))


def _log_in(client, user) -> object:
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"name": user.name, "password": f"pw-{user.name}", "csrf_token": csrf})


def test_session_cookie_is_not_secure_by_default(client, make_user):
    cookie = _session_cookie(_log_in(client, make_user("viewer")))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_setting_marks_the_session_cookie_secure(database_url, tmp_path, ctx):
    from relief import create_app
    from relief.services.accounts import create_user

    create_user(ctx, "secure-viewer", "viewer", password="pw-secure-viewer")
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "secure"), "SECRET_KEY": "k",
                      "TESTING": True, "REDIS_URL": None, "SECURE_COOKIES": True})
    try:
        client = app.test_client()
        assert client.get("/login").status_code == 200  # still no redirect to https
        site = "https://relief.example.org"
        page = client.get("/login", base_url=site).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/login", base_url=site, headers={"Referer": site + "/login"},
                               data={"name": "secure-viewer", "password": "pw-secure-viewer", "csrf_token": csrf})
        assert response.status_code == 302
        assert "Secure" in _session_cookie(response)
    finally:
        app.extensions["relief.store"].dispose()


# ---- nothing inline that the policy would refuse -------------------------------------------------------

#: ``sitrep.html`` is the self-contained report document (inline CSS so the file and the PDF stand alone);
#: it is written to files and the PDF, never served as a page (``/sitrep`` is ``sitrep_page.html``).
STANDALONE = {"sitrep.html"}
TEMPLATES = sorted(p for p in Path(asset_folder("templates")).glob("*.html") if p.name not in STANDALONE)
SCRIPTS = sorted(Path(asset_folder("static"), "js").glob("*.js"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_code_or_style(template):
    html = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script {tag} in {template.name}"
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "javascript:" not in html


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_write_no_style_attributes(script):
    source = script.read_text()
    assert 'style="' not in source and "style='" not in source and 'setAttribute("style"' not in source
    assert "eval(" not in source and "new Function" not in source


# ---- in Chromium -------------------------------------------------------------------------------------------

PAGES = {
    "/": "body[data-map-ready='1']",
    "/dashboard": "#prefecture-chart svg, #prefecture-chart *",
    "/report": "body[data-report-ready='1']",
    "/login": "input[name=password]",
    "/reports/overdue": "#by-county, #none-overdue",
    "/public/donations": "#cash-total",
}
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def csp_server(tmp_path_factory):
    with demo_serving(tmp_path_factory.mktemp("csp"), "csp", households=400) as base:
        yield {"base": base, "user": "admin", "password": "admin-demo"}


class CspWatch:
    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1300, "height": 850}, locale="en-GB")
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def visit(self, url: str, ready: str) -> list[str]:
        """Open a page, wait until it is drawn, and return the CSP violations it caused."""
        self.page.goto(url)
        self.page.wait_for_selector(ready, state="attached", timeout=20000)
        self.page.wait_for_timeout(300)
        return self.violations()

    def violations(self) -> list[str]:
        seen = self.page.evaluate("window.__csp || []")
        said = [m for m in self.console if "Content Security Policy" in m or "Content-Security-Policy" in m]
        return seen + said


@pytest.fixture
def watch(browser):
    watcher = CspWatch(browser)
    yield watcher
    watcher.context.close()


def log_in(watch: CspWatch, server) -> None:
    watch.page.goto(server["base"] + "/login")
    watch.page.fill("input[name=name]", server["user"])
    watch.page.fill("input[name=password]", server["password"])
    watch.page.click("button[type=submit]")
    watch.page.wait_for_selector("body[data-map-ready='1']", timeout=20000)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_no_page_violates_the_policy(watch, csp_server, who):
    if who == "admin":
        log_in(watch, csp_server)
    for path, ready in PAGES.items():
        assert watch.visit(csp_server["base"] + path, ready) == [], f"{path} as {who}"
    assert watch.errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_map_draws_and_goes_live_under_the_policy(watch, csp_server):
    log_in(watch, csp_server)
    page = watch.page
    page.wait_for_function("() => window.relief.live.state === 'live'", timeout=15000)
    drawn = page.evaluate("""() => ({incidents: relief.byId.incidents.size, icons: document.querySelectorAll(
        '.relief-icon, .relief-cluster').length, coloured: [...document.querySelectorAll('.relief-cluster div')]
        .every((d) => d.style.background !== '')})""")
    assert drawn["incidents"] > 0 and drawn["icons"] > 10 and drawn["coloured"]
    transports = page.evaluate("relief.live.socket && relief.live.socket.io.engine.transport.name")
    assert transports == "websocket"
    page.evaluate("void relief.map.setZoom(13)")  # household points and their cluster icons for staff
    page.wait_for_timeout(1500)
    assert watch.violations() == [] and watch.errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_report_page_service_worker_registers_under_the_policy(watch, csp_server):
    watch.visit(csp_server["base"] + "/report", "body[data-report-ready='1']")
    scope = watch.page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == csp_server["base"] + "/report"
    watch.page.reload()  # the page now under the worker's control
    watch.page.wait_for_selector("body[data-report-ready='1']", state="attached", timeout=20000)
    assert watch.page.evaluate("Boolean(navigator.serviceWorker.controller)")
    assert watch.violations() == [] and watch.errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_exported_map_satisfies_its_own_policy(watch, csp_server):
    """Opened in place (not downloaded), under the headers it is served with, it still draws."""
    served = requests.get(csp_server["base"] + "/export/map.html", timeout=60)
    headers = {k: v for k, v in served.headers.items()
               if k.lower() in {"content-security-policy", "content-type", "x-content-type-options"}}
    watch.page.route("**/export-in-place.html",
                     lambda route: route.fulfill(status=200, headers=headers, body=served.content))
    watch.page.goto(csp_server["base"] + "/export-in-place.html")
    watch.page.wait_for_function("() => document.querySelectorAll('.relief-icon').length > 20", timeout=15000)
    assert watch.violations() == [] and watch.errors == []
    # The sandbox gives it an opaque origin: no cookies or storage of this site.
    assert watch.page.evaluate("window.origin") == "null"
