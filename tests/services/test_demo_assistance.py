"""The demo's assistance slice stored: the chain's stages on the public notice, approved cases ready for the
bank file, and paid households whose food guarantee reflects the days the cash covers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from relief.domain.demo import build_demo, load_admin
from relief.services import assistance, guarantees
from relief.services.demo import load_demo
from relief.store.tables import AssistanceCase, Objection, PayoutLine

HOUSEHOLDS = 4000
SEED = 7


@pytest.fixture
def loaded(ctx):
    result = load_demo(ctx, seed=SEED, households=HOUSEHOLDS)  # the demo stores its assistance slice
    region = build_demo(load_admin(), standards=ctx.standards, seed=SEED, households=HOUSEHOLDS, as_of=result.as_of)
    ctx.clock = lambda: region.now
    return result.counts, region


def test_the_slice_is_stored_and_readable(ctx, store, loaded):
    counts, region = loaded
    with store.read() as session:
        stored = session.scalar(select(func.count()).select_from(AssistanceCase))
        stages = dict(session.execute(select(AssistanceCase.stage, func.count()).group_by(AssistanceCase.stage)).all())
        open_objections = session.scalar(select(func.count()).select_from(Objection).where(Objection.outcome.is_(None)))
        paid_lines = session.scalar(select(func.count()).select_from(PayoutLine))
    assert stored == counts["assistance_cases"] > 0
    assert {"paid", "approved", "on_notice", "objection"} <= set(stages)
    assert open_objections == stages["objection"] and paid_lines == stages["paid"]
    listed = assistance.list_cases(ctx, stages=["on_notice"])
    township = listed["cases"][0]["township_code"]
    notice = assistance.public_notice(ctx, township)
    assert notice["cases"] and all("*" in c["name"] for c in notice["cases"])
    batch_id, lines, skipped = assistance.make_batch(ctx)  # the approved cases are ready for the bank file
    assert batch_id and len(lines) == stages["approved"] and skipped == 0


def test_paid_households_food_reflects_the_cash(ctx, store, loaded):
    _, region = loaded
    with store.read() as session:
        paid = session.execute(select(AssistanceCase.household_id, AssistanceCase.amount, AssistanceCase.members,
                                      AssistanceCase.period_start).where(AssistanceCase.stage == "paid")).all()
    food_yuan = ctx.standards.assistance["food_yuan_per_person_day"]
    for household_id, amount, members, start in paid:
        answer = guarantees.household_guarantees(ctx, household_id, as_of=region.now)
        covered = answer["food_covered_until"]
        assert covered is not None
        days = amount / (food_yuan * members)
        if answer["in_scope"] and answer["reason_codes"]["food"] != "site_meals":
            assert covered >= (start + timedelta(days=days)).isoformat()
