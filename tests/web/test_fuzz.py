"""Property-based fuzzing of the API: every JSON write route and every GET /api route's query parameters.

Routes are found by walking ``app.url_map`` (a route added tomorrow is fuzzed
tomorrow, from an empty base body if :data:`BASES` does not know it). Each
example starts from a valid body and replaces a few values, anywhere in it,
by random and boundary values of the right and the wrong types — or sends a
body that is not an object, or not JSON at all. Whatever is sent:

- the answer is never a 5xx;
- the answer is strict JSON (no NaN/Infinity) whenever it says it is JSON,
  and every 4xx is ``{"error": {"code", "message", "field"}}``;
- a 4xx wrote nothing: every table's rows hash the same before and after.

Runs on the suite's store (SQLite, or PostgreSQL when
``RELIEF_TEST_DATABASE_URL`` is set), against one app and one small world
built once for the module; examples are deterministic (``derandomize``) so
CI fails the same way every time. ``RELIEF_FUZZ_EXAMPLES`` raises the
examples per route for a deeper run.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point
from sqlalchemy import select

from relief.services.accounts import forget_cached_tokens
from relief.store.db import Store
from relief.store.tables import Area, Facility
from relief.store.tables.base import Base
from tests import world
from tests.conftest import PG_URL, _truncate_all

EXAMPLES = int(os.environ.get("RELIEF_FUZZ_EXAMPLES") or 30)
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

TOWNSHIP = "422801001"
#: Tables that record that a request happened, not what it asked for (a token's last use).
BOOKKEEPING = {"api_tokens", "user_sessions", "scheduler_leases"}


def recent(hours: float = 1) -> str:
    return (datetime.now(timezone(timedelta(hours=8))) - timedelta(hours=hours)).replace(microsecond=0).isoformat()


# --- what a valid request to each route looks like ---------------------------------------------------------------

#: Path values: a record of the world, usually (user and token 2 are a viewer's: never the fuzzing admin's own).
PATH_VALUES = {"incident_id": 1, "plan_id": 1, "photo_id": 1, "household_id": "H2", "site_id": "S1",
               "variant": "thumb", "user_id": 2, "token_id": 2}


def bases() -> dict[str, list[dict[str, Any]]]:
    """Valid bodies per write endpoint (several where a field switches the shape)."""
    square = [[109.455, 30.275], [109.465, 30.275], [109.465, 30.285], [109.455, 30.285], [109.455, 30.275]]
    return {
        "api_stock.receipt": [{"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 5,
                               "source": "allocation", "reason": "fuzz"}],
        "api_stock.transfer": [{"from_kind": "depot", "from_id": "D1", "to_kind": "site", "to_id": "S1",
                                "item_code": "RICE", "quantity": 1, "reason": "fuzz"}],
        "api_stock.distribution": [{"household_id": "H1", "holder_kind": "site", "holder_id": "S1",
                                    "item_code": "RICE", "quantity": 1, "distributed_at": recent()}],
        "api_stock.adjustment": [{"holder_kind": "depot", "holder_id": "D1", "item_code": "WATER5", "quantity": -1,
                                  "reason": "count"}],
        "api_stock.record_donation": [
            {"donor_name": "Donor", "kind": "in_kind", "item_code": "BLANKET", "quantity": 2,
             "destination_kind": "depot", "destination_id": "D1", "consent_public": True, "received_at": recent()},
            {"donor_name": "Donor", "donor_contact": "138", "kind": "cash", "amount_yuan": 100.5}],
        "api_dispatch.propose_plan": [{"county_code": world.COUNTY, "horizon_days": 3, "profile": "normal"}],
        "api_dispatch.accept_plan": [{"reason": "go"}],
        "api_dispatch.dispatch_plan": [{"reason": "truck 3"}],
        "api_dispatch.deliver_plan": [{"received": [1, None], "reason": "short"}],
        "api_dispatch.cancel_plan": [{"reason": "road closed"}],
        "api_relocation.check_in": [{"site_id": "S2", "reason": "fuzz"}],
        "api_relocation.check_out": [{"to": "dispersed", "dispersed_kind": "relatives", "reason": "fuzz"},
                                     {"to": "home", "reason": "fuzz"}],
        "api_relocation.medical_visit": [{"facility_id": "F1", "note": "ok", "visited_at": recent()}],
        "api_relocation.propose_assignments": [{"county_code": world.COUNTY, "max_km": 10}],
        "api_relocation.accept_assignments": [{"assignments": [{"household_id": "H2", "site_id": "S2"}],
                                               "reason": "fuzz", "token": "0" * 32}],
        "api_relocation.site_status": [{"status": "open", "reason": "fuzz"}],
        "api_incidents.create_incident": [
            {"kind": "landslide", "lat": 30.28, "lon": 109.46, "occurred_at": recent(), "title": "slope",
             "description": "road blocked"},
            {"kind": "rainstorm", "geometry": {"type": "Polygon", "coordinates": [square]}, "evacuate": True,
             "occurred_at": recent(), "township_code": TOWNSHIP, "indicators": {"affected": 12, "dead": 0}}],
        "api_incidents.add_report": [
            {"type": "field", "description": "worse", "lat": 30.28, "lon": 109.46, "observed_at": recent()},
            {"type": "statutory", "kind": "continued", "township_code": TOWNSHIP, "figures_to": recent(),
             "indicators": {"affected": 30, "evacuated": 5, "crops_affected_ha": 1.5}, "note": "n"}],
        "api_incidents.transition": [{"action": "start_verification", "reason": "fuzz"},
                                     {"action": "mark_duplicate", "reason": "fuzz", "duplicate_of": 2}],
        "api_incidents.response_table": [{"response_levels": "STANDARD_RESPONSE_LEVELS", "reason": "fuzz"}],
        "api_admin.put_standards": [{"document": "STANDARD_DOCUMENT", "reason": "fuzz"}],
        "api_admin.create_user": [{"name": "fuzz-user", "role": "viewer", "password": "a-long-password-1",
                                   "display_name": "Fuzz"}],
    }


#: Query parameters per GET endpoint (an unknown endpoint is fuzzed with :data:`COMMON_QUERY`).
QUERIES = {
    "api_layers.areas": ["bbox", "level", "parent", "offset", "limit"],
    "api_layers.incidents": ["bbox", "kind", "status", "since", "until", "offset", "limit"],
    "api_layers.sites": ["bbox", "offset", "limit"],
    "api_layers.depots": ["bbox", "offset", "limit"],
    "api_layers.facilities": ["bbox", "offset", "limit"],
    "api_incidents.export": ["bbox", "kind", "status", "since", "until"],
    "api_incidents.overdue": ["as_of"],
    "api_stock.balances": ["holder_kind", "holder_id"],
    "api_stock.ledger": ["holder_kind", "holder_id", "item_code", "household_id", "before_id", "limit"],
    "api_stock.cover": ["county_code", "site_id"],
    "api_dispatch.list_plans": ["status", "offset", "limit"],
    "api_relocation.displacement": ["reach_km", "county_code"],
    "api_guarantees.list_guarantees": ["summary", "with_summary", "format", "status", "guarantee", "offset", "limit",
                                       "as_of", "profile", "area"],
    "api_guarantees.household_guarantees": ["as_of", "profile"],
    "api_map.household_points": ["bbox", "offset", "limit"],
    "api_map.guarantee_summary": ["level"],
    "api_map.area_shapes": ["level"],
    "api_map.search_areas": ["q", "limit"],
    "api_map.incident_markers": ["bbox", "kind", "status", "since", "until", "offset", "limit"],
    "api_admin.audit_trail": ["entity", "entity_id", "limit"],
    "public_pages.donations_json": ["offset", "limit"],
}
COMMON_QUERY = ["offset", "limit", "bbox", "as_of", "since", "until", "county_code", "level"]


# --- values ---------------------------------------------------------------------------------------------------

BOUNDARY_INTS = [0, -1, 1, 2, 2**31 - 1, 2**31, -2**31 - 1, 2**63 - 1, 2**63, 10**20, -10**20, 10**400]
BOUNDARY_FLOATS = [0.0, -0.0, 0.5, 1.5, -1.5, 1e-320, 1e9, 1e9 + 1, 1e12 + 1, 1e308, -1e308,
                   float("nan"), float("inf"), float("-inf")]
BOUNDARY_TEXT = ["", " ", "\x00", "a\x00b", "x" * 100_000, "é" * 3000, "\U0001F642", "\u202e\u0000",
                 "NaN", "nan", "Infinity", "-Infinity", "1e308", "-1", "0", "1.5", "1_000", "0x1F", "٣", "true",
                 "null", "[]", "{}", "9" * 30, "2026-11-20T09:00:00", "2026-11-20T09:00:00+08:00",
                 "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1899-12-31T23:59:59+00:00",
                 "2100-01-01T00:00:01+00:00", "D1", "S1", "H1", "RICE", world.COUNTY, TOWNSHIP,
                 "'; DROP TABLE incidents; --", "../../etc/passwd", "<script>alert(1)</script>", "%00", "\ud800",
                 "landslide,rainstorm", "met,unmet", "109,30,110,31", "-180,-90,180,90", "1,2,3", "nan,0,1,1"]


def deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


scalars = st.one_of(
    st.none(), st.booleans(),
    st.sampled_from(BOUNDARY_INTS), st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from(BOUNDARY_FLOATS), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(BOUNDARY_TEXT), st.text(max_size=40),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.lists(st.sampled_from(BOUNDARY_FLOATS + [109.46, 30.28]), min_size=2, max_size=3),  # 2-D and 3-D points
    st.dictionaries(st.sampled_from(["type", "coordinates", "affected", "x", ""]), scalars, max_size=3),
    st.sampled_from([deep(20), deep(40), {"type": "Point", "coordinates": [109.46, 30.28, 5.0]},
                     {"type": "Polygon", "coordinates": [[[109, 30], [110, 30], [110, 31]]]}]),
)
RAW_BODIES = ["[" * 100_000, "{" * 50_000, "", "{", "null", "[]", "1", '"text"', '{"a": NaN}', '{"a": Infinity}',
              '{"a": 1e999}', '{"a": "\\ud800"}', '{"a": "\\u0000"}', "\x00", '{"a":1}garbage', "\ufeff{}",
              '{"a": ' + "1" * 5000 + "}"]
query_values = st.one_of(st.sampled_from([str(v) for v in BOUNDARY_INTS + BOUNDARY_FLOATS]),
                         st.sampled_from(BOUNDARY_TEXT), st.text(max_size=30))


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a body a value could be replaced (keys of objects, indexes of lists)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, prefix + (index,))
    return found


def replaced(body: Any, path: tuple, new: Any) -> Any:
    """``body`` with the value at ``path`` replaced; unchanged where an earlier change removed that place."""
    if not path:
        return new
    step = path[0]
    if isinstance(body, dict) and step in body:
        return {**body, step: replaced(body[step], path[1:], new)}
    if isinstance(body, list) and isinstance(step, int) and step < len(body):
        return [*body[:step], replaced(body[step], path[1:], new), *body[step + 1:]]
    return body


@st.composite
def bodies(draw, base: dict[str, Any]) -> str:
    """JSON text (NaN and all, as a careless client would send it) or not JSON at all."""
    shape = draw(st.sampled_from(["mutate", "mutate", "mutate", "mutate", "drop", "extra", "not_object", "raw"]))
    if shape == "raw":
        return draw(st.sampled_from(RAW_BODIES))
    if shape == "not_object":
        body: Any = draw(values)
    else:
        body = dict(base)
        places = paths(base)
        if shape == "drop" and base:
            body.pop(draw(st.sampled_from(sorted(base))), None)
        if shape == "extra":
            body[draw(st.sampled_from(["zzz", "id", "client_id", "photos", "__proto__", "indicators"]))] = draw(values)
        for _ in range(draw(st.integers(min_value=1, max_value=3)) if places else 0):
            body = replaced(body, draw(st.sampled_from(places)), draw(values))
    return json.dumps(body, allow_nan=True)


# --- the world, the app, and what "nothing written" means ------------------------------------------------------

@dataclass
class Fuzzing:
    app: Any
    client: Any
    store: Store
    headers: dict[str, str]
    bases: dict[str, list[dict[str, Any]]]


def _build(url: str, instance: str) -> Fuzzing:
    from relief import create_app
    from relief.cli.app import cli_context
    from relief.services.accounts import create_user

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "SECRET_KEY": "fuzz", "TESTING": True,
                      "REDIS_URL": None})
    store = app.extensions["relief.store"]
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True),
                                   world.household("H2", 4, 109.46, house_damage="severe"),
                                   world.household("H3", 2, 109.47, infants=1)],
                incidents=[world.hazard(109.455, 30.275, 109.465, 30.285), world.hazard(109.4, 30.2, 109.41, 30.21,
                                                                                       status="reported")])
    with store.write() as session:
        session.add(Area(code=TOWNSHIP, name_zh="某镇", name_en="A township", level="township",
                         parent_code=world.COUNTY))
        session.add(Facility(id="F1", name="Clinic", kind="clinic", county_code=world.COUNTY,
                             geom=Point(109.45, 30.28)))
    admin = create_user(cli_context(app), "fuzz-admin", "admin", password="pw-fuzz-admin")
    create_user(cli_context(app), "fuzz-viewer", "viewer", password="pw-fuzz-viewer")
    headers = {"Authorization": f"Bearer {admin.token}"}
    client = app.test_client()
    for item, quantity in (("RICE", 500), ("WATER5", 500), ("BLANKET", 50)):
        for holder_kind, holder_id in (("depot", "D1"), ("site", "S1")):
            answer = client.post("/api/stock/receipts", headers=headers, json={
                "holder_kind": holder_kind, "holder_id": holder_id, "item_code": item, "quantity": quantity,
                "source": "allocation"})
            assert answer.status_code == 201, answer.get_data(as_text=True)
    assert client.post("/api/dispatch/plans", headers=headers, json={}).status_code in (200, 201)
    document = client.get("/api/standards").get_json()["active"]
    table = bases()
    table["api_incidents.response_table"][0]["response_levels"] = document["response_levels"]
    table["api_admin.put_standards"][0]["document"] = document
    return Fuzzing(app, client, store, headers, table)


@pytest.fixture(scope="module")
def fuzzing(migrated_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    if PG_URL:
        _truncate_all(migrated_template)
        url = migrated_template
    else:
        shutil.copy(migrated_template, folder / "relief.db")
        url = f"sqlite:///{folder / 'relief.db'}"
    forget_cached_tokens()
    setup = _build(url, str(folder / "instance"))
    yield setup
    setup.store.dispose()
    if PG_URL:
        _truncate_all(migrated_template)
    forget_cached_tokens()


def fingerprint(store: Store) -> str:
    """A hash of every table's rows: equal before and after means nothing was written."""
    digest = hashlib.sha256()
    with store.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            rows = sorted(repr(tuple(row)) for row in session.execute(select(table)))
            digest.update(f"{table.name}:{len(rows)}:{''.join(rows)}".encode("utf-8", "backslashreplace"))
    return digest.hexdigest()


def _refuse_constant(name: str):
    raise ValueError(f"{name} in a JSON answer")


def check(response, method: str, url: str, sent: Any, before: str, store: Store) -> None:
    where = f"{method} {url[:300]} body={str(sent)[:300]!r}"
    text = response.get_data(as_text=True)
    assert response.status_code < 500, f"{where} → {response.status_code} {text[:500]}"
    is_json = response.mimetype in ("application/json", "application/geo+json")
    if is_json or response.status_code >= 400:
        assert is_json, f"{where} → {response.status_code} {response.mimetype} is not JSON"
        answer = json.loads(text, parse_constant=_refuse_constant)
        if response.status_code >= 400:
            assert set(answer["error"]) >= {"code", "message", "field"}, f"{where} → {text[:300]}"
    if 400 <= response.status_code < 500:
        assert fingerprint(store) == before, f"{where} → {response.status_code} {text[:300]} but wrote rows"


# --- the routes -------------------------------------------------------------------------------------------------

def api_rules(methods: set[str]) -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) for every /api route answering one of ``methods`` (read from an app's URL map)."""
    from relief import create_app

    with tempfile.TemporaryDirectory(prefix="relief-routes-") as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/routes.db", "AUTO_MIGRATE": False,
                          "INSTANCE_PATH": folder, "SECRET_KEY": "routes", "REDIS_URL": None})
        rules = list(app.url_map.iter_rules())
        app.extensions["relief.store"].dispose()
    return sorted((method, rule.rule, rule.endpoint) for rule in rules if rule.rule.startswith("/api/")
                  for method in sorted((rule.methods or set()) & methods))


WRITE_ROUTES = api_rules({"POST", "PUT", "PATCH", "DELETE"})
READ_ROUTES = api_rules({"GET"})

#: Known failures in code this suite does not own, each named narrowly; remove once fixed.
XFAIL: dict[str, str] = {}


def _marks(endpoint: str):
    return [pytest.mark.xfail(reason=XFAIL[endpoint], strict=False)] if endpoint in XFAIL else []


def _url(rule: str, draw) -> str:
    """The rule with its path values: usually the world's records, sometimes hostile ones."""
    def value(match) -> str:
        name = match.group(2)
        usual = PATH_VALUES.get(name, "x")
        if match.group(1) == "int:":
            chosen = draw(st.one_of(st.just(usual), st.just(usual), st.sampled_from([0, 2, 2**31 - 1, 2**31, 10**20])))
        else:
            chosen = draw(st.one_of(st.just(usual), st.just(usual), st.sampled_from(BOUNDARY_TEXT[:12] + ["H1", "S3"])))
        return quote(str(chosen), safe="")

    return re.sub(r"<(int:|[a-z]+:)?([a-z_]+)>", value, rule)


def test_every_api_route_is_fuzzed():
    """The walk finds the write routes the bodies describe (a new route is fuzzed from {} until it gets a base)."""
    endpoints = {endpoint for _, _, endpoint in WRITE_ROUTES}
    assert endpoints >= {"api_stock.receipt", "api_incidents.create_incident", "api_admin.put_standards"}
    assert set(bases()) <= endpoints, "a base body names an endpoint that no longer exists"
    assert {endpoint for _, _, endpoint in READ_ROUTES} >= set(QUERIES), "a query list names a route that is gone"


@pytest.mark.parametrize("method, rule, endpoint",
                         [pytest.param(*route, id=f"{route[0]} {route[1]}", marks=_marks(route[2]))
                          for route in WRITE_ROUTES])
def test_write_route_survives_any_body(fuzzing, method, rule, endpoint):
    @FUZZ
    @given(data=st.data())
    def run(data):
        base = data.draw(st.sampled_from(fuzzing.bases.get(endpoint) or [{}]), label="base")
        base = {**base, "client_id": f"fuzz-{uuid.uuid4()}"}
        body = data.draw(bodies(base), label="body")
        url = _url(rule, data.draw)
        before = fingerprint(fuzzing.store)
        response = fuzzing.client.open(url, method=method, data=body.encode("utf-8", "surrogatepass"),
                                       content_type="application/json", headers=fuzzing.headers)
        check(response, method, url, body, before, fuzzing.store)

    run()


@pytest.mark.parametrize("rule, endpoint",
                         [pytest.param(route[1], route[2], id=route[1], marks=_marks(route[2]))
                          for route in READ_ROUTES])
def test_read_route_survives_any_query(fuzzing, rule, endpoint):
    names = QUERIES.get(endpoint, COMMON_QUERY)

    @FUZZ
    @given(data=st.data())
    def run(data):
        chosen = data.draw(st.dictionaries(st.sampled_from(names + ["zzz"]), query_values, min_size=1, max_size=3),
                           label="query")
        url = _url(rule, data.draw)
        query = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in chosen.items()})
        target = f"{url}?{query}" if query else url
        before = fingerprint(fuzzing.store)
        response = fuzzing.client.get(target, headers=fuzzing.headers)
        check(response, "GET", target, chosen, before, fuzzing.store)

    run()
