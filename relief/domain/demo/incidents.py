"""The five demo incidents, modelled on the region's typical disasters.

:data:`_INCIDENT_SPECS` is the data table (one row per incident, keyed by
``key``) that the other builders read too: households are damaged around these
footprints, extra sites open near them and clinics are struck by them.
"""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from relief.domain.demo.clock import DEMO_NOW
from relief.domain.demo.frames import _with_none
from relief.domain.demo.geometry import _ellipse, _multi
from relief.domain.geo import geometry_to_wgs84, project_xy

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
    """One row per spec, ids 1..5 in spec order; titles name the county and the township struck."""
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
