"""The aid chain read from every source, and flags kept by their natural key (both stores)."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from relief.domain import aid_chain as domain
from relief.domain.standards import Standards
from relief.store import aid_chain as store
from relief.store.tables import AidFlag, AidFlagStep, PartnerAid
from tests import aid_chain_world as w

T0 = w.T0
PERIODS = domain.PeriodFigures.of(Standards.bundled())


@pytest.fixture
def chain_store(store):
    w.build(store)
    return store


def _by_id(frame: pd.DataFrame) -> dict[str, dict]:
    return {r["aid_id"]: r for r in frame.to_dict("records")}


def test_the_chain_reads_every_source_with_its_purpose_period_and_source(chain_store):
    with chain_store.read() as session:
        frame = store.chain_frame(session, periods=PERIODS)
    assert list(frame.columns) == list(store.CHAIN_COLUMNS)
    rows = _by_id(frame)
    assert set(rows) == {"distribution:1", "assistance:C1", "reconstruction:1", "partner:1"}  # C2 is only applied
    rice = rows["distribution:1"]
    assert (rice["source"], rice["source_kind"], rice["purpose"], rice["item"]) == ("depot:D1", "distribution", "food",
                                                                                   "RICE")
    # 21 kg × 3500 kcal for 3 people at 2100 kcal a day: 11 days 16 hours
    assert rice["period_start"] == pd.Timestamp(T0) and rice["given_at"] == pd.Timestamp(T0)
    assert rice["period_end"] - rice["period_start"] == timedelta(days=11, hours=16)
    case = rows["assistance:C1"]
    assert (case["source"], case["purpose"], case["amount"]) == ("programme:county_food", "food", 900.0)
    assert case["period_end"] - case["period_start"] == timedelta(days=30)
    tranche = rows["reconstruction:1"]
    assert (tranche["household_id"], tranche["source"], tranche["purpose"]) == ("HH2", "programme:reconstruction",
                                                                              "reconstruction")
    assert tranche["period_end"] - tranche["period_start"] == timedelta(days=365)
    partner = rows["partner:1"]
    assert (partner["source"], partner["source_kind"], partner["quantity"]) == (f"agency:{w.AGENCY}", "partner", 10.0)
    for column in ("period_start", "period_end", "given_at"):
        assert str(frame[column].dtype) == "datetime64[ns, UTC]"
    domain.chain(frame[list(domain.AID_COLUMNS)])  # what the domain accepts


def test_the_chain_of_some_households_reads_only_theirs(chain_store):
    with chain_store.read() as session:
        one = store.chain_frame(session, ["HH1"], periods=PERIODS)
        none = store.chain_frame(session, ["HH3"], periods=PERIODS)
    assert set(one["aid_id"]) == {"distribution:1", "assistance:C1", "partner:1"}
    assert len(none) == 0 and list(none.columns) == list(store.CHAIN_COLUMNS)


def test_partner_aid_for_review_or_unmatched_is_not_in_the_chain(chain_store):
    with chain_store.write() as session:
        session.add(PartnerAid(import_id=1, agency="乡镇慈善会", row_no=3, id_hash=w.id_hash(2), purpose="food",
                               period_start=T0, period_end=T0 + timedelta(days=5), household_id=None,
                               match_verdict="review", match_evidence={"candidate_household_id": "HH2"}))
    with chain_store.read() as session:
        frame = store.chain_frame(session, periods=PERIODS)
    assert not (frame["source"] == "agency:乡镇慈善会").any()


def _row(key: str, **extra) -> dict:
    values = {"key": key, "kind": "duplicate", "reason": "overlapping_sources", "household_id": "HH1",
              "purpose": "food", "aid_id": "partner:1", "earlier_aid_ids": ["distribution:1"],
              "sources": ["depot:D1", "agency:x"], "period_start": T0, "period_end": T0 + timedelta(days=1),
              "amount": None, "entitlement": None, "evidence": {"reason": "overlapping_sources"}, "since": T0,
              "deadline": None, "township_code": "422801001", "village_code": "422801001001"}
    values.update(extra)
    return values


def _upsert(session, rows, at=T0):
    return store.upsert_flags(session, rows, now=at, initial_status="open", is_resolved=domain.is_resolved)


def test_upserting_the_same_flags_twice_keeps_one_row_each(chain_store):
    with chain_store.write() as session:
        first = _upsert(session, [_row("duplicate:overlapping_sources:partner:1")])
    with chain_store.write() as session:
        again = _upsert(session, [_row("duplicate:overlapping_sources:partner:1")], at=T0 + timedelta(hours=1))
        changed = _upsert(session, [_row("duplicate:overlapping_sources:partner:1", sources=["depot:D1", "agency:y"])],
                          at=T0 + timedelta(hours=2))
    assert [len(first[k]) for k in ("opened", "updated", "kept")] == [1, 0, 0]
    assert [len(again[k]) for k in ("opened", "updated", "kept")] == [0, 0, 0]
    assert [len(changed[k]) for k in ("opened", "updated", "kept")] == [0, 1, 0]
    with chain_store.read() as session:
        flags = [(f.sources, f.status) for f in session.query(AidFlag)]
        steps = [(s.from_status, s.to_status) for s in session.query(AidFlagStep)]
    assert flags == [(["depot:D1", "agency:y"], "open")]
    assert steps == [(None, "open")]


def test_a_resolved_flag_is_neither_reopened_nor_rewritten(chain_store):
    with chain_store.write() as session:
        _upsert(session, [_row("duplicate:overlapping_sources:partner:1")])
    with chain_store.write() as session:
        session.scalars(select(AidFlag)).one().status = "not_duplicate"
    with chain_store.write() as session:
        result = _upsert(session, [_row("duplicate:overlapping_sources:partner:1", sources=["other"])])
    assert len(result["kept"]) == 1 and not result["opened"] and not result["updated"]
    with chain_store.read() as session:
        kept = [(f.status, f.sources) for f in session.query(AidFlag)]
    assert kept == [("not_duplicate", ["depot:D1", "agency:x"])]


def test_pages_counts_and_the_oldest_open_flags(chain_store):
    with chain_store.write() as session:
        _upsert(session, [_row("duplicate:overlapping_sources:partner:1"),
                          _row("duplicate:overlapping_sources:assistance:C1", aid_id="assistance:C1",
                               since=T0 + timedelta(days=2)),
                          _row("missed:HH2:food:guarantee:food:20260601T080000Z", kind="missed", reason="no_aid",
                               household_id="HH2", since=T0 - timedelta(days=1), deadline=T0,
                               township_code="422801002", village_code="422801002001")])
    with chain_store.write() as session:
        session.query(AidFlag).filter_by(aid_id="assistance:C1").one().status = "confirmed"  # resolved duplicate
    with chain_store.read() as session:
        rows, total = store.flags(session, kind="duplicate", offset=0, limit=1)
        west, west_total = store.flags(session, township="422801001", status="open")
        by_township = store.flag_counts_by_township(session)
        by_village = store.flag_counts_by_village(session)
        oldest = [f.household_id for f in store.oldest_open(session, 5)]
        due = [f.household_id for f in store.overdue_unannounced(session, T0 + timedelta(minutes=1))]
        upcoming = store.next_deadline(session)
        rows, west = [f.aid_id for f in rows], [f.aid_id for f in west]
    assert total == 2 and rows == ["partner:1"]  # oldest since first
    assert west_total == 1 and west == ["partner:1"]
    assert {(r["township_code"], r["kind"], r["status"], r["count"]) for r in by_township} == {
        ("422801001", "duplicate", "open", 1), ("422801001", "duplicate", "confirmed", 1),
        ("422801002", "missed", "open", 1)}
    assert {(r["village_code"], r["kind"], r["count"]) for r in by_village} == {
        ("422801001001", "duplicate", 1), ("422801002001", "missed", 1)}
    assert oldest == ["HH2", "HH1"]
    assert due == ["HH2"] and upcoming == T0
