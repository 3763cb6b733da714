"""Townships and villages: clipped Voronoi cells inside the real counties, and the areas table.

Townships are sized by county area and the first one sits on the county
seat; each is split into villages the same way. Codes extend the county's
adcode so a code's prefix names its parents.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point

from relief.domain.demo.admin import ADMIN_DATUM_NOTE
from relief.domain.demo.frames import _with_none
from relief.domain.demo.geometry import _multi, _partition
from relief.domain.demo.names import _place_names
from relief.domain.geo import WGS84_CRS, geometry_to_projected

GENERATED_DATUM_NOTE = "WGS84; generated demo boundary, not a real one"

# Approximate county seats (WGS 84), used for depots, hospitals and the urban cluster.
COUNTY_SEATS: dict[str, tuple[float, float]] = {
    "422801": (109.486, 30.283),  # Enshi City
    "422802": (108.936, 30.291),  # Lichuan
    "422822": (109.722, 30.602),  # Jianshi
    "422823": (110.340, 31.042),  # Badong, south bank of the Yangtze
    "422825": (109.489, 29.987),  # Xuan'en
    "422826": (109.140, 29.665),  # Xianfeng
    "422827": (109.418, 29.505),  # Laifeng, on the Hunan border
    "422828": (110.034, 29.890),  # Hefeng
}
CITY_CODES = ("422801", "422802")  # county-level cities: seat townships are subdistricts

TOWNSHIPS_TOTAL = 90
TOWNSHIPS_PER_COUNTY = (8, 16)
VILLAGES_PER_TOWNSHIP = (8, 12)


def _township_counts(counties: pd.DataFrame) -> dict[str, int]:
    """Townships per county, in proportion to its ground area, within the allowed range."""
    area = pd.Series(shapely.area(geometry_to_projected(counties.geometry.values)), index=counties.index)
    share = area / area.sum() * TOWNSHIPS_TOTAL
    lo, hi = TOWNSHIPS_PER_COUNTY
    return {code: int(np.clip(round(share[code]), lo, hi)) for code in counties.index}


def _seat_of(code: str, county: MultiPolygon) -> tuple[float, float]:
    """The county seat, or a point inside the county if the seat is unknown or falls outside it."""
    seat = COUNTY_SEATS.get(code)
    if seat is not None and county.contains(Point(seat)):
        return seat
    p = county.representative_point()
    return p.x, p.y


def _build_areas(counties: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Township and village rows with their centres, ordered by code."""
    township_rows: list[dict] = []
    village_rows: list[dict] = []
    taken: set[str] = set()
    for code, n_town in _township_counts(counties).items():
        county = _multi(counties.loc[code].geometry)
        seat = _seat_of(code, county)
        seeds, cells = _partition(county, n_town, rng, first=seat)
        names = _place_names(rng, n_town, taken)
        for t, ((zh, py), centre, cell) in enumerate(zip(names, seeds, cells), start=1):
            if t == 1 and code in CITY_CODES:
                suffix = ("街道", "Subdistrict")
            elif t > 1 and rng.random() < 0.3:
                suffix = ("乡", "Township")
            else:
                suffix = ("镇", "Town")
            tcode = f"{code}{t:03d}"
            township_rows.append(dict(code=tcode, name_zh=zh + suffix[0], name_en=f"{py} {suffix[1]}",
                                      level="township", parent_code=code, geom=cell,
                                      centre=(float(centre[0]), float(centre[1])), seat=(t == 1)))
            n_vil = int(rng.integers(VILLAGES_PER_TOWNSHIP[0], VILLAGES_PER_TOWNSHIP[1] + 1))
            v_seeds, v_cells = _partition(cell, n_vil, rng, first=tuple(centre))
            v_taken: set[str] = set()
            for v, ((vzh, vpy), vc, vcell) in enumerate(zip(_place_names(rng, n_vil, v_taken), v_seeds, v_cells), 1):
                village_rows.append(dict(code=f"{tcode}{v:03d}", name_zh=vzh + "村", name_en=f"{vpy} Village",
                                         level="village", parent_code=tcode, geom=vcell,
                                         centre=(float(vc[0]), float(vc[1]))))
    return pd.DataFrame(township_rows), pd.DataFrame(village_rows)


def _areas_frame(prefecture: pd.Series, counties, townships, villages, households) -> gpd.GeoDataFrame:
    """All four levels with the demo population (sum of members) of each area."""
    persons_by_village = households.groupby("village_code", sort=True)["members"].sum()
    v_pop = villages["code"].map(persons_by_village).fillna(0).astype(np.int64)
    t_pop = v_pop.groupby(villages["parent_code"].to_numpy()).sum()
    c_pop = t_pop.groupby(t_pop.index.str[:6]).sum()
    top = prefecture["adcode"]
    rows = [dict(code=top, name_zh=prefecture["name_zh"], name_en=prefecture["name_en"], level="prefecture",
                 parent_code=None, population=int(c_pop.sum()), datum_note=ADMIN_DATUM_NOTE,
                 geom=_multi(prefecture.geometry))]
    for code, c in counties.iterrows():
        rows.append(dict(code=code, name_zh=c["name_zh"], name_en=c["name_en"], level="county",
                         parent_code=top, population=int(c_pop.get(code, 0)),
                         datum_note=ADMIN_DATUM_NOTE, geom=_multi(c.geometry)))
    for frame, pop in ((townships, t_pop), (villages, v_pop.set_axis(villages["code"]))):
        for r in frame.itertuples():
            rows.append(dict(code=r.code, name_zh=r.name_zh, name_en=r.name_en, level=r.level,
                             parent_code=r.parent_code, population=int(pop.get(r.code, 0)),
                             datum_note=GENERATED_DATUM_NOTE, geom=r.geom))
    return gpd.GeoDataFrame(_with_none(pd.DataFrame(rows), "parent_code"), geometry="geom", crs=WGS84_CRS)
