"""``relief demo`` fills the reconstruction ledger; ``relief reconstruction`` then shows stalled houses and houses
in correction, and a second ``relief demo --reset`` rebuilds the same ledger."""
from __future__ import annotations

import json

AS_OF = "2026-11-20T10:00:00+08:00"


def _rows(cli_runner) -> list[dict]:
    result = cli_runner("reconstruction", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_demo_gives_stalled_houses_failed_inspections_and_due_money(cli_runner):
    loaded = cli_runner("demo", "--households", "3000", "--seed", "42", "--as-of", AS_OF)
    assert loaded.exit_code == 0, loaded.output
    assert "houses" in loaded.output and "house_payments" in loaded.output
    rows = _rows(cli_runner)
    assert len(rows) > 100 and len({r["house_id"] for r in rows}) == len(rows)
    stalled = [r for r in rows if r["stalled"] == 1]
    correcting = [r for r in rows if r["correction_required"] == 1]
    assert 1 <= len(stalled) < len(rows) / 5 and 1 <= len(correcting) < len(rows) / 5
    assert all(r["days_in_stage"] >= 30 for r in stalled)  # no stage limit is shorter than 30 days
    assert any(r["due"] > 0 for r in rows) and any(r["paid"] > 0 for r in rows)
    assert all(r["paid"] <= r["entitled"] + 0.005 for r in rows)
    assert {r["stage"] for r in rows} >= {"assessed", "eligible", "agreement_signed", "moved_in", "excluded"}

    again = cli_runner("demo", "--households", "3000", "--seed", "42", "--as-of", AS_OF, "--reset")
    assert again.exit_code == 0, again.output
    assert _rows(cli_runner) == rows  # reset removes the ledger first, and the same seed rebuilds it
    unchanged = cli_runner("demo", "--households", "3000", "--seed", "9")
    assert "nothing to load" in unchanged.output and _rows(cli_runner) == rows
