"""``relief reconstruction --format csv`` writes, byte for byte, what the spreadsheet writer makes of the house rows.

The command builds no frame: it writes the domain's plain columns (``spreadsheet.write_columns_csv``).
The reference here is the frame path it replaced: ``services.reconstruction.house_rows`` rounded to the fen
and ``spreadsheet.to_csv``.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from relief.cli.app import read_only_context
from relief.domain import spreadsheet
from relief.domain.reconstruction import ROW_COLUMNS
from relief.services import reconstruction

AS_OF = "2026-11-20T10:00:00+08:00"
MONEY = {"entitled": 2, "paid": 2, "due": 2}


@pytest.fixture
def demo_ledger(cli_runner):
    loaded = cli_runner("demo", "--households", "600", "--seed", "7", "--as-of", AS_OF)
    assert loaded.exit_code == 0, loaded.output
    return cli_runner


def _reference(moment: datetime) -> str:
    ctx = read_only_context()
    try:
        rows = reconstruction.house_rows(ctx, moment)[list(ROW_COLUMNS)]
    finally:
        ctx.store.dispose()
    return spreadsheet.to_csv(rows.astype({c: float for c in MONEY}).round(MONEY))


@pytest.mark.parametrize("as_of", [AS_OF, "2027-03-01T00:00:00.250000+00:00"])
def test_the_csv_is_the_spreadsheet_writers_byte_for_byte(demo_ledger, as_of):
    result = demo_ledger("reconstruction", "--as-of", as_of)
    assert result.exit_code == 0, result.output
    expected = _reference(datetime.fromisoformat(as_of))
    assert result.output.count("\n") > 30  # the demo's houses, one line each
    assert result.output == expected
    lines = result.output.splitlines()
    assert lines[0] == ",".join(ROW_COLUMNS)
    assert len({line.split(",")[5] for line in lines[1:]}) >= 4  # a varied ledger: houses at several stages
    assert {line.split(",")[11] for line in lines[1:]} - {"0.0"}  # and some money due


def test_an_empty_ledger_prints_the_header(cli_runner):
    result = cli_runner("reconstruction", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert result.output == ",".join(ROW_COLUMNS) + "\n" == _reference(datetime.fromisoformat(AS_OF))
