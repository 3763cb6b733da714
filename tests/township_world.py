"""Two townships of Enshi city, side by side, for tests of who is told of what by area (SMS, webhooks).

Shadi spans longitudes 109.4–109.5 and Baiyangping 109.5–109.6, both latitudes 30.2–30.4: a report at
longitude 109.45 falls in Shadi, one at 109.55 in Baiyangping.
"""
from __future__ import annotations

from shapely.geometry import MultiPolygon, box

from relief.store.tables import Area

COUNTY, SHADI, BAIYANGPING = "422801", "422801101", "422801102"


def add(store) -> None:
    with store.write() as session:
        session.add_all([
            Area(code=COUNTY, name_zh="恩施市", name_en="Enshi", level="county",
                 geom=MultiPolygon([box(109.2, 30.0, 109.8, 30.6)])),
            Area(code=SHADI, name_zh="沙地乡", name_en="Shadi", level="township", parent_code=COUNTY,
                 geom=MultiPolygon([box(109.4, 30.2, 109.5, 30.4)])),
            Area(code=BAIYANGPING, name_zh="白杨坪镇", name_en="Baiyangping", level="township",
                 parent_code=COUNTY, geom=MultiPolygon([box(109.5, 30.2, 109.6, 30.4)])),
        ])
