"""Read use cases behind the map's GeoJSON endpoints: store pages shaped into FeatureCollections."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from relief.services import geojson
from relief.services.context import Context
from relief.services.incident_json import incident_feature
from relief.store import layer_queries

if TYPE_CHECKING:
    from relief.store.tables import Site


def site_properties(site: Site, occupants: int) -> dict[str, Any]:
    """A site's columns with its occupancy: ``occupants``, ``free_capacity`` and ``m2_per_person``."""
    props = geojson.properties(site)
    props["occupants"] = occupants
    props["free_capacity"] = max(site.capacity_persons - occupants, 0)
    props["m2_per_person"] = round(site.covered_area_m2 / occupants, 2) if occupants else None
    return props


def site_feature(session, site: Site) -> dict[str, Any]:
    """The site as ``GET /api/sites`` shows it, with its current occupancy."""
    occupants = layer_queries.site_occupancy(session, [site.id]).get(site.id, 0)
    return geojson.row_feature(site, site_properties(site, occupants))


def _areas(session, **filters: Any) -> dict[str, Any]:
    page = layer_queries.areas(session, **filters)
    return geojson.collection((geojson.row_feature(a, geojson.properties(a), id_attr="code") for a in page.rows), page)


def _incidents(session, **filters: Any) -> dict[str, Any]:
    page = layer_queries.incidents(session, **filters)
    return geojson.collection((incident_feature(i) for i in page.rows), page)


def _sites(session, **filters: Any) -> dict[str, Any]:
    occupancy = layer_queries.site_occupancy(session)
    page = layer_queries.sites(session, **filters)
    return geojson.collection((geojson.row_feature(s, site_properties(s, occupancy.get(s.id, 0))) for s in page.rows),
                              page)


def _depots(session, **filters: Any) -> dict[str, Any]:
    held = layer_queries.depot_items_in_stock(session)
    page = layer_queries.depots(session, **filters)
    return geojson.collection((geojson.row_feature(d, {**geojson.properties(d), "items_in_stock": held.get(d.id, 0)})
                               for d in page.rows), page)


def _facilities(session, **filters: Any) -> dict[str, Any]:
    page = layer_queries.facilities(session, **filters)
    return geojson.collection((geojson.row_feature(f, geojson.properties(f)) for f in page.rows), page)


LAYERS: dict[str, Callable[..., dict[str, Any]]] = {
    "areas": _areas,
    "incidents": _incidents,
    "sites": _sites,
    "depots": _depots,
    "facilities": _facilities,
}


def feature_collection(ctx: Context, layer: str, **filters: Any) -> dict[str, Any]:
    with ctx.reading() as session:
        return LAYERS[layer](session, **filters)


def aid_flags_by_village(ctx: Context) -> dict[str, Any]:
    """Unresolved aid flags (duplicate and missed) counted per village, for the staff map layer:
    ``{"rows": [{"code", "duplicate", "missed", "total"}], "total"}``, the most flagged village first."""
    from relief.domain.vocabulary import AID_FLAG_KINDS
    from relief.services import aid_chain

    by_code: dict[str, dict[str, Any]] = {}
    for row in aid_chain.counts(ctx, oldest=0)["by_village"]:
        code = row.get("village_code")
        if not code:
            continue
        entry = by_code.setdefault(code, {"code": code, **{k: 0 for k in AID_FLAG_KINDS}, "total": 0})
        entry[row["kind"]] = entry.get(row["kind"], 0) + int(row["count"])
        entry["total"] += int(row["count"])
    rows = sorted(by_code.values(), key=lambda r: (-r["total"], r["code"]))
    return {"rows": rows, "total": sum(r["total"] for r in rows)}
