"""GeoDataFrames → folium layers for the static situation map.

Each function takes one frame in EPSG:4326 and returns a folium layer drawn
with the tables in :mod:`maps.styles`, so the export looks like the live map.
Point layers are one embedded GeoJSON each (not one folium object per
marker): the icon's SVG and the popup are built here, every value that a
person typed passes through :func:`html.escape` first, and Leaflet inserts
the result as markup, so ``<script>`` in a description stays text.

maps imports nothing from relief: what a layer iterates (the verdicts of the
choropleth) it reads from the columns of the frame it is given.
"""
from __future__ import annotations

import html
import math
from typing import Any, Callable, Iterable, Mapping

import folium
import geopandas as gpd
import shapely
from folium.utilities import JsCode
from shapely.geometry import mapping

from maps import styles

#: Choropleth columns: ``worst_<verdict>`` counts households by their worst verdict.
WORST_PREFIX = "worst_"

_POINT_TO_LAYER = JsCode("""function (feature, latlng) {
  var p = feature.properties;
  return L.marker(latlng, {icon: L.divIcon({html: p.icon, className: "relief-icon", iconSize: p.size,
                                            iconAnchor: [p.size[0] / 2, p.size[1] / 2]}),
                           title: p.label, keyboard: false});
}""")
_BIND_POPUP = JsCode("""function (feature, layer) {
  if (feature.properties.popup) { layer.bindPopup(feature.properties.popup, {maxWidth: 320}); }
  if (feature.properties.tooltip) { layer.bindTooltip(feature.properties.tooltip, {sticky: true}); }
}""")


def text(value: Any) -> str:
    """A value as escaped HTML text; missing values are empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def popup_html(title: Any, rows: Iterable[tuple[str, Any]]) -> str:
    cells = "".join(f"<tr><th>{text(label)}</th><td>{text(value)}</td></tr>"
                    for label, value in rows if value is not None and value != "" and not _nan(value))
    return f'<div class="popup"><strong>{text(title)}</strong><table>{cells}</table></div>'


def geojson_geometry(geom) -> dict[str, Any]:
    """The GeoJSON geometry object of a non-empty shapely geometry, wound as RFC 7946 asks."""
    return mapping(shapely.orient_polygons(geom))


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _records(frame: gpd.GeoDataFrame) -> Iterable[tuple[dict[str, Any], Any]]:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    for values, geom in zip(frame[columns].itertuples(index=False, name=None), frame.geometry):
        yield dict(zip(columns, values)), geom


def _point_layer(frame: gpd.GeoDataFrame, name: str, describe: Callable[[Mapping[str, Any]], dict[str, Any]],
                 *, show: bool = True) -> folium.FeatureGroup:
    """One GeoJSON of points whose ``describe(row)`` gives ``icon``, ``size``, ``label``, ``popup``."""
    features = []
    for row, geom in _records(frame):
        if geom is None or geom.is_empty:
            continue
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        features.append({"type": "Feature", "geometry": geojson_geometry(point), "properties": describe(row)})
    group = folium.FeatureGroup(name=name, show=show)
    if features:
        folium.GeoJson({"type": "FeatureCollection", "features": features}, point_to_layer=_POINT_TO_LAYER,
                       on_each_feature=_BIND_POPUP).add_to(group)
    return group


def _polygons(frame: gpd.GeoDataFrame, style: Callable[[Mapping[str, Any]], dict[str, Any]],
              describe: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None, *,
              interactive: bool = True) -> folium.GeoJson:
    features = []
    for row, geom in _records(frame):
        if geom is None or geom.is_empty or geom.geom_type == "Point":
            continue
        props = {"style": style(row)}
        if describe:
            props.update(describe(row))
        features.append({"type": "Feature", "geometry": geojson_geometry(geom), "properties": props})
    return folium.GeoJson({"type": "FeatureCollection", "features": features},
                          on_each_feature=_BIND_POPUP if describe else None, interactive=interactive)


def area_name(row: Mapping[str, Any]) -> str:
    return " ".join(str(v) for v in (row.get("name_zh"), row.get("name_en")) if v)


def base_layer(areas: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """The offline base map: county land tints, township lines, the prefecture edge, county names."""
    base = styles.BASE
    group = folium.FeatureGroup(name="base", control=False)
    counties = areas[areas["level"] == "county"].reset_index(drop=True)
    fills = base["county_fills"]
    tint = {code: fills[i % len(fills)] for i, code in enumerate(counties["code"])}
    _polygons(counties, lambda r: {"color": base["county"]["color"], "weight": 0, "fillColor": tint[r["code"]],
                                   "fillOpacity": 1}, interactive=False).add_to(group)
    _polygons(areas[areas["level"] == "township"], lambda r: {**base["township"], "fill": False},
              interactive=False).add_to(group)
    for row, geom in _records(counties):
        at = geom.representative_point()
        folium.Marker([at.y, at.x], icon=folium.DivIcon(
            html=f'<span class="area-label county">{text(row.get("name_zh"))}</span>', icon_size=(120, 18),
            icon_anchor=(60, 9), class_name="relief-label"), interactive=False).add_to(group)
    return group


def boundaries_layer(areas: gpd.GeoDataFrame, name: str = "Administrative boundaries") -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name)
    for level in ("township", "county", "prefecture"):
        frame = areas[areas["level"] == level]
        _polygons(frame, lambda r, lv=level: {**styles.BASE[lv], "fill": True, "fillOpacity": 0},
                  lambda r: {"tooltip": text(area_name(r))}).add_to(group)
    return group


def guarantee_layer(areas: gpd.GeoDataFrame, name: str = "Households: five guarantees") -> folium.FeatureGroup:
    """Choropleth of the households' worst verdicts per area (columns ``worst_<verdict>``, ``households``).

    The verdicts are the frame's ``worst_`` columns, in their order (worst first from ``services.situation``).
    """
    group = folium.FeatureGroup(name=name)
    verdicts = [c[len(WORST_PREFIX):] for c in areas.columns if isinstance(c, str) and c.startswith(WORST_PREFIX)]

    def counts(row):
        return {s: int(row.get(WORST_PREFIX + s) or 0) for s in verdicts}

    def style(row):
        klass = styles.area_class(counts(row))
        return {"color": "#ffffff", "weight": 0.6, "fillColor": styles.AREA_CLASS_COLOURS[klass],
                "fillOpacity": 0.15 if klass in ("unknown", "empty", "not_applicable") else 0.55}

    def describe(row):
        c = counts(row)
        return {"popup": popup_html(area_name(row), [("households", row.get("households"))] +
                                    [(s, c[s]) for s in verdicts if c[s]]),
                "tooltip": text(area_name(row))}

    _polygons(areas, style, describe).add_to(group)
    return group


def incident_layer(incidents: gpd.GeoDataFrame, name: str = "Incidents") -> folium.FeatureGroup:
    """Hazard polygons tinted by kind, and an icon per incident: shape by kind, colour by status."""
    group = _point_layer(incidents, name, lambda r: {
        "icon": styles.incident_svg(r.get("kind"), r.get("status")) + _level_badge(r.get("response_level")),
        "size": [22, 22], "label": str(r.get("title") or ""),
        "popup": popup_html(r.get("title"), [("kind", r.get("kind")), ("status", r.get("status")),
                                             ("response level", r.get("response_level")),
                                             ("occurred", r.get("occurred_at")),
                                             ("description", r.get("description"))]),
    })
    hazards = _polygons(incidents, lambda r: {"color": styles.STATUS_COLOURS.get(r.get("status"), "#555"), "weight": 2,
                                              "fillColor": styles.KIND_COLOURS.get(r.get("kind"), "#555"),
                                              "fillOpacity": 0.25, "dashArray": "4 3"}, interactive=False)
    hazards.add_to(group)
    return group


def _level_badge(level: Any) -> str:
    if not level or level not in styles.RESPONSE_LEVEL_COLOURS:
        return ""
    return f'<b class="level-badge" style="background:{styles.RESPONSE_LEVEL_COLOURS[level]}">{text(level)}</b>'


def site_icon(row: Mapping[str, Any]) -> str:
    """A small house filled from the bottom as far as the site is occupied."""
    state = styles.site_state(row)
    colour = styles.SITE_STATE_COLOURS[state]
    capacity = row.get("capacity_persons") or 0
    share = min((row.get("occupants") or 0) / capacity, 1.0) if capacity else 0.0
    fill_h = round(12 * share, 2)
    return (f'<svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true">'
            f'<path d="M10 1 L19 8 V19 H1 V8 Z" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
            f'<rect x="3" y="{round(17 - fill_h, 2)}" width="14" height="{fill_h}" fill="{colour}"/></svg>')


def site_layer(sites: gpd.GeoDataFrame, name: str = "Relocation sites") -> folium.FeatureGroup:
    return _point_layer(sites, name, lambda r: {
        "icon": site_icon(r), "size": [20, 20], "label": str(r.get("name") or ""),
        "popup": popup_html(r.get("name"), [
            ("status", r.get("status")),
            ("occupants", f"{int(r.get('occupants') or 0)} / {int(r.get('capacity_persons') or 0)}"),
            ("free places", r.get("free_capacity")), ("m² per person", r.get("m2_per_person")),
            ("days of cover", r.get("days_of_cover"))]),
    })


def depot_layer(depots: gpd.GeoDataFrame, name: str = "Depots") -> folium.FeatureGroup:
    def icon(r):
        colour = styles.DEPOT_STATE_COLOURS[styles.depot_state(r)]
        return (f'<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"><rect x="1" y="1" width="16" '
                f'height="16" rx="2" fill="{colour}" stroke="#ffffff" stroke-width="1.5"/>'
                f'<path d="M4 7 H14 M4 11 H14" stroke="#ffffff" stroke-width="1.5"/></svg>')

    return _point_layer(depots, name, lambda r: {
        "icon": icon(r), "size": [18, 18], "label": str(r.get("name") or ""),
        "popup": popup_html(r.get("name"), [("stock", styles.depot_state(r)),
                                            ("items in stock", r.get("items_in_stock")),
                                            ("days of cover", r.get("days_of_cover"))]),
    })


def facility_layer(facilities: gpd.GeoDataFrame, name: str = "Health facilities") -> folium.FeatureGroup:
    def icon(r):
        colour = styles.FACILITY_COLOURS["operating" if r.get("operating") else "closed"]
        return (f'<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true"><path d="M5 1 H9 V5 H13 V9 H9 V13 '
                f'H5 V9 H1 V5 H5 Z" fill="{colour}" stroke="#ffffff" stroke-width="1"/></svg>')

    return _point_layer(facilities, name, lambda r: {
        "icon": icon(r), "size": [14, 14], "label": str(r.get("name") or ""),
        "popup": popup_html(r.get("name"), [("kind", r.get("kind")),
                                            ("operating", "yes" if r.get("operating") else "no")]),
    }, show=False)


def legend_html(statuses: Iterable[str] | None = None) -> str:
    """The legend box, built from the same tables as the layers; ``statuses`` lists the incident statuses shown."""
    def swatch(colour: str) -> str:
        return f'<i class="sw" style="background:{colour}"></i>'

    kinds = "".join(f'<span class="item"><svg width="14" height="14" viewBox="-1 -1 22 22"><path d="{path}" '
                    f'fill="#ffffff" stroke="#1d2733" stroke-width="2"/></svg>{text(kind)}</span>'
                    for kind, path in styles.KIND_SHAPES.items())
    shown = list(styles.STATUS_COLOURS) if statuses is None else list(statuses)
    statuses_html = "".join(f'<span class="item">{swatch(styles.STATUS_COLOURS[s])}{text(s)}</span>' for s in shown
                            if s in styles.STATUS_COLOURS)
    areas = "".join(f'<span class="item">{swatch(styles.AREA_CLASS_COLOURS[k])}{text(k)}</span>'
                    for k in styles.AREA_CLASSES if k != "empty")
    sites = "".join(f'<span class="item">{swatch(c)}{text(s)}</span>' for s, c in styles.SITE_STATE_COLOURS.items())
    depots = "".join(f'<span class="item">{swatch(c)}{text(s)}</span>' for s, c in styles.DEPOT_STATE_COLOURS.items())
    return (f'<div class="relief-legend"><b>Incident kind</b><div>{kinds}</div>'
            f'<b>Incident status</b><div>{statuses_html}</div>'
            f'<b>Households (worst guarantee)</b><div>{areas}</div><b>Sites</b><div>{sites}</div>'
            f'<b>Depots</b><div>{depots}</div></div>')
