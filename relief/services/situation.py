"""The situation map's data: every layer as a GeoDataFrame, then one HTML file.

The frames come from the same reads as the live map (``services.map_layers`` and
``services.live_map``), so the static export and the open screens agree; the
drawing is :mod:`maps.situation`'s job. Households appear only as counts per
village, never as points, because the file travels beyond the staff.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import geopandas as gpd
import pandas as pd

from maps.situation import SituationBundle, situation_html
from relief import asset_folder
from relief.domain.vocabulary import DISCARDED_STATUSES, INCIDENT_STATUSES, VERDICTS_WORST_FIRST, AreaLevel
from relief.services import events as event_service
from relief.services import live_map, map_layers
from relief.services.context import Context

CRS = "EPSG:4326"
#: The vendored Leaflet the exported page inlines.
LEAFLET = Path(asset_folder("static")) / "vendor" / "leaflet"
ALL = 10**9


#: Columns each frame has even when empty (so the map code needs no special case).
COLUMNS = {
    "areas": ("code", "name_zh", "name_en", "level", "parent_code"),
    "incidents": ("id", "kind", "status", "title", "description", "response_level", "occurred_at", "county_code"),
    "sites": ("id", "name", "kind", "status", "capacity_persons", "occupants", "free_capacity", "m2_per_person"),
    "depots": ("id", "name", "kind", "items_in_stock"),
    "facilities": ("id", "name", "kind", "operating"),
}


def _frame(collection: dict[str, Any], columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    features = [f for f in collection["features"] if f.get("geometry")]
    if not features:
        return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in columns} | {"geometry": []},
                                geometry="geometry", crs=CRS)
    frame = gpd.GeoDataFrame.from_features(features, crs=CRS)
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    return frame


def _guarantee_areas(ctx: Context) -> gpd.GeoDataFrame:
    villages = _frame(live_map.area_shapes(ctx, AreaLevel.VILLAGE), COLUMNS["areas"])
    summary = live_map.guarantee_summary(ctx, AreaLevel.VILLAGE)["areas"]
    counts = pd.DataFrame(
        [{"code": code, "households": entry["households"],
          **{f"worst_{s}": entry["worst"].get(s, 0) for s in VERDICTS_WORST_FIRST}}
         for code, entry in summary.items()],
        columns=["code", "households", *(f"worst_{s}" for s in VERDICTS_WORST_FIRST)])
    merged = villages.merge(counts, on="code", how="left")
    number_columns = ["households", *(f"worst_{s}" for s in VERDICTS_WORST_FIRST)]
    merged[number_columns] = merged[number_columns].fillna(0).astype(int)
    return merged


def load_bundle(ctx: Context, *, title: str = "Enshi situation map") -> SituationBundle:
    """Every layer of the situation map, read now."""
    areas = pd.concat([_frame(live_map.area_shapes(ctx, level), COLUMNS["areas"])
                       for level in (AreaLevel.PREFECTURE, AreaLevel.COUNTY, AreaLevel.TOWNSHIP)], ignore_index=True)
    return SituationBundle(
        areas=gpd.GeoDataFrame(areas, geometry="geometry", crs=CRS),
        guarantee_areas=_guarantee_areas(ctx),
        incidents=_frame(map_layers.feature_collection(ctx, "incidents", limit=ALL), COLUMNS["incidents"]),
        sites=_frame(map_layers.feature_collection(ctx, "sites", limit=ALL), COLUMNS["sites"]),
        depots=_frame(map_layers.feature_collection(ctx, "depots", limit=ALL), COLUMNS["depots"]),
        facilities=_frame(map_layers.feature_collection(ctx, "facilities", limit=ALL), COLUMNS["facilities"]),
        title=title, generated_at=ctx.now(),
        legend_statuses=tuple(s for s in INCIDENT_STATUSES if s not in DISCARDED_STATUSES))


def export_html(ctx: Context, *, title: str = "Enshi situation map") -> str:
    """The situation map as one self-contained HTML document (rendered beside the serving loop: it takes seconds)."""
    return ctx.offload(situation_html, load_bundle(ctx, title=title), LEAFLET)


#: Built maps kept for reuse, per store (so two apps never share one): title → (latest event seq, time, html).
_recent: WeakKeyDictionary = WeakKeyDictionary()
REUSE_SECONDS = 60.0


def export_html_shared(ctx: Context, *, title: str = "Enshi situation map") -> str:
    """Like :func:`export_html`, but reuses the last build while no event was committed and it is under a minute old.

    The download button is public and a build takes seconds at prefecture
    scale, so repeated clicks (or a crawler) must not each rebuild it.
    """
    kept_here = _recent.setdefault(ctx.store, {})
    seq = event_service.latest_seq(ctx)
    kept = kept_here.get(title)
    if kept and kept[0] == seq and time.monotonic() - kept[1] < REUSE_SECONDS:
        return kept[2]
    html = export_html(ctx, title=title)
    kept_here[title] = (seq, time.monotonic(), html)
    return html
