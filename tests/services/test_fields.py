"""The shared body parsers: every number in its range, every id whole and in range, text storable, times sane."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from relief.domain import limits
from relief.errors import ValidationFailed
from relief.services import fields
from relief.services import incident_input as parse

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def refused(call, field: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    return caught.value


@pytest.mark.parametrize("value", [1e308, -1e308, 1e9 + 1, 10**20, -(10**400), float("inf"), float("nan"), True,
                                   "5", [5], {"n": 5}])
def test_quantity_outside_its_range_or_not_a_number_is_refused(value):
    refused(lambda: fields.number({"quantity": value}, "quantity"), "quantity")


def test_quantity_at_its_bounds_is_kept():
    assert fields.number({"quantity": 1e9}, "quantity") == 1e9
    assert fields.number({"quantity": -1e9}, "quantity") == -1e9
    assert fields.number({"quantity": 3}, "quantity", positive=True) == 3.0


def test_a_number_without_its_own_range_is_still_bounded():
    assert limits.number_range("horizon_days") == limits.ANY_NUMBER
    refused(lambda: fields.number({"horizon_days": 1e300}, "horizon_days"), "horizon_days")
    assert fields.number({"horizon_days": 7}, "horizon_days") == 7.0


def test_callers_may_narrow_the_range_but_never_widen_it():
    refused(lambda: fields.number({"max_km": 30}, "max_km", maximum=20), "max_km")
    refused(lambda: fields.number({"max_km": 30_000}, "max_km", maximum=1e12), "max_km")


@pytest.mark.parametrize("value", [1.5, 2.0, True, False, 0, -3, limits.INT4_MAX + 1, 10**20, "1.5", "x", "-2",
                                   "9" * 30, "١٢", [1], {"id": 1}])
def test_record_id_is_a_whole_number_within_the_id_columns(value):
    refused(lambda: fields.record_id({"duplicate_of": value}, "duplicate_of"), "duplicate_of")


def test_record_id_takes_a_number_or_its_digits():
    assert fields.record_id({"duplicate_of": 12}, "duplicate_of") == 12
    assert fields.record_id({"duplicate_of": " 12 "}, "duplicate_of") == 12
    assert fields.record_id({"duplicate_of": limits.INT4_MAX}, "duplicate_of") == limits.INT4_MAX
    assert fields.record_id({}, "duplicate_of", required=False) is None
    refused(lambda: fields.record_id({}, "duplicate_of"), "duplicate_of")


def test_text_with_a_nul_is_refused_naming_the_field():
    error = refused(lambda: fields.text({"reason": "a\x00b"}, "reason"), "reason")
    assert "NUL" in error.message
    refused(lambda: fields.identifier({"item_code": "RI\x00CE"}, "item_code"), "item_code")
    assert fields.text({"reason": " 救灾 "}, "reason") == "救灾"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00",
                                   "1899-12-31T23:59:59+00:00", "2100-01-01T00:00:01+00:00"])
def test_times_outside_1900_to_2100_are_refused(value):
    error = refused(lambda: fields.parse_time(value, "as_of"), "as_of")
    assert "1900-01-01" in error.message and "2100-01-01" in error.message


def test_times_inside_the_window_are_kept_with_their_offset():
    assert fields.parse_time("1900-01-01T08:00:00+08:00", "as_of") == limits.EARLIEST
    assert fields.parse_time("2099-12-31T23:59:59Z", "as_of").year == 2099


def test_an_event_time_in_year_one_is_refused_not_overflowed():
    refused(lambda: parse.moment("0001-01-01T00:00:00+08:00", "occurred_at", now=NOW), "occurred_at")
    refused(lambda: fields.moment({"visited_at": "0001-01-01T00:00:00+08:00"}, "visited_at", now=NOW), "visited_at")


@pytest.mark.parametrize("lat", ["NaN", "nan", "inf", "1_0", "0x1e", "١٢", "30,2", float("nan"), 91, -90.5, 10**400,
                                 True, [30.2], {"v": 30.2}])
def test_a_position_needs_a_latitude_in_range(lat):
    refused(lambda: parse.position({"lat": lat, "lon": 109.4}, required=True), "lat")


def test_a_position_takes_numbers_or_decimal_text():
    point = parse.position({"lat": "30.28", "lon": 109.46}, required=True)
    assert (point.x, point.y) == (109.46, 30.28)
    assert parse.position({"lat": -90, "lon": "-180"}, required=True).coords[0] == (-180.0, -90.0)


def test_a_three_dimensional_point_is_refused_naming_geometry():
    body = {"client_id": "abcdefgh-1", "kind": "landslide", "occurred_at": "2026-11-20T08:00:00+08:00",
            "geometry": {"type": "Point", "coordinates": [109.4, 30.2, 5]}}
    refused(lambda: parse.new_incident(body, now=NOW, max_vertices=10), "geometry")
    flat = parse.new_incident({**body, "geometry": {"type": "Point", "coordinates": [109.4, 30.2]}}, now=NOW,
                              max_vertices=10)
    assert not flat.geom.has_z


@pytest.mark.parametrize("name, value", [("affected", 10**20), ("dead", limits.COUNT.high + 1),
                                         ("crops_affected_ha", 1e12), ("economic_loss_10k_yuan", 1e300)])
def test_report_figures_beyond_their_range_are_refused_by_name(name, value):
    body = {"township_code": "422801001", "indicators": {name: value}}
    refused(lambda: parse.new_statutory_report(body, now=NOW, kind_default="initial"), f"indicators.{name}")


def test_report_figures_within_range_are_kept():
    body = {"township_code": "422801001", "indicators": {"affected": 10**9, "economic_loss_10k_yuan": 12.5}}
    report = parse.new_statutory_report(body, now=NOW, kind_default="initial")
    assert report.indicators["affected"] == 10**9 and report.indicators["economic_loss_10k_yuan"] == 12.5
