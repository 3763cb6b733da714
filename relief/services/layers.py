"""Read use cases behind the map's GeoJSON endpoints."""
from __future__ import annotations

from typing import Any

from relief.services.context import Context
from relief.store import layers

LAYERS = {
    "areas": layers.areas,
    "incidents": layers.incidents,
    "sites": layers.sites,
    "depots": layers.depots,
    "facilities": layers.facilities,
}


def feature_collection(ctx: Context, layer: str, **filters: Any) -> dict[str, Any]:
    with ctx.reading() as session:
        return LAYERS[layer](session, **filters).collection()
