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
