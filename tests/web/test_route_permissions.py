"""Every route states who may call it, and the one gate answers the same way everywhere.

The walk over ``app.url_map`` refuses a route that names neither a permission
(``@requires``) nor ``@public``, names both, or names a permission missing from
``relief.domain.roles.PERMISSIONS``; and every gated route turns an anonymous
caller away with 401 before reading anything. CSRF is asked of browser sessions
on unsafe methods only, never of bearer tokens.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from relief.domain.roles import PERMISSIONS
from relief.web.gate import UNSAFE_METHODS, check, requires
from tests.web.test_auth import log_in

#: Reads that need ``staff.read`` (each answers 200 on an empty database).
STAFF_READS = ["/api/audit?limit=1", "/api/stock/balances", "/api/stock/ledger", "/api/cover", "/api/guarantees",
               "/api/households/points?bbox=109,30,110,31", "/api/displacement"]


def routes(app):
    """``(rule, view)`` for every URL rule of the app, the static files included."""
    return [(rule, app.view_functions[rule.endpoint]) for rule in app.url_map.iter_rules()]


def test_every_route_names_a_known_permission_or_is_public(app):
    undeclared, both, unknown = [], [], []
    for rule, view in routes(app):
        permission, public = getattr(view, "permission", None), getattr(view, "public", False) is True
        if permission is None and not public:
            undeclared.append(f"{rule.endpoint} {rule.rule}")
        if permission is not None and public:
            both.append(rule.endpoint)
        if permission is not None and permission not in PERMISSIONS:
            unknown.append(f"{rule.endpoint}: {permission!r}")
    assert undeclared == [], "routes without @requires(…) or @public"
    assert both == [], "a route is either public or needs a permission"
    assert unknown == [], "permissions missing from relief.domain.roles.PERMISSIONS"
    declared = [getattr(view, "permission", None) for _, view in routes(app)]
    assert len(declared) >= 60 and "staff.read" in declared and None in declared  # the walk saw the whole app


def gated(app):
    """``(method, url, permission)`` for every method of every route that requires a permission."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule, view in routes(app):
        if getattr(view, "permission", None) is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, adapter.build(rule.endpoint, {name: 1 for name in rule.arguments}, method=method),
                          view.permission))
    return found


def test_every_gated_route_turns_an_anonymous_caller_away(app, client):
    found = gated(app)
    assert len(found) >= 30 and {m for m, _, _ in found} >= {"GET", "POST", "PUT", "DELETE"}
    for method, url, permission in found:
        response = client.open(url, method=method, json={} if method in UNSAFE_METHODS else None)
        assert response.status_code == 401, (method, url, permission, response.get_data(as_text=True)[:200])
        assert response.get_json()["error"]["code"] == "not_authenticated"


#: The blueprints of the role screens: a browser's navigation there goes to the login page instead.
PAGE_BLUEPRINTS = ("admin_pages", "dispatch_pages", "household_pages", "incident_pages", "reconstruction_pages",
                   "site_pages", "stock_pages")


def test_a_browser_opening_a_staff_page_goes_to_the_login_page_and_comes_back(app, client):
    pages = [(url, permission) for method, url, permission in gated(app)
             if method == "GET" and app.url_map.bind("localhost").match(url)[0].split(".")[0] in PAGE_BLUEPRINTS
             and not url.endswith(".json") and not url.endswith(".js")]
    assert len(pages) >= 6
    for url, permission in pages:
        response = client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert response.status_code == 302, (url, permission, response.status_code)
        location = urlsplit(response.headers["Location"])
        assert (location.path, parse_qs(location.query)["next"]) == ("/login", [url]), url
        json_reader = client.get(url, headers={"Accept": "application/json"})
        assert json_reader.status_code == 401, url


def test_a_permission_missing_from_the_table_is_refused_when_the_route_is_declared():
    with pytest.raises(LookupError, match="no permission 'staff.raed'"):
        requires("staff.raed")
    with pytest.raises(LookupError):
        check("incident.reprot")


# ---- the gate's answers ------------------------------------------------------------------------------------

def csrf_from_page(client) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)


@pytest.fixture
def browser(client, make_user):
    """A client logged in as an admin through the login form (a cookie session)."""
    admin = make_user("admin")
    assert log_in(client, admin.name, f"pw-{admin.name}").status_code == 302
    return client


@pytest.mark.parametrize("url", STAFF_READS)
def test_a_browser_session_reads_staff_data_without_a_csrf_token(browser, url):
    response = browser.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:200]


@pytest.mark.parametrize(("method", "url", "body"), [
    ("post", "/api/users", {"name": "no-csrf", "role": "viewer"}),
    ("put", "/api/standards", {"document": {}, "reason": "no csrf"}),
    ("delete", "/api/tokens/1", None),
    ("post", "/api/stock/receipts", {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 1}),
])
def test_a_browser_session_write_without_the_csrf_token_is_403_naming_it(browser, method, url, body):
    refused = getattr(browser, method)(url, json=body)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["field"] == "csrf_token"


def test_a_browser_session_write_with_the_csrf_token_passes(browser):
    accepted = browser.post("/api/users", json={"name": "with-csrf", "role": "viewer"},
                            headers={"X-CSRFToken": csrf_from_page(browser)})
    assert accepted.status_code == 201


def test_a_bearer_token_needs_no_csrf_token(client, make_user):
    admin = make_user("admin")
    created = client.post("/api/users", json={"name": "by-token", "role": "viewer"}, headers=admin.headers)
    assert created.status_code == 201
    assert client.get("/api/audit?limit=1", headers=admin.headers).status_code == 200


@pytest.mark.parametrize("url", STAFF_READS)
def test_an_anonymous_staff_read_is_401(client, url):
    response = client.get(url)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("url", STAFF_READS)
def test_a_staff_read_with_the_wrong_role_is_403(client, make_user, monkeypatch, url):
    viewer = make_user("viewer")
    monkeypatch.setitem(PERMISSIONS, "staff.read", frozenset({"admin"}))
    response = client.get(url, headers=viewer.headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_a_browser_session_with_the_wrong_role_is_403_not_asked_for_csrf(client, make_user):
    viewer = make_user("viewer")
    assert log_in(client, viewer.name, f"pw-{viewer.name}").status_code == 302
    refused = client.get("/api/users")
    assert refused.status_code == 403 and refused.get_json()["error"]["field"] is None


def test_a_public_route_shows_staff_more_through_the_same_gate(client, make_user):
    """The dashboard is public; whether it offers staff views is the gate's answer for the caller."""
    assert '"staff": false' in client.get("/dashboard").get_data(as_text=True)
    commander = make_user("commander")
    page = client.get("/dashboard", headers=commander.headers).get_data(as_text=True)
    assert '"staff": true' in page and '"mayPlan": true' in page
