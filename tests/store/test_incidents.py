"""The incident store: the conflict-free insert, and the indexed search behind the duplicate check."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shapely.geometry import Point, box
from sqlalchemy import text

from relief.domain.vocabulary import TERMINAL_STATUSES
from relief.store import incidents as incident_store
from relief.store.tables import Incident

NOW = datetime(2026, 7, 1, 4, 0, tzinfo=timezone.utc)
HERE = Point(109.48, 30.28)
#: 0.005° of latitude is ~555 m here.
NEAR, FAR = Point(109.48, 30.285), Point(109.48, 30.32)


def add(session, geom, *, kind="landslide", status="reported", occurred_at=NOW) -> Incident:
    row = Incident(client_id=str(uuid.uuid4()), kind=kind, title="t", status=status, occurred_at=occurred_at, geom=geom)
    made, created = incident_store.insert_or_existing(session, row)
    assert created
    return made


def near(session, kind="landslide", at=NOW) -> set[int]:
    rows = incident_store.open_incidents_near(session, kind, HERE, at, distance_m=1000, window_hours=24,
                                              closed_statuses=TERMINAL_STATUSES)
    return {row[0] for row in rows}


def test_search_keeps_the_box_kind_status_and_window(store):
    with store.write() as session:
        close = add(session, NEAR)
        zone = add(session, box(109.49, 30.27, 109.50, 30.29))  # a hazard zone ~1 km east: its box is in reach
        far = add(session, FAR)
        other_kind = add(session, NEAR, kind="hail")
        closed = add(session, NEAR, status="closed")
        old = add(session, NEAR, occurred_at=NOW - timedelta(hours=30))
        no_place = add(session, None)
    with store.read() as session:
        found = near(session)
    assert {close.id, zone.id} <= found
    assert not found & {far.id, other_kind.id, closed.id, old.id, no_place.id}


def test_moved_and_deleted_incidents_leave_the_index(store):
    with store.write() as session:
        moving = add(session, FAR)
        going = add(session, NEAR)
    with store.read() as session:
        assert near(session) == {going.id}
    with store.write() as session:
        session.get(Incident, moving.id).geom = NEAR
    with store.read() as session:
        assert near(session) == {moving.id, going.id}
    with store.write() as session:
        session.execute(text("DELETE FROM incidents WHERE id = :id"), {"id": going.id})
        session.get(Incident, moving.id).geom = None
    with store.read() as session:
        assert near(session) == set()


def test_the_box_is_answered_by_an_index(store):
    """SQLite: the R*Tree holds exactly the located incidents. PostgreSQL: ``&&`` on geom can use the GiST index."""
    with store.write() as session:
        located = [add(session, NEAR).id, add(session, FAR).id]
        add(session, None)
    with store.read() as session:
        if store.is_sqlite:
            boxed = {r[0] for r in session.execute(text("SELECT id FROM incidents_bbox"))}
            plan = " ".join(str(r[-1]) for r in session.execute(text(
                "EXPLAIN QUERY PLAN SELECT id FROM incidents_bbox WHERE min_lon <= 110 AND max_lon >= 109")))
            assert boxed == set(located) and "VIRTUAL TABLE INDEX" in plan
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in session.execute(text(
                "EXPLAIN SELECT id FROM incidents WHERE geom && ST_MakeEnvelope(109, 30, 110, 31, 4326)")))
            assert "Index" in plan and "geom" in plan


def test_a_lifecycle_step_writes_its_columns_at_once_and_leaves_nothing_to_flush(store):
    later = NOW + timedelta(hours=2)
    with store.write() as session:
        made = add(session, HERE)
    with store.write() as session:
        incident = incident_store.incident(session, made.id, for_update=True)
        incident_store.update_incident(session, incident, {"status": "closed", "updated_at": later,
                                                           "closed_at": later})
        assert (incident.status, incident.closed_at) == ("closed", later)
        assert not session.dirty  # written already: the commit has nothing of it left to flush
        line = incident_store.add_transition(session, incident, action="close", from_status="reported",
                                             to_status="closed", actor_id=None, at=later, reason="done")
        assert line.id is not None
    with store.read() as session:
        saved = incident_store.incident(session, made.id)
        assert (saved.status, saved.closed_at, saved.updated_at) == ("closed", later, later)
        assert [(t.id, t.action, t.reason) for t, _ in incident_store.transitions(session, made.id)] == [
            (line.id, "close", "done")]
