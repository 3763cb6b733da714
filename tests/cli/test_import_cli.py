"""``relief import DIR``: all or nothing, errors naming file, row and column."""
from __future__ import annotations

import zipfile

import pytest
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


def _not_a_workbook(path):
    path.write_text("household_id,head_name\nH1,Li\n", encoding="utf-8")  # text saved under an .xlsx name


def _zip_without_workbook(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "nothing to see")


def _zip_with_only_content_types(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                                                'content-types"/>')


def _truncated_sheet(path):
    sample_register()["households"].to_excel(path, index=False, engine="openpyxl")
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data[: len(data) // 2] if name.endswith("sheet1.xml") else data)


def _empty_file(path):
    path.write_bytes(b"")


@pytest.mark.parametrize("spoil, says", [
    (_not_a_workbook, "is not an xlsx workbook"),
    (_zip_without_workbook, "without an xlsx workbook"),
    (_zip_with_only_content_types, "xlsx"),
    (_truncated_sheet, "damaged xlsx workbook"),
    (_empty_file, "is not an xlsx workbook"),
])
def test_a_corrupt_xlsx_is_named_and_described_without_a_traceback(cli_runner, database_url, tmp_path, spoil, says):
    folder = write_register(tmp_path / "reg")
    (folder / "households.csv").unlink()
    spoil(folder / "households.xlsx")
    result = cli_runner("import", str(folder))
    assert result.exit_code == 1
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("Error: households.xlsx: ") and says in result.output
    assert set(_counts(database_url).values()) == {0}  # sites.csv and the rest were not written either


def test_a_binary_file_renamed_csv_is_named_and_described(cli_runner, database_url, tmp_path):
    folder = write_register(tmp_path / "reg")
    (folder / "sites.csv").write_bytes(bytes(range(256)) * 20)
    result = cli_runner("import", str(folder))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: sites.csv: ") and "not CSV text" in result.output
    assert set(_counts(database_url).values()) == {0}
