"""``relief import DIR``: all or nothing, errors naming file, row and column."""
from __future__ import annotations

from sqlalchemy import func, select

from relief.store.db import Store
from relief.store.tables import Distribution, GuaranteeStatus, Household, Item, MedicalVisit, Site
from tests.register_samples import sample_register, write_register

TABLES = (Distribution, GuaranteeStatus, Household, Item, MedicalVisit, Site)


def _counts(url: str) -> dict[str, int]:
    store = Store(url)
    try:
        with store.read() as session:
            return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in TABLES}
    finally:
        store.dispose()


def test_import_into_an_empty_database(cli_runner, database_url, tmp_path):
    result = cli_runner("import", str(write_register(tmp_path / "reg")))
    assert result.exit_code == 0, result.output
    assert "households.csv" in result.output and "9 new" in result.output
    assert "guarantees rechecked for 9 households" in result.output
    assert _counts(database_url) == {"distributions": 5, "guarantee_status": 9, "households": 9, "items": 2,
                                     "medical_visits": 2, "sites": 3}


def test_a_bad_row_exits_non_zero_naming_file_row_and_column(cli_runner, database_url, tmp_path):
    register = sample_register()
    register["sites"].loc[1, "status"] = "half-open"
    result = cli_runner("import", str(write_register(tmp_path / "bad", register)))
    assert result.exit_code != 0
    assert "sites.csv, row 3, column status:" in result.output
    assert set(_counts(database_url).values()) == {0}


def test_xlsx_folder(cli_runner, database_url, tmp_path):
    result = cli_runner("import", str(write_register(tmp_path / "x", fmt="xlsx")))
    assert result.exit_code == 0, result.output
    assert "households.xlsx" in result.output
    assert _counts(database_url)["distributions"] == 5
