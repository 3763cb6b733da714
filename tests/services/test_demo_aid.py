"""The demo opens with the aid chain swept: the charity's list stored hashed, the planted duplicate (county
depot and charity, food, overlapping days) and the planted miss in the aid-flags queue."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from relief.domain.demo import build_demo, load_admin
from relief.domain.demo.aid import AGENCY
from relief.domain.identity import hash_id, is_id_hash
from relief.services import aid_chain
from relief.services.demo import load_demo
from relief.services.demo_aid import plant
from relief.services.partner_aid_import import salt_of
from relief.store.tables import AidFlag, Household, PartnerAid, PartnerAidImport

HOUSEHOLDS = 1500


@pytest.fixture
def loaded(ctx):
    return load_demo(ctx, seed=7, households=HOUSEHOLDS)


def test_the_charity_list_is_stored_hashed_with_the_salt(ctx, store, loaded):
    salt, _ = salt_of(ctx)
    with store.read() as session:
        imports = session.execute(select(PartnerAidImport.agency, PartnerAidImport.rows)).all()
        rows = session.execute(select(PartnerAid.id_hash, PartnerAid.household_id, PartnerAid.match_verdict)).all()
        numbers = dict(session.execute(select(Household.id, Household.id_number)).all())
    assert imports == [(AGENCY, len(rows))] and len(rows) == loaded.counts["partner_aid"]
    assert all(is_id_hash(h) and h == hash_id(numbers[household], salt) for h, household, _ in rows)
    assert {verdict for _, _, verdict in rows} == {"matched"}


def test_the_queue_opens_on_the_planted_duplicate_and_miss(ctx, store, loaded):
    duplicates = aid_chain.list_flags(ctx, flag="duplicate", limit=1000)["items"]
    by_charity = [f for f in duplicates if f"agency:{AGENCY}" in f["sources"]]
    assert len(by_charity) == 1
    duplicate = by_charity[0]
    assert (duplicate["purpose"], duplicate["status"], duplicate["reason"]) == ("food", "open", "overlapping_sources")
    assert any(s.startswith("depot:") for s in duplicate["sources"])
    assert duplicate["aid_id"].startswith("distribution:")
    assert any(a.startswith("partner:") for a in duplicate["earlier_aid_ids"])
    chain = aid_chain.household_aid(ctx, duplicate["household_id"])
    kinds = {link["source_kind"] for link in chain["links"] if link["purpose"] == "food"}
    assert kinds == {"distribution", "partner"}


def test_the_planted_miss_is_open_overdue_and_aided_by_no_one(ctx, loaded):
    region = build_demo(load_admin(), standards=ctx.standards, seed=7, households=HOUSEHOLDS, as_of=loaded.as_of)
    planted = plant(ctx, region, seed=7)[1].missed_household
    chain = aid_chain.household_aid(ctx, planted)
    assert not [link for link in chain["links"] if link["purpose"] in ("food", "water")]  # no relief of any source
    food = [f for f in chain["flags"] if f["purpose"] == "food"]
    assert [(f["flag"], f["reason"], f["status"], f["overdue"]) for f in food] == [("missed", "no_aid", "open", True)]
    assert food[0]["evidence"]["basis"] == "guarantee:food"
    assert food[0]["since"] < food[0]["deadline"] < aid_chain.jsonable(loaded.as_of)
    assert any(f["household_id"] == planted for f in aid_chain.list_flags(ctx, flag="missed", status="open",
                                                                          limit=1000)["items"])


def test_a_second_load_changes_nothing_and_a_reset_rebuilds_the_same_flags(ctx, store, loaded):
    def keys():
        with store.read() as session:
            return sorted(session.scalars(select(AidFlag.key)).all()), session.scalar(
                select(func.count()).select_from(PartnerAid))

    before = keys()
    assert not load_demo(ctx, seed=7, households=HOUSEHOLDS).loaded and keys() == before
    load_demo(ctx, seed=7, households=HOUSEHOLDS, reset=True, as_of=loaded.as_of)
    assert keys() == before
