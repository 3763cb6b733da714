"""GET /api/guarantees (rows for staff, counts for all), /api/households/<id>/guarantees and /dashboard."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from relief.services import guarantee_json, guarantees, importer
from relief.store import bulk
from relief.store.tables import Area
from tests.register_samples import AS_OF, write_register

TOWNSHIP = "422801001"
NEAR_VILLAGE, FAR_VILLAGE = "422801001001", "422801001002"


@pytest.fixture
def loaded(ctx, tmp_path):
    """The sample register inside two villages of one township, verdicts kept as of AS_OF."""
    county = MultiPolygon([box(109.3, 30.1, 109.9, 30.4)])
    near, far = MultiPolygon([box(109.45, 30.25, 109.5, 30.3)]), MultiPolygon([box(109.7, 30.25, 109.9, 30.3)])
    rows = [dict(code="422801", name_zh="恩施市", name_en="Enshi", level="county", parent_code=None, geom=county),
            dict(code=TOWNSHIP, name_zh="镇", name_en="Town", level="township", parent_code="422801", geom=county),
            dict(code=NEAR_VILLAGE, name_zh="近村", name_en="Near", level="village", parent_code=TOWNSHIP, geom=near),
            dict(code=FAR_VILLAGE, name_zh="远村", name_en="Far", level="village", parent_code=TOWNSHIP, geom=far)]
    with ctx.transaction() as unit:
        bulk.insert_frame(unit.session, Area, pd.DataFrame(rows))
    importer.import_register(ctx, write_register(tmp_path / "reg"))
    guarantees.recompute_all(ctx, as_of=AS_OF)
    return ctx


def test_household_rows_need_staff_credentials(client, loaded, make_user):
    assert client.get("/api/guarantees").status_code == 401
    assert client.get("/api/households/H_FAR/guarantees").status_code == 401
    stranger = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/guarantees", headers=stranger).status_code == 401
    body = client.get("/api/guarantees").get_json()
    assert body["error"]["code"] == "not_authenticated"


def test_forbidden_for_a_role_without_staff_read(client, loaded, make_user, monkeypatch):
    from relief.domain import roles

    viewer = make_user("viewer")
    monkeypatch.setitem(roles.PERMISSIONS, "staff.read", frozenset({"admin"}))
    response = client.get("/api/guarantees", headers=viewer.headers)
    assert response.status_code == 403
    assert client.get("/api/households/H_FAR/guarantees", headers=viewer.headers).status_code == 403


def test_rows_filter_by_area_and_status(client, loaded, make_user):
    staff = make_user("viewer")
    body = client.get("/api/guarantees", headers=staff.headers).get_json()
    assert body["source"] == "stored" and body["total"] == 9
    row = next(r for r in body["households"] if r["household_id"] == "H_LAPSED")
    assert set(row) == {"household_id", "village_code", "food", "clothing", "water", "housing", "medical",
                        "reasons", "reason_codes", "shortfalls"}
    assert row["food"] == "unmet" and row["reason_codes"]["food"] == "food_lapsed" and row["shortfalls"]["food"] > 0
    assert "head_name" not in str(body) and "张三" not in str(body)

    def ids(query):
        return sorted(r["household_id"] for r in client.get("/api/guarantees" + query,
                                                             headers=staff.headers).get_json()["households"])

    assert ids(f"?area={FAR_VILLAGE}") == ["H_FAR"]
    assert len(ids(f"?area={TOWNSHIP}")) == 9 and len(ids("?area=422801")) == 9
    assert len(ids("?area=42280100100")) == 9  # a code prefix of both villages
    assert ids("?status=at_risk&guarantee=food") == ["H_SHORT"]
    assert ids(f"?status=unmet&guarantee=medical&area={FAR_VILLAGE}") == ["H_FAR"]
    assert ids("?area=999") == []
    paged = client.get("/api/guarantees?limit=2&offset=2", headers=staff.headers).get_json()
    assert paged["total"] == 9 and len(paged["households"]) == 2 and paged["offset"] == 2
    bad = client.get("/api/guarantees?status=bad", headers=staff.headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "status"


def test_summary_counts_by_village_are_public(client, loaded):
    body = client.get("/api/guarantees?summary=village").get_json()
    areas = body["summary"]["areas"]
    assert set(areas) == {NEAR_VILLAGE, FAR_VILLAGE}
    assert areas[FAR_VILLAGE]["households"] == 1 and areas[NEAR_VILLAGE]["households"] == 8
    assert areas[FAR_VILLAGE]["guarantees"]["medical"] == {"met": 0, "at_risk": 0, "unmet": 1, "not_applicable": 0}
    assert areas[NEAR_VILLAGE]["name"] == {"zh": "近村", "en": "Near"}
    assert body["summary"]["total"]["households"] == 9
    assert "households" not in body and "H_FAR" not in str(body)
    township = client.get("/api/guarantees?summary=township").get_json()["summary"]
    assert township["areas"][TOWNSHIP]["households"] == 9
    county = client.get(f"/api/guarantees?summary=county&area={FAR_VILLAGE}").get_json()["summary"]
    assert county["areas"]["422801"]["households"] == 1
    assert client.get("/api/guarantees?summary=street").status_code == 400


def test_rows_with_the_summary_asked_for_and_a_fresh_judgement(client, loaded, make_user):
    staff = make_user("viewer")
    body = client.get("/api/guarantees?as_of=2026-11-20T10:00:00%2B08:00&profile=cold&with_summary=village",
                      headers=staff.headers).get_json()
    assert body["source"] == "computed" and body["profile"] == "cold"
    cold = next(r for r in body["households"] if r["household_id"] == "H_COLD")
    assert cold["housing"] == "at_risk"
    assert body["summary"]["by"] == "village" and body["summary"]["areas"][FAR_VILLAGE]["households"] == 1
    later = client.get("/api/guarantees?as_of=2026-11-25T10:00:00%2B08:00&status=unmet&guarantee=food",
                       headers=staff.headers).get_json()
    assert "H_NEW" not in [r["household_id"] for r in later["households"]]  # 11 kg last 9 days
    naive = client.get("/api/guarantees?as_of=2026-11-20T10:00:00", headers=staff.headers)
    assert naive.status_code == 400 and naive.get_json()["error"]["field"] == "as_of"
    assert client.get("/api/guarantees?profile=arctic", headers=staff.headers).status_code == 400


def test_rows_come_without_the_summary_unless_asked_for(client, loaded, make_user):
    staff = make_user("viewer")
    plain = client.get("/api/guarantees?limit=2", headers=staff.headers)
    assert "summary" not in plain.get_json() and len(plain.get_json()["households"]) == 2
    summed = client.get("/api/guarantees?limit=2&with_summary=township", headers=staff.headers)
    assert summed.get_json()["summary"]["by"] == "township"
    assert summed.get_json()["summary"]["areas"][TOWNSHIP]["households"] == 9  # every household, not the page
    assert len(plain.data) < min(4_000, len(summed.data))  # two rows: ~2 KB (with the summary, 379 KB on the demo)
    bad = client.get("/api/guarantees?with_summary=street", headers=staff.headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "with_summary"


def test_csv_has_the_command_lines_columns(client, loaded, make_user):
    staff = make_user("viewer")
    response = client.get("/api/guarantees?format=csv&status=unmet", headers=staff.headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(guarantee_json.FLAT_COLUMNS)
    assert all("unmet" in [r[g] for g in guarantees.GUARANTEES] for r in rows)


def test_one_household(client, loaded, make_user):
    staff = make_user("viewer")
    body = client.get("/api/households/H_SHORT/guarantees?as_of=2026-11-20T10:00:00%2B08:00",
                      headers=staff.headers).get_json()
    assert body["food"] == "at_risk" and body["food_covered_until"].startswith("2026-11-20T10:00")
    assert body["as_of"] == AS_OF.isoformat()
    missing = client.get("/api/households/NOPE/guarantees", headers=staff.headers)
    assert missing.status_code == 404


def test_dashboard_page_renders_for_everyone(client, loaded, make_user):
    page = client.get("/dashboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "dashboard.js" in text and 'name="csrf-token"' in text and '"staff": false' in text
    assert "H_LAPSED" not in text
