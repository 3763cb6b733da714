"""Read use cases behind the map's GeoJSON endpoints."""
from __future__ import annotations

from typing import Any

from relief.services.context import Context
from relief.store import layer_queries

LAYERS = {
    "areas": layer_queries.areas,
    "incidents": layer_queries.incidents,
    "sites": layer_queries.sites,
    "depots": layer_queries.depots,
    "facilities": layer_queries.facilities,
}


def feature_collection(ctx: Context, layer: str, **filters: Any) -> dict[str, Any]:
    with ctx.reading() as session:
        return LAYERS[layer](session, **filters).collection()
