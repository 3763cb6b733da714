"""A small world for the export tests: people with names, ID numbers and formula-like text in every table.

Counts are small and fixed so a test can name them: 3 households, 3 sites, 2 incidents (an area and a
point), 4 distributions, 2 stock balances and 3 movements, 2 guarantee verdicts, 1 house.
"""
from __future__ import annotations

from datetime import datetime, timezone

from shapely.geometry import Point

from relief.store.tables import Distribution, GuaranteeStatus, House, Incident, StockBalance, StockMovement
from tests import world

NAMES = ("张三丰", "李四光", "王五")
ID_NUMBERS = ("422801199001011234", "42280119850505432X", "422801200012127777")
PHONES = ("13812345678", "13987654321", "13700001111")
FORMULA = '=HYPERLINK("http://evil.example","click")'
AT = datetime(2026, 11, 19, 8, 30, tzinfo=timezone.utc)
COUNTS = {"incidents": 2, "field_reports": 0, "sites": 3, "households": 3, "guarantees": 2, "distributions": 4,
          "stock_balances": 2, "stock_movements": 3, "houses": 1, "cases": 0}


def build(store) -> None:
    households = [
        world.household("H1", 4, 109.45, head_name=NAMES[0], id_number=ID_NUMBERS[0], phone=PHONES[0],
                        notes=FORMULA, site_id="S1", shelter="site"),
        world.household("H2", 2, 109.46, head_name=NAMES[1], id_number=ID_NUMBERS[1], phone=PHONES[1],
                        notes="+86 call back"),
        world.household("H3", 1, 109.47, head_name=NAMES[2], id_number=ID_NUMBERS[2], phone=PHONES[2]),
    ]
    sites = [world.site("S1", 10, 109.45), world.site("S2", 20, 109.48), world.site("S3", 50, 109.52)]
    sites[0].name = "@恩施一中安置点"
    sites[1].name = "-SUM(A1:A9)"
    area = world.hazard(109.40, 30.20, 109.50, 30.30)
    area.title = "=1+1 滑坡"
    point = Incident(kind="flood", title="内涝", status="reported", county_code=world.COUNTY,
                     occurred_at=AT, geom=Point(109.47, 30.29))
    world.build(store, households=households, sites=sites, incidents=[area, point])
    with store.write() as session:
        session.add_all([
            StockBalance(holder_kind="depot", holder_id="D1", item_code="RICE", quantity=100.0),
            StockBalance(holder_kind="site", holder_id="S1", item_code="WATER5", quantity=12.0),
            StockMovement(at=AT, kind="receipt", source="purchase", holder_kind="depot", holder_id="D1",
                          item_code="RICE", quantity=110.0, reason="李四光 delivered"),
            StockMovement(at=AT, kind="distribution", holder_kind="depot", holder_id="D1", item_code="RICE",
                          quantity=-10.0, household_id="H1"),
            StockMovement(at=AT, kind="receipt", source="donation", holder_kind="site", holder_id="S1",
                          item_code="WATER5", quantity=12.0),
        ])
        session.add_all([Distribution(household_id=h, item_code=item, quantity=q, distributed_at=AT)
                         for h, item, q in (("H1", "RICE", 5.0), ("H1", "WATER5", 2.0), ("H2", "RICE", 3.0),
                                            ("H3", "BLANKET", 1.0))])
        verdict = dict(food="met", clothing="met", water="unmet", housing="met", medical="met", reasons={},
                       shortfalls={}, as_of=AT, standards_version="test")
        session.add_all([GuaranteeStatus(household_id="H1", village_code=world.VILLAGE, **verdict),
                         GuaranteeStatus(household_id="H2", village_code=world.VILLAGE, **verdict)])
        session.add(House(id="HS1", household_id="H1", county_code=world.COUNTY, village_code=world.VILLAGE,
                          damage="collapsed", assessed_at=AT, assessed_by=NAMES[1], stage="assessed",
                          stage_since=AT, geom=Point(109.45, 30.28)))
