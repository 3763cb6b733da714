"""services.geojson: located rows as RFC 7946 Features, and pages as FeatureCollections."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shapely.geometry import Point

from relief.services import geojson
from relief.store.paging import Page
from relief.store.tables import Facility, Incident


def test_a_row_is_a_feature_with_its_columns_and_no_bbox_columns():
    row = Facility(id="F1", name="clinic", kind="clinic", operating=True, geom=Point(109.123456789, 30.2))
    feature = geojson.row_feature(row, geojson.properties(row))
    assert (feature["type"], feature["id"], feature["geometry"]["type"]) == ("Feature", "F1", "Point")
    assert list(feature["geometry"]["coordinates"]) == [109.123457, 30.2]
    assert {"id": "F1", "name": "clinic", "kind": "clinic", "operating": True}.items() <= feature["properties"].items()
    assert not geojson.SPATIAL_COLUMNS & set(feature["properties"])


def test_moments_are_utc_iso_8601_even_before_a_reload():
    beijing = timezone(timedelta(hours=8))
    row = Incident(id=1, client_id="c", kind="landslide", title="t", status="reported",
                   occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=beijing), geom=None)
    props = geojson.properties(row, exclude=("client_id",))
    assert props["occurred_at"] == "2026-11-20T01:00:00+00:00" and "client_id" not in props
    assert geojson.row_feature(row, props)["geometry"] is None


def test_a_page_adds_where_the_next_one_starts():
    features = [geojson.feature(1, None, {})]
    assert geojson.collection(features) == {"type": "FeatureCollection", "features": features}
    assert geojson.collection(features, Page([object()], 3, 0, 1))["page"] == {
        "offset": 0, "limit": 1, "total": 3, "next_offset": 1}
    assert geojson.collection(features, Page([object()], 3, 2, 1))["page"]["next_offset"] is None
