"""Incident lifecycle and duplicate search; pure, no app, no database."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from relief.domain import incidents as inc
from relief.domain import vocabulary
from relief.domain.standards import Standards
from relief.errors import Forbidden, TransitionRefused, ValidationFailed

# The lifecycle written out by hand, independent of inc.TRANSITIONS:
# (from status, action) -> to status, and which roles may perform each action.
EXPECTED_MOVES = {
    ("reported", "start_verification"): "verifying",
    ("reported", "verify"): "verified",
    ("verifying", "verify"): "verified",
    ("reported", "reject"): "rejected",
    ("verifying", "reject"): "rejected",
    ("reported", "mark_duplicate"): "duplicate",
    ("verifying", "mark_duplicate"): "duplicate",
    ("verified", "mark_duplicate"): "duplicate",
    ("verified", "respond"): "responding",
    ("responding", "stabilise"): "stabilised",
    ("stabilised", "close"): "closed",
}
EXPECTED_ROLES = {
    "start_verification": {"verifier", "admin"},
    "verify": {"verifier", "admin"},
    "reject": {"verifier", "admin"},
    "mark_duplicate": {"verifier", "admin"},
    "respond": {"commander", "admin"},
    "stabilise": {"commander", "admin"},
    "close": {"commander", "admin"},
}
ALL_STATUSES = ["reported", "verifying", "verified", "responding", "stabilised", "closed", "rejected", "duplicate"]
ALL_ROLES = ["admin", "commander", "verifier", "field_reporter", "warehouse_keeper",
             "site_manager", "reconstruction_officer", "viewer", "village_committee", "township_clerk"]
ALL_ACTIONS = list(EXPECTED_ROLES)


def test_vocabularies_match_the_hand_written_lists():
    assert set(vocabulary.INCIDENT_STATUSES) == set(ALL_STATUSES)
    assert set(inc.ROLES) == set(ALL_ROLES)
    assert set(inc.ACTIONS) == set(ALL_ACTIONS)
    assert {"landslide", "collapse", "debris_flow", "flood", "snow_ice", "hail",
            "earthquake", "drought", "other"} <= set(vocabulary.INCIDENT_KINDS)
    assert vocabulary.OPEN_STATUSES == {"reported", "verifying", "verified", "responding", "stabilised"}
    assert inc.REPORT_ROLES == {"field_reporter", "verifier", "commander", "admin"}


@pytest.mark.parametrize(
    "status,action,role", list(itertools.product(ALL_STATUSES, ALL_ACTIONS, ALL_ROLES))
)
def test_every_transition(status, action, role):
    dup = 99 if action == "mark_duplicate" else None
    target = EXPECTED_MOVES.get((status, action))
    if role not in EXPECTED_ROLES[action]:
        with pytest.raises(Forbidden) as err:
            inc.transition(status, action, role, duplicate_of=dup)
        assert err.value.field == "role"
    elif target is None:
        with pytest.raises(TransitionRefused) as err:
            inc.transition(status, action, role, duplicate_of=dup)
        assert status in err.value.message
        for allowed in err.value.detail["allowed_actions"]:
            assert allowed in err.value.message
    else:
        assert inc.transition(status, action, role, duplicate_of=dup) == target


@pytest.mark.parametrize("status,role", list(itertools.product(ALL_STATUSES, ALL_ROLES)))
def test_allowed_actions(status, role):
    expected = {a for (s, a) in EXPECTED_MOVES if s == status and role in EXPECTED_ROLES[a]}
    assert set(inc.allowed_actions(status, role)) == expected


@pytest.mark.parametrize("status,role", list(itertools.product(ALL_STATUSES, ALL_ROLES)))
def test_action_choices_are_what_the_transition_would_accept(status, role):
    choices = inc.action_choices(status, role)
    assert [c["action"] for c in choices] == [a for a in ALL_ACTIONS if (status, a) in EXPECTED_MOVES
                                               and role in EXPECTED_ROLES[a]]
    for choice in choices:
        dup = 99 if choice["needs_original"] else None
        assert choice["needs_original"] == (choice["action"] == "mark_duplicate")
        assert inc.transition(status, choice["action"], role, duplicate_of=dup) == choice["to"]


def test_action_choices_need_the_transition_permission(monkeypatch):
    assert [c["action"] for c in inc.action_choices("reported", "verifier")] == \
        ["start_verification", "verify", "reject", "mark_duplicate"]
    assert inc.action_choices("verified", "commander")[0] == {"action": "respond", "to": "responding",
                                                               "needs_original": False}
    assert inc.action_choices("reported", None) == [] and inc.action_choices("no-such-status", "admin") == []
    # the permission table decides first: a role the lifecycle names but the gate refuses is offered nothing
    monkeypatch.setitem(inc.PERMISSIONS, "incident.transition", frozenset({"admin", "commander"}))
    assert inc.action_choices("reported", "verifier") == []
    assert inc.action_choices("reported", "admin")


def test_refusal_names_status_and_allowed_actions():
    with pytest.raises(TransitionRefused) as err:
        inc.transition("verified", "close", "commander")
    assert "verified" in err.value.message and "respond" in err.value.message
    with pytest.raises(TransitionRefused) as err:
        inc.transition("closed", "respond", "admin")
    assert "closed" in err.value.message and "none" in err.value.message


def test_admin_can_walk_the_whole_lifecycle():
    status = "reported"
    for action in ["start_verification", "verify", "respond", "stabilise", "close"]:
        status = inc.transition(status, action, "admin")
    assert status == "closed"


def test_mark_duplicate_needs_the_original():
    with pytest.raises(ValidationFailed) as err:
        inc.transition("reported", "mark_duplicate", "verifier")
    assert err.value.field == "duplicate_of"
    with pytest.raises(ValidationFailed) as err:
        inc.transition("reported", "mark_duplicate", "verifier", duplicate_of=5, incident_id=5)
    assert err.value.field == "duplicate_of"
    assert inc.transition("reported", "mark_duplicate", "verifier", duplicate_of=4, incident_id=5) == "duplicate"


def test_duplicate_of_refused_on_other_actions():
    with pytest.raises(ValidationFailed) as err:
        inc.transition("reported", "verify", "verifier", duplicate_of=4)
    assert err.value.field == "duplicate_of"


@pytest.mark.parametrize("status,action,role,field", [
    ("lost", "verify", "admin", "status"),
    ("reported", "fly", "admin", "action"),
    ("reported", "verify", "mayor", "role"),
])
def test_unknown_words(status, action, role, field):
    with pytest.raises((ValidationFailed, Forbidden)) as err:
        inc.transition(status, action, role)
    assert err.value.field == field


def test_check_kind():
    assert inc.check_kind("landslide") == "landslide"
    with pytest.raises(ValidationFailed) as err:
        inc.check_kind("volcano")
    assert err.value.field == "kind"


# --- duplicate candidates ---------------------------------------------------

T0 = datetime(2024, 7, 10, 6, 0, tzinfo=timezone.utc)
HERE = Point(109.48, 30.28)  # Enshi city
# One degree of latitude is ~110.9 km here; 0.001 deg ~ 111 m.
LAT_M = 110_900


def north(metres: float) -> Point:
    return Point(HERE.x, HERE.y + metres / LAT_M)


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    base = {"kind": "landslide", "status": "reported", "occurred_at": T0}
    return gpd.GeoDataFrame([{**base, **r} for r in rows], geometry="geometry", crs="EPSG:4326")


def candidates(df, **kw):
    kw.setdefault("distance_m", 1000)
    kw.setdefault("window_hours", 24)
    return inc.duplicate_candidates("landslide", HERE, T0, df, **kw)


def test_candidates_within_distance_sorted_nearest_first():
    df = frame([
        {"id": 1, "geometry": north(800)},
        {"id": 2, "geometry": north(100)},
        {"id": 3, "geometry": north(1300)},
    ])
    found = candidates(df)
    assert [c["id"] for c in found] == [2, 1]
    assert found[0]["distance_m"] == pytest.approx(100, abs=5)
    assert found[1]["distance_m"] == pytest.approx(800, abs=10)


def test_candidates_within_and_outside_time_window():
    df = frame([
        {"id": 1, "geometry": north(50), "occurred_at": T0 - timedelta(hours=23)},
        {"id": 2, "geometry": north(50), "occurred_at": T0 + timedelta(hours=25)},
        {"id": 3, "geometry": north(50), "occurred_at": T0 - timedelta(hours=24)},
    ])
    assert {c["id"] for c in candidates(df)} == {1, 3}
    assert [c["id"] for c in candidates(df, window_hours=12)] == []


def test_different_kind_and_closed_are_ignored():
    df = frame([
        {"id": 1, "geometry": north(10), "kind": "flood"},
        {"id": 2, "geometry": north(10), "status": "closed"},
        {"id": 3, "geometry": north(10), "status": "rejected"},
        {"id": 4, "geometry": north(10), "status": "duplicate"},
        {"id": 5, "geometry": north(20), "status": "responding"},
    ])
    assert [c["id"] for c in candidates(df)] == [5]


def test_polygon_distance_is_to_the_edge_and_zero_inside():
    square = Polygon([(109.47, 30.27), (109.49, 30.27), (109.49, 30.29), (109.47, 30.29)])
    df = frame([{"id": 7, "geometry": square}])
    assert candidates(df) == [{"id": 7, "distance_m": 0.0}]


def test_plain_dataframe_naive_times_and_exclusion():
    df = pd.DataFrame([
        {"id": 1, "kind": "landslide", "status": "verified", "geometry": north(300),
         "occurred_at": T0.replace(tzinfo=None) + timedelta(hours=1)},
        {"id": 2, "kind": "landslide", "status": "verified", "geometry": HERE,
         "occurred_at": T0.replace(tzinfo=None)},
    ])
    assert [c["id"] for c in candidates(df)] == [2, 1]
    assert [c["id"] for c in candidates(df, exclude_id=2)] == [1]


def test_limits_from_the_standards_and_empty_input():
    limits = Standards.bundled().duplicates
    df = frame([{"id": 1, "geometry": north(900)}, {"id": 2, "geometry": north(1100)}])
    assert [c["id"] for c in inc.duplicate_candidates("landslide", HERE, T0, df, **limits)] == [1]
    assert inc.duplicate_candidates("landslide", HERE, T0, df.iloc[0:0], **limits) == []


def test_rows_give_the_same_candidates_as_a_frame():
    """The store hands over plain rows (tuples or mappings); no frame is needed for the usual handful."""
    rows = [{"id": 1, "kind": "landslide", "geometry": north(800), "occurred_at": T0, "status": "reported"},
            {"id": 2, "kind": "landslide", "geometry": north(100), "occurred_at": T0.replace(tzinfo=None),
             "status": "verified"},
            {"id": 3, "kind": "landslide", "geometry": north(100), "occurred_at": T0, "status": "closed"},
            {"id": 4, "kind": "flood", "geometry": north(100), "occurred_at": T0, "status": "reported"}]
    as_tuples = [tuple(r[f] for f in inc.CANDIDATE_FIELDS) for r in rows]
    expected = candidates(frame(rows))
    assert [c["id"] for c in expected] == [2, 1]
    assert candidates(rows) == expected and candidates(as_tuples) == expected
    assert candidates([]) == []


def test_a_projected_frame_is_measured_in_its_own_crs():
    df = frame([{"id": 1, "geometry": north(300)}, {"id": 2, "geometry": north(1500)}]).to_crs("EPSG:32649")
    found = candidates(df)
    assert [c["id"] for c in found] == [1] and found[0]["distance_m"] == pytest.approx(300, abs=5)
