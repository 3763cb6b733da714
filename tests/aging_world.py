"""A small world whose verdicts age: households fed until known moments, an incident owing reports, a clock.

Built on ``tests/world.py``: three evacuees at site S1 and one household at
home outside the relief scope. Two members eat 4,200 kcal a day, so a kilo
of rice (3,500 kcal) lasts them 20 h.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shapely.geometry import Point

from relief.services.context import Context
from relief.services.guarantees import recheck_households
from relief.store.tables import Distribution, Incident
from tests import world

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=CST)
HOUR, US = timedelta(hours=1), timedelta(microseconds=1)
#: kg of rice given at T0, and so when each household's food runs out
RICE_KG = {"LAPSES": 2.4, "LATER": 4.8, "SOONER": 1.2}
RUNS_OUT = {h: T0 + timedelta(hours=kg * 3500 / 4200 * 24) for h, kg in RICE_KG.items()}
IN_SCOPE = sorted(RICE_KG)
EVERYONE = [*IN_SCOPE, "HOME"]


class Clock:
    """A clock tests set by hand: ``Context(clock=clock)``."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def build(store, *, incident_at: datetime | None = None) -> None:
    """The world's places, the households and their rice; an incident occurred at ``incident_at`` if given."""
    evacuee = dict(shelter="site", site_id="S1", evacuated=True, house_damage="severe")
    households = [world.household(h, 2, 109.45, **evacuee) for h in IN_SCOPE]
    households.append(world.household("HOME", 3, 109.46))
    incidents = []
    if incident_at is not None:
        incidents.append(Incident(kind="landslide", title="slope above the school", status="verified",
                                  county_code=world.COUNTY, occurred_at=incident_at, geom=Point(109.45, 30.28)))
    world.build(store, households=households, incidents=incidents)
    with store.write() as session:
        session.add_all([Distribution(household_id=h, item_code="RICE", quantity=kg, distributed_at=T0)
                         for h, kg in RICE_KG.items()])


def context(store, clock: Clock, published: list | None = None) -> Context:
    ctx = world.context(store, published=published)
    ctx.clock = clock
    return ctx


def judge_everyone(ctx: Context, at: datetime) -> None:
    """Keep every household's verdict as of ``at`` (the usual recheck after a write)."""
    ctx.clock.now = at
    with ctx.transaction() as unit:
        recheck_households(unit, EVERYONE, standards=ctx.standards)
