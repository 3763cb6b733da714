"""A seeded, realistic-looking demo region inside the real Enshi boundaries.

The prefecture and county outlines are real (bundled, WGS 84); everything
inside them is invented so the app can be shown and benchmarked without
personal data: townships and villages are clipped Voronoi cells, households
cluster around county seats, township and village centres, and five
incidents modelled on the region's typical disasters damage the houses
around them (a sixth, closed a week ago, is history). Evacuees are checked
into nearby sites without exceeding their capacity; statutory reports keep
(most of) their deadlines and set the response levels; a stock ledger plus
past distributions give the five guarantees a mix of verdicts.

Every time is placed relative to ``as_of`` (``relief demo`` passes the
moment it runs), so the demo always looks current. Everything is a pure
function of ``seed`` and ``as_of`` (``numpy.random.default_rng`` via one
``SeedSequence`` per part, so changing one part does not reshuffle the
others); no wall clock, no set iteration order. Frames use exactly the ORM
column names so the store can insert them as they are; geometry columns are
named ``geom`` and in EPSG:4326. Nullable text columns are ``object`` dtype
holding ``None``, not NaN.

One module per part, in the order :func:`build_demo` runs them:
:mod:`.admin` (the real boundaries), :mod:`.areas` (townships, villages),
:mod:`.incidents` (with their lifecycle), :mod:`.places` (sites, depots,
facilities), :mod:`.households` (with :mod:`.settlement`, :mod:`.people`,
:mod:`.damage`), :mod:`.ledger`, :mod:`.visits`, :mod:`.reports` (statutory
reports and response levels); :mod:`.items` is the catalogue. Shared
helpers: :mod:`.clock`, :mod:`.frames`, :mod:`.geometry`, :mod:`.names`.
"""
from __future__ import annotations

from relief.domain.demo.admin import ADMIN_DATUM_NOTE, ADMIN_RESOURCE, load_admin
from relief.domain.demo.areas import (
    CITY_CODES,
    COUNTY_SEATS,
    GENERATED_DATUM_NOTE,
    TOWNSHIPS_PER_COUNTY,
    TOWNSHIPS_TOTAL,
    VILLAGES_PER_TOWNSHIP,
)
from relief.domain.demo.clock import CHINA_TZ, DEMO_NOW, demo_clock
from relief.domain.demo.damage import DAMAGE
from relief.domain.demo.geometry import LLOYD_STEPS
from relief.domain.demo.items import ITEMS
from relief.domain.demo.people import AGE_P, MEMBERS_P
from relief.domain.demo.region import DemoRegion, build_demo
from relief.domain.demo.settlement import (
    SEAT_SIGMA_M,
    SHARE_SCATTERED,
    SHARE_SEAT,
    SHARE_TOWNSHIP,
    SHARE_VILLAGE,
    TOWNSHIP_SIGMA_M,
    VILLAGE_SIGMA_FACTOR,
)

__all__ = [
    "ADMIN_DATUM_NOTE", "ADMIN_RESOURCE", "AGE_P", "CHINA_TZ", "CITY_CODES", "COUNTY_SEATS", "DAMAGE",
    "DEMO_NOW", "GENERATED_DATUM_NOTE", "ITEMS", "LLOYD_STEPS", "MEMBERS_P", "SEAT_SIGMA_M", "SHARE_SCATTERED",
    "SHARE_SEAT", "SHARE_TOWNSHIP", "SHARE_VILLAGE", "TOWNSHIP_SIGMA_M", "TOWNSHIPS_PER_COUNTY",
    "TOWNSHIPS_TOTAL", "VILLAGE_SIGMA_FACTOR", "VILLAGES_PER_TOWNSHIP", "DemoRegion", "build_demo",
    "demo_clock", "load_admin",
]
