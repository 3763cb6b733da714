"""Geometry and time columns round-trip unchanged on both stores."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from relief.store.tables import Area, Incident

SQUARE = Polygon([(109.0, 30.0), (109.1, 30.0), (109.1, 30.1), (109.0, 30.1), (109.0, 30.0)])
HOLED = Polygon(SQUARE.exterior.coords, [[(109.02, 30.02), (109.05, 30.02), (109.05, 30.05), (109.02, 30.02)]])
MULTI = MultiPolygon([SQUARE, Polygon([(110.0, 29.5), (110.2, 29.5), (110.1, 29.7), (110.0, 29.5)])])


@pytest.mark.parametrize("geom", [Point(109.48, 30.27), SQUARE, HOLED], ids=["point", "polygon", "polygon-with-hole"])
def test_incident_geometry_round_trip(store, geom):
    occurred = datetime(2026, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    with store.write() as session:
        session.add(Incident(id=1, kind="landslide", title="t", status="reported", occurred_at=occurred, geom=geom))
    with store.read() as session:
        row = session.get(Incident, 1)
        assert row.geom.equals_exact(geom, 1e-9)
        assert (row.min_lon, row.min_lat, row.max_lon, row.max_lat) == pytest.approx(geom.bounds)
        assert row.occurred_at == occurred and row.occurred_at.tzinfo is not None


def test_multipolygon_area_round_trip(store):
    with store.write() as session:
        session.add(Area(code="X1", name_zh="测", name_en="Test", level="county", geom=MULTI))
    with store.read() as session:
        row = session.get(Area, "X1")
        assert row.geom.geom_type == "MultiPolygon"
        assert row.geom.equals_exact(MULTI, 1e-9)


def test_naive_datetimes_are_refused(store):
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="naive"):
        with store.write() as session:
            session.add(Incident(kind="hail", title="t", status="reported", occurred_at=datetime(2026, 1, 1)))


def test_statutory_report_has_a_column_for_every_indicator():
    from relief.domain.indicators import INDICATORS
    from relief.store.tables import StatutoryReport

    assert set(INDICATORS) <= set(StatutoryReport.__table__.columns.keys())
