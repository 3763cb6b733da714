"""``relief import`` of houses, inspections and payments (all or nothing, row errors) and ``relief reconstruction``."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from relief.store.tables import House, HousePayment, HouseTransition, Inspection
from tests import reconstruction_world as rw

COLUMNS = ("house_id,household_id,county_code,township_code,damage,stage,days_in_stage,stalled,"
           "correction_required,entitled,paid,due,next_milestone")
HOUSES = """house_id,household_id,lat,lon,damage,assessed_at,stage,stage_since,rebuild_mode,exclusion_reason
H1,HH1,30.5,109.2,collapsed,2026-05-01T09:00:00+08:00,main_structure,2026-06-01T09:00:00+08:00,in_place,
H2,HH2,30.5,109.8,general,2026-05-01T09:00:00+08:00,repair_started,2026-05-01T09:00:00+08:00,repair,
H3,HH3,30.5,109.8,severe,2026-05-01T09:00:00+08:00,excluded,2026-05-02T09:00:00+08:00,,second home
"""
INSPECTIONS = """house_id,milestone,inspected_at,result,inspector,note
H1,foundation,2026-05-20T10:00:00+08:00,pass,王工,
H1,main_structure,2026-05-30T10:00:00+08:00,fail,王工,cracked beam
H1,main_structure,2026-05-31T10:00:00+08:00,pass,王工,fixed
H2,repair_completed,2026-05-31T10:00:00+08:00,fail,李工,roof leaks
"""
PAYMENTS = """house_id,tranche,amount,paid_at
H1,agreement,12000,2026-05-05T10:00:00+08:00
H1,main_structure,16000,2026-06-02T10:00:00+08:00
"""


@pytest.fixture
def world(store):
    rw.build_areas(store)
    for household in ("HH1", "HH2", "HH3"):
        rw.add_household(store, household)
    return store


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "register"
    folder.mkdir(exist_ok=True)
    for stem, text in files.items():
        (folder / f"{stem}.csv").write_text(text, encoding="utf-8")
    return folder


def _count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def _counts(store) -> tuple[int, ...]:
    return tuple(_count(store, m) for m in (House, Inspection, HousePayment, HouseTransition))


def test_import_then_reimport_changes_nothing(world, cli_runner, tmp_path):
    folder = _folder(tmp_path, houses=HOUSES, inspections=INSPECTIONS, house_payments=PAYMENTS)
    first = cli_runner("import", str(folder))
    assert first.exit_code == 0, first.output
    assert "houses.csv" in first.output and "3 new" in first.output
    assert _counts(world) == (3, 4, 2, 3)
    with world.read() as session:
        h1, h2 = session.get(House, "H1"), session.get(House, "H2")
        assert (h1.township_code, h1.village_code, h1.correction_required) == (rw.WEST, rw.WEST_VILLAGE, False)
        assert h2.township_code == rw.EAST and h2.correction_required  # its repair inspection failed
        assert session.scalar(select(HousePayment.inspection_id).where(HousePayment.tranche == "main_structure"))
    again = cli_runner("import", str(folder))
    assert again.exit_code == 0, again.output
    assert _counts(world) == (3, 4, 2, 3)


@pytest.mark.parametrize("files, where", [
    ({"houses": HOUSES.replace("H1,HH1,", "H1,HH9,")}, ("houses.csv", 2, "household_id")),
    ({"houses": HOUSES.replace(",collapsed,", ",flattened,")}, ("houses.csv", 2, "damage")),
    ({"houses": HOUSES.replace("2026-06-01T09:00:00+08:00", "2026-06-01 09:00")}, ("houses.csv", 2, "stage_since")),
    ({"houses": HOUSES.replace("severe,2026-05-01T09:00:00+08:00,excluded,2026-05-02T09:00:00+08:00,,second home",
                               "severe,2026-05-01T09:00:00+08:00,excluded,2026-05-02T09:00:00+08:00,,")},
     ("houses.csv", 4, "exclusion_reason")),
    ({"houses": HOUSES.replace(",repair_started,2026-05-01T09:00:00+08:00,repair,",
                               ",roofed,2026-05-01T09:00:00+08:00,repair,")}, ("houses.csv", 3, "stage")),
    ({"houses": HOUSES.replace(",in_place,", ",repair,")}, ("houses.csv", 2, "rebuild_mode")),
    ({"houses": HOUSES + HOUSES.splitlines()[1] + "\n"}, ("houses.csv", 5, "house_id")),
    # an imported stage that needs an inspection without one
    ({"houses": HOUSES, "inspections": INSPECTIONS.replace("H1,foundation,2026-05-20T10:00:00+08:00,pass",
                                                           "H1,foundation,2026-05-20T10:00:00+08:00,fail")},
     ("houses.csv", 2, "stage")),
    ({"houses": HOUSES}, ("houses.csv", 2, "stage")),
    ({"houses": HOUSES, "inspections": INSPECTIONS.replace("pass,王工,fixed", "maybe,王工,fixed")},
     ("inspections.csv", 4, "result")),
    ({"houses": HOUSES, "inspections": INSPECTIONS.replace("H2,repair_completed", "H2,main_structure")},
     ("inspections.csv", 5, "milestone")),
    ({"houses": HOUSES, "inspections": INSPECTIONS.replace("H2,repair_completed", "H7,repair_completed")},
     ("inspections.csv", 5, "house_id")),
    # a payment without its passing inspection
    ({"houses": HOUSES, "inspections": INSPECTIONS,
      "house_payments": PAYMENTS + "H2,completion,4200,2026-06-02T10:00:00+08:00\n"},
     ("house_payments.csv", 4, "tranche")),
    ({"houses": HOUSES, "inspections": INSPECTIONS, "house_payments": PAYMENTS.replace(",16000,", ",16000.5,")},
     ("house_payments.csv", 3, "amount")),
    ({"houses": HOUSES, "inspections": INSPECTIONS,
      "house_payments": PAYMENTS + "H1,agreement,1,2026-06-02T10:00:00+08:00\n"}, ("house_payments.csv", 4, "tranche")),
    ({"houses": HOUSES, "inspections": INSPECTIONS, "house_payments": PAYMENTS.replace("amount", "amt")},
     ("house_payments.csv", None, "amount")),
])
def test_row_errors_name_file_row_and_column_and_write_nothing(world, cli_runner, tmp_path, files, where):
    result = cli_runner("import", str(_folder(tmp_path, **files)))
    assert result.exit_code == 1, result.output
    file, row, column = where
    expected = file + (f", row {row}" if row is not None else "") + f", column {column}"
    assert expected in result.output, result.output
    assert _counts(world) == (0, 0, 0, 0)


def test_houses_and_their_households_in_one_folder(world, cli_runner, tmp_path):
    households = ("household_id,head_name,lat,lon,members,infants,children,elderly,disabled,chronic,pregnant,"
                  "injured,house_damage,needs_living_aid,shelter,site_id,evacuated\n"
                  "HN1,新户,30.5,109.3,3,0,1,0,0,0,0,0,collapsed,1,home,,0\n")
    result = cli_runner("import", str(_folder(tmp_path, households=households, houses=(
        "house_id,household_id,lat,lon,damage,assessed_at,stage,stage_since,rebuild_mode,exclusion_reason\n"
        "HX,HN1,30.5,109.3,collapsed,2026-05-01T09:00:00+08:00,,,,\n"))))
    assert result.exit_code == 0, result.output
    with world.read() as session:
        assert session.get(House, "HX").stage == "assessed"


def test_the_reconstruction_command_prints_the_contract_columns(world, cli_runner, tmp_path):
    assert cli_runner("import", str(_folder(tmp_path, houses=HOUSES, inspections=INSPECTIONS,
                                            house_payments=PAYMENTS))).exit_code == 0
    as_of = "2026-07-20T09:00:00+08:00"
    result = cli_runner("reconstruction", "--as-of", as_of)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == COLUMNS
    rows = {r["house_id"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert rows["H1"]["stage"] == "main_structure" and rows["H1"]["days_in_stage"] == "49"
    assert rows["H1"]["stalled"] == "1" and rows["H1"]["due"] == "0.0" and rows["H1"]["paid"] == "28000.0"
    assert rows["H1"]["next_milestone"] == "roofed" and rows["H1"]["township_code"] == rw.WEST
    assert rows["H2"]["correction_required"] == "1" and rows["H2"]["due"] == "1800.0"
    assert rows["H3"]["entitled"] == "0.0" and rows["H3"]["next_milestone"] == ""
    as_json = json.loads(cli_runner("reconstruction", "--as-of", as_of, "--format", "json").output)
    assert list(as_json[0]) == COLUMNS.split(",")
    assert {r["house_id"]: r["next_milestone"] for r in as_json}["H3"] is None
    earlier = {r["house_id"]: r for r in csv.DictReader(io.StringIO(
        cli_runner("reconstruction", "--as-of", "2026-07-16T09:00:00+08:00").output))}
    assert earlier["H1"]["stalled"] == "0"  # 45 days exactly: not yet


def test_a_bad_as_of_is_refused(world, cli_runner):
    result = cli_runner("reconstruction", "--as-of", "tomorrow")
    assert result.exit_code == 1 and "--as-of" in result.output
