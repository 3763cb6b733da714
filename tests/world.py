"""A small hand-built Enshi for relocation and stock tests: areas, sites, depots, items, households.

Positions are a few kilometres apart around Enshi city so that "nearest"
is unambiguous: depot D1 and site S1 sit together in the west, S2 3 km
east, S3 (closed) further east, depot D2 far north-east.
"""
from __future__ import annotations

from datetime import datetime, timezone

from shapely.geometry import Point, box

from relief.domain.standards import Standards
from relief.services.context import Actor, Context
from relief.services.standards import standards_loader
from relief.store.tables import Area, Depot, Household, Incident, Item, Site

COUNTY = "422801"
VILLAGE = "422801001001"


def context(store, actor: Actor | None = None, published: list | None = None) -> Context:
    """A Context of its own (one per thread in the concurrency tests); publishing appends to ``published``."""
    sink = published if published is not None else []
    return Context(store=store, actor=actor or Actor(None, "tester", "admin"), publish=sink.extend,
                   standards_loader=standards_loader(store, Standards.bundled()))


def items() -> list[Item]:
    return [
        Item(code="RICE", name="Rice", unit="kg", guarantee="food", kcal_per_unit=3500.0),
        Item(code="WATER5", name="Bottled water 5 L", unit="bottle", guarantee="water", litres_per_unit=5.0),
        Item(code="BLANKET", name="Blanket", unit="piece", guarantee="bedding", pieces_per_unit=1.0),
        Item(code="CLOTHES", name="Clothing set", unit="set", guarantee="clothing", sets_per_unit=1.0),
    ]


def site(site_id: str, capacity: int, lon: float, *, status: str = "open", area_m2: float = 100.0,
         water: float = 0.0, county: str = COUNTY) -> Site:
    return Site(id=site_id, name=f"Site {site_id}", kind="school", county_code=county, capacity_persons=capacity,
                covered_area_m2=area_m2, water_l_per_day=water, provides_meals=False, medical_post=False,
                status=status, geom=Point(lon, 30.28))


def household(household_id: str, members: int, lon: float, lat: float = 30.28, **fields) -> Household:
    values = dict(head_name=f"户主{household_id}", phone="13800000000", members=members, county_code=COUNTY,
                  village_code=VILLAGE, house_damage="none", shelter="home", geom=Point(lon, lat))
    values.update(fields)
    return Household(id=household_id, **values)


def build(store, *, households: list[Household] = (), sites: list[Site] | None = None,
          incidents: list[Incident] = ()) -> None:
    """The fixed places plus the given households/incidents (sites default to S1 10, S2 20, S3 closed)."""
    with store.write() as session:
        session.add(Area(code=COUNTY, name_zh="恩施市", name_en="Enshi", level="county"))
        session.flush()
        session.add(Area(code=VILLAGE, name_zh="某村", name_en="A village", level="village", parent_code=COUNTY))
        session.add_all(items())
        session.add_all(sites if sites is not None else [
            site("S1", 10, 109.45), site("S2", 20, 109.48), site("S3", 50, 109.52, status="closed")])
        session.add_all([Depot(id="D1", name="Depot west", county_code=COUNTY, geom=Point(109.451, 30.28)),
                         Depot(id="D2", name="Depot far", county_code="422802", geom=Point(109.9, 30.6))])
        session.flush()
        session.add_all(list(households))
        session.add_all(list(incidents))


def hazard(x0: float, y0: float, x1: float, y1: float, *, evacuate: bool = True, status: str = "verified") -> Incident:
    return Incident(kind="landslide", title="slope", status=status, county_code=COUNTY, evacuate=evacuate,
                    occurred_at=datetime(2026, 11, 19, tzinfo=timezone.utc), geom=box(x0, y0, x1, y1))
