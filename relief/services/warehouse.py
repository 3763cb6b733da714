"""What the warehouse and donation forms offer: the holders (depots and sites, by name) and the item catalogue.

A read for pages; the writes themselves are ``services.stock`` and ``services.donations``.
"""
from __future__ import annotations

from typing import Any

from relief.domain.vocabulary import HolderKind
from relief.services.context import Context
from relief.store import sites as site_store
from relief.store import stock_queries as queries


def catalogue(ctx: Context) -> dict[str, Any]:
    """``{"holders": [{kind, id, name, county_code}], "items": [{code, name, unit}]}``: depots first, by name."""
    with ctx.reading() as session:
        depots = site_store.depots_frame(session)
        sites = site_store.sites_frame(session)
        items = queries.items_frame(session)
    holders = [{"kind": HolderKind.DEPOT.value, "id": r.depot_id, "name": r.name, "county_code": r.county_code}
               for r in depots.sort_values(["name", "depot_id"]).itertuples()]
    holders += [{"kind": HolderKind.SITE.value, "id": r.site_id, "name": r.name, "county_code": r.county_code,
                 "status": r.status} for r in sites.sort_values(["name", "site_id"]).itertuples()]
    return {"holders": holders,
            "items": [{"code": r.item_code, "name": r.name, "unit": r.unit}
                      for r in items.sort_values(["name", "item_code"]).itertuples()]}
