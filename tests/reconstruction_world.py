"""A small hand-built county for reconstruction tests: two townships, a village each, households and houses.

County 422801 covers 109.0–110.0° E, 30.0–31.0° N; township 422801001 its western half (village
422801001001 inside it), township 422801002 its eastern half (village 422801002001).
"""
from __future__ import annotations

from datetime import datetime, timezone

from shapely.geometry import MultiPolygon, Point, box

from relief.domain import reconstruction as rc
from relief.domain.standards import Standards
from relief.store import reconstruction as house_store
from relief.store.tables import Area, House, Household

COUNTY, WEST, EAST = "422801", "422801001", "422801002"
WEST_VILLAGE, EAST_VILLAGE = "422801001001", "422801002001"
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
FIGURES = rc.Figures.of(Standards.bundled())


def _area(code: str, level: str, parent: str | None, x0: float, x1: float) -> Area:
    return Area(code=code, name_zh=f"区{code}", name_en=f"Area {code}", level=level, parent_code=parent,
                geom=MultiPolygon([box(x0, 30.0, x1, 31.0)]))


def build_areas(store) -> None:
    with store.write() as session:
        session.add(_area(COUNTY, "county", None, 109.0, 110.0))
        session.flush()
        session.add_all([_area(WEST, "township", COUNTY, 109.0, 109.5), _area(EAST, "township", COUNTY, 109.5, 110.0)])
        session.flush()
        session.add_all([_area(WEST_VILLAGE, "village", WEST, 109.0, 109.5),
                         _area(EAST_VILLAGE, "village", EAST, 109.5, 110.0)])


def add_household(store, household_id: str, *, lon: float = 109.2, category: str | None = None) -> None:
    with store.write() as session:
        session.add(Household(id=household_id, head_name=f"户主{household_id}", members=3, county_code=COUNTY,
                              village_code=None, house_damage="collapsed", shelter="site",
                              assistance_category=category, geom=Point(lon, 30.5)))


def add_house(store, house_id: str, *, stage: str = "assessed", damage: str = "collapsed", mode: str | None = None,
              since: datetime = T0, lon: float = 109.2, household: str | None = None,
              category: str | None = None, correction_required: bool = False) -> None:
    """A house (and its household, unless ``household`` names one that exists), placed by its position."""
    household = household or f"HH-{house_id}"
    with store.read() as session:
        exists = session.get(Household, household) is not None
    if not exists:
        add_household(store, household, lon=lon, category=category)
    with store.write() as session:
        point = Point(lon, 30.5)
        codes = house_store.place(session, point)
        session.add(House(id=house_id, household_id=household, geom=point, damage=damage, assessed_at=T0,
                          stage=stage, stage_since=since, stalls_at=rc.stalls_at(stage, since, FIGURES),
                          rebuild_mode=mode, correction_required=correction_required,
                          county_code=codes.get("county"), township_code=codes.get("township"),
                          village_code=codes.get("village")))
