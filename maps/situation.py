"""The static situation map: one self-contained HTML file that opens offline.

folium links Leaflet, jQuery and Bootstrap from CDNs by default; here every
element's links are dropped and the vendored Leaflet (``static/vendor``) is
written into the page instead. Our layers need nothing else. Inlining also
neutralises the few URL strings in Leaflet's text that are not needed to run
it (the link in the attribution prefix, the project URL in its licence
banner and a source-map comment). The one URL-shaped string that remains is
the SVG namespace name ``http://www.w3.org/2000/svg``, which Leaflet's SVG
renderer passes to ``createElementNS``: an identifier, never fetched.

:func:`external_urls` then checks what the page itself would load: the
``src``/``href``-like attributes of its elements and the ``url(…)`` and
``@import`` of its styles. Text is data, not a resource: an address typed in
an incident's description is escaped into a popup (see :mod:`maps.layers`)
and must not stop the map from being exported.

maps imports nothing from relief: the caller passes the folder of the vendored
Leaflet (``relief.asset_folder("static")/vendor/leaflet``) and the words the
legend lists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import folium
import geopandas as gpd
from branca.element import Element, Figure

from maps import layers, styles

#: URL-shaped strings allowed in the output: XML namespace names, which browsers never fetch.
NAMESPACE_NAMES = ("http://www.w3.org/2000/svg",)
#: Attributes whose value an element fetches, follows or submits to.
RESOURCE_ATTRIBUTES = frozenset({"src", "href", "srcset", "imagesrcset", "poster", "data", "action", "formaction",
                                 "background", "manifest", "xlink:href", "ping", "codebase", "archive", "longdesc"})
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";\s]+)", re.IGNORECASE)

# Leaflet's text, made link-free: (pattern, replacement, how many must match) — a vendor upgrade that changes
# them fails loudly.
_LEAFLET_JS_EDITS = (
    ("a JS library for interactive maps. https://leafletjs.com", "a JS library for interactive maps. leafletjs.com", 1),
    ('<a href="https://leafletjs.com" title=', "<a title=", 1),
    ('<svg aria-hidden="true" xmlns="http://www.w3.org/2000/svg" ', '<svg aria-hidden="true" ', 1),
)

_PAGE_CSS = """
html, body { margin: 0; height: 100%; font-family: "Noto Sans CJK SC", "Microsoft YaHei", system-ui, sans-serif; }
.leaflet-container { background: __BACKGROUND__; }
.relief-icon { background: none; border: 0; }
.relief-icon svg { display: block; filter: drop-shadow(0 1px 1px rgba(0,0,0,.35)); }
.relief-label { background: none; border: 0; pointer-events: none; }
.area-label { display: block; text-align: center; font-size: 12px; font-weight: 600; color: __LABEL__;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; white-space: nowrap; }
.level-badge { position: absolute; right: -8px; top: -8px; color: #fff; font: 700 9px/13px sans-serif;
  padding: 0 3px; border-radius: 6px; border: 1px solid #fff; }
.popup table { border-collapse: collapse; font-size: 12px; } .popup th { text-align: left; color: #5b6b7b;
  font-weight: 500; padding-right: 8px; vertical-align: top; } .popup td { white-space: pre-wrap; }
.relief-title { position: absolute; z-index: 1000; left: 50px; top: 10px; background: rgba(255,255,255,.92);
  padding: 6px 10px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 13px; }
.relief-title b { font-size: 15px; display: block; }
.relief-legend { position: absolute; z-index: 1000; right: 10px; bottom: 24px; max-width: 330px;
  background: rgba(255,255,255,.92); padding: 6px 10px; border-radius: 4px; font-size: 11px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.relief-legend .item { display: inline-flex; align-items: center; gap: 3px; margin: 1px 8px 1px 0; }
.relief-legend .sw { width: 10px; height: 10px; border-radius: 2px; display: inline-block; border: 1px solid #0003; }
"""


@dataclass(frozen=True)
class SituationBundle:
    """What the situation map shows, as GeoDataFrames in EPSG:4326 (built by ``services.situation``)."""

    areas: gpd.GeoDataFrame            # prefecture, counties, townships: code, name_zh, name_en, level, parent_code
    guarantee_areas: gpd.GeoDataFrame  # villages with households and worst_<status> counts
    incidents: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    depots: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    title: str
    generated_at: datetime
    #: Incident statuses the legend lists, in order (None: every status with a colour).
    legend_statuses: tuple[str, ...] | None = None


@lru_cache(maxsize=2)
def leaflet_assets(folder: Path) -> tuple[str, str]:
    """Leaflet's JS and CSS from ``folder`` (``leaflet.js``, ``leaflet.css``), made link-free for inlining."""
    folder = Path(folder)
    js = (folder / "leaflet.js").read_text(encoding="utf-8")
    for old, new, count in _LEAFLET_JS_EDITS:
        if js.count(old) != count:
            raise RuntimeError(f"vendored leaflet.js changed: expected {count}× {old!r}")
        js = js.replace(old, new)
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    css = re.sub(r"/\*.*?\*/", "", (folder / "leaflet.css").read_text(encoding="utf-8"), flags=re.S)
    # Leaflet's stock marker images are never used here (every icon is a divIcon): drop their relative URLs too.
    css = re.sub(r"url\(images/[^)]*\)", "none", css)
    return js.replace("</script", "<\\/script"), css


def _page_css() -> str:
    return _PAGE_CSS.replace("__BACKGROUND__", styles.BASE["background"]).replace("__LABEL__", styles.BASE["label"])


class _Assets(HTMLParser):
    """Collects every address the page's markup and styles would fetch (script and style text is not markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.addresses: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in ("srcset", "imagesrcset"):  # "a.png 1x, b.png 2x"
                self.addresses.extend(part.split()[0] for part in value.split(",") if part.strip())
            elif name in RESOURCE_ATTRIBUTES:
                self.addresses.append(value.strip())
            elif name == "style":
                self.addresses.extend(_css_addresses(value))
            elif name == "content" and ("http-equiv", "refresh") in [(k, (v or "").lower()) for k, v in attrs]:
                self.addresses.extend(_REFRESH_URL.findall(value))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.addresses.extend(_css_addresses(data))


def _css_addresses(css: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in _CSS_URL.finditer(css)]


def _other_host(address: str) -> bool:
    """True for an address naming a host (``https://…``, ``//…``); data:, fragments and relative paths are local."""
    address = address.strip().strip("'\"").replace("\\", "/")  # browsers read \\host as //host
    if address.rstrip("/") in NAMESPACE_NAMES:
        return False
    return address.startswith("//") or bool(urlsplit(address).netloc)


def external_urls(html: str) -> list[str]:
    """Addresses of other hosts that the page's elements or styles would load (text content is never one)."""
    parser = _Assets()
    parser.feed(html)
    parser.close()
    return [a for a in parser.addresses if _other_host(a)]


def _drop_cdn_links(element) -> None:
    """folium adds a ``<script src=cdn>`` per element class; clear them on every element of the tree."""
    if hasattr(element, "default_js"):
        element.default_js = []
        element.default_css = []
    for child in list(getattr(element, "_children", {}).values()):
        _drop_cdn_links(child)


def build(bundle: SituationBundle) -> folium.Map:
    """The folium map: base, boundaries, household choropleth, incidents, sites, depots, facilities."""
    bounds = bundle.areas.total_bounds if len(bundle.areas) else (108.3, 29.1, 110.7, 31.4)
    fmap = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=8,
                      tiles=None, prefer_canvas=False, control_scale=True, zoom_snap=0.25)
    figure = Figure(title=layers.text(bundle.title))
    figure.add_child(fmap)
    layers.base_layer(bundle.areas).add_to(fmap)
    layers.guarantee_layer(bundle.guarantee_areas).add_to(fmap)
    layers.boundaries_layer(bundle.areas).add_to(fmap)
    layers.incident_layer(bundle.incidents).add_to(fmap)
    layers.site_layer(bundle.sites).add_to(fmap)
    layers.depot_layer(bundle.depots).add_to(fmap)
    layers.facility_layer(bundle.facilities).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    stamp = bundle.generated_at.isoformat(timespec="minutes")
    legend = layers.legend_html(bundle.legend_statuses)
    fmap.get_root().html.add_child(Element(
        f'<div class="relief-title"><b>{layers.text(bundle.title)}</b>{layers.text(stamp)} · '
        f'{len(bundle.incidents)} incidents · {len(bundle.sites)} sites</div>{legend}'))
    return fmap


def render_html(fmap: folium.Map, leaflet: Path) -> str:
    """The map as one offline HTML document, Leaflet inlined from ``leaflet``; refuses one that links another host."""
    figure = fmap.get_root()
    _drop_cdn_links(figure)
    js, css = leaflet_assets(Path(leaflet))
    figure.header.add_child(Element(f"<style>{css}{_page_css()}</style>"), name="relief_css")
    figure.header.add_child(Element(f"<script>{js}</script>"), name="relief_leaflet")
    html = figure.render()
    leftover = external_urls(html)
    if leftover:
        raise RuntimeError(f"situation map would load from other hosts: {sorted(set(leftover))[:5]}")
    return html


def situation_html(bundle: SituationBundle, leaflet: Path) -> str:
    """The situation map as one offline HTML document; ``leaflet`` is the folder of the vendored Leaflet."""
    return render_html(build(bundle), leaflet)
