"""A small hand-built prefecture for the situation report: two counties, two townships, two incidents.

Counties 恩施市 (422801, west box) and 利川市 (422802, east box), township 舞阳坝街道 (T1) in the first
and 都亭街道 (T2) in the second. The figures below are chosen so every total can be checked by hand.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

from shapely.geometry import MultiPolygon, Point, box

from relief.domain.standards import Standards
from relief.services import incidents, statutory
from relief.services.context import Actor, Context
from relief.services.standards import standards_loader
from relief.store.tables import Area, Household, Item, Site

CST = timezone(timedelta(hours=8))
OCCURRED = datetime(2026, 7, 1, 7, 30, tzinfo=CST)
#: The moment the scenario's first sitrep is made (a day after the disaster, before 09:00).
MORNING = datetime(2026, 7, 2, 8, 0, tzinfo=CST)
WEST, EAST = "422801", "422802"
WEST_ZH, EAST_ZH = "恩施市", "利川市"


def at(ctx: Context, moment: datetime) -> Context:
    return dataclasses.replace(ctx, clock=lambda: moment)


def context(store, actor: Actor, moment: datetime = MORNING) -> Context:
    return Context(store=store, actor=actor, publish=lambda events: None, clock=lambda: moment,
                   standards_loader=standards_loader(store, Standards.bundled()))


def build(store) -> None:
    with store.write() as session:
        session.add_all([
            Area(code=WEST, name_zh=WEST_ZH, name_en="Enshi", level="county",
                 geom=MultiPolygon([box(109.0, 30.0, 109.5, 30.5)])),
            Area(code=EAST, name_zh=EAST_ZH, name_en="Lichuan", level="county",
                 geom=MultiPolygon([box(109.5, 30.0, 110.0, 30.5)])),
        ])
        session.flush()
        session.add_all([
            Area(code="T1", name_zh="舞阳坝街道", name_en="Wuyangba", level="township", parent_code=WEST,
                 geom=MultiPolygon([box(109.0, 30.0, 109.5, 30.5)])),
            Area(code="T2", name_zh="都亭街道", name_en="Duting", level="township", parent_code=EAST,
                 geom=MultiPolygon([box(109.5, 30.0, 110.0, 30.5)])),
        ])
        session.add(Item(code="RICE", name="大米", unit="kg", guarantee="food", kcal_per_unit=3500.0))
        session.add_all([
            Site(id="S1", name="一中安置点", kind="school", county_code=WEST, capacity_persons=10,
                 covered_area_m2=100.0,
                 water_l_per_day=0.0, provides_meals=False, medical_post=False, status="open", geom=Point(109.2, 30.2)),
            Site(id="S2", name="体育馆", kind="gym", county_code=EAST, capacity_persons=50, covered_area_m2=400.0,
                 water_l_per_day=0.0, provides_meals=False, medical_post=False, status="open", geom=Point(109.7, 30.2)),
        ])
        session.flush()
        # 10 people at S1 (full), 4 at S2; 3 dispersed in the west.
        session.add_all([
            _household("H1", 6, WEST, shelter="site", site_id="S1"),
            _household("H2", 4, WEST, shelter="site", site_id="S1"),
            _household("H3", 4, EAST, shelter="site", site_id="S2"),
            _household("H4", 3, WEST, shelter="dispersed"),
            _household("H5", 5, EAST),
        ])


def _household(hid: str, members: int, county: str, **fields) -> Household:
    lon = 109.2 if county == WEST else 109.7
    values = dict(head_name=f"户主{hid}", phone="13800000000", members=members, county_code=county,
                  house_damage="none", shelter="home", geom=Point(lon, 30.2))
    values.update(fields)
    return Household(id=hid, **values)


def incident(ctx: Context, lon: float) -> int:
    return incidents.create_incident(ctx, {"client_id": str(uuid.uuid4()), "kind": "flood", "lat": 30.2, "lon": lon,
                                           "occurred_at": OCCURRED.isoformat()}).body["id"]


def report(ctx: Context, incident_id: int, kind: str, township: str, **figures) -> None:
    statutory.add_report(ctx, incident_id, {"client_id": str(uuid.uuid4()), "kind": kind, "township_code": township,
                                            "indicators": figures})
