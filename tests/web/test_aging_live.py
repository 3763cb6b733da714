"""Open maps hear verdicts age and reports fall overdue when the scheduler ticks (clock injected)."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from relief.scheduler import Scheduler
from tests import aging_world as w
from tests.web.test_sockets import connect, events_of


def test_a_map_hears_a_household_turn_unmet_at_the_tick(app, ctx, store, make_user):
    w.build(store, incident_at=w.T0 - 3 * w.HOUR)
    clock = w.Clock(w.T0)
    aged = dataclasses.replace(ctx, clock=clock)  # publishes through relief.live, as under `relief serve`
    w.judge_everyone(aged, w.T0)
    staff, _ = connect(app, token=make_user("viewer").token, areas=[w.world.COUNTY], topics=["guarantees", "reports"])
    public, _ = connect(app, topics=["guarantees", "reports"])
    loop = Scheduler(lambda: aged, seconds=15)

    def food_after(events):
        (event,) = [e for e in events if e["kind"] == "guarantee.changed"]
        assert event["area_code"] == w.world.COUNTY
        return {c["household_id"]: c["after"]["food"] for c in event["payload"]["changes"]}

    def food_counts(events):
        (event,) = [e for e in events if e["kind"] == "guarantee.counts"]
        assert event["area_code"] == w.world.COUNTY
        return event["payload"]["villages"][w.world.VILLAGE]["guarantees"]["food"]

    clock.now = w.RUNS_OUT["LAPSES"] - timedelta(minutes=1)
    loop.tick()
    heard = events_of(public)
    # the public hears counts per village only; households and overdue reports are for staff
    assert [e["kind"] for e in heard] == ["guarantee.counts"]
    assert food_counts(heard) == {"met": -2, "at_risk": 1, "unmet": 1}  # SOONER met → unmet, LAPSES met → at risk
    staff_heard = events_of(staff)
    assert sorted(e["kind"] for e in staff_heard) == ["guarantee.changed", "guarantee.counts", "report.overdue",
                                                      "report.overdue"]
    assert food_after(staff_heard) == {"SOONER": "unmet", "LAPSES": "at_risk"}
    assert {e["payload"]["report_kind"] for e in staff_heard if e["kind"] == "report.overdue"} == \
        {"initial", "continued"}

    clock.now = w.RUNS_OUT["LAPSES"]
    loop.tick()
    assert food_counts(events_of(public)) == {"at_risk": -1, "unmet": 1}
    staff_heard = events_of(staff)
    assert food_after(staff_heard) == {"LAPSES": "unmet"}
    assert sorted(e["kind"] for e in staff_heard) == ["guarantee.changed", "guarantee.counts"]  # no deadline twice
