"""Depot → site dispatch plans; pure, no app, no database."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relief.domain import dispatch as dispatch_rules
from relief.domain.dispatch import plan_dispatch
from relief.domain.geo import project_xy, unproject_xy
from relief.errors import Forbidden, TransitionRefused, ValidationFailed

ORIGIN = (109.48, 30.27)


def places(key: str, positions: dict[str, float]) -> pd.DataFrame:
    """Places at ``east_km`` from ORIGIN along one east-west line (UTM 49N)."""
    x, y = project_xy([ORIGIN[0]] * len(positions), [ORIGIN[1]] * len(positions))
    lon, lat = unproject_xy(x + np.array(list(positions.values())) * 1000, y)
    return pd.DataFrame({key: list(positions), "lon": lon, "lat": lat})


def rows(key: str, *entries) -> pd.DataFrame:
    return pd.DataFrame(entries, columns=[key, "item_code", "quantity"])


SITES = places("site_id", {"s_west": 0.0, "s_east": 10.0})
DEPOTS = places("depot_id", {"d_west": -2.0, "d_east": 13.0, "d_far": 60.0})


def shipped(plan) -> dict[tuple[str, str, str], float]:
    return {(r.depot_id, r.site_id, r.item_code): r.quantity for r in plan.lines.itertuples()}


def test_closes_all_gaps_from_the_nearest_depots_when_stock_suffices():
    gaps = rows("site_id", ("s_west", "rice", 10), ("s_east", "rice", 5))
    stock = rows("depot_id", ("d_west", "rice", 100), ("d_east", "rice", 100), ("d_far", "rice", 100))
    plan = plan_dispatch(gaps, stock, DEPOTS, SITES)
    assert shipped(plan) == {("d_west", "s_west", "rice"): 10, ("d_east", "s_east", "rice"): 5}
    assert plan.remainder.empty
    assert plan.lines.set_index("site_id")["distance_km"].to_dict() == pytest.approx({"s_west": 2.0, "s_east": 3.0})


def test_reports_the_remainder_when_stock_falls_short():
    gaps = rows("site_id", ("s_west", "rice", 10), ("s_east", "rice", 5))
    stock = rows("depot_id", ("d_east", "rice", 12))
    plan = plan_dispatch(gaps, stock, DEPOTS, SITES)
    # all 12 go out; the east site (3 km) is served in full before the west one (15 km)
    assert shipped(plan) == {("d_east", "s_east", "rice"): 5, ("d_east", "s_west", "rice"): 7}
    assert plan.remainder.to_dict("records") == [{"site_id": "s_west", "item_code": "rice", "quantity": 3.0}]


def test_prefers_the_nearer_depot_and_spills_to_the_next():
    gaps = rows("site_id", ("s_west", "water", 30))
    stock = rows("depot_id", ("d_far", "water", 100), ("d_west", "water", 20), ("d_east", "water", 100))
    plan = plan_dispatch(gaps, stock, DEPOTS, SITES)
    assert shipped(plan) == {("d_west", "s_west", "water"): 20, ("d_east", "s_west", "water"): 10}


def test_items_are_planned_independently():
    gaps = rows("site_id", ("s_west", "rice", 4), ("s_west", "quilt", 6), ("s_west", "rice", 1))
    stock = rows("depot_id", ("d_west", "rice", 10), ("d_far", "quilt", 2))
    plan = plan_dispatch(gaps, stock, DEPOTS, SITES)
    assert shipped(plan) == {("d_west", "s_west", "rice"): 5, ("d_far", "s_west", "quilt"): 2}
    assert plan.remainder.to_dict("records") == [{"site_id": "s_west", "item_code": "quilt", "quantity": 4.0}]


def test_an_item_no_depot_holds_is_all_remainder():
    plan = plan_dispatch(rows("site_id", ("s_east", "tent", 3)), rows("depot_id"), DEPOTS, SITES)
    assert plan.lines.empty
    assert plan.remainder.to_dict("records") == [{"site_id": "s_east", "item_code": "tent", "quantity": 3.0}]


@pytest.mark.parametrize("seed", range(5))
def test_never_draws_more_than_a_depot_holds(seed):
    rng = np.random.default_rng(seed)
    site_places = places("site_id", {f"s{i}": float(x) for i, x in enumerate(rng.uniform(0, 80, 12))})
    depot_places = places("depot_id", {f"d{i}": float(x) for i, x in enumerate(rng.uniform(0, 80, 4))})
    gaps = rows("site_id", *[(s, item, float(rng.integers(0, 40)))
                             for s in site_places["site_id"] for item in ("a", "b")])
    stock = rows("depot_id", *[(d, item, round(float(rng.uniform(0, 120)), 3))
                               for d in depot_places["depot_id"] for item in ("a", "b")])
    plan = plan_dispatch(gaps, stock, depot_places, site_places)
    drawn = plan.lines.groupby(["depot_id", "item_code"])["quantity"].sum()
    held = stock.set_index(["depot_id", "item_code"])["quantity"]
    assert (drawn <= held.reindex(drawn.index)).all()
    assert (plan.lines["quantity"] > 0).all()
    # as much as possible is closed: per item, shipped = min(total gap, total stock),
    # to within the ~1e-6 grid quantities are snapped to
    for item in ("a", "b"):
        sent = plan.lines.loc[plan.lines["item_code"] == item, "quantity"].sum()
        expected = min(gaps.loc[gaps["item_code"] == item, "quantity"].sum(),
                       stock.loc[stock["item_code"] == item, "quantity"].sum())
        assert sent == pytest.approx(expected, abs=1e-5)
        left = plan.remainder.loc[plan.remainder["item_code"] == item, "quantity"].sum()
        assert sent + left == pytest.approx(gaps.loc[gaps["item_code"] == item, "quantity"].sum(), abs=1e-5)


def test_whole_units_in_give_whole_units_out():
    gaps = rows("site_id", ("s_west", "rice", 7), ("s_east", "rice", 9))
    stock = rows("depot_id", ("d_west", "rice", 5), ("d_east", "rice", 6), ("d_far", "rice", 4))
    plan = plan_dispatch(gaps, stock, DEPOTS, SITES)
    assert (plan.lines["quantity"] == plan.lines["quantity"].round()).all()
    assert plan.lines["quantity"].sum() == 15


@pytest.mark.parametrize("gaps,stock,field", [
    (rows("site_id", ("s_west", "rice", -1)), rows("depot_id"), "gaps.quantity"),
    (rows("site_id", ("nowhere", "rice", 1)), rows("depot_id"), "sites.site_id"),
    (rows("site_id"), rows("depot_id", ("d_nowhere", "rice", 1)), "depots.depot_id"),
    (rows("site_id"), rows("depot_id", ("d_west", "rice", float("nan"))), "depot_stock.quantity"),
])
def test_bad_input_names_the_field(gaps, stock, field):
    with pytest.raises(ValidationFailed) as err:
        plan_dispatch(gaps, stock, DEPOTS, SITES)
    assert err.value.field == field


def test_no_gaps_give_an_empty_plan_of_the_same_shape():
    plan = plan_dispatch(rows("site_id"), rows("depot_id", ("d_west", "rice", 5)), DEPOTS, SITES)
    assert plan.lines.empty and list(plan.lines.columns) == ["depot_id", "site_id", "item_code", "quantity",
                                                             "distance_km"]
    assert plan.remainder.empty and list(plan.remainder.columns) == ["site_id", "item_code", "quantity"]


# --- the steps a plan goes: status × action × role against a list written out by hand ------------------

STATUSES = ["proposed", "accepted", "in_transit", "delivered", "cancelled"]
ACTIONS = ["accept", "dispatch", "deliver", "cancel"]
ROLES = ["admin", "commander", "verifier", "field_reporter", "warehouse_keeper", "site_manager",
         "reconstruction_officer", "viewer"]
#: (status, action) → the roles that may take it there, and where it leads. Everything else is refused.
ALLOWED = {
    ("proposed", "accept"): ({"admin", "commander"}, "accepted"),
    ("accepted", "dispatch"): ({"admin", "commander", "warehouse_keeper", "site_manager"}, "in_transit"),
    ("in_transit", "deliver"): ({"admin", "commander", "site_manager"}, "delivered"),
    ("proposed", "cancel"): ({"admin", "commander"}, "cancelled"),
    ("accepted", "cancel"): ({"admin", "commander"}, "cancelled"),
}


def _ever_allowed(action: str, role: str) -> bool:
    return any(role in roles for (_, a), (roles, _) in ALLOWED.items() if a == action)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_every_status_action_and_role(status, action, role):
    roles, target = ALLOWED.get((status, action), (set(), None))
    if role in roles:
        assert dispatch_rules.take_step(status, action, role) == target
        assert action in dispatch_rules.allowed_steps(status, role)
    elif _ever_allowed(action, role):
        with pytest.raises(TransitionRefused) as refused:
            dispatch_rules.take_step(status, action, role)
        assert refused.value.detail["status"] == status
        assert refused.value.detail["allowed_actions"] == dispatch_rules.allowed_steps(status, role)
        assert action not in dispatch_rules.allowed_steps(status, role)
    else:
        with pytest.raises(Forbidden):
            dispatch_rules.take_step(status, action, role)
        assert action not in dispatch_rules.allowed_steps(status, role)


def test_the_table_covers_the_vocabulary_and_ends_in_delivered_or_cancelled():
    assert sorted(dispatch_rules.DISPATCH_PLAN_STATUSES) == sorted(STATUSES)
    assert sorted(dispatch_rules.DISPATCH_ACTIONS) == sorted(ACTIONS)
    assert dispatch_rules.FINAL_STATUSES == {"delivered", "cancelled"}
    for status in ("delivered", "cancelled"):
        assert all(dispatch_rules.allowed_steps(status, role) == [] for role in ROLES)
    assert {s.action: sorted(s.permissions) for s in dispatch_rules.STEPS} == {
        "accept": ["dispatch.plan"], "dispatch": ["dispatch.plan", "stock.move"], "deliver": ["site.manage"],
        "cancel": ["dispatch.plan"]}


def test_anonymous_takes_no_step_and_unknown_words_name_their_field():
    assert dispatch_rules.allowed_steps("proposed", None) == []
    with pytest.raises(Forbidden):
        dispatch_rules.take_step("proposed", "accept", None)
    with pytest.raises(ValidationFailed) as status:
        dispatch_rules.take_step("lost", "accept", "admin")
    assert status.value.field == "status"
    with pytest.raises(ValidationFailed) as action:
        dispatch_rules.take_step("proposed", "teleport", "admin")
    assert action.value.field == "action"


def test_received_defaults_to_what_was_sent_and_records_a_short_line():
    assert dispatch_rules.received_quantities([6.0, 27.0], {}) == [6.0, 27.0]
    assert dispatch_rules.received_quantities([6.0, 27.0], {1: 20.0}) == [6.0, 20.0]
    assert dispatch_rules.received_quantities([6.0, 27.0], {0: 0.0, 1: 27.0}) == [0.0, 27.0]


@pytest.mark.parametrize("received, field", [
    ({1: 27.5}, "received[1]"), ({0: -1.0}, "received[0]"), ({0: float("nan")}, "received[0]"),
    ({2: 1.0}, "received[2]"), ({-1: 1.0}, "received[-1]"),
])
def test_received_out_of_range_names_the_line(received, field):
    with pytest.raises(ValidationFailed) as refused:
        dispatch_rules.received_quantities([6.0, 27.0], received)
    assert refused.value.field == field
