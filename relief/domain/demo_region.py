"""A seeded, realistic-looking demo region inside the real Enshi boundaries.

The prefecture and county outlines are real (bundled, WGS 84); everything
inside them is invented so the app can be shown and benchmarked without
personal data: townships and villages are clipped Voronoi cells, households
cluster around county seats, township and village centres, and five
incidents modelled on the region's typical disasters damage the houses
around them. Evacuees are checked into nearby sites without exceeding their
capacity, and a stock ledger plus past distributions give the five
guarantees a mix of verdicts at the fixed demo clock :data:`DEMO_NOW`.

Everything is a pure function of ``seed`` (``numpy.random.default_rng`` via
one ``SeedSequence`` per part, so changing one part does not reshuffle the
others); no wall clock, no set iteration order. Frames use exactly the ORM
column names so the store can insert them as they are; geometry columns are
named ``geom`` and in EPSG:4326. Nullable text columns are ``object`` dtype
holding ``None``, not NaN.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from relief.domain.geo import WGS84_CRS, geometry_to_projected, geometry_to_wgs84, project_xy

CHINA_TZ = timezone(timedelta(hours=8))
DEMO_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ)
"""The demo's "now": distributions, visits and incidents are placed relative to it."""

ADMIN_RESOURCE = "enshi_admin.geojson"
ADMIN_DATUM_NOTE = "WGS84 (converted from GCJ-02)"
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
LLOYD_STEPS = 2  # relaxation steps: evens out the cells without a slow optimiser

# Where households live: shares of the total, by kind of cluster.
SHARE_SEAT, SHARE_TOWNSHIP, SHARE_VILLAGE, SHARE_SCATTERED = 0.16, 0.24, 0.42, 0.10
SEAT_SIGMA_M, TOWNSHIP_SIGMA_M, VILLAGE_SIGMA_FACTOR = 1500.0, 900.0, 0.22

MEMBERS_P = np.array([0.14, 0.25, 0.22, 0.19, 0.11, 0.06, 0.03])  # 1..7 persons, mean ≈ 3.2
AGE_P = np.array([0.03, 0.15, 0.58, 0.24])  # infant, child, adult, elderly (ageing rural Enshi)
DAMAGE = np.array(["none", "general", "severe", "collapsed"], dtype=object)


# --- names -----------------------------------------------------------------

_FIRST = (
    ("龙", "Long"), ("凤", "Feng"), ("白", "Bai"), ("石", "Shi"), ("青", "Qing"), ("红", "Hong"),
    ("黄", "Huang"), ("高", "Gao"), ("新", "Xin"), ("长", "Chang"), ("沙", "Sha"), ("茶", "Cha"),
    ("花", "Hua"), ("金", "Jin"), ("柏", "Bai"), ("木", "Mu"), ("桃", "Tao"), ("竹", "Zhu"),
    ("云", "Yun"), ("板", "Ban"), ("双", "Shuang"), ("太", "Tai"), ("大", "Da"), ("小", "Xiao"),
    ("官", "Guan"), ("团", "Tuan"), ("三", "San"), ("望", "Wang"), ("铜", "Tong"), ("椒", "Jiao"),
    ("马", "Ma"), ("杨", "Yang"), ("柳", "Liu"), ("梅", "Mei"), ("松", "Song"), ("枫", "Feng"),
    ("鱼", "Yu"), ("猫", "Mao"), ("凉", "Liang"), ("万", "Wan"), ("天", "Tian"), ("观", "Guan"),
    ("东", "Dong"), ("西", "Xi"), ("南", "Nan"), ("北", "Bei"), ("中", "Zhong"), ("上", "Shang"),
    ("下", "Xia"), ("麻", "Ma"), ("芭", "Ba"), ("狮", "Shi"), ("象", "Xiang"), ("鹿", "Lu"),
)
_SECOND = (
    ("坪", "ping"), ("溪", "xi"), ("山", "shan"), ("河", "he"), ("坝", "ba"), ("口", "kou"),
    ("岩", "yan"), ("桥", "qiao"), ("湾", "wan"), ("塘", "tang"), ("田", "tian"), ("岭", "ling"),
    ("垭", "ya"), ("关", "guan"), ("堡", "bao"), ("池", "chi"), ("洞", "dong"), ("阳", "yang"),
    ("水", "shui"), ("湖", "hu"), ("园", "yuan"), ("冲", "chong"), ("槽", "cao"), ("台", "tai"),
    ("峡", "xia"), ("庄", "zhuang"), ("寨", "zhai"), ("沟", "gou"), ("林", "lin"), ("潭", "tan"),
)
_SURNAMES = tuple("向田谭覃彭黄张李王刘杨陈周吴邓冉胡龚朱谢牟姚唐罗肖舒秦余熊赵杜万何吕滕姜钟严龙文")
_SURNAME_W = np.array([3.0] * 5 + [2.0] * 9 + [1.0] * (len(_SURNAMES) - 14))
_GIVEN = tuple("建国华明军平春秋兰英芳红玉桂林德志文成海永光金顺福清秀云翠梅勇强伟刚斌丽霞洪贵生先应祥富学远树松家新")


def _place_names(rng: np.random.Generator, count: int, taken: set[str]) -> list[tuple[str, str]]:
    """``count`` two-syllable names (zh, pinyin) not in ``taken``; adds them to it.

    ``taken`` is only tested for membership, never iterated, so order stays seeded.
    """
    names: list[tuple[str, str]] = []
    while len(names) < count:
        (a, pa), (b, pb) = _FIRST[rng.integers(len(_FIRST))], _SECOND[rng.integers(len(_SECOND))]
        if a == b or a + b in taken:
            continue
        taken.add(a + b)
        names.append((a + b, pa + pb))
    return names


def _person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    surnames = np.asarray(_SURNAMES, dtype=object)[rng.choice(len(_SURNAMES), n, p=_SURNAME_W / _SURNAME_W.sum())]
    given = np.asarray(_GIVEN, dtype=object)
    first = given[rng.integers(len(given), size=n)]
    second = np.where(rng.random(n) < 0.7, given[rng.integers(len(given), size=n)], "")
    return surnames + first + second


# --- the result -------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class DemoRegion:
    """Everything the demo loads, one frame per ORM table (column names match)."""

    seed: int
    areas: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    depots: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    items: pd.DataFrame
    stock: pd.DataFrame
    """The stock ledger (``stock_movements``): receipts, then the distributions' outflows."""
    distributions: pd.DataFrame
    medical_visits: pd.DataFrame
    now: datetime = field(default=DEMO_NOW)

    def balances(self) -> pd.DataFrame:
        """``stock_balances`` as the ledger sums them (never negative by construction)."""
        sums = self.stock.groupby(["holder_kind", "holder_id", "item_code"], sort=True)["quantity"].sum()
        return sums.reset_index()

    def counts(self) -> dict[str, int]:
        """Row counts per table and area level, for reports and benchmarks."""
        levels = self.areas["level"].value_counts()
        out = {f"areas.{lvl}": int(levels.get(lvl, 0)) for lvl in ("prefecture", "county", "township", "village")}
        for name in ("households", "sites", "depots", "facilities", "incidents", "items", "stock",
                     "distributions", "medical_visits"):
            out[name] = len(getattr(self, name))
        out["persons"] = int(self.households["members"].sum())
        return out


# --- loading the real boundaries ---------------------------------------------

def load_admin() -> gpd.GeoDataFrame:
    """The bundled prefecture and county boundaries (WGS 84), read as a package resource.

    Read with ``json`` + shapely rather than a GDAL driver so codes stay
    strings and nothing outside the package is touched.
    """
    text = resources.files("relief.data").joinpath(ADMIN_RESOURCE).read_text("utf-8")
    features = json.loads(text)["features"]
    rows = [dict(f["properties"], geometry=shapely.geometry.shape(f["geometry"])) for f in features]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84_CRS)


def _checked_admin(admin: gpd.GeoDataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """The prefecture row and the counties (indexed by code), after checking what we rely on."""
    if admin.crs is None or not admin.crs.equals(WGS84_CRS):
        raise ValueError("admin boundaries must be in EPSG:4326 (WGS 84); convert GCJ-02 first")
    for column in ("adcode", "name_zh", "name_en", "level"):
        if column not in admin.columns:
            raise ValueError(f"admin boundaries lack the column {column!r}")
    frame = admin.assign(adcode=admin["adcode"].astype(str)).sort_values("adcode", kind="stable")
    prefecture = frame[frame["level"] == "prefecture"]
    counties = frame[frame["level"] == "county"].set_index("adcode", drop=False)
    if len(prefecture) != 1 or len(counties) == 0:
        raise ValueError("admin boundaries need one prefecture and at least one county")
    missing = sorted({spec["county"] for spec in _INCIDENT_SPECS} - set(counties.index))
    if missing:
        raise ValueError(f"the demo incidents need the Enshi counties {missing}; pass load_admin()")
    return prefecture.iloc[0], counties


# --- geometry helpers ---------------------------------------------------------

def _multi(geom: BaseGeometry) -> MultiPolygon:
    """The polygonal part of ``geom`` as a MultiPolygon (areas are always multi)."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        for p in shapely.get_parts(geom):
            if isinstance(p, MultiPolygon):
                parts.extend(p.geoms)
    return MultiPolygon(parts)


def _metres_per_degree(lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Local (lon, lat) scale: good to 0.1 % over a few kilometres, enough for scattering."""
    rad = np.radians(lat)
    return 111_320.0 * np.cos(rad), np.full_like(rad, 110_574.0)


def _uniform_in(region: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points (lon, lat) uniformly inside ``region``, by rejection from its bounds."""
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    fill = max(region.area / ((maxx - minx) * (maxy - miny)), 0.02)
    out = np.empty((0, 2))
    while len(out) < n:
        m = int((n - len(out)) / fill * 1.3) + 16
        cand = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        out = np.vstack([out, cand[shapely.contains_xy(region, cand[:, 0], cand[:, 1])]])
    return out[:n]


def _near(region: BaseGeometry, centre: tuple[float, float], sigma_m: float, rng: np.random.Generator,
          avoid: BaseGeometry | None = None, min_m: float = 0.0) -> tuple[float, float]:
    """One point scattered around ``centre`` that falls inside ``region`` (and outside ``avoid``)."""
    kx, ky = _metres_per_degree(centre[1])
    for attempt in range(200):
        spread = sigma_m * (1.0 + attempt / 40.0)
        dx, dy = rng.normal(0.0, spread, 2)
        if math.hypot(dx, dy) < min_m:
            continue
        lon, lat = centre[0] + dx / kx, centre[1] + dy / ky
        if shapely.contains_xy(region, lon, lat) and (avoid is None or not shapely.contains_xy(avoid, lon, lat)):
            return float(lon), float(lat)
    point = region.representative_point()
    return point.x, point.y


def _projected(points) -> np.ndarray:
    """UTM 49N metres (n×2) of an array of WGS 84 points."""
    lonlat = shapely.get_coordinates(np.asarray(points, dtype=object))
    return np.column_stack(project_xy(lonlat[:, 0], lonlat[:, 1])).reshape(-1, 2)


def _cells(region: MultiPolygon, seeds: np.ndarray) -> list[MultiPolygon]:
    """Voronoi cells of ``seeds`` clipped to ``region``, in seed order.

    The diagram is built with longitude scaled by cos(latitude) so cells are
    round on the ground, then scaled back before clipping: the clip itself
    happens in the region's own coordinates, so cells tile it exactly.
    """
    k = math.cos(math.radians(float(np.mean(seeds[:, 1]))))
    minx, miny, maxx, maxy = region.bounds
    pad = max(maxx - minx, maxy - miny)
    frame = shapely.box((minx - pad) * k, miny - pad, (maxx + pad) * k, maxy + pad)
    scaled = MultiPoint(np.column_stack([seeds[:, 0] * k, seeds[:, 1]]))
    diagram = shapely.voronoi_polygons(scaled, extend_to=frame, ordered=True)
    raw = shapely.get_parts(diagram)
    back = shapely.transform(raw, lambda c: np.column_stack([c[:, 0] / k, c[:, 1]]))
    return [_multi(c) for c in shapely.intersection(back, region)]


def _partition(region: MultiPolygon, n: int, rng: np.random.Generator,
               first: tuple[float, float] | None = None) -> tuple[np.ndarray, list[MultiPolygon]]:
    """``n`` evenly sized cells covering ``region`` and their centres (seed points).

    Seeds start uniform and take :data:`LLOYD_STEPS` Lloyd steps; ``first``
    (e.g. a county seat) is kept fixed so one cell is centred on it. Cells
    come back ordered by distance from the first seed: the seat's cell is 001.
    """
    seeds = _uniform_in(region, n, rng)
    if first is not None:
        seeds[0] = first
    for _ in range(LLOYD_STEPS):
        cells = _cells(region, seeds)
        for i, cell in enumerate(cells):
            if first is not None and i == 0:
                continue
            c = cell.centroid
            p = c if region.contains(c) and cell.contains(c) else cell.representative_point()
            seeds[i] = (p.x, p.y)
    cells = _cells(region, seeds)
    k = math.cos(math.radians(float(seeds[0, 1])))
    order = np.argsort(np.hypot((seeds[:, 0] - seeds[0, 0]) * k, seeds[:, 1] - seeds[0, 1]), kind="stable")
    return seeds[order], [cells[i] for i in order]


def _ellipse(centre_xy: tuple[float, float], a: float, b: float, angle_deg: float,
             rng: np.random.Generator, wobble: float = 0.15, vertices: int = 48) -> Polygon:
    """A slightly irregular ellipse in projected metres (a natural-looking hazard zone)."""
    t = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    phases = rng.uniform(0, 2 * np.pi, 3)
    r = 1.0 + wobble * (0.6 * np.sin(3 * t + phases[0]) + 0.3 * np.sin(5 * t + phases[1])
                        + 0.1 * np.sin(7 * t + phases[2]))
    x, y = a * r * np.cos(t), b * r * np.sin(t)
    th = np.radians(angle_deg)
    xr, yr = x * np.cos(th) - y * np.sin(th), x * np.sin(th) + y * np.cos(th)
    return Polygon(np.column_stack([xr + centre_xy[0], yr + centre_xy[1]]))


# --- areas ------------------------------------------------------------------

def _township_counts(counties: pd.DataFrame) -> dict[str, int]:
    """Townships per county, in proportion to its ground area, within the allowed range."""
    area = pd.Series(shapely.area(geometry_to_projected(counties.geometry.values)), index=counties.index)
    share = area / area.sum() * TOWNSHIPS_TOTAL
    lo, hi = TOWNSHIPS_PER_COUNTY
    return {code: int(np.clip(round(share[code]), lo, hi)) for code in counties.index}


def _seat_of(code: str, county: MultiPolygon) -> tuple[float, float]:
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


# --- incidents ----------------------------------------------------------------

_INCIDENT_SPECS = (
    dict(key="landslide", kind="landslide", county="422823", centre=(110.365, 31.035), status="responding",
         evacuate=True, hours_ago=50, shape=("ellipse", 1500.0, 650.0, 25.0), exposure=0.015,
         title="{county}{township}库岸滑坡险情",
         description="长江三峡库区南岸斜坡出现拉裂缝并持续变形，库水位消落期间前缘局部垮塌，"
                     "危险区内群众已组织转移，设立警戒区，专业监测单位24小时值守。"),
    dict(key="hail", kind="hail", county="422822", centre=(109.76, 30.63), status="verified",
         evacuate=False, hours_ago=98, shape=("swath", 28000.0, 1800.0, 55.0), exposure=0.02,
         title="{county}{township}一带冰雹灾害",
         description="强对流天气带来冰雹，最大冰雹直径约2厘米，沿西南—东北方向形成雹灾带，"
                     "部分农房屋顶瓦片、彩钢棚受损，烟叶、蔬菜等农作物受灾。"),
    dict(key="snow", kind="snow_ice", county="422802", centre=(108.86, 30.19), status="responding",
         evacuate=False, hours_ago=26, shape=("ellipse", 16000.0, 11000.0, -20.0), exposure=0.02,
         title="{county}{township}高海拔地区低温雨雪冰冻",
         description="寒潮过程带来持续降雪和道路结冰，高海拔山区积雪深约15厘米，部分村组交通、"
                     "电力中断，简易房屋及大棚被压垮，需保障群众取暖、饮水和口粮。"),
    dict(key="flood", kind="flood", county="422801", centre=(109.472, 30.302), status="reported",
         evacuate=False, hours_ago=6, shape=("point", 900.0), exposure=0.015,
         title="{county}{township}强降雨引发城市内涝",
         description="短时强降雨导致清江城区段水位上涨，低洼街道和沿河居民区进水，"
                     "部分商铺、民房一楼被淹，正在核实受灾情况。"),
    dict(key="debris", kind="debris_flow", county="422828", centre=(110.10, 29.95), status="verified",
         evacuate=False, hours_ago=74, shape=("point", 450.0), exposure=0.01,
         title="{county}{township}沟谷泥石流",
         description="持续降雨诱发沟谷型泥石流，冲毁村道约300米，沟口数户民房被淤埋或损毁，"
                     "已疏散沟口下游群众。"),
)


def _incident_geometry(spec: dict, county: MultiPolygon, rng: np.random.Generator) -> BaseGeometry:
    """The incident's footprint in WGS 84: a zone clipped to its county, or a point."""
    centre = Point(spec["centre"])
    kind, *dims = spec["shape"]
    if kind == "point":
        return centre
    cx, cy = (float(v) for v in project_xy(*spec["centre"]))
    if kind == "ellipse":
        shape = _ellipse((cx, cy), dims[0], dims[1], dims[2], rng)
    else:  # a hail swath: a gently wandering band along a bearing
        length, half_width, bearing = dims
        t = np.linspace(-0.5, 0.5, 7)
        along, across = np.radians(bearing), np.radians(bearing + 90)
        lateral = rng.normal(0, half_width * 0.6, len(t))
        xs = cx + t * length * np.cos(along) + lateral * np.cos(across)
        ys = cy + t * length * np.sin(along) + lateral * np.sin(across)
        shape = LineString(np.column_stack([xs, ys])).buffer(half_width, quad_segs=6)
    zone = shapely.make_valid(geometry_to_wgs84(shape)).intersection(county)
    polygons = _multi(zone)
    return polygons.geoms[0] if len(polygons.geoms) == 1 else polygons


def _build_incidents(counties: pd.DataFrame, townships: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    tree = shapely.STRtree(townships["geom"].values)
    rows = []
    for i, spec in enumerate(_INCIDENT_SPECS, start=1):
        county = _multi(counties.loc[spec["county"]].geometry)
        geom = _incident_geometry(spec, county, rng)
        anchor = Point(spec["centre"]) if county.contains(Point(spec["centre"])) else geom.representative_point()
        hits = tree.query(anchor, predicate="within")
        township = townships.iloc[int(hits[0])] if len(hits) else None
        occurred = DEMO_NOW - timedelta(hours=spec["hours_ago"])
        title = spec["title"].format(county=counties.loc[spec["county"], "name_zh"],
                                     township=township["name_zh"] if township is not None else "")
        rows.append(dict(
            id=i, client_id=f"demo-{spec['key']}", kind=spec["kind"], title=title,
            description=spec["description"], status=spec["status"], county_code=spec["county"],
            township_code=township["code"] if township is not None else None, evacuate=spec["evacuate"],
            occurred_at=occurred, reported_at=occurred + timedelta(minutes=40),
            updated_at=DEMO_NOW - timedelta(hours=1), geom=geom,
        ))
    return _with_none(pd.DataFrame(rows), "township_code")


# --- households: where they live ------------------------------------------------

def _locate(tree: shapely.STRtree, xy: np.ndarray) -> np.ndarray:
    """Index of the tree polygon strictly containing each point, or -1."""
    out = np.full(len(xy), -1, dtype=np.int64)
    if len(xy) == 0:
        return out
    pairs = tree.query(shapely.points(xy), predicate="within")
    first_point, first_at = np.unique(pairs[0], return_index=True)
    out[first_point] = pairs[1][first_at]
    return out


def _household_points(n: int, rng: np.random.Generator, counties: pd.DataFrame, townships: pd.DataFrame,
                      villages: pd.DataFrame, incidents: pd.DataFrame,
                      prefecture: MultiPolygon) -> tuple[np.ndarray, np.ndarray]:
    """Positions (lon, lat) and village row index for ``n`` households.

    A mixture: an urban cluster at each county seat, clusters at township and
    village centres, a scattered share, and the people living where the
    incidents struck (so the demo has someone to evacuate). Points are kept
    only where they fall strictly inside a village *and* its county.
    """
    seats = townships[townships["seat"]]
    others = townships[~townships["seat"]]
    v_area = shapely.area(geometry_to_projected(villages["geom"].values))
    county_area = shapely.area(geometry_to_projected(seats["parent_code"].map(counties.geometry).values))

    centres, sigmas, weights = [], [], []

    def add(points, sigma, w, share):
        w = np.asarray(w, dtype=float)
        centres.append(np.asarray(points, dtype=float).reshape(-1, 2))
        sigmas.append(np.broadcast_to(np.asarray(sigma, dtype=float), (len(w),)))
        weights.append(w / w.sum() * share)

    add(list(seats["centre"]), SEAT_SIGMA_M, county_area, SHARE_SEAT)
    add(list(others["centre"]), TOWNSHIP_SIGMA_M, rng.lognormal(0, 0.4, len(others)), SHARE_TOWNSHIP)
    add(list(villages["centre"]), VILLAGE_SIGMA_FACTOR * np.sqrt(v_area),
        np.sqrt(v_area) * rng.lognormal(0, 0.5, len(villages)), SHARE_VILLAGE)
    spot = [(s, g) for s, g in zip(_INCIDENT_SPECS, incidents["geom"]) if s["shape"][0] == "point"]
    zone = [(s, g) for s, g in zip(_INCIDENT_SPECS, incidents["geom"]) if s["shape"][0] != "point"]
    if spot:
        add([s["centre"] for s, _ in spot], [s["shape"][1] for s, _ in spot],
            [s["exposure"] for s, _ in spot], sum(s["exposure"] for s, _ in spot))

    uniform_regions = [prefecture] + [g for _, g in zone]
    uniform_shares = [SHARE_SCATTERED] + [s["exposure"] for s, _ in zone]
    gauss_shares = np.concatenate(weights)
    probs = np.concatenate([gauss_shares, uniform_shares])
    counts = rng.multinomial(n, probs / probs.sum())

    g_counts = counts[: len(gauss_shares)]
    comp = np.repeat(np.arange(len(gauss_shares)), g_counts)
    g_centre = np.concatenate(centres)[comp]
    g_sigma = np.concatenate(sigmas)[comp]
    kx, ky = _metres_per_degree(g_centre[:, 1])

    def scatter(idx: np.ndarray) -> np.ndarray:
        noise = rng.normal(0.0, 1.0, (len(idx), 2)) * g_sigma[idx, None]
        return g_centre[idx] + noise / np.column_stack([kx[idx], ky[idx]])

    xy_parts = [scatter(np.arange(len(comp)))]
    for region, k in zip(uniform_regions, counts[len(gauss_shares):]):
        xy_parts.append(_uniform_in(region, int(k), rng))
    xy = np.vstack(xy_parts)
    redraw_gauss = np.arange(len(xy)) < len(comp)

    tree = shapely.STRtree(villages["geom"].values)
    county_geoms = {code: _multi(counties.loc[code].geometry) for code in counties.index}
    village_county = villages["parent_code"].str[:6].to_numpy()
    where = np.full(len(xy), -1, dtype=np.int64)
    todo = np.arange(len(xy))
    for _ in range(60):
        found = _locate(tree, xy[todo])
        ok = found >= 0
        for code, geom in county_geoms.items():
            mine = ok & (village_county[np.maximum(found, 0)] == code)
            if mine.any():
                ok[mine] = shapely.contains_xy(geom, xy[todo[mine], 0], xy[todo[mine], 1])
        where[todo[ok]] = found[ok]
        todo = todo[~ok]
        if len(todo) == 0:
            break
        g = todo[redraw_gauss[todo]]
        xy[g] = scatter(g)
        u = todo[~redraw_gauss[todo]]  # a uniform point on a boundary: draw it anew anywhere
        if len(u):
            xy[u] = _uniform_in(prefecture, len(u), rng)
    if len(todo):  # practically unreachable: every cluster centre lies inside a village
        raise RuntimeError(f"could not place {len(todo)} households inside a village")
    return xy, where


# --- households: who they are ---------------------------------------------------

def _id_numbers(rng: np.random.Generator, ages: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """18-character ID numbers with a valid check digit and region 000000 (no such region)."""
    n = len(ages)
    year = DEMO_NOW.year - ages
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    seq = serial % 1000
    body = [f"000000{y:04d}{m:02d}{d:02d}{s:03d}" for y, m, d, s in zip(year, month, day, seq)]
    digits = np.array([[ord(c) - 48 for c in b] for b in body], dtype=np.int64).reshape(n, 17)
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.asarray(list("10X98765432"), dtype=object)[(digits @ weights) % 11]
    return np.asarray(body, dtype=object) + check


def _composition(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Members and vulnerable counts, consistent: every count fits inside ``members``."""
    members = rng.choice(np.arange(1, 8), n, p=MEMBERS_P)
    infants, children, adults, elderly = rng.multinomial(members, AGE_P).T
    orphaned = (adults + elderly) == 0  # a household of children only: make one of them an adult
    from_children = orphaned & (children > 0)
    children = children - from_children
    infants = infants - (orphaned & ~from_children)
    adults = adults + orphaned
    disabled = rng.binomial(members, 0.045)
    chronic = rng.binomial(elderly, 0.35) + rng.binomial(adults, 0.05)
    pregnant = ((adults > 0) & (rng.random(n) < 0.03)).astype(np.int64)
    return dict(members=members, infants=infants, children=children, elderly=elderly, adults=adults,
                disabled=disabled, chronic=chronic, pregnant=pregnant)


def _assistance(rng: np.random.Generator, c: dict[str, np.ndarray]) -> np.ndarray:
    """低保 / 五保 / 特困 / None, more likely for lone elders and households with disabilities."""
    n = len(c["members"])
    u = rng.random((3, n))
    lone_elder = (c["members"] == 1) & (c["elderly"] == 1)
    wubao = lone_elder & (u[0] < 0.3)
    tekun = ~wubao & ((c["disabled"] > 0) | (c["elderly"] == c["members"])) & (u[1] < 0.10)
    frail = (c["chronic"] > 0) | (c["disabled"] > 0)
    dibao = ~wubao & ~tekun & (u[2] < 0.07 + 0.10 * frail)
    out = np.full(n, None, dtype=object)
    out[dibao], out[tekun], out[wubao] = "低保", "特困", "五保"
    return out


def _damage(rng: np.random.Generator, xy_m: np.ndarray, incidents_m: list[BaseGeometry]) -> tuple[np.ndarray, dict]:
    """House damage (0..3) from every incident, worst one wins; plus each incident's reach."""
    n = len(xy_m)
    pts = shapely.points(xy_m)
    severity = np.zeros(n, dtype=np.int64)
    reach: dict[str, np.ndarray] = {}
    background = rng.random(n) < 0.015
    severity = np.maximum(severity, np.where(background, rng.choice([1, 2, 3], n, p=[0.8, 0.17, 0.03]), 0))
    zone_p = {"landslide": [0.10, 0.25, 0.35, 0.30], "hail": [0.45, 0.45, 0.09, 0.01],
              "snow": [0.60, 0.32, 0.07, 0.01]}
    point_p = {"flood": (900.0, 0.75, [0.65, 0.27, 0.08]), "debris": (450.0, 0.85, [0.35, 0.35, 0.30])}
    for spec, geom in zip(_INCIDENT_SPECS, incidents_m):
        key = spec["key"]
        distance = shapely.distance(pts, geom)
        reach[key] = distance
        if key in zone_p:
            draw = rng.choice(4, n, p=zone_p[key])
            severity = np.maximum(severity, np.where(distance == 0, draw, 0))
        else:
            scale, top, p = point_p[key]
            hit = rng.random(n) < top * np.exp(-distance / scale)
            severity = np.maximum(severity, np.where(hit, rng.choice([1, 2, 3], n, p=p), 0))
    return severity, reach


def _check_in(want_site: np.ndarray, members: np.ndarray, xy_m: np.ndarray,
              sites: pd.DataFrame, sites_xy_m: np.ndarray) -> np.ndarray:
    """Site index per household (-1 if none): nearest open site with room, never over capacity."""
    out = np.full(len(members), -1, dtype=np.int64)
    open_idx = np.flatnonzero(sites["status"].to_numpy() == "open")
    if len(open_idx) == 0 or not want_site.any():
        return out
    room = sites["capacity_persons"].to_numpy().astype(np.int64).copy()
    tree = cKDTree(sites_xy_m[open_idx])
    who = np.flatnonzero(want_site)
    k = min(12, len(open_idx))
    dist, near = tree.query(xy_m[who], k=k, distance_upper_bound=30_000.0)
    near = np.asarray(near).reshape(len(who), k)
    for row, h in enumerate(who):
        for j in near[row]:
            if j >= len(open_idx):
                break
            s = open_idx[j]
            if room[s] >= members[h]:
                room[s] -= members[h]
                out[h] = s
                break
    return out


def _build_households(n: int, rng: np.random.Generator, counties, townships, villages, incidents, sites,
                      prefecture) -> tuple[pd.DataFrame, np.ndarray]:
    """The households frame, and the hours since each one's trouble began (for the ledger)."""
    xy, where = _household_points(n, rng, counties, townships, villages, incidents, prefecture)
    village_code = villages["code"].to_numpy()[where]
    order = np.lexsort((xy[:, 0], -xy[:, 1], where))  # by village, then north to south
    xy, village_code = xy[order], village_code[order]
    width = max(6, len(str(n)))
    serial = np.arange(1, n + 1)
    ids = np.asarray([f"HH{i:0{width}d}" for i in serial], dtype=object)

    c = _composition(rng, n)
    all_elderly = c["elderly"] == c["members"]
    ages = np.where(all_elderly, rng.integers(62, 91, n), rng.integers(24, 71, n))

    xy_m = np.column_stack(project_xy(xy[:, 0], xy[:, 1]))
    incidents_m = list(geometry_to_projected(incidents["geom"].values))
    severity, reach = _damage(rng, xy_m, incidents_m)
    in_danger_zone = np.zeros(n, dtype=bool)
    for spec in _INCIDENT_SPECS:
        if spec["evacuate"]:
            in_danger_zone |= reach[spec["key"]] == 0
    u = rng.random((3, n))
    evacuated = (in_danger_zone | (severity == 3) | ((severity == 2) & (u[0] < 0.6))
                 | ((reach["flood"] < 600) & (u[1] < 0.35)) | ((reach["debris"] < 300) & (u[2] < 0.8)))
    injured = np.where(severity >= 2, rng.binomial(c["members"], 0.08),
                       np.where(severity == 1, rng.binomial(c["members"], 0.01), 0))

    preference = rng.choice(np.array(["site", "dispersed", "none"], dtype=object), n, p=[0.6, 0.36, 0.04])
    dispersed_kind = rng.choice(np.array(["host_family", "rented", "other"], dtype=object), n, p=[0.65, 0.25, 0.10])
    sites_xy_m = _projected(sites["geom"])
    site_idx = _check_in(evacuated & (preference == "site"), c["members"], xy_m, sites, sites_xy_m)
    shelter = np.where(~evacuated, "home", np.where(site_idx >= 0, "site",
                       np.where(preference == "dispersed", "dispersed", "none"))).astype(object)
    site_id = np.where(site_idx >= 0, sites["id"].to_numpy()[np.maximum(site_idx, 0)], None).astype(object)
    dispersed = np.where(shelter == "dispersed", dispersed_kind, None).astype(object)

    assistance = _assistance(rng, c)
    needs_aid = evacuated | (severity >= 2) | ((assistance != None) & (severity >= 1)) | (injured > 0)  # noqa: E711

    frame = pd.DataFrame({
        "id": ids,
        "head_name": _person_names(rng, n),
        "id_number": _id_numbers(rng, ages, serial),
        "phone": np.asarray([f"100{i:08d}" for i in serial], dtype=object),  # no mobile number starts 100
        "members": c["members"], "infants": c["infants"], "children": c["children"],
        "elderly": c["elderly"], "disabled": c["disabled"], "chronic": c["chronic"],
        "pregnant": c["pregnant"], "injured": injured,
        "village_code": village_code, "county_code": np.asarray([v[:6] for v in village_code], dtype=object),
        "house_damage": DAMAGE[severity], "assistance_category": assistance,
        "needs_living_aid": needs_aid, "evacuated": evacuated, "shelter": shelter,
        "site_id": site_id, "dispersed_kind": dispersed,
        "geom": shapely.points(xy),
    })
    return _with_none(frame, "assistance_category", "site_id", "dispersed_kind"), _affected_hours(reach, severity)


def _affected_hours(reach: dict[str, np.ndarray], severity: np.ndarray) -> np.ndarray:
    """Hours since each household's trouble began: its nearest incident's age, else five days."""
    hours = np.full(len(severity), 120.0)
    near = {"landslide": 0.0, "hail": 0.0, "snow": 0.0, "flood": 2500.0, "debris": 1500.0}
    for spec in _INCIDENT_SPECS:
        hit = reach[spec["key"]] <= near[spec["key"]]
        hours = np.where(hit, np.minimum(hours, spec["hours_ago"]), hours)
    return hours


# --- places -------------------------------------------------------------------

_SITE_KIND_ZH = {"school": "学校", "gym": "体育馆", "tent_camp": "帐篷营地", "community_centre": "社区服务中心"}
_SITE_CAPACITY = {"school": (150, 500), "gym": (300, 900), "tent_camp": (120, 480), "community_centre": (40, 180)}
_SITE_MEALS_P = {"school": 0.85, "gym": 0.85, "tent_camp": 0.6, "community_centre": 0.5}
# extra sites near each incident: (count, distance from it in metres)
_INCIDENT_SITES = {"landslide": (4, 4000.0), "hail": (2, 6000.0), "snow": (3, 8000.0),
                   "flood": (3, 2500.0), "debris": (2, 3000.0)}


def _build_sites(rng: np.random.Generator, counties, townships, incidents) -> pd.DataFrame:
    """~120 relocation sites: one per township centre, two more per county seat, more near incidents."""
    # keep sites ~500 m clear of any evacuation zone
    danger = shapely.union_all([g for g, e in zip(incidents["geom"], incidents["evacuate"]) if e]).buffer(0.005)
    t_geoms = townships["geom"].to_numpy()
    county_geom = {code: _multi(counties.loc[code].geometry) for code in counties.index}
    planned: list[tuple[str, tuple[float, float]]] = []
    for t in range(len(townships)):
        kind = str(rng.choice(list(_SITE_CAPACITY), p=[0.45, 0.05, 0.15, 0.35]))
        planned.append((kind, _near(t_geoms[t], townships["centre"].iloc[t], 800.0, rng, avoid=danger)))
    for t in np.flatnonzero(townships["seat"].to_numpy()):
        for kind in ("gym", "school"):
            planned.append((kind, _near(t_geoms[t], townships["centre"].iloc[t], 1500.0, rng, avoid=danger)))
    cycle = ("tent_camp", "school", "gym", "community_centre")
    for spec, geom in zip(_INCIDENT_SPECS, incidents["geom"]):
        count, dist = _INCIDENT_SITES[spec["key"]]
        anchor = geom.representative_point() if geom.geom_type != "Point" else geom
        for j in range(count):
            planned.append((cycle[j % len(cycle)], _near(county_geom[spec["county"]], (anchor.x, anchor.y), dist,
                                                         rng, avoid=danger, min_m=dist * 0.3)))
    n_extra_incident = sum(c for c, _ in _INCIDENT_SITES.values())
    xy = np.array([p for _, p in planned])
    t_idx = _locate(shapely.STRtree(t_geoms), xy)
    if (t_idx < 0).any():
        raise RuntimeError("a site fell outside every township")
    kinds = np.array([k for k, _ in planned], dtype=object)
    n = len(planned)
    lo = np.array([_SITE_CAPACITY[k][0] for k in kinds])
    hi = np.array([_SITE_CAPACITY[k][1] for k in kinds])
    capacity = (np.round(rng.uniform(lo, hi) / 10) * 10).astype(np.int64)
    near_incident = np.arange(n) >= n - n_extra_incident
    status = np.where(near_incident | (rng.random(n) >= 0.08), "open", "closed").astype(object)
    frame = pd.DataFrame({
        "kind": kinds,
        "county_code": townships["parent_code"].to_numpy()[t_idx],
        "township_code": townships["code"].to_numpy()[t_idx],
        "township_name": townships["name_zh"].to_numpy()[t_idx],
        "capacity_persons": capacity,
        # nominal capacity is not Sphere space: sites opened in haste for an incident are packed
        "covered_area_m2": np.round(capacity * np.where(near_incident, rng.uniform(1.8, 3.2, n),
                                                        rng.uniform(2.8, 5.5, n)), 0),
        "water_l_per_day": np.round(capacity * rng.uniform(5.0, 20.0, n), -2),
        "provides_meals": rng.random(n) < np.array([_SITE_MEALS_P[k] for k in kinds]),
        "medical_post": rng.random(n) < np.where(near_incident, 0.7, 0.3),
        "status": status,
        "geom": shapely.points(xy),
        "_order": np.arange(n),
    }).sort_values(["county_code", "township_code", "_order"], kind="stable").reset_index(drop=True)
    frame.insert(0, "id", [f"S{i:03d}" for i in range(1, len(frame) + 1)])
    suffix = frame.groupby(["township_code", "kind"], sort=False).cumcount()
    frame.insert(1, "name", [f"{t}{_SITE_KIND_ZH[k]}安置点" + (f"{s + 1}" if s else "")
                             for t, k, s in zip(frame["township_name"], frame["kind"], suffix)])
    return frame.drop(columns=["township_name", "_order"])


def _build_depots(rng: np.random.Generator, counties, townships) -> pd.DataFrame:
    """The prefecture depot in Enshi City and one depot per county, near the seats."""
    seats = townships[townships["seat"]].set_index("parent_code")
    rows = []
    pref_county = "422801" if "422801" in seats.index else seats.index[0]
    rows.append(dict(name="恩施州救灾物资储备库", kind="prefecture", county_code=pref_county,
                     geom=Point(_near(seats.loc[pref_county, "geom"], seats.loc[pref_county, "centre"], 2000.0, rng))))
    for code in counties.index:
        rows.append(dict(name=f"{counties.loc[code, 'name_zh']}救灾物资储备库", kind="county", county_code=code,
                         geom=Point(_near(seats.loc[code, "geom"], seats.loc[code, "centre"], 1000.0, rng))))
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", [f"D{i:02d}" for i in range(1, len(frame) + 1)])
    return frame


def _build_facilities(rng: np.random.Generator, counties, townships, villages, incidents) -> pd.DataFrame:
    """Hospitals at the seats, a health centre per rural township, clinics in struck villages.

    A few are out of action: the clinics inside a danger zone or next to a
    debris flow, and two health centres under the snow (no power).
    """
    rows = []
    seats = townships[townships["seat"]].set_index("parent_code")
    if "422801" in seats.index:
        rows.append(dict(name="恩施州中心医院", kind="hospital", county_code="422801", struck=False,
                         geom=_near(seats.loc["422801", "geom"], seats.loc["422801", "centre"], 1200.0, rng)))
    for code in counties.index:
        rows.append(dict(name=f"{counties.loc[code, 'name_zh']}人民医院", kind="hospital", county_code=code,
                         struck=False, geom=_near(seats.loc[code, "geom"], seats.loc[code, "centre"], 1200.0, rng)))
    for _, t in townships[~townships["seat"]].iterrows():
        rows.append(dict(name=f"{t['name_zh']}卫生院", kind="health_centre", county_code=t["parent_code"],
                         struck=False, geom=_near(t["geom"], t["centre"], 300.0, rng)))
    v_tree = shapely.STRtree(villages["geom"].values)
    for spec, geom in zip(_INCIDENT_SPECS, incidents["geom"]):
        anchor = geom.representative_point() if geom.geom_type != "Point" else geom
        nearest = v_tree.query_nearest(anchor, all_matches=False)
        v_near = v_tree.query(anchor.buffer(0.03), predicate="intersects")
        picks = [int(nearest[0])] + [int(i) for i in np.sort(v_near) if int(i) != int(nearest[0])][:1]
        for i in picks:
            v = villages.iloc[i]
            at = (anchor.x, anchor.y) if i == int(nearest[0]) else v["centre"]
            town = townships.loc[townships["code"] == v["parent_code"], "name_zh"].iloc[0]
            rows.append(dict(name=f"{town}{v['name_zh']}卫生室", kind="clinic", county_code=v["parent_code"][:6],
                             geom=_near(v["geom"], at, 150.0, rng), struck=(i == int(nearest[0])
                                                                           and spec["key"] in ("landslide", "debris"))))
    frame = pd.DataFrame(rows)
    frame["geom"] = [Point(p) for p in frame["geom"]]
    rank = frame["kind"].map({"hospital": 0, "health_centre": 1, "clinic": 2})
    frame = frame.assign(_rank=rank, _order=np.arange(len(frame)))
    frame = frame.sort_values(["county_code", "_rank", "_order"], kind="stable").reset_index(drop=True)
    snow = incidents.loc[incidents["kind"] == "snow_ice", "geom"]
    operating = ~frame["struck"].to_numpy()
    if len(snow):
        under_snow = np.flatnonzero((frame["kind"] == "health_centre").to_numpy()
                                    & shapely.intersects(frame["geom"].values, snow.iloc[0]))
        operating[under_snow[:2]] = False
    frame["operating"] = operating
    frame.insert(0, "id", [f"F{i:03d}" for i in range(1, len(frame) + 1)])
    return frame.drop(columns=["struck", "_rank", "_order"])


# --- items, stock, distributions, visits ----------------------------------------

ITEMS = (
    # code, name, unit, guarantee, kcal, litres, sets, pieces
    ("rice_10kg", "大米 10 kg 袋 (rice, 10 kg bag)", "bag", "food", 36000, 0, 0, 0),
    ("instant_noodles", "方便面 24 包/箱 (instant noodles, box of 24)", "box", "food", 11000, 0, 0, 0),
    ("biscuits", "压缩饼干 2 kg/箱 (compressed biscuits, 2 kg box)", "box", "food", 9000, 0, 0, 0),
    ("water_5l", "桶装饮用水 5 L (bottled water, 5 L)", "bottle", "water", 0, 5, 0, 0),
    ("water_550ml_case", "瓶装水 550 ml×24/箱 (bottled water, case of 24×550 ml)", "case", "water", 0, 13.2, 0, 0),
    ("clothing_set", "衣物 (clothing set)", "set", "clothing", 0, 0, 1, 0),
    ("winter_coat", "棉大衣 (winter coat)", "piece", "clothing", 0, 0, 1, 0),
    ("quilt", "棉被 (quilt)", "piece", "bedding", 0, 0, 0, 1),
    ("blanket", "毛毯 (blanket)", "piece", "bedding", 0, 0, 0, 1),
    ("sleeping_mat", "防潮睡垫 (sleeping mat)", "piece", "bedding", 0, 0, 0, 0),  # insulation, not a covering
    ("medical_kit", "家庭医疗包 (household medical kit)", "kit", "medical", 0, 0, 0, 0),
    ("tent", "救灾帐篷 12 m² (relief tent, 12 m²)", "tent", "other", 0, 0, 0, 0),
)

# Reserve held at the prefecture depot per 20,000 households; county depots hold half as much in all.
_RESERVE = {"rice_10kg": 1500, "instant_noodles": 800, "biscuits": 600, "water_5l": 3000,
            "water_550ml_case": 1200, "clothing_set": 4000, "winter_coat": 2500, "quilt": 4000,
            "blanket": 3000, "sleeping_mat": 2000, "medical_kit": 300, "tent": 400}


def _build_items() -> pd.DataFrame:
    return pd.DataFrame(list(ITEMS), columns=["code", "name", "unit", "guarantee", "kcal_per_unit",
                                              "litres_per_unit", "sets_per_unit", "pieces_per_unit"]).astype(
        {"kcal_per_unit": float, "litres_per_unit": float, "sets_per_unit": float, "pieces_per_unit": float})


def _packages(profile: str, m: int, at_site_with_meals: bool, vulnerable: bool, tent: bool) -> list[tuple[str, int]]:
    """What one household got in one visit, by how well it has been served."""
    if profile == "full":
        food = ("biscuits", 1) if at_site_with_meals else ("rice_10kg", max(1, math.ceil(m * 2100 * 3 / 36000)))
        out = [food, ("water_5l", math.ceil(m * 15 * 2 / 5)), ("clothing_set", 2 * m), ("winter_coat", m),
               ("quilt", m), ("blanket", m)]
        if vulnerable:
            out.append(("medical_kit", 1))
        if tent:
            out.append(("tent", 1))
        return out
    if profile == "partial":
        return [("instant_noodles", 1), ("water_550ml_case", 1), ("clothing_set", m)]
    if profile == "old":
        return [("rice_10kg", 1), ("water_5l", 3 * m), ("clothing_set", 2 * m), ("quilt", m)]
    return []


def _build_ledger(rng: np.random.Generator, households: pd.DataFrame, affected_hours: np.ndarray,
                  sites: pd.DataFrame, depots: pd.DataFrame, n_households: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Past distributions and the ledger that funds them, never overdrawn at any time.

    Households needing aid were served fully, partly, days ago, or not yet,
    so the guarantees show a mix. Each holder's receipt comes before its
    first outflow and covers all of them plus an opening reserve.
    """
    hh = households
    needy = np.flatnonzero(hh["needs_living_aid"].to_numpy())
    profiles = rng.choice(np.array(["full", "partial", "old", "none"], dtype=object), len(needy),
                          p=[0.40, 0.25, 0.15, 0.20])
    ago = np.where(profiles == "old", rng.uniform(50, 110, len(needy)), rng.uniform(1, 20, len(needy)))
    ago = np.minimum(ago, np.maximum(affected_hours[needy] - 0.5, 0.5))
    at_site = (hh["shelter"].to_numpy()[needy] == "site")
    ago = np.where(at_site, np.minimum(ago, 40.0), ago)
    meals = dict(zip(sites["id"], sites["provides_meals"]))
    county_depot = dict(zip(depots.loc[depots["kind"] == "county", "county_code"],
                            depots.loc[depots["kind"] == "county", "id"]))
    vulnerable = ((hh[["infants", "elderly", "disabled", "chronic", "pregnant", "injured"]].sum(axis=1)) > 0).to_numpy()

    rows = []
    ids, members, site_ids = hh["id"].to_numpy(), hh["members"].to_numpy(), hh["site_id"].to_numpy()
    counties, kinds = hh["county_code"].to_numpy(), hh["dispersed_kind"].to_numpy()
    for j, h in enumerate(needy):
        site = site_ids[h]
        items = _packages(profiles[j], int(members[h]), bool(site is not None and meals.get(site, False)),
                          bool(vulnerable[h]), kinds[h] == "other")
        when = DEMO_NOW - timedelta(hours=float(np.round(ago[j], 2)))
        holder = ("site", site) if site is not None else ("depot", county_depot[counties[h]])
        for code, qty in items:
            rows.append((ids[h], code, float(qty), when, holder[0], holder[1]))
    dist = pd.DataFrame(rows, columns=["household_id", "item_code", "quantity", "distributed_at",
                                       "holder_kind", "holder_id"])
    dist = dist.sort_values(["distributed_at", "household_id", "item_code"], kind="stable").reset_index(drop=True)

    scale = n_households / 20000.0
    county_share = hh["county_code"].value_counts(normalize=True).sort_index()
    reserve = {}
    for _, d in depots.iterrows():
        share = 1.0 if d["kind"] == "prefecture" else 0.5 * float(county_share.get(d["county_code"], 0.0))
        for code, q in _RESERVE.items():
            reserve[("depot", d["id"], code)] = float(round(q * scale * share))
    open_sites = sites[sites["status"] == "open"]
    stocked = open_sites[rng.random(len(open_sites)) < 0.5]
    for _, s in stocked.iterrows():  # about a day of water and food for a third of the capacity
        people = s["capacity_persons"] / 3
        reserve[("site", s["id"], "water_5l")] = float(math.ceil(people * 15 / 5))
        reserve[("site", s["id"], "instant_noodles")] = float(math.ceil(people * 2100 / 11000))
        reserve[("site", s["id"], "blanket")] = float(math.ceil(people))

    outflow = dist.groupby(["holder_kind", "holder_id", "item_code"], sort=True)["quantity"].sum()
    first_out = dist.groupby(["holder_kind", "holder_id"], sort=True)["distributed_at"].min()
    keys = sorted(set(reserve) | set(outflow.index))
    receipts = []
    for kind, holder, code in keys:
        quantity = reserve.get((kind, holder, code), 0.0) + float(outflow.get((kind, holder, code), 0.0))
        if quantity <= 0:
            continue
        if kind == "depot":
            at = DEMO_NOW - timedelta(days=10)
        else:
            first = first_out.get((kind, holder))
            at = (first if first is not None and not pd.isna(first) else DEMO_NOW - timedelta(hours=24)) \
                - timedelta(hours=2)
        source = "reserve" if kind == "depot" else "allocation"
        receipts.append((at, "receipt", source, kind, holder, code, quantity, None, "demo opening stock"))
    outs = [(r.distributed_at, "distribution", None, r.holder_kind, r.holder_id, r.item_code, -r.quantity,
             r.household_id, "demo distribution") for r in dist.itertuples()]
    ledger = pd.DataFrame(receipts + outs, columns=["at", "kind", "source", "holder_kind", "holder_id",
                                                    "item_code", "quantity", "household_id", "reason"])
    ledger.insert(0, "id", np.arange(1, len(ledger) + 1))
    ledger = _with_none(ledger, "source", "household_id")
    dist.insert(0, "id", np.arange(1, len(dist) + 1))
    dist["movement_id"] = np.arange(len(receipts) + 1, len(ledger) + 1)
    return ledger, dist.drop(columns=["holder_kind", "holder_id"])


def _build_visits(rng: np.random.Generator, households: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Medical visits to vulnerable households in need: some recent, some overdue, many none."""
    hh = households
    vulnerable = (hh[["infants", "elderly", "disabled", "chronic", "pregnant", "injured"]].sum(axis=1) > 0).to_numpy()
    who = np.flatnonzero(vulnerable & hh["needs_living_aid"].to_numpy())
    u = rng.random(len(who))
    hours = np.where(u < 0.45, rng.uniform(2, 160, len(who)), rng.uniform(190, 330, len(who)))
    keep = u < 0.55
    who, hours = who[keep], hours[keep]
    working = facilities[facilities["operating"]]
    fxy = _projected(working["geom"])
    hxy = _projected(hh["geom"].to_numpy()[who])
    _, nearest = cKDTree(fxy).query(hxy) if len(who) else (None, np.array([], dtype=np.int64))
    frame = pd.DataFrame({
        "household_id": hh["id"].to_numpy()[who],
        "visited_at": [DEMO_NOW - timedelta(hours=float(np.round(h, 2))) for h in hours],
        "facility_id": working["id"].to_numpy()[nearest].astype(object),
        "note": "demo visit",
    }).sort_values(["visited_at", "household_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


# --- assembly -------------------------------------------------------------------

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


def _with_none(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Nullable text columns as ``object`` holding ``None`` (pandas would make them NaN)."""
    for column in columns:
        frame[column] = pd.Series([None if pd.isna(v) else v for v in frame[column]], dtype=object,
                                  index=frame.index)
    return frame


def _geo(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry="geom", crs=WGS84_CRS)


def build_demo(admin: gpd.GeoDataFrame, *, seed: int = 42, households: int = 20000) -> DemoRegion:
    """Generate the whole demo region inside ``admin`` (prefecture + counties, WGS 84).

    Deterministic for a given ``seed``: two calls give identical frames.
    20,000 households take a few seconds; 100,000 work too (for benchmarks),
    with the same sites, so more evacuees go unplaced.
    """
    if households < 1:
        raise ValueError("households must be at least 1")
    prefecture_row, counties = _checked_admin(admin)
    prefecture = _multi(prefecture_row.geometry)
    names = ("areas", "incidents", "sites", "depots", "facilities", "households", "ledger", "visits")
    rngs = dict(zip(names, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(names)))))

    townships, villages = _build_areas(counties, rngs["areas"])
    incidents = _build_incidents(counties, townships, rngs["incidents"])
    sites = _build_sites(rngs["sites"], counties, townships, incidents)
    depots = _build_depots(rngs["depots"], counties, townships)
    facilities = _build_facilities(rngs["facilities"], counties, townships, villages, incidents)
    hh, affected_hours = _build_households(households, rngs["households"], counties, townships, villages,
                                           incidents, sites, prefecture)
    stock, distributions = _build_ledger(rngs["ledger"], hh, affected_hours, sites, depots, households)
    visits = _build_visits(rngs["visits"], hh, facilities)
    areas = _areas_frame(prefecture_row, counties, townships, villages, hh)
    return DemoRegion(
        seed=seed, areas=areas, households=_geo(hh), sites=_geo(sites), depots=_geo(depots),
        facilities=_geo(facilities), incidents=_geo(incidents), items=_build_items(), stock=stock,
        distributions=distributions, medical_visits=visits,
    )
