"""The demo incidents, modelled on the region's typical disasters, and their lifecycle so far.

:data:`_INCIDENT_SPECS` is the data table of the five active incidents (one
row per incident, keyed by ``key``) that the other builders read too:
households are damaged around these footprints, extra sites open near them
and clinics are struck by them. :data:`_PAST_INCIDENT_SPECS` are incidents
already closed. Each spec's ``timeline`` walks the lifecycle table, so every
status shown has the transitions that led to it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from relief.domain.demo.frames import _with_none
from relief.domain.demo.geometry import _ellipse, _multi
from relief.domain.geo import geometry_to_wgs84, project_xy
from relief.domain.incidents import INITIAL_STATUS, TRANSITIONS

# ``hours_ago``: when it occurred, before the demo's ``as_of``; ``timeline``: lifecycle actions and the
# hours after occurrence they were taken (the status is where they lead); ``reporting``: how its
# statutory reports kept their deadlines (see :mod:`.reports`).
_INCIDENT_SPECS = (
    dict(key="landslide", kind="landslide", county="422823", centre=(110.365, 31.035), evacuate=True,
         hours_ago=50, timeline=(("verify", 3), ("respond", 5)), reporting="on_time",
         shape=("ellipse", 1500.0, 650.0, 25.0), exposure=0.015,
         title="{county}{township}库岸滑坡险情",
         description="长江三峡库区南岸斜坡出现拉裂缝并持续变形，库水位消落期间前缘局部垮塌，"
                     "危险区内群众已组织转移，设立警戒区，专业监测单位24小时值守。"),
    dict(key="hail", kind="hail", county="422822", centre=(109.76, 30.63), evacuate=False,
         hours_ago=98, timeline=(("verify", 8), ("respond", 12), ("stabilise", 68)), reporting="on_time",
         shape=("swath", 28000.0, 1800.0, 55.0), exposure=0.02,
         title="{county}{township}一带冰雹灾害",
         description="强对流天气带来冰雹，最大冰雹直径约2厘米，沿西南—东北方向形成雹灾带，"
                     "部分农房屋顶瓦片、彩钢棚受损，烟叶、蔬菜等农作物受灾。"),
    dict(key="snow", kind="snow_ice", county="422802", centre=(108.86, 30.19), evacuate=False,
         hours_ago=26, timeline=(("verify", 2), ("respond", 4)), reporting="on_time",
         shape=("ellipse", 16000.0, 11000.0, -20.0), exposure=0.02,
         title="{county}{township}高海拔地区低温雨雪冰冻",
         description="寒潮过程带来持续降雪和道路结冰，高海拔山区积雪深约15厘米，部分村组交通、"
                     "电力中断，简易房屋及大棚被压垮，需保障群众取暖、饮水和口粮。"),
    dict(key="flood", kind="flood", county="422801", centre=(109.472, 30.302), evacuate=False,
         hours_ago=6, timeline=(), reporting="initial_late", shape=("point", 900.0), exposure=0.015,
         title="{county}{township}强降雨引发城市内涝",
         description="短时强降雨导致清江城区段水位上涨，低洼街道和沿河居民区进水，"
                     "部分商铺、民房一楼被淹，正在核实受灾情况。"),
    dict(key="debris", kind="debris_flow", county="422828", centre=(110.10, 29.95), evacuate=False,
         hours_ago=74, timeline=(("verify", 6),), reporting="continued_late", shape=("point", 450.0), exposure=0.01,
         title="{county}{township}沟谷泥石流",
         description="持续降雨诱发沟谷型泥石流，冲毁村道约300米，沟口数户民房被淤埋或损毁，"
                     "已疏散沟口下游群众。"),
)

# Over before the demo's week: their people are home again, so they damage no household, open no site
# and strike no clinic; they are on the map, in the history and in the figures.
_PAST_INCIDENT_SPECS = (
    dict(key="rainstorm", kind="flood", county="422827", centre=(109.36, 29.47), evacuate=False,
         hours_ago=16 * 24, timeline=(("verify", 3), ("respond", 5), ("stabilise", 130), ("close", 190)),
         reporting="on_time", shape=("ellipse", 9000.0, 6000.0, 30.0),
         title="{county}{township}一带暴雨洪涝",
         description="持续强降雨致酉水沿岸河水漫堤，沿河集镇和村庄进水，部分农房倒塌，"
                     "群众已转移安置，灾后已陆续返家，过渡期生活救助发放完毕。"),
)
#: Every demo incident, in id order: the active ones first.
_ALL_INCIDENT_SPECS = _INCIDENT_SPECS + _PAST_INCIDENT_SPECS


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


def _lifecycle(spec: dict, occurred: datetime) -> tuple[str, list[dict]]:
    """The status the spec's timeline leads to, and its transitions, each checked against the lifecycle table."""
    status, rows = INITIAL_STATUS, []
    for action, hours in spec["timeline"]:
        step = next(t for t in TRANSITIONS if t.action == action)
        if status not in step.sources:
            raise ValueError(f"demo incident {spec['key']}: {action} cannot follow {status}")
        rows.append(dict(action=action, from_status=status, to_status=step.target,
                         at=occurred + timedelta(hours=hours), reason=_TRANSITION_REASONS[action]))
        status = step.target
    return status, rows


_TRANSITION_REASONS = {"verify": "现场核实灾情属实", "respond": "启动应急响应，组织转移安置和生活救助",
                       "stabilise": "灾情趋于稳定，转入恢复重建", "close": "核报已报送，过渡期救助完成"}


def _build_incidents(counties: pd.DataFrame, townships: pd.DataFrame, rng: np.random.Generator,
                     as_of: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Incidents (ids in spec order, active ones first) and their lifecycle transitions, placed before ``as_of``.

    Titles name the county and the township struck; ``updated_at`` is the
    last transition (the statutory reports move it later, see :mod:`.reports`).
    """
    tree = shapely.STRtree(townships["geom"].values)
    rows, transitions = [], []
    for i, spec in enumerate(_ALL_INCIDENT_SPECS, start=1):
        county = _multi(counties.loc[spec["county"]].geometry)
        geom = _incident_geometry(spec, county, rng)
        anchor = Point(spec["centre"]) if county.contains(Point(spec["centre"])) else geom.representative_point()
        hits = tree.query(anchor, predicate="within")
        township = townships.iloc[int(hits[0])] if len(hits) else None
        occurred = as_of - timedelta(hours=spec["hours_ago"])
        status, steps = _lifecycle(spec, occurred)
        at = {step["to_status"]: step["at"] for step in steps}
        title = spec["title"].format(county=counties.loc[spec["county"], "name_zh"],
                                     township=township["name_zh"] if township is not None else "")
        reported = occurred + timedelta(minutes=40)
        rows.append(dict(
            id=i, client_id=f"demo-{spec['key']}", kind=spec["kind"], title=title,
            description=spec["description"], status=status, county_code=spec["county"],
            township_code=township["code"] if township is not None else None, evacuate=spec["evacuate"],
            occurred_at=occurred, reported_at=reported, updated_at=max([reported, *at.values()]),
            stabilised_at=at.get("stabilised"), closed_at=at.get("closed"), geom=geom,
        ))
        transitions += [dict(incident_id=i, **step) for step in steps]
    incidents = _with_none(pd.DataFrame(rows), "township_code", "stabilised_at", "closed_at")
    history = pd.DataFrame(transitions, columns=["incident_id", "action", "from_status", "to_status", "at", "reason"])
    history.insert(0, "id", np.arange(1, len(history) + 1))
    return incidents, history
