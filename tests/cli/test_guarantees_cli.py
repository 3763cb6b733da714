"""``relief guarantees --as-of … [--profile cold] [--format csv|json]`` after an import."""
from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from tests.register_samples import AS_OF, COLD, EXPECTED, sample_register, write_register

STATUS_COLUMNS = ["household_id", "food", "clothing", "water", "housing", "medical"]
GUARANTEES = STATUS_COLUMNS[1:]


@pytest.fixture
def imported(cli_runner, tmp_path):
    assert cli_runner("import", str(write_register(tmp_path / "reg"))).exit_code == 0
    return cli_runner


def test_json_verdicts_for_every_band(imported):
    result = imported("guarantees", "--as-of", AS_OF.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["household_id"]: r for r in json.loads(result.output)}
    assert len(rows) == 9
    assert list(rows["H_FAR"]) == STATUS_COLUMNS + ["reasons", "shortfalls"]
    assert set(rows["H_FAR"]["reasons"]) == set(GUARANTEES) == set(rows["H_FAR"]["shortfalls"])
    for hid, checks in EXPECTED.items():
        for g, status, _code in checks:
            assert rows[hid][g] == status, (hid, g)
    assert rows["H_LAPSED"]["reasons"]["food"] == "food received has run out"
    assert rows["H_FAR"]["shortfalls"]["medical"] is None
    assert rows["H_LAPSED"]["shortfalls"]["food"] == pytest.approx(2 * 2100.0)


def test_cold_profile(imported):
    normal = json.loads(imported("guarantees", "--as-of", AS_OF.isoformat(), "--format", "json").output)
    cold = json.loads(imported("guarantees", "--as-of", AS_OF.isoformat(), "--profile", "cold",
                               "--format", "json").output)
    by_id = {r["household_id"]: r for r in cold}
    for hid, checks in COLD.items():
        for g, status, _code in checks:
            assert by_id[hid][g] == status
    assert {r["household_id"]: r["housing"] for r in normal}["H_COLD"] == "met"


def test_csv_columns_exactly(imported):
    result = imported("guarantees", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0
    reader = csv.reader(io.StringIO(result.output))
    header = next(reader)
    assert header == (STATUS_COLUMNS + [f"reason_{g}" for g in GUARANTEES] + [f"shortfall_{g}" for g in GUARANTEES])
    rows = {r[0]: dict(zip(header, r)) for r in reader}
    assert rows["H_SHORT"]["food"] == "at_risk" and rows["H_FAR"]["shortfall_medical"] == ""


def test_a_later_moment_lapses_food(imported):
    """H_NEW's 21 kg (one lot handed out after AS_OF) feed two people for about 17 days."""
    later = json.loads(imported("guarantees", "--as-of", "2026-12-20T10:00:00+08:00", "--format", "json").output)
    assert {r["household_id"]: r["food"] for r in later}["H_NEW"] == "unmet"


def test_a_naive_moment_is_refused(imported):
    result = imported("guarantees", "--as-of", "2026-11-20T10:00:00")
    assert result.exit_code != 0 and "UTC offset" in result.output


def test_csv_cells_that_look_like_formulas_are_written_as_text(cli_runner, tmp_path):
    """A household id typed as a formula must not become a live formula in whoever opens the CSV."""
    formula = '=HYPERLINK("http://evil.example","x")'
    register = sample_register()
    households = register["households"]
    extra = households.loc[households["household_id"] == "H_FAR"].assign(household_id=formula)
    register["households"] = pd.concat([households, extra], ignore_index=True)
    assert cli_runner("import", str(write_register(tmp_path / "reg", register))).exit_code == 0
    result = cli_runner("guarantees", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    rows = {r["household_id"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert "'" + formula in rows and formula not in rows
    assert rows["'" + formula]["food"] == rows["H_FAR"]["food"]
    as_json = json.loads(cli_runner("guarantees", "--as-of", AS_OF.isoformat(), "--format", "json").output)
    assert formula in {r["household_id"] for r in as_json}  # JSON is data, not a spreadsheet: unchanged
