"""The aid chain: duplicate aid (overlapping sources, over the entitlement), missed aid at the window's edge,
the check of one proposed aid, and the flag review table."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from relief.domain import aid_chain as ac
from relief.domain.standards import Standards, validate_document
from relief.domain.vocabulary import AID_FLAG_KINDS, AID_FLAG_STATUSES, AidFlagKind, AidFlagStatus
from relief.errors import TransitionRefused, ValidationFailed
from tests import aid_world

T = datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)
H, S = timedelta(hours=1), timedelta(seconds=1)
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def standards():
    return Standards.bundled()


@pytest.fixture(scope="module")
def fig(standards):
    return ac.Figures.of(standards)


def aid(*rows):
    """Rows of (aid_id, household_id, source, purpose, start, end[, amount[, given_at]])."""
    out = []
    for row in rows:
        aid_id, household, source, purpose, start, end = row[:6]
        amount = row[6] if len(row) > 6 else 100.0
        given = row[7] if len(row) > 7 else start
        out.append({"aid_id": aid_id, "household_id": household, "source": source, "source_kind": "distribution",
                    "purpose": purpose, "period_start": start, "period_end": end, "amount": amount,
                    "quantity": np.nan, "given_at": given})
    return pd.DataFrame(out, columns=list(ac.AID_COLUMNS))


def overlaps(frame, fig):
    flags = ac.sweep_duplicates(frame, fig)
    return {row.aid_id: row.earlier_aid_ids for row in flags.itertuples() if row.reason == ac.OVERLAPPING}


# --- figures ---------------------------------------------------------------------------

def test_windows_and_grace_come_from_the_standards(standards, fig):
    section = standards.aid_chain
    assert fig.missed_window_ns["food"] == section["missed_window_hours"]["food"] * 3600 * 10**9 == 24 * 3600 * 10**9
    assert fig.overlap_grace_ns["living_cash"] == 0
    doc = copy.deepcopy(standards.document)
    doc["aid_chain"]["missed_window_hours"]["food"] = 12
    assert ac.Figures.of(Standards(doc)).missed_window_ns["food"] == 12 * 3600 * 10**9


@pytest.mark.parametrize("change, field", [
    (lambda s: s["missed_window_hours"].pop("food"), "aid_chain.missed_window_hours"),
    (lambda s: s["missed_window_hours"].__setitem__("water", 0), "aid_chain.missed_window_hours.water"),
    (lambda s: s["overlap_grace_hours"].__setitem__("food", -1), "aid_chain.overlap_grace_hours.food"),
    (lambda s: s.__setitem__("entitlement_tolerance_yuan", "x"), "aid_chain.entitlement_tolerance_yuan"),
])
def test_a_bad_section_is_refused_naming_the_part(standards, change, field):
    doc = copy.deepcopy(standards.document)
    change(doc["aid_chain"])
    with pytest.raises(ValidationFailed) as e:
        validate_document(doc)
    assert e.value.field == field


def test_an_older_document_is_completed_with_the_section(standards):
    from relief.domain.standards import completed
    doc = copy.deepcopy(standards.document)
    del doc["aid_chain"]
    assert Standards(completed(doc, standards.document)).aid_chain == standards.aid_chain


# --- the chain -------------------------------------------------------------------------

def test_the_chain_is_in_time_order_per_household():
    frame = aid((3, 2, "county", "food", T + DAY, T + 2 * DAY), (1, 1, "county", "food", T + DAY, T + 2 * DAY),
                (2, 2, "charity", "water", T, T + DAY))
    assert ac.chain(frame)["aid_id"].tolist() == [1, 2, 3]


@pytest.mark.parametrize("bad, field", [
    ({"purpose": "snacks"}, "aid.purpose"),
    ({"period_end": T}, "aid.period_end"),
    ({"period_end": T - S}, "aid.period_end"),
    ({"amount": -1.0}, "aid.amount"),
])
def test_bad_aid_is_refused(bad, field):
    frame = aid((1, 1, "county", "food", T, T + DAY))
    for key, value in bad.items():
        frame[key] = [value]
    with pytest.raises(ValidationFailed) as e:
        ac.chain(frame)
    assert e.value.field == field


def test_naive_moments_are_refused(fig):
    frame = aid((1, 1, "county", "food", T.replace(tzinfo=None), (T + DAY).replace(tzinfo=None)))
    with pytest.raises(ValidationFailed):
        ac.sweep_duplicates(frame, fig)


# --- duplicate: overlapping sources -------------------------------------------------------

def test_two_sources_over_one_period_is_a_duplicate_naming_the_earlier_aid(fig):
    frame = aid((1, 7, "county", "food", T, T + 5 * DAY), (2, 7, "charity", "food", T + DAY, T + 4 * DAY))
    flags = ac.sweep_duplicates(frame, fig)
    assert len(flags) == 1
    row = flags.iloc[0]
    assert (row.flag, row.reason, row.household_id, row.purpose) == ("duplicate", "overlapping_sources", 7, "food")
    assert row.aid_id == 2 and row.earlier_aid_ids == (1,) and row.sources == ("county", "charity")
    assert (row.period_start, row.period_end) == (pd.Timestamp(T + DAY), pd.Timestamp(T + 4 * DAY))


def test_one_source_twice_another_purpose_or_household_is_no_duplicate(fig):
    frame = aid((1, 7, "county", "food", T, T + 5 * DAY), (2, 7, "county", "food", T + DAY, T + 4 * DAY),
                (3, 7, "charity", "water", T, T + 5 * DAY), (4, 8, "charity", "food", T, T + 5 * DAY))
    assert overlaps(frame, fig) == {}


def test_the_grace_lets_a_handover_through(fig):
    """Food: the next delivery may arrive up to 24 h before the last runs out; money has no grace."""
    at_grace = aid((1, 7, "county", "food", T, T + 3 * DAY), (2, 7, "charity", "food", T + 2 * DAY, T + 5 * DAY))
    past_grace = aid((1, 7, "county", "food", T, T + 3 * DAY),
                     (2, 7, "charity", "food", T + 2 * DAY - S, T + 5 * DAY))
    assert overlaps(at_grace, fig) == {}
    assert overlaps(past_grace, fig) == {2: (1,)}
    back_to_back = aid((1, 7, "county", "living_cash", T, T + 30 * DAY),
                       (2, 7, "charity", "living_cash", T + 30 * DAY, T + 60 * DAY))
    one_second = aid((1, 7, "county", "living_cash", T, T + 30 * DAY),
                     (2, 7, "charity", "living_cash", T + 30 * DAY - S, T + 60 * DAY))
    assert overlaps(back_to_back, fig) == {}
    assert overlaps(one_second, fig) == {2: (1,)}


def test_the_walk_back_passes_aid_of_the_same_source(fig):
    """C (charity) overlaps A (county, long) but not B (charity, sorted between them)."""
    frame = aid((1, 7, "county", "housing", T, T + 30 * DAY), (2, 7, "charity", "housing", T + DAY, T + 2 * DAY),
                (3, 7, "charity", "housing", T + 3 * DAY, T + 4 * DAY))
    assert overlaps(frame, fig) == {2: (1,), 3: (1,)}


def test_three_sources_one_flag_per_later_aid(fig):
    frame = aid((1, 7, "county", "clothing", T, T + 10 * DAY), (2, 7, "charity", "clothing", T + DAY, T + 9 * DAY),
                (3, 7, "red_cross", "clothing", T + 2 * DAY, T + 3 * DAY))
    flags = ac.sweep_duplicates(frame, fig)
    assert overlaps(frame, fig) == {2: (1,), 3: (1, 2)}
    assert flags.set_index("aid_id").loc[3, "sources"] == ("county", "charity", "red_cross")


def test_the_sweep_agrees_with_comparing_every_pair(fig):
    rng = np.random.default_rng(3)
    n = 400
    start = [T + timedelta(hours=int(h)) for h in rng.integers(0, 24 * 20, n)]
    frame = aid(*[(i, int(rng.integers(1, 15)), ["a", "b", "c"][int(rng.integers(3))],
                   ["food", "living_cash"][int(rng.integers(2))], start[i], start[i] + timedelta(hours=int(d)))
                  for i, d in zip(range(n), rng.integers(1, 24 * 6, n))])
    pairs = ac.overlapping_pairs(frame, fig)
    got = {(int(frame.aid_id[e]), int(frame.aid_id[later])) for e, later in zip(pairs.earlier, pairs.later)}
    expected = set()
    rows = list(frame.itertuples())
    for a in rows:
        for b in rows:
            if a.Index == b.Index or (a.household_id, a.purpose) != (b.household_id, b.purpose) or a.source == b.source:
                continue
            earlier, later = sorted((a, b), key=lambda r: (r.period_start, r.period_end, r.Index))
            if earlier is not a:
                continue
            shared = min(a.period_end, b.period_end) - later.period_start
            if shared > timedelta(hours=24 if a.purpose == "food" else 0):
                expected.add((a.aid_id, b.aid_id))
    assert got == expected and len(expected) > 20


# --- duplicate: over the entitlement -------------------------------------------------------

def entitlement(household, purpose, need, start=None, end=None):
    return pd.DataFrame([{"household_id": household, "purpose": purpose, "need": need, "period_start": start,
                          "period_end": end}])


def test_aid_above_the_need_is_a_duplicate_from_the_aid_that_crossed_it(fig):
    frame = aid((1, 7, "county", "reconstruction", T, T + 90 * DAY, 30_000.0, T),
                (2, 7, "charity", "reconstruction", T + 100 * DAY, T + 190 * DAY, 15_000.0, T + 100 * DAY),
                (3, 7, "county", "food", T, T + DAY, 99_999.0, T))
    flags = ac.sweep_duplicates(frame, fig, entitlement(7, "reconstruction", 40_000.0))
    row = flags[flags.reason == ac.OVER_ENTITLEMENT].iloc[0]
    assert (row.aid_id, row.earlier_aid_ids, row.sources) == (2, (1,), ("county", "charity"))
    assert (row.entitlement, row.received, row.excess) == (40_000.0, 45_000.0, 5_000.0)
    assert row.since == pd.Timestamp(T + 100 * DAY)


def test_the_need_is_met_exactly_or_within_the_tolerance(fig):
    frame = aid((1, 7, "county", "living_cash", T, T + 30 * DAY, 600.0),
                (2, 7, "charity", "living_cash", T + 40 * DAY, T + 60 * DAY, 400.4))
    assert ac.sweep_duplicates(frame, fig, entitlement(7, "living_cash", 1000.0)).empty  # tolerance 0.5
    frame.loc[1, "amount"] = 400.6
    assert len(ac.sweep_duplicates(frame, fig, entitlement(7, "living_cash", 1000.0))) == 1


def test_a_need_over_a_period_counts_the_aid_within_it(fig):
    frame = aid((1, 7, "county", "living_cash", T, T + 30 * DAY, 900.0),
                (2, 7, "charity", "living_cash", T + 40 * DAY, T + 60 * DAY, 900.0))
    assert ac.sweep_duplicates(frame, fig, entitlement(7, "living_cash", 1000.0, T + 35 * DAY, T + 90 * DAY)).empty
    assert len(ac.sweep_duplicates(frame, fig, entitlement(7, "living_cash", 1000.0))) == 1


# --- one proposed aid ----------------------------------------------------------------------

def test_a_proposed_aid_that_would_duplicate_names_the_earlier_aid(fig):
    chain = aid((11, 7, "county", "food", T, T + 3 * DAY), (12, 7, "county", "water", T, T + 3 * DAY))
    proposed = {"purpose": "food", "source": "charity", "period_start": T + DAY, "period_end": T + 4 * DAY,
                "amount": 50.0}
    [finding] = ac.check_proposed(proposed, chain, fig)
    assert finding.reason == ac.OVERLAPPING
    assert finding.params["earlier_aid_ids"] == (11,) and finding.params["sources"] == ("county", "charity")
    assert finding.params["overlap_start"] == pd.Timestamp(T + DAY)
    assert ac.check_proposed({**proposed, "source": "county"}, chain, fig) == []
    assert ac.check_proposed({**proposed, "household_id": 8}, chain, fig) == []
    assert ac.check_proposed({**proposed, "period_start": T + 2 * DAY}, chain, fig) == []  # within the grace


def test_a_proposed_aid_above_the_need_says_what_is_left(fig):
    chain = aid((11, 7, "county", "living_cash", T, T + 30 * DAY, 700.0))
    proposed = {"purpose": "living_cash", "source": "county", "period_start": T + 30 * DAY,
                "period_end": T + 60 * DAY, "amount": 500.0}
    [finding] = ac.check_proposed(proposed, chain, fig, need=1000.0)
    assert finding.reason == ac.OVER_ENTITLEMENT
    assert (finding.params["left"], finding.params["excess"], finding.params["received"]) == (300.0, 200.0, 700.0)
    assert ac.check_proposed({**proposed, "amount": 300.0}, chain, fig, need=1000.0) == []
    both = ac.check_proposed({**proposed, "source": "charity", "period_start": T + DAY}, chain, fig, need=1000.0)
    assert [f.reason for f in both] == [ac.OVERLAPPING, ac.OVER_ENTITLEMENT]


def test_an_empty_chain_never_duplicates(fig):
    proposed = {"purpose": "food", "source": "county", "period_start": T, "period_end": T + DAY, "amount": 10.0}
    assert ac.check_proposed(proposed, aid(), fig, need=100.0) == []
    with pytest.raises(ValidationFailed):
        ac.check_proposed({**proposed, "purpose": "snacks"}, aid(), fig)


# --- missed aid --------------------------------------------------------------------------

def due(household=7, purpose="food", since=T, basis="guarantee:food"):
    return pd.DataFrame([{"household_id": household, "purpose": purpose, "since": since, "basis": basis}])


def missed(frame_due, frame_aid, fig, as_of):
    return ac.sweep_missed(frame_due, frame_aid, fig, as_of)


@pytest.mark.parametrize("given, answered", [(24 * H - S, True), (24 * H, True), (24 * H + S, False)])
def test_aid_answers_a_due_household_by_the_deadline_inclusive(fig, given, answered):
    frame = aid((1, 7, "county", "food", T + given, T + given + DAY))
    flags = missed(due(), frame, fig, T + 3 * DAY)
    if answered:
        assert flags.empty
    else:
        row = flags.iloc[0]
        assert (row.flag, row.reason, row.aid_id, row.given_at) == ("missed", ac.AID_LATE, 1, pd.Timestamp(T + given))
        assert row.deadline == pd.Timestamp(T + 24 * H) and row.overdue


@pytest.mark.parametrize("as_of, listed, overdue", [(-S, False, None), (24 * H - S, True, False),
                                                     (24 * H, True, False), (24 * H + S, True, True)])
def test_a_household_without_aid_is_listed_from_the_moment_due_and_overdue_past_the_deadline(fig, as_of, listed,
                                                                                           overdue):
    flags = missed(due(), aid(), fig, T + as_of)
    assert len(flags) == int(listed)
    if listed:
        row = flags.iloc[0]
        assert (row.reason, row.basis, row.deadline, bool(row.overdue)) == (ac.NO_AID, "guarantee:food",
                                                                          pd.Timestamp(T + 24 * H), overdue)
        assert row.aid_id is None


def test_which_aid_answers(fig):
    still_covering = aid((1, 7, "county", "food", T - DAY, T + DAY, 10.0, T - DAY))
    ran_out = aid((1, 7, "county", "food", T - 2 * DAY, T, 10.0, T - 2 * DAY))
    other_purpose = aid((1, 7, "county", "water", T, T + DAY))
    other_household = aid((1, 8, "county", "food", T, T + DAY))
    not_yet_known = aid((1, 7, "county", "food", T + H, T + DAY, 10.0, T + 2 * H))
    assert missed(due(), still_covering, fig, T + 2 * DAY).empty
    for frame in (ran_out, other_purpose, other_household):
        assert missed(due(), frame, fig, T + 2 * DAY).iloc[0].reason == ac.NO_AID
    assert missed(due(), not_yet_known, fig, T + H).iloc[0].reason == ac.NO_AID  # given after as_of
    assert missed(due(), not_yet_known, fig, T + 2 * H).empty


def test_the_window_is_the_purposes(fig):
    frame = aid((1, 7, "county", "living_cash", T + 29 * DAY, T + 59 * DAY))
    assert missed(due(purpose="living_cash", basis="transitional"), frame, fig, T + 40 * DAY).empty  # 720 h
    assert missed(due(purpose="food"), aid(), fig, T + 25 * H).iloc[0].overdue


# --- review ------------------------------------------------------------------------------

EXPECTED = {
    ("duplicate", "open"): {"confirmed", "not_duplicate", "justified_top_up"},
    ("missed", "open"): {"confirmed", "aid_given", "dismissed"},
    ("missed", "confirmed"): {"aid_given", "dismissed"},
}
NEEDS_REASON = {("duplicate", "justified_top_up"), ("missed", "dismissed")}


@pytest.mark.parametrize("kind", AID_FLAG_KINDS)
@pytest.mark.parametrize("status", AID_FLAG_STATUSES)
@pytest.mark.parametrize("target", AID_FLAG_STATUSES)
def test_the_review_table_exhaustively(kind, status, target):
    allowed = target in EXPECTED.get((kind, status), set())
    if not allowed:
        with pytest.raises(TransitionRefused) as e:
            ac.transition(kind, status, target, reason="because")
        assert e.value.detail["allowed_statuses"] == ac.allowed_targets(kind, status)
        return
    if (kind, target) in NEEDS_REASON:
        for empty in (None, "", "   "):
            with pytest.raises(ValidationFailed) as e:
                ac.transition(kind, status, target, reason=empty)
            assert e.value.field == "reason"
    decision = ac.transition(kind, status, target, reason=" paid twice by mistake ")
    assert (decision.kind, decision.source, decision.target) == (kind, status, target)
    assert decision.reason == "paid twice by mistake"
    if (kind, target) not in NEEDS_REASON:
        assert ac.transition(kind, status, target).reason is None


def test_resolved_flags_and_the_start():
    assert ac.INITIAL_STATUS == AidFlagStatus.OPEN
    resolved = {(k, s) for k in AID_FLAG_KINDS for s in AID_FLAG_STATUSES if ac.is_resolved(k, s)}
    assert (AidFlagKind.DUPLICATE, AidFlagStatus.CONFIRMED) in resolved
    assert (AidFlagKind.MISSED, AidFlagStatus.CONFIRMED) not in resolved
    assert {(k, s) for k in AID_FLAG_KINDS for s in AID_FLAG_STATUSES} - resolved == set(EXPECTED)


@pytest.mark.parametrize("args", [("bogus", "open", "confirmed"), ("duplicate", "bogus", "confirmed"),
                                  ("duplicate", "open", "bogus")])
def test_unknown_words_are_refused(args):
    with pytest.raises(ValidationFailed):
        ac.transition(*args)


# --- size -----------------------------------------------------------------------------------

def test_a_larger_sweep_finds_the_planted_overlaps(fig):
    frame = aid_world.aid_frames(2_000, 20_000, duplicates=0.02)
    flags = ac.sweep_duplicates(frame, fig)
    planted = frame.source.isin(["red_cross", "partner_a", "partner_b"])
    # A re-issued aid reaches three days into the period before it: a duplicate unless it is the first of
    # its household and purpose, or the one before came from the same other source.
    group = frame.groupby(["household_id", "purpose"], sort=False)
    after_other = (group.cumcount() > 0) & ~group["source"].shift().isin(["red_cross", "partner_a", "partner_b"])
    assert set(flags.aid_id) == set(frame.aid_id[planted & after_other])
    assert len(flags) > 100
