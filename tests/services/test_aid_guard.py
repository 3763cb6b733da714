"""The check at the moment of giving, on both stores: a distribution, a case approval or a reconstruction tranche
that would duplicate aid in the household's chain is refused (409 ``duplicate_aid`` naming the earlier aid, nothing
written) unless an ``override_reason`` comes with it (then audited and flagged as a justified top-up); two
distributions racing to one household: one passes, the other is refused."""
from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from relief.domain import aid_chain
from relief.domain.standards import Standards
from relief.errors import DuplicateAid, InsufficientStock, ValidationFailed
from relief.services import aid_guard, stock
from relief.services import assistance as assistance_service
from relief.services import reconstruction as reconstruction_service
from relief.services.context import Actor
from relief.store import ledger
from relief.store.tables import (
    AidFlag,
    AssistanceCase,
    AuditEntry,
    Distribution,
    HousePayment,
    PartnerAid,
    PartnerAidImport,
    StockMovement,
)
from tests import assistance_world as aw
from tests import reconstruction_world as rw
from tests import world


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True),
                                   world.household("H2", 2, 109.46)])
    ctx = world.context(store)
    for kind, holder in (("depot", "D1"), ("site", "S1")):
        for item in ("RICE", "WATER5"):
            stock.receive(ctx, {"holder_kind": kind, "holder_id": holder, "item_code": item, "quantity": 100,
                                "source": "allocation"})
    return store


def give(ctx, holder_kind: str, holder_id: str, quantity: float = 3, *, household: str = "H1", item: str = "RICE",
         **extra):
    return stock.distribute(ctx, {"household_id": household, "item_code": item, "quantity": quantity,
                                  "holder_kind": holder_kind, "holder_id": holder_id, **extra})


def count(store, model, *where) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def balance(store, kind, holder, item="RICE") -> float:
    with store.read() as session:
        return ledger.balance(session, kind, holder, item)


def add_partner_aid(store, household_id: str, *, purpose: str, start: datetime, end: datetime,
                    amount: float | None = None, agency: str = "Red Cross", item: str | None = None) -> int:
    """A partner agency's aid matched to ``household_id`` (as ``relief import partner-aid`` leaves it)."""
    with store.write() as session:
        batch = PartnerAidImport(agency=agency, file_name="partner.csv", rows=1, matched=1, review=0, unmatched=0)
        session.add(batch)
        session.flush()
        row = PartnerAid(import_id=batch.id, agency=agency, row_no=2,
                         id_hash=hashlib.sha256(household_id.encode()).hexdigest(), purpose=purpose, item=item,
                         amount=amount, period_start=start, period_end=end, household_id=household_id,
                         match_score=20.0, match_verdict="matched")
        session.add(row)
        session.flush()
        return row.id


# --- distributions ----------------------------------------------------------------------------

@pytest.mark.parametrize("guarantee, members, kcal, litres, quantity", [
    ("food", 3, 3500.0, 0.0, 3), ("food", 5, 3500.0, 0.0, 0.2), ("water", 4, 0.0, 5.0, 12), ("bedding", 2, 0, 0, 4),
    ("clothing", 1, 0, 0, 1), ("food", 0, 3500.0, 0.0, 3), ("food", 3, 0.0, 0.0, 3), ("other", 3, 0, 0, 1),
    ("medical", 2, 0, 0, 1), ("water", None, 0.0, 5.0, 2)])
def test_a_proposed_hand_out_covers_the_period_the_chain_will_read_back(guarantee, members, kcal, litres, quantity):
    standards = Standards.bundled()
    at = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
    proposed = aid_guard.distribution(standards, household_id="H1", members=members, holder="depot:D1",
                                      item_code="X", guarantee=guarantee, kcal_per_unit=kcal, litres_per_unit=litres,
                                      quantity=quantity, at=at)
    one = pd.DataFrame({"distributed_at": [at], "purpose": [proposed.purpose], "quantity": [quantity],
                        "members": [members], "kcal_per_unit": [kcal], "litres_per_unit": [litres]})
    read_back = aid_chain.distribution_periods(one, aid_chain.PeriodFigures.of(standards)).iloc[0]
    assert proposed.purpose == aid_chain.ITEM_PURPOSE[guarantee]
    assert proposed.period_start == read_back["period_start"]
    assert abs((proposed.period_end - read_back["period_end"]).total_seconds()) < 1e-3

def test_food_from_a_second_holder_while_the_first_still_covers_is_refused_naming_it_and_nothing_is_written(place):
    published: list = []
    ctx = world.context(place, published=published)
    first = give(ctx, "depot", "D1")["distribution"]  # 3 kg × 3,500 kcal for 3 people: 40 h of food
    published.clear()
    with pytest.raises(DuplicateAid) as refused:
        give(ctx, "site", "S1")
    error = refused.value
    assert error.status == 409 and error.code == "duplicate_aid" and error.field == "household_id"
    assert error.detail["earlier_aid_ids"] == [f"distribution:{first['id']}"]
    assert error.detail["sources"] == ["depot:D1", "site:S1"] and error.detail["purpose"] == "food"
    [finding] = error.detail["findings"]
    assert finding["reason"] == "overlapping_sources" and finding["earlier_aid_ids"] == [f"distribution:{first['id']}"]
    assert finding["overlap_start"] and finding["overlap_end"] > finding["overlap_start"]
    assert f"distribution:{first['id']}" in error.message and "override_reason" in error.message
    assert published == []
    assert balance(place, "site", "S1") == 100
    assert count(place, Distribution) == 1 and count(place, StockMovement, StockMovement.kind == "distribution") == 1
    assert count(place, AidFlag) == 0


def test_the_same_holder_giving_again_is_not_a_duplicate(place):
    ctx = world.context(place)
    give(ctx, "site", "S1")
    give(ctx, "site", "S1")
    assert count(place, Distribution) == 2 and count(place, AidFlag) == 0


def test_an_overlap_within_the_grace_is_a_handover_and_other_purposes_do_not_clash(place):
    ctx = world.context(place)
    give(ctx, "depot", "D1", 1)  # 1 kg: 13.3 h of food for 3, less than the 24 h food grace
    give(ctx, "site", "S1", 1)
    give(ctx, "site", "S1", 20, item="WATER5")  # water is another purpose
    give(ctx, "depot", "D1", 3, household="H2")  # another household
    assert count(place, Distribution) == 4


def test_food_given_after_the_first_ran_out_passes(place):
    ctx = world.context(place)
    given = datetime.now(timezone.utc) - timedelta(days=3)
    give(ctx, "depot", "D1", distributed_at=given.isoformat())  # covered 40 h from three days ago
    give(ctx, "site", "S1")
    assert count(place, Distribution) == 2


def test_an_override_gives_it_audits_the_findings_and_records_a_justified_top_up(place):
    published: list = []
    ctx = world.context(place, published=published)
    first = give(ctx, "depot", "D1")["distribution"]
    answer = give(ctx, "site", "S1", override_reason="  family of three hosting two relatives  ")
    second = answer["distribution"]
    assert answer["aid_override"]["override_reason"] == "family of three hosting two relatives"
    assert answer["aid_override"]["findings"][0]["earlier_aid_ids"] == [f"distribution:{first['id']}"]
    assert balance(place, "site", "S1") == 97 and count(place, Distribution) == 2
    with place.read() as session:
        [audit] = session.scalars(select(AuditEntry).where(AuditEntry.action == "aid.override")).all()
        assert audit.entity_id == f"distribution:{second['id']}"
        assert audit.reason == "family of three hosting two relatives"
        assert audit.detail["findings"][0]["reason"] == "overlapping_sources"
        assert audit.detail["findings"][0]["earlier_aid_ids"] == [f"distribution:{first['id']}"]
        [flag] = session.scalars(select(AidFlag)).all()
        assert flag.status == "justified_top_up" and flag.kind == "duplicate" and flag.household_id == "H1"
        assert flag.override_of == f"distribution:{second['id']}" and flag.purpose == "food"
        assert flag.resolution_reason == "family of three hosting two relatives"
        assert f"distribution:{first['id']}" in flag.earlier_aid_ids


def test_an_override_without_a_duplicate_records_nothing(place):
    answer = give(world.context(place), "depot", "D1", override_reason="just in case")
    assert "aid_override" not in answer
    assert count(place, AidFlag) == 0 and count(place, AuditEntry, AuditEntry.action == "aid.override") == 0


@pytest.mark.parametrize("reason", ["x" * 501, 42, "bad\x00text"])
def test_a_bad_override_reason_is_refused_naming_the_field_before_anything_is_written(place, reason):
    ctx = world.context(place)
    with pytest.raises(ValidationFailed) as refused:
        give(ctx, "depot", "D1", override_reason=reason)
    assert refused.value.field == "override_reason"
    assert count(place, Distribution) == 0
    assert len(aid_guard.override_reason({"override_reason": "x" * 500})) == 500


def test_stock_refusals_come_before_the_chain_and_a_refused_giving_leaves_no_flag(place):
    ctx = world.context(place)
    give(ctx, "depot", "D1")
    with pytest.raises(InsufficientStock):
        give(ctx, "site", "S1", 500)
    with pytest.raises(DuplicateAid):
        give(ctx, "site", "S1", 3)
    assert count(place, AidFlag) == 0 and count(place, Distribution) == 1


def test_partner_food_in_the_chain_stops_a_distribution(place):
    now = datetime.now(timezone.utc)
    partner = add_partner_aid(place, "H1", purpose="food", start=now - timedelta(days=1), end=now + timedelta(days=6),
                              item="food parcel")
    with pytest.raises(DuplicateAid) as refused:
        give(world.context(place), "site", "S1")
    assert refused.value.detail["earlier_aid_ids"] == [f"partner:{partner}"]
    assert refused.value.detail["sources"] == ["agency:Red Cross", "site:S1"]


# --- two distributions racing --------------------------------------------------------------------

def test_two_distributions_of_the_same_food_racing_to_one_household_one_passes_the_other_is_refused(place):
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    lock = threading.Lock()

    def worker(kind: str, holder: str) -> None:
        ctx = world.context(place, Actor(None, f"keeper-{holder}", "warehouse_keeper"))
        start.wait()
        try:
            give(ctx, kind, holder)
            result = "ok"
        except DuplicateAid as refused:
            result = f"duplicate_aid:{refused.detail['earlier_aid_ids'][0]}"
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            result = f"error:{error!r}"
        with lock:
            outcomes[holder] = result

    for _ in range(3):  # the race, several times over
        threads = [threading.Thread(target=worker, args=("depot", "D1")),
                   threading.Thread(target=worker, args=("site", "S1"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(o.split(":")[0] for o in outcomes.values()) == ["duplicate_aid", "ok"], outcomes
        with place.read() as session:
            ids = session.scalars(select(Distribution.id)).all()
        assert len(ids) == 1, outcomes
        loser = next(o for o in outcomes.values() if o != "ok")
        assert loser == f"duplicate_aid:distribution:{ids[0]}"
        assert balance(place, "depot", "D1") + balance(place, "site", "S1") == 197
        with place.write() as session:  # the next round starts from an empty chain
            session.execute(delete(Distribution))
            session.execute(delete(StockMovement).where(StockMovement.kind == "distribution"))
        for kind, holder in (("depot", "D1"), ("site", "S1")):
            missing = 100 - balance(place, kind, holder)
            if missing:
                stock.receive(world.context(place), {"holder_kind": kind, "holder_id": holder, "item_code": "RICE",
                                                     "quantity": missing, "source": "allocation"})
        outcomes.clear()


# --- assistance: approving a case --------------------------------------------------------------

@pytest.fixture
def county(store):
    aw.build(store)
    return store


def _to_check(store, household="HH1", **extra) -> str:
    case_id = aw.apply(store, household, **extra)
    aw.to_notice(store, case_id)
    assistance_service.transition(aw.as_role(store, "township_clerk", at=aw.after_notice()), case_id,
                                  {"action": "check"})
    return case_id


def _approve(store, case_id, **extra):
    return assistance_service.transition(aw.as_role(store, "commander", at=aw.after_notice()), case_id,
                                         {"action": "approve", **extra})


def _case_stage(store, case_id) -> str:
    with store.read() as session:
        return session.get(AssistanceCase, case_id).stage


def test_approving_living_cash_another_agency_pays_over_the_same_period_is_refused(county):
    case_id = _to_check(county)  # transitional: 20 yuan × 3 people × 90 days from T0
    partner = add_partner_aid(county, "HH1", purpose="living_cash", start=aw.T0 + timedelta(days=10),
                              end=aw.T0 + timedelta(days=40), amount=600, agency="Charity")
    with pytest.raises(DuplicateAid) as refused:
        _approve(county, case_id)
    reasons = {f["reason"]: f for f in refused.value.detail["findings"]}
    assert set(reasons) == {"overlapping_sources", "over_entitlement"}
    assert reasons["overlapping_sources"]["earlier_aid_ids"] == [f"partner:{partner}"]
    assert reasons["over_entitlement"]["entitlement"] == 5400 and reasons["over_entitlement"]["received"] == 600
    assert reasons["over_entitlement"]["excess"] == 600
    assert _case_stage(county, case_id) == "township_checked"
    assert count(county, AuditEntry, AuditEntry.action == "assistance.approve") == 0
    answer = _approve(county, case_id, override_reason="charity grant was for medicine, recorded wrongly")
    assert answer["case"]["stage"] == "approved" and answer["aid_override"]["findings"]
    with county.read() as session:
        [flag] = session.scalars(select(AidFlag)).all()
        assert flag.status == "justified_top_up" and flag.override_of == f"assistance:{case_id}"


def test_a_case_approved_after_a_non_overlapping_programme_passes(county):
    add_partner_aid(county, "HH1", purpose="living_cash", start=aw.T0 - timedelta(days=60),
                    end=aw.T0 - timedelta(days=30), amount=500, agency="Charity")
    case_id = _to_check(county)
    answer = _approve(county, case_id)
    assert answer["case"]["stage"] == "approved" and "aid_override" not in answer
    assert count(county, AidFlag) == 0


# --- reconstruction: paying a tranche --------------------------------------------------------------

@pytest.fixture
def houses(store):
    rw.build_areas(store)
    rw.add_house(store, "H1", stage="foundation", mode="in_place")
    return store


def _officer(store):
    from tests.world import context

    ctx = context(store, Actor(None, "officer", "reconstruction_officer"))
    ctx.clock = lambda: rw.T0 + timedelta(days=1)
    return ctx


def test_a_tranche_over_the_entitlement_with_a_partner_grant_received_is_refused(houses):
    partner = add_partner_aid(houses, "HH-H1", purpose="reconstruction", start=rw.T0 - timedelta(days=400),
                              end=rw.T0 - timedelta(days=370), amount=35000, agency="Build Back Foundation")
    with pytest.raises(DuplicateAid) as refused:
        reconstruction_service.pay(_officer(houses), "H1", {"tranche": "agreement"})
    [finding] = refused.value.detail["findings"]
    assert finding["reason"] == "over_entitlement" and finding["earlier_aid_ids"] == [f"partner:{partner}"]
    assert finding["entitlement"] == 40000 and finding["received"] == 35000
    assert count(houses, HousePayment) == 0
    paid = reconstruction_service.pay(_officer(houses), "H1", {"tranche": "agreement",
                                                                "override_reason": "partner grant repaid"})
    assert paid["aid_override"]["findings"][0]["reason"] == "over_entitlement"
    with houses.read() as session:
        [flag] = session.scalars(select(AidFlag)).all()
        assert flag.override_of == f"reconstruction:{paid['payment']['id']}" and flag.status == "justified_top_up"


def test_tranches_of_one_house_within_the_entitlement_pass(houses):
    ctx = _officer(houses)
    reconstruction_service.pay(ctx, "H1", {"tranche": "agreement"})
    assert count(houses, HousePayment) == 1 and count(houses, AidFlag) == 0
