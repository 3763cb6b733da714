"""Incident use cases on the store: exactly-once reports, the lifecycle's wiring, events after commit."""
from __future__ import annotations

import dataclasses
import io
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select

from relief.domain.standards import Standards
from relief.errors import Conflict, Forbidden, NotFound, TransitionRefused, ValidationFailed
from relief.services import incidents, statutory
from relief.services.audit import entries
from relief.services.context import Context
from relief.services.photos import Upload
from relief.services.standards import standards_loader
from relief.store import incidents as incident_store
from relief.store.tables import Area, Event, FieldReport, Incident, IncidentTransition

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=CST)


def body(**overrides) -> dict:
    values = {"client_id": str(uuid.uuid4()), "kind": "landslide", "description": "road blocked",
              "lat": 30.28, "lon": 109.48, "occurred_at": (NOW - timedelta(hours=1)).isoformat()}
    values.update(overrides)
    return values


@pytest.fixture
def published() -> list[dict]:
    return []


@pytest.fixture
def as_role(store, tmp_path, make_user, published):
    """``as_role("verifier")`` → a Context on the test store acting as a fresh user, at a fixed clock."""
    def build(role: str) -> Context:
        user = make_user(role)
        return Context(store=store, actor=user.actor, publish=published.extend, clock=lambda: NOW,
                       standards_loader=standards_loader(store, Standards.bundled()),
                       settings={"PHOTO_DIR": str(tmp_path / "photos")})
    return build


def count(store, model, *where) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_then_resend_returns_the_original(store, as_role, published):
    ctx = as_role("field_reporter")
    report = body()
    first = incidents.create_incident(ctx, report)
    again = incidents.create_incident(ctx, {**report, "kind": "hail"})
    assert first.created and not again.created
    assert again.body["id"] == first.body["id"] and again.body["incident"]["properties"]["kind"] == "landslide"
    assert count(store, Incident) == 1 and count(store, FieldReport) == 1
    assert [e["kind"] for e in published] == ["incident.created"]


def test_concurrent_submissions_with_one_client_id_make_one_record(store, as_role):
    ctx = as_role("field_reporter")
    report = body()
    barrier = threading.Barrier(6)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(incidents.create_incident(ctx, report))
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.created for r in results) == 1
    assert {r.body["id"] for r in results} == {results[0].body["id"]}
    assert count(store, Incident, Incident.client_id == report["client_id"]) == 1


def test_an_insert_racing_an_uncommitted_one_returns_the_winners_row(store):
    """The unique constraint decides: a second insert waits for the first transaction, then gets its row."""
    client_id = str(uuid.uuid4())

    def row(title):
        return Incident(client_id=client_id, kind="hail", title=title, status="reported",
                        occurred_at=NOW, geom=Point(109.5, 30.3))

    outcome = {}

    def second():
        with store.write() as session:
            outcome["found"], outcome["created"] = incident_store.insert_or_existing(session, row("loser"))
            outcome["title"] = outcome["found"].title
            session.add(Event(kind="probe", topic="incidents", payload={}, public=True, at=NOW))  # it lives on

    with store.write() as session:
        winner, created = incident_store.insert_or_existing(session, row("winner"))
        assert created and winner.id is not None
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=0.3)
        assert racer.is_alive(), "the second insert must wait for the first transaction"
    racer.join(timeout=30)
    assert outcome["created"] is False and outcome["title"] == "winner"
    assert count(store, Incident) == 1 and count(store, Event, Event.kind == "probe") == 1


def test_an_inserted_row_reads_back_without_a_query(store):
    """The row inserted outside the unit of work joins the session loaded: no column is left to fetch."""
    with store.write() as session:
        made, created = incident_store.insert_or_existing(
            session, Incident(client_id=str(uuid.uuid4()), kind="hail", title="t", occurred_at=NOW,
                              geom=Point(109.5, 30.3)))
        assert created and made in session and not session.dirty
        statements = []

        def seen(_conn, _cursor, statement, *_args):
            statements.append(statement)

        sqlalchemy_event.listen(store.engine, "before_cursor_execute", seen)
        try:
            assert (made.duplicate_of_id, made.response_level, made.closed_at) == (None, None, None)
            assert (made.min_lon, made.max_lat) == (109.5, 30.3)
        finally:
            sqlalchemy_event.remove(store.engine, "before_cursor_execute", seen)
        assert statements == []
    with store.read() as session:
        stored = session.get(Incident, made.id)
        assert (stored.status, stored.evacuate, stored.min_lon) == ("reported", False, 109.5)


def test_county_and_township_come_from_the_areas(store, as_role):
    with store.write() as session:
        session.add_all([
            Area(code="422801", name_zh="恩施市", name_en="Enshi", level="county",
                 geom=MultiPolygon([box(109.2, 30.0, 109.8, 30.6)])),
            Area(code="422801001", name_zh="街道", name_en="T", level="township", parent_code="422801",
                 geom=MultiPolygon([box(109.4, 30.2, 109.6, 30.4)])),
        ])
    made = incidents.create_incident(as_role("field_reporter"), body())
    props = made.body["incident"]["properties"]
    assert (props["county_code"], props["township_code"]) == ("422801", "422801001")
    outside = incidents.create_incident(as_role("field_reporter"), body(lat=31.5, lon=110.9))
    assert outside.body["incident"]["properties"]["county_code"] is None


def test_transition_records_who_when_why_and_publishes_after_commit(store, as_role, published):
    created = incidents.create_incident(as_role("field_reporter"), body())
    verifier = as_role("verifier")
    published.clear()
    answer = incidents.transition(verifier, created.body["id"], "verify", "seen by the township team")
    assert answer["status"] == "verified"
    with store.read() as session:
        (row,) = session.scalars(select(IncidentTransition)).all()
        assert (row.action, row.from_status, row.to_status, row.actor_id, row.at, row.reason) == \
            ("verify", "reported", "verified", verifier.actor.id, NOW, "seen by the township team")
    audit = entries(verifier, entity="incident", entity_id=str(created.body["id"]))
    assert audit[0]["action"] == "incident.transition" and audit[0]["actor_id"] == verifier.actor.id
    assert [e["kind"] for e in published] == ["incident.transitioned"]
    assert published[0]["seq"] > 0 and published[0]["payload"]["properties"]["status"] == "verified"


def test_refusals_raise_typed_errors_and_write_nothing(store, as_role, published):
    iid = incidents.create_incident(as_role("field_reporter"), body()).body["id"]
    published.clear()
    with pytest.raises(Forbidden):
        incidents.transition(as_role("verifier"), iid, "respond", "too early")
    with pytest.raises(TransitionRefused) as refused:
        incidents.transition(as_role("commander"), iid, "respond", "too early")
    assert refused.value.detail["status"] == "reported"
    with pytest.raises(ValidationFailed):
        incidents.transition(as_role("verifier"), iid, "explode", "?")
    with pytest.raises(NotFound):
        incidents.transition(as_role("verifier"), iid + 100, "verify", "?")
    assert published == [] and count(store, IncidentTransition) == 0


def test_failure_after_emit_rolls_back_and_publishes_nothing(store, as_role, published, monkeypatch):
    iid = incidents.create_incident(as_role("field_reporter"), body()).body["id"]
    published.clear()
    monkeypatch.setattr(statutory, "refresh_level", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        incidents.transition(as_role("verifier"), iid, "verify", "ok")
    assert published == [] and count(store, IncidentTransition) == 0
    assert count(store, Event, Event.kind == "incident.transitioned") == 0


def test_mark_duplicate_links_the_original(store, as_role):
    reporter = as_role("field_reporter")
    original = incidents.create_incident(reporter, body()).body
    copy = incidents.create_incident(reporter, body(lat=30.281)).body
    assert [c["id"] for c in copy["possible_duplicates"]] == [original["id"]]
    verifier = as_role("verifier")
    incidents.transition(verifier, copy["id"], "mark_duplicate", "same slope", duplicate_of=original["id"])
    with store.read() as session:
        assert session.get(Incident, copy["id"]).duplicate_of_id == original["id"]
    third = incidents.create_incident(reporter, body(lat=30.282)).body
    with pytest.raises(ValidationFailed) as err:  # a duplicate cannot be someone's original
        incidents.transition(verifier, third["id"], "mark_duplicate", "same", duplicate_of=copy["id"])
    assert err.value.field == "duplicate_of" and str(original["id"]) in err.value.message


def test_field_report_on_closed_incident_is_refused_but_resends_still_answer(store, as_role):
    reporter = as_role("field_reporter")
    iid = incidents.create_incident(reporter, body()).body["id"]
    report = {"client_id": str(uuid.uuid4()), "description": "still sliding", "lat": 30.28, "lon": 109.48}
    first = incidents.add_field_report(reporter, iid, report)
    with store.write() as session:
        session.get(Incident, iid).status = "closed"
    assert not incidents.add_field_report(reporter, iid, report).created
    with pytest.raises(Conflict):
        incidents.add_field_report(reporter, iid, {**report, "client_id": str(uuid.uuid4())})
    assert first.created and first.body["report"]["description"] == "still sliding"


def test_fixed_clock_stamps_the_rows(store, as_role):
    ctx = dataclasses.replace(as_role("field_reporter"), clock=lambda: NOW + timedelta(minutes=5))
    made = incidents.create_incident(ctx, body())
    assert made.body["incident"]["properties"]["reported_at"] == \
        (NOW + timedelta(minutes=5)).astimezone(timezone.utc).isoformat()


def test_photo_work_goes_through_the_contexts_offload(store, as_role, tmp_path):
    """The image checks and file writes are handed to ``ctx.offload`` (gevent's thread pool when serving)."""
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 60)).save(image, "JPEG")
    handed = []

    def offload(work, *args):
        handed.append(work.__name__)
        return work(*args)

    ctx = dataclasses.replace(as_role("field_reporter"), offload=offload)
    made = incidents.create_incident(ctx, body(), [Upload("photos[0]", "slope.jpg", image.getvalue())])
    assert handed == ["_check_and_write"]
    assert len(made.body["field_report"]["photos"]) == 1 and any((tmp_path / "photos").rglob("*.thumb.jpg"))
