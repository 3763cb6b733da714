"""The incident API end to end: reports, idempotency, lifecycle wiring, figures, levels, photos, CAP, export."""
from __future__ import annotations

import base64
import io
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from shapely.geometry import MultiPolygon, box, mapping
from sqlalchemy import func, select, update

from relief import live
from relief.domain.cap import validate_cap
from relief.domain.incidents import TRANSITIONS
from relief.domain.photos import GPS_IFD
from relief.domain.vocabulary import INCIDENT_STATUSES
from relief.services.audit import entries
from relief.store.tables import Area, Event, FieldReport, Incident, IncidentTransition, Photo

CST = timezone(timedelta(hours=8))
LAT, LON = 30.28, 109.48  # Enshi city
EXIF_LAT, EXIF_LON = 30 + 16 / 60 + 48.48 / 3600, 109 + 28 / 60 + 48 / 3600


def when(hours_ago: float = 1) -> str:
    return (datetime.now(CST) - timedelta(hours=hours_ago)).replace(microsecond=0).isoformat()


def report_body(**overrides) -> dict:
    body = {"client_id": str(uuid.uuid4()), "kind": "landslide", "description": "slope collapsed onto the road",
            "lat": LAT, "lon": LON, "occurred_at": when()}
    body.update(overrides)
    return body


def jpeg(size=(80, 60), gps=False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (120, 90, 40))
    if gps:
        exif = Image.Exif()
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (IFDRational(30), IFDRational(16), IFDRational(4848, 100)),
                                      3: "E", 4: (IFDRational(109), IFDRational(28), IFDRational(48))})
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def published(monkeypatch):
    """Every event handed to live.publish (which runs only after commit)."""
    seen: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda events: seen.extend(events))
    return seen


@pytest.fixture
def users(make_user):
    return {role: make_user(role) for role in ("admin", "commander", "verifier", "field_reporter", "viewer")}


@pytest.fixture
def areas(store):
    """County 422801 and its township 422801001 around Enshi city; county 422802 to the west."""
    with store.write() as session:
        session.add_all([
            Area(code="422801", name_zh="恩施市", name_en="Enshi", level="county", parent_code=None,
                 geom=MultiPolygon([box(109.2, 30.0, 109.8, 30.6)])),
            Area(code="422801001", name_zh="舞阳坝街道", name_en="Wuyangba", level="township", parent_code="422801",
                 geom=MultiPolygon([box(109.4, 30.2, 109.6, 30.4)])),
            Area(code="422802", name_zh="利川市", name_en="Lichuan", level="county", parent_code=None,
                 geom=MultiPolygon([box(108.5, 30.0, 109.2, 30.6)])),
            Area(code="422802001", name_zh="都亭街道", name_en="Duting", level="township", parent_code="422802",
                 geom=MultiPolygon([box(108.8, 30.2, 109.0, 30.4)])),
        ])


def new_incident(client, user, **overrides) -> dict:
    response = client.post("/api/incidents", json=report_body(**overrides), headers=user.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def set_status(store, incident_id: int, status: str) -> None:
    with store.write() as session:
        session.execute(update(Incident).where(Incident.id == incident_id).values(status=status))


def count(store, model, *where) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


# --- reporting and idempotency -------------------------------------------------------

def test_report_creates_incident_with_first_field_report_and_event(client, store, users, areas, published):
    body = new_incident(client, users["field_reporter"])
    incident = body["incident"]
    assert body["created"] is True and incident["type"] == "Feature"
    assert incident["geometry"] == {"type": "Point", "coordinates": [LON, LAT]}
    assert incident["properties"]["status"] == "reported"
    assert (incident["properties"]["county_code"], incident["properties"]["township_code"]) == ("422801", "422801001")
    assert body["field_report"]["client_id"] == body["client_id"]
    assert [e["kind"] for e in published] == ["incident.created"]
    event = published[0]
    assert event["topic"] == "incidents" and event["area_code"] == "422801" and event["seq"] > 0
    assert event["payload"]["id"] == body["id"] and event["payload"]["type"] == "Feature"


def test_same_client_id_twice_returns_the_original(client, store, users, published):
    body = report_body()
    first = client.post("/api/incidents", json=body, headers=users["field_reporter"].headers)
    again = client.post("/api/incidents", json={**body, "description": "changed on resend"},
                        headers=users["field_reporter"].headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["created"] is False
    assert again.get_json()["field_report"]["description"] == "slope collapsed onto the road"
    assert count(store, Incident, Incident.client_id == body["client_id"]) == 1
    assert count(store, FieldReport, FieldReport.client_id == body["client_id"]) == 1
    assert len(published) == 1  # the resend announced nothing


def test_two_racing_submissions_make_one_incident(app, store, users):
    body = report_body()
    barrier = threading.Barrier(4)
    answers: list = []

    def submit():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/incidents", json=body, headers=users["field_reporter"].headers)
        answers.append((response.status_code, response.get_json()["id"]))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in answers) == [200, 200, 200, 201]
    assert len({ident for _, ident in answers}) == 1
    assert count(store, Incident, Incident.client_id == body["client_id"]) == 1


def test_field_and_statutory_reports_are_idempotent_too(client, store, users, areas):
    incident = new_incident(client, users["field_reporter"])
    url = f"/api/incidents/{incident['id']}/reports"
    field = {"type": "field", "client_id": str(uuid.uuid4()), "description": "cracks widening", "lat": LAT, "lon": LON}
    statutory = {"type": "statutory", "client_id": str(uuid.uuid4()), "kind": "initial", "township_code": "422801001",
                 "indicators": {"affected": 30, "dead": 1}}
    for body in (field, statutory):
        first = client.post(url, json=body, headers=users["field_reporter"].headers)
        again = client.post(url, json=body, headers=users["field_reporter"].headers)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.get_json()["id"] == again.get_json()["id"]
    other = new_incident(client, users["field_reporter"], lat=LAT + 0.2)
    moved = client.post(f"/api/incidents/{other['id']}/reports", json=field, headers=users["field_reporter"].headers)
    assert moved.status_code == 409 and moved.get_json()["error"]["field"] == "client_id"


def test_report_type_is_required_and_bad_fields_are_named(client, users):
    incident = new_incident(client, users["field_reporter"])
    headers = users["field_reporter"].headers
    cases = [
        ("/api/incidents", report_body(kind="volcano"), "kind"),
        ("/api/incidents", report_body(client_id="x"), "client_id"),
        ("/api/incidents", report_body(occurred_at="2026-01-01T08:00:00"), "occurred_at"),
        ("/api/incidents", report_body(lat=None, lon=None), "geometry"),
        ("/api/incidents", report_body(lat=95), "lat"),
        ("/api/incidents", report_body(evacuate=True), "evacuate"),
        ("/api/incidents", report_body(indicators={"dead": -1}, township_code="T1"), "indicators.dead"),
        ("/api/incidents", report_body(indicators={"affected": 3, "dead": 1}), "township_code"),
        (f"/api/incidents/{incident['id']}/reports", {"client_id": str(uuid.uuid4())}, "type"),
        (f"/api/incidents/{incident['id']}/reports",
         {"type": "statutory", "client_id": str(uuid.uuid4()), "kind": "final", "township_code": "T",
          "indicators": {}}, "kind"),
    ]
    for url, body, field in cases:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 400, (field, response.get_json())
        assert response.get_json()["error"]["field"] == field


def test_polygon_with_evacuate_flag(client, users, areas):
    ring = [[109.45, 30.25], [109.5, 30.25], [109.5, 30.3], [109.45, 30.3], [109.45, 30.25]]
    body = new_incident(client, users["field_reporter"], geometry={"type": "Polygon", "coordinates": [ring]},
                        evacuate=True, lat=None, lon=None, kind="debris_flow")
    props = body["incident"]["properties"]
    assert body["incident"]["geometry"]["type"] == "Polygon" and props["evacuate"] is True
    assert props["county_code"] == "422801"


def test_possible_duplicates_are_flagged_for_the_verifier(client, users):
    first = new_incident(client, users["field_reporter"])
    near = new_incident(client, users["field_reporter"], lat=LAT + 0.002)  # ~220 m north
    other_kind = new_incident(client, users["field_reporter"], lat=LAT + 0.002, kind="hail")
    far = new_incident(client, users["field_reporter"], lat=LAT + 0.05)
    assert [c["id"] for c in near["possible_duplicates"]] == [first["id"]]
    assert 150 < near["possible_duplicates"][0]["distance_m"] < 300
    assert other_kind["possible_duplicates"] == [] and far["possible_duplicates"] == []
    detail = client.get(f"/api/incidents/{near['id']}", headers=users["verifier"].headers).get_json()
    assert detail["possible_duplicates"][0]["title"] == first["incident"]["properties"]["title"]


# --- lifecycle wiring -------------------------------------------------------------------

def transition(client, user, incident_id, action, reason="checked on site", **extra):
    return client.post(f"/api/incidents/{incident_id}/transitions",
                       json={"action": action, "reason": reason, **extra}, headers=user.headers)


@pytest.mark.parametrize("row,source", [(row, source) for row in TRANSITIONS for source in sorted(row.sources)],
                         ids=lambda v: v.action if hasattr(v, "action") else v)
def test_every_allowed_transition_records_history_audit_and_event(client, ctx, store, users, published, row, source):
    incident = new_incident(client, users["field_reporter"])
    original = new_incident(client, users["field_reporter"], lat=LAT + 0.3)
    set_status(store, incident["id"], source)
    published.clear()
    role = sorted(row.roles - {"admin"})[0]
    extra = {"duplicate_of": original["id"]} if row.action == "mark_duplicate" else {}
    response = transition(client, users[role], incident["id"], row.action, **extra)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == row.target
    with store.read() as session:
        history = session.scalars(select(IncidentTransition)
                                  .where(IncidentTransition.incident_id == incident["id"])).all()
        saved = session.get(Incident, incident["id"])
        assert [(h.action, h.from_status, h.to_status, h.actor_id, h.reason) for h in history] == \
            [(row.action, source, row.target, users[role].id, "checked on site")]
        assert saved.status == row.target
        if row.action == "mark_duplicate":
            assert saved.duplicate_of_id == original["id"]
        if row.target == "stabilised":
            assert saved.stabilised_at is not None
    audit = [e for e in entries(ctx, entity="incident", entity_id=str(incident["id"]))
             if e["action"] == "incident.transition"]
    assert len(audit) == 1 and audit[0]["actor_id"] == users[role].id and audit[0]["reason"] == "checked on site"
    assert [e["kind"] for e in published] == ["incident.transitioned"]
    assert published[0]["payload"]["changed"]["status"] == {"from": source, "to": row.target}
    detail = client.get(f"/api/incidents/{incident['id']}", headers=users[role].headers).get_json()
    assert detail["transitions"][0]["actor"] == users[role].name


@pytest.mark.parametrize("row", TRANSITIONS, ids=lambda r: r.action)
def test_every_refused_transition_is_409_and_changes_nothing(client, store, users, published, row):
    incident = new_incident(client, users["field_reporter"])
    original = new_incident(client, users["field_reporter"], lat=LAT + 0.3)
    role = sorted(row.roles - {"admin"})[0]
    extra = {"duplicate_of": original["id"]} if row.action == "mark_duplicate" else {}
    for status in sorted(set(INCIDENT_STATUSES) - row.sources):
        set_status(store, incident["id"], status)
        published.clear()
        response = transition(client, users[role], incident["id"], row.action, **extra)
        assert response.status_code == 409, (status, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "transition_refused" and status in error["message"]
        assert published == []
    assert count(store, IncidentTransition, IncidentTransition.incident_id == incident["id"]) == 0


@pytest.mark.parametrize("row", TRANSITIONS, ids=lambda r: r.action)
def test_wrong_role_is_403(client, store, users, row):
    incident = new_incident(client, users["field_reporter"])
    set_status(store, incident["id"], sorted(row.sources)[0])
    for role in ("commander", "verifier", "field_reporter", "viewer"):
        if role in row.roles:
            continue
        response = transition(client, users[role], incident["id"], row.action, duplicate_of=incident["id"] + 99)
        assert response.status_code == 403, (role, response.get_json())
        assert response.get_json()["error"]["code"] == "forbidden"


def test_transition_needs_a_reason_and_a_real_original(client, users):
    incident = new_incident(client, users["field_reporter"])
    assert transition(client, users["verifier"], incident["id"], "verify",
                      reason="").get_json()["error"]["field"] == "reason"
    missing = transition(client, users["verifier"], incident["id"], "mark_duplicate", duplicate_of=99999)
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "duplicate_of"
    assert transition(client, users["verifier"], 99999, "verify").status_code == 404


def test_rolled_back_transition_emits_nothing(client, store, users, published, monkeypatch, app):
    from relief.services import statutory

    incident = new_incident(client, users["field_reporter"])
    published.clear()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(statutory, "refresh_level", broken)
    response = transition(client, users["verifier"], incident["id"], "verify")
    assert response.status_code == 500
    assert published == []
    with store.read() as session:
        assert session.get(Incident, incident["id"]).status == "reported"
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "incident.transitioned")) == 0
    assert count(store, IncidentTransition) == 0


def test_event_is_published_after_commit(client, store, users, monkeypatch):
    incident = new_incident(client, users["field_reporter"])
    seen_committed = []

    def check(events):
        with store.read() as session:  # another connection sees the change: it was committed first
            seen_committed.append(session.get(Incident, incident["id"]).status)

    monkeypatch.setattr(live, "publish", check)
    assert transition(client, users["verifier"], incident["id"], "verify").status_code == 201
    assert seen_committed == ["verified"]


def test_allowed_actions_follow_the_caller(client, users):
    incident = new_incident(client, users["field_reporter"])
    url = f"/api/incidents/{incident['id']}"
    assert client.get(url, headers=users["verifier"].headers).get_json()["allowed_actions"] == \
        ["start_verification", "verify", "reject", "mark_duplicate"]
    assert client.get(url, headers=users["commander"].headers).get_json()["allowed_actions"] == []
    assert client.get(url).get_json()["allowed_actions"] == []


# --- statutory figures and response level --------------------------------------------------

def statutory(client, user, incident_id, kind, township, figures_to, **indicators):
    body = {"type": "statutory", "client_id": str(uuid.uuid4()), "kind": kind, "township_code": township,
            "figures_to": figures_to, "indicators": indicators}
    response = client.post(f"/api/incidents/{incident_id}/reports", json=body, headers=user.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_figures_aggregate_latest_report_per_township_across_counties(client, users, areas):
    user = users["field_reporter"]
    across = mapping(box(108.95, 30.25, 109.55, 30.35))  # an area over the county line: both townships report
    incident = new_incident(client, user, occurred_at=when(30), geometry=across)
    iid = incident["id"]
    statutory(client, user, iid, "initial", "422801001", when(28), affected=100, dead=2)
    statutory(client, user, iid, "initial", "422802001", when(28), affected=50, dead=1)
    statutory(client, user, iid, "continued", "422801001", when(20), affected=150, dead=3)
    figures = client.get(f"/api/incidents/{iid}").get_json()["figures"]
    assert (figures["total"]["affected"], figures["total"]["dead"]) == (200, 4)
    # a verified report supersedes the later continued one, whatever its date
    statutory(client, user, iid, "verified", "422801001", when(24), affected=140, dead=3)
    figures = client.get(f"/api/incidents/{iid}").get_json()["figures"]
    assert (figures["total"]["affected"], figures["total"]["dead"]) == (190, 4)
    by_county = {row["county_code"]: row for row in figures["by_county"]}
    assert (by_county["422801"]["affected"], by_county["422802"]["affected"]) == (140, 50)
    assert by_county["422801"]["county_name"] == "恩施市"
    by_township = {row["township_code"]: (row["kind"], row["township_name"]) for row in figures["by_township"]}
    assert by_township == {"422801001": ("verified", "舞阳坝街道"), "422802001": ("initial", "都亭街道")}
    refused = client.post(f"/api/incidents/{iid}/reports", headers=user.headers, json={
        "type": "statutory", "client_id": str(uuid.uuid4()), "kind": "continued", "township_code": "422801001",
        "indicators": {"affected": 1}})
    assert refused.status_code == 409 and refused.get_json()["error"]["field"] == "kind"
    summary = client.get("/api/reports/summary").get_json()
    assert summary["total"]["affected"] == 190


def test_level_rises_when_continued_reports_cross_a_threshold(client, users, published, areas):
    user = users["field_reporter"]
    iid = new_incident(client, user, occurred_at=when(30))["id"]
    published.clear()
    answer = statutory(client, user, iid, "initial", "422801001", when(28), affected=500, dead=10, missing=9)
    assert answer["response_level"] is None  # 19 dead + missing: just under level IV (20)
    answer = statutory(client, user, iid, "continued", "422801001", when(20), affected=500, dead=10, missing=10)
    assert answer["response_level"] == "IV"  # exactly at the threshold
    assert (answer["response_reason"][0]["indicator"] == "dead_missing"
            and answer["response_reason"][0]["threshold"] == 20)
    changes = [e for e in published if e["kind"] == "incident.level_changed"]
    assert len(changes) == 1 and changes[0]["payload"]["changed"]["response_level"] == {"from": None, "to": "IV"}
    statutory(client, user, iid, "continued", "422801001", when(10), affected=500, dead=30, missing=21)
    detail = client.get(f"/api/incidents/{iid}").get_json()
    assert detail["response_level"] == "III" and detail["incident"]["properties"]["response_level"] == "III"
    levels = [e["payload"]["changed"]["response_level"]["to"] for e in published
              if e["kind"] == "incident.level_changed"]
    assert levels == ["IV", "III"]


def test_custom_response_table_changes_the_level(client, users, published, ctx, areas):
    user = users["field_reporter"]
    iid = new_incident(client, user)["id"]
    statutory(client, user, iid, "initial", "422801001", when(0.5), affected=40, dead=3)
    table = {"name": "Enshi prefecture plan", "levels": [
        {"level": "I", "thresholds": {"dead_missing": 10}},
        {"level": "II", "thresholds": {"dead_missing": 5}},
        {"level": "III", "thresholds": {"dead_missing": 4}},
        {"level": "IV", "thresholds": {"dead_missing": 3}},
    ]}
    assert client.put("/api/response-table", json=table, headers=users["commander"].headers).status_code == 403
    bad = client.put("/api/response-table", json={"levels": [{"level": "I", "thresholds": {"dead_missing": -1}}]},
                     headers=users["admin"].headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "levels[0].thresholds.dead_missing"
    published.clear()
    response = client.put("/api/response-table", json={**table, "reason": "prefecture plan 2026"},
                          headers=users["admin"].headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["level_changes"] == [{"incident_id": iid, "from": None, "to": "IV"}]
    assert client.get(f"/api/incidents/{iid}").get_json()["response_level"] == "IV"
    assert [e["kind"] for e in published] == ["incident.level_changed"]
    assert ctx.standards.response_levels["name"] == "Enshi prefecture plan"
    statutory(client, user, iid, "continued", "422801001", when(0.2), affected=40, dead=4)  # just over IV, at III
    assert client.get(f"/api/incidents/{iid}").get_json()["response_level"] == "III"


# --- overdue --------------------------------------------------------------------------------------

def test_overdue_list_by_county_with_as_of(client, users, areas):
    user = users["field_reporter"]
    occurred = datetime(2026, 7, 1, 7, 30, tzinfo=CST)
    iid = new_incident(client, user, occurred_at=occurred.isoformat())["id"]

    def listed(as_of: datetime):
        response = client.get("/api/reports/overdue", query_string={"as_of": as_of.isoformat()})
        assert response.status_code == 200
        return response.get_json()

    assert listed(occurred + timedelta(hours=2))["items"] == []  # due at 09:30, still on time
    late = listed(occurred + timedelta(hours=2, minutes=1))
    assert [(i["incident_id"], i["report_kind"], i["overdue_seconds"]) for i in late["items"]] == [(iid, "initial", 60)]
    assert late["by_county"][0]["county_code"] == "422801" and late["by_county"][0]["initial"] == 1
    assert late["by_county"][0]["county_name"] == "恩施市"
    # owed by the township the incident lies in, named
    assert (late["items"][0]["township_code"], late["items"][0]["township_name"]) == ("422801001", "舞阳坝街道")
    assert client.get("/api/reports/overdue?as_of=tomorrow").status_code == 400
    page = client.get("/reports/overdue", query_string={"as_of": (occurred + timedelta(hours=3)).isoformat()})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'data-incident="{iid}"' in html
    assert 'data-township="422801001"' in html and "舞阳坝街道" in html


# --- photos ----------------------------------------------------------------------------------------

def multipart(body: dict, *files) -> dict:
    import json

    data = {"report": json.dumps(body)}
    data["photos"] = [(io.BytesIO(content), name) for name, content in files]
    return data


def test_renamed_text_file_is_refused_naming_the_field(client, store, users):
    body = report_body()
    response = client.post("/api/incidents",
                           data=multipart(body, ("ok.jpg", jpeg()), ("slope.jpg", b"just some text\n" * 20)),
                           headers=users["field_reporter"].headers, content_type="multipart/form-data")
    assert response.status_code == 415
    error = response.get_json()["error"]
    assert error["code"] == "unsupported_media" and error["field"] == "photos[1]" and "slope.jpg" in error["message"]
    assert count(store, Incident, Incident.client_id == body["client_id"]) == 0


def test_photo_public_copy_has_no_gps_and_the_record_keeps_it(client, store, users):
    body = report_body()
    response = client.post("/api/incidents", data=multipart(body, ("slope.jpg", jpeg(gps=True))),
                           headers=users["field_reporter"].headers, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()["field_report"]["photos"][0]
    assert photo["lat"] == pytest.approx(EXIF_LAT) and photo["lon"] == pytest.approx(EXIF_LON)
    with store.read() as session:
        row = session.get(Photo, photo["id"])
        assert (row.lat, row.lon) == (pytest.approx(EXIF_LAT), pytest.approx(EXIF_LON))
    public = client.get(photo["public_url"])
    assert public.status_code == 200 and public.mimetype == "image/jpeg"
    assert not Image.open(io.BytesIO(public.data)).getexif().get_ifd(GPS_IFD)
    thumb = Image.open(io.BytesIO(client.get(photo["thumb_url"]).data))
    assert thumb.format == "JPEG" and max(thumb.size) <= 320 and not thumb.getexif().get_ifd(GPS_IFD)
    assert client.get(f"/api/photos/{photo['id']}/original").status_code == 401
    original = client.get(f"/api/photos/{photo['id']}/original", headers=users["viewer"].headers)
    assert original.status_code == 200 and Image.open(io.BytesIO(original.data)).getexif().get_ifd(GPS_IFD)
    anonymous = client.get(f"/api/incidents/{response.get_json()['id']}").get_json()
    assert "lat" not in anonymous["photos"][0] and "original_url" not in anonymous["photos"][0]


def test_base64_photo_in_json_takes_the_report_position_without_exif(client, users):
    encoded = "data:image/jpeg;base64," + base64.b64encode(jpeg()).decode()
    response = client.post("/api/incidents", json=report_body(photos=[encoded]),
                           headers=users["field_reporter"].headers)
    assert response.status_code == 201
    photo = response.get_json()["field_report"]["photos"][0]
    assert (photo["lat"], photo["lon"]) == (LAT, LON)
    bad = client.post("/api/incidents", json=report_body(photos=["%%%not base64"]),
                      headers=users["field_reporter"].headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "photos[0]"


def test_photo_over_the_size_limit_is_413(client, ctx, users):
    from relief.services import standards

    document = dict(ctx.standards.document)
    document["photos"] = {**document["photos"], "max_bytes": 1000}
    document["version"] = "test-small-photos"
    standards.publish(ctx, document)
    big = jpeg(size=(400, 400))
    response = client.post("/api/incidents", data=multipart(report_body(), ("big.jpg", big)),
                           headers=users["field_reporter"].headers, content_type="multipart/form-data")
    assert response.status_code == 413 and response.get_json()["error"]["field"] == "photos[0]"


# --- CAP and export ------------------------------------------------------------------------------------

def test_cap_for_verified_incident_only(client, users, areas):
    ring = [[109.45, 30.25], [109.5, 30.25], [109.5, 30.3], [109.45, 30.3], [109.45, 30.25]]
    iid = new_incident(client, users["field_reporter"], geometry={"type": "Polygon", "coordinates": [ring]},
                       lat=None, lon=None)["id"]
    refused = client.get(f"/api/incidents/{iid}/cap")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "conflict"
    assert "verified" in refused.get_json()["error"]["message"]
    assert transition(client, users["verifier"], iid, "verify").status_code == 201
    response = client.get(f"/api/incidents/{iid}/cap")
    assert response.status_code == 200 and response.mimetype == "application/cap+xml"
    xml = response.get_data(as_text=True)
    assert validate_cap(xml) == []
    assert "urn:oasis:names:tc:emergency:cap:1.2" in xml and "<polygon>" in xml and "恩施市" in xml and "Z<" not in xml
    rejected = new_incident(client, users["field_reporter"], lat=LAT + 0.1)["id"]
    assert transition(client, users["verifier"], rejected, "reject").status_code == 201
    assert client.get(f"/api/incidents/{rejected}/cap").status_code == 409


def test_geojson_export_is_a_download(client, users):
    new_incident(client, users["field_reporter"])
    new_incident(client, users["field_reporter"], lat=LAT + 0.1, kind="hail")
    response = client.get("/api/incidents.geojson?kind=hail")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert "attachment" in response.headers["Content-Disposition"]
    collection = response.get_json(force=True)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 1
    assert "client_id" not in collection["features"][0]["properties"]


def test_writes_need_credentials_and_permission(client, users):
    assert client.post("/api/incidents", json=report_body()).status_code == 401
    assert client.post("/api/incidents", json=report_body(), headers=users["viewer"].headers).status_code == 403
    incident = new_incident(client, users["field_reporter"])
    response = client.post(f"/api/incidents/{incident['id']}/reports", headers=users["viewer"].headers,
                           json={"type": "field", "client_id": str(uuid.uuid4())})
    assert response.status_code == 403
