"""``relief assistance propose | batch | confirm`` against a database."""
from __future__ import annotations

import json

import pandas as pd

from relief.services import assistance as service
from relief.store.db import Store
from tests import assistance_world as aw


def test_propose_batch_confirm(cli_runner, database_url, tmp_path):
    store = Store(database_url)
    aw.build(store)
    listed = cli_runner("assistance", "propose", "--programme", "transitional", "--as-of", aw.T0.isoformat(),
                        "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [r["household_id"] for r in rows] == ["HH1", "HH2"] and rows[0]["reason"].startswith("house_damage=")
    case_id = aw.apply(store, account={"bank": aw.BANK, "account_no": aw.account_number(1), "holder_name": "张三明"})
    aw.to_notice(store, case_id)
    service.transition(aw.as_role(store, "township_clerk", at=aw.after_notice()), case_id, {"action": "check"})
    service.transition(aw.as_role(store, "commander", at=aw.after_notice()), case_id, {"action": "approve"})
    for suffix in ("xlsx",):
        out = tmp_path / f"bank.{suffix}"
        made = cli_runner("assistance", "batch", "--out", str(out))
        assert made.exit_code == 0, made.output
        lines = pd.read_excel(out, dtype=str)
        assert lines["account_no"].tolist() == [aw.account_number(1)]
        lines["result"] = "paid"
        lines.to_csv(tmp_path / "back.csv", index=False)
    first = cli_runner("assistance", "confirm", str(tmp_path / "back.csv"))
    second = cli_runner("assistance", "confirm", str(tmp_path / "back.csv"))
    assert "paid 1" in first.output and "paid 0, failed 0, unchanged 1" in second.output
    store.dispose()


def test_the_proposal_csv_is_the_spreadsheet_writers_byte_for_byte(cli_runner):
    from datetime import datetime

    from relief.cli.app import read_only_context
    from relief.domain import spreadsheet

    as_of = "2026-11-20T10:00:00.500000+08:00"
    assert cli_runner("demo", "--households", "600", "--seed", "7", "--as-of", as_of).exit_code == 0
    listed = cli_runner("assistance", "propose", "--programme", "transitional", "--as-of", as_of)
    assert listed.exit_code == 0, listed.output
    ctx = read_only_context()
    try:
        rows = service.propose(ctx, "transitional", datetime.fromisoformat(as_of))
    finally:
        ctx.store.dispose()
    assert len(rows) >= 5 and listed.output == spreadsheet.to_csv(rows)
    assert ",2026-11-20 10:00:00.500+08:00," in listed.output.splitlines()[1]  # pandas' own moment text
