"""The demo's reconstruction ledger: one house per damaged household, walked through its stages up to ``as_of``.

Every household whose house is collapsed, severely or generally damaged gets
one house (the unit of subsidy) at its position, placed in its county,
township and village by its village code. The demo's damage register stands
for the season's disasters, so the houses were assessed from about ten months
to a few days before ``as_of``; each then walks its path of
:data:`relief.domain.reconstruction.PATHS` one step at a time, each step
taking a share of that stage's limit in the standards, until the next step
would fall after ``as_of``. That gives a realistic spread: old cases moved
in, recent ones still assessed or eligible, most in between.

- A few steps take longer than their stage's limit: those houses are
  **stalled** at ``as_of`` (their stall is stamped as announced when it
  happened, as the scheduler would have).
- Some houses are excluded with a reason, before any agreement.
- Inspected milestones are reached only with a passing inspection; some
  passed only after a failed one (the correction loop), and some houses wait
  now with a failed inspection of their next milestone (``correction_required``).
- Tranches are paid a few days after their milestone (an inspected one: after
  its passing inspection, which the payment names); a few released tranches
  are still unpaid, so some money is due.

Pure and deterministic for a given ``seed`` and ``as_of``: one generator of
its own (``SeedSequence(seed, spawn_key=(HOUSES_STREAM,))``), so adding the
houses reshuffles no other part of the demo. Frames use the ORM column names
(``houses``, ``house_transitions``, ``inspections``, ``house_payments``) with
explicit ids, as the store inserts them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import shapely

from relief.domain import reconstruction as rc
from relief.domain.demo.clock import demo_clock
from relief.domain.standards import Standards
from relief.domain.vocabulary import RECONSTRUCTION_DAMAGE, HouseStage, InspectionResult, RebuildMode

S = HouseStage
#: The seed stream of the houses (the region's parts use spawn keys 0…8).
HOUSES_STREAM = 100
#: Days before ``as_of`` the houses were assessed: a share recent, the rest over the season.
RECENT_SHARE = 0.15
RECENT_DAYS = (1.0, 20.0)
SEASON_DAYS = (20.0, 240.0)
#: A step takes this share of its stage's limit (uniform), or with SLOW_P this multiple of it (a stall).
STEP_SHARE = (0.3, 0.95)
SLOW_P = 0.05
SLOW_FACTOR = (1.15, 2.5)
#: Stages without a limit in the standards take this many days per step.
UNLIMITED_STEP_DAYS = (3.0, 20.0)
EXCLUDED_P = 0.06
#: A passing inspection follows a failed one this often (the correction loop).
FAILED_FIRST_P = 0.12
#: A house waiting before an inspected milestone has a failed inspection of it this often.
WAITING_FAILED_P = 0.2
#: A released tranche is paid this often, some days after its milestone.
PAID_P = 0.85
PAY_DELAY_DAYS = (2.0, 20.0)
MODES_P = {RebuildMode.IN_PLACE: 0.55, RebuildMode.PLANNED_SELF_BUILD: 0.2, RebuildMode.PLANNED_BUILT: 0.15,
           RebuildMode.PURCHASE: 0.10}
EXCLUSION_REASONS = (
    "owns another safe dwelling (有其他安全住房)",
    "damage not confirmed on re-survey (复核未达损坏标准)",
    "household moved away for good (已迁出)",
)
FAILURE_NOTES = (
    "ring beam reinforcement short of the drawing (圈梁配筋不足)",
    "mortar joints not filled (砂浆不饱满)",
    "no damp-proof course (无防潮层)",
    "roof trusses not anchored (屋架未锚固)",
)
INSPECTORS = ("李工", "王工", "张工", "刘工", "陈工", "杨工")
ASSESSOR = "township assessment team (乡镇评估组)"


@dataclass(frozen=True, eq=False)
class DemoHouses:
    """The four reconstruction frames of the demo, each named as its table."""

    houses: pd.DataFrame
    house_transitions: pd.DataFrame
    inspections: pd.DataFrame
    house_payments: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """Table name → frame, in an order that keeps foreign keys (houses, inspections, history, payments)."""
        return {"houses": self.houses, "inspections": self.inspections,
                "house_transitions": self.house_transitions, "house_payments": self.house_payments}

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.frames().items()}


_HOUSE_COLUMNS = ("id", "household_id", "county_code", "township_code", "village_code", "damage", "assessed_at",
                  "assessed_by", "stage", "stage_since", "stalls_at", "stall_announced_at", "rebuild_mode",
                  "exclusion_reason", "correction_required", "updated_at", "geom")
_TRANSITION_COLUMNS = ("id", "house_id", "from_stage", "to_stage", "actor_id", "at", "reason", "inspection_id")
_INSPECTION_COLUMNS = ("id", "client_id", "house_id", "milestone", "result", "inspected_at", "received_at",
                       "inspector", "inspector_id", "note", "lat", "lon")
_PAYMENT_COLUMNS = ("id", "house_id", "tranche", "amount", "paid_at", "inspection_id", "actor_id", "recorded_at")


def _minutes(days: float) -> timedelta:
    """A span of ``days``, to the minute (the demo's moments are whole minutes)."""
    return timedelta(minutes=round(days * 1440))


def house_id_of(household_id: str) -> str:
    """The demo's house id for a household's dwelling: ``HH000123`` → ``HS000123``."""
    return "HS" + household_id[2:] if household_id.startswith("HH") else f"HS-{household_id}"


class _Walk:
    """The rows of the frames, filled one house at a time."""

    def __init__(self, rng: np.random.Generator, figures: rc.Figures, as_of: datetime):
        self.rng, self.figures, self.as_of = rng, figures, as_of
        self.houses: list[dict] = []
        self.transitions: list[tuple] = []
        self.inspections: list[tuple] = []
        self.payments: list[tuple] = []

    def _days(self, low_high: tuple[float, float]) -> timedelta:
        return _minutes(float(self.rng.uniform(*low_high)))

    def _step(self, stage: str) -> timedelta:
        """How long a house stays in ``stage`` before its next step (sometimes longer than the limit)."""
        limit = self.figures.limits_days.get(stage)
        if limit is None:
            return self._days(UNLIMITED_STEP_DAYS)
        if self.rng.random() < SLOW_P:
            return _minutes(limit * float(self.rng.uniform(*SLOW_FACTOR)))
        return _minutes(limit * float(self.rng.uniform(*STEP_SHARE)))

    def _inspect(self, house_id: str, milestone: str, result: str, at: datetime, lon: float, lat: float) -> int:
        ident = len(self.inspections) + 1
        note = str(self.rng.choice(FAILURE_NOTES)) if result == InspectionResult.FAIL else None
        received = at + timedelta(minutes=int(self.rng.integers(1, 600)))  # phones sync when the network is back
        self.inspections.append((ident, None, house_id, milestone, str(result), at, received,
                                 str(self.rng.choice(INSPECTORS)), None, note, lat, lon))
        return ident

    def _move(self, house_id: str, before: str | None, after: str, at: datetime, reason: str | None = None,
              inspection_id: int | None = None) -> None:
        self.transitions.append((len(self.transitions) + 1, house_id, before, after, None, at, reason, inspection_id))

    def house(self, household_id: str, damage: str, category: str | None, village: str, lon: float,
              lat: float) -> None:
        rng, fig, as_of = self.rng, self.figures, self.as_of
        house_id = house_id_of(household_id)
        recent = rng.random() < RECENT_SHARE
        assessed = as_of - self._days(RECENT_DAYS if recent else SEASON_DAYS)
        repair = damage in fig.repair_damage
        path = rc.PATHS[rc.REPAIR if repair else rc.REBUILD]
        stage, since, mode, reason, correction = S.ASSESSED.value, assessed, None, None, False
        self._move(house_id, None, stage, assessed)
        reached: dict[str, tuple[datetime, int | None]] = {}
        while stage != S.MOVED_IN:
            at = since + self._step(stage)
            upcoming = str(path[path.index(stage) + 1])
            if stage == S.ASSESSED and rng.random() < EXCLUDED_P:
                upcoming = str(S.EXCLUDED)
            inspected = upcoming in fig.inspected
            if inspected and rng.random() < FAILED_FIRST_P:  # a failure, corrected before the pass
                failed_at = since + _minutes((at - since) / timedelta(days=1) * float(rng.uniform(0.4, 0.8)))
                if failed_at <= as_of:
                    self._inspect(house_id, upcoming, InspectionResult.FAIL, failed_at, lon, lat)
                    correction = at > as_of  # still waiting for the pass
            if at > as_of:
                if inspected and not correction and rng.random() < WAITING_FAILED_P:
                    failed_at = since + _minutes((as_of - since) / timedelta(days=1) * float(rng.uniform(0.5, 0.95)))
                    self._inspect(house_id, upcoming, InspectionResult.FAIL, failed_at, lon, lat)
                    correction = True
                break
            passed = self._inspect(house_id, upcoming, InspectionResult.PASS, at, lon, lat) if inspected else None
            correction = False
            if upcoming == S.EXCLUDED:
                reason = str(rng.choice(EXCLUSION_REASONS))
            if upcoming == S.AGREEMENT_SIGNED:
                mode = RebuildMode.REPAIR.value if repair else str(
                    rng.choice([m.value for m in MODES_P], p=list(MODES_P.values())))
            self._move(house_id, stage, upcoming, at, reason=reason if upcoming == S.EXCLUDED else None,
                       inspection_id=passed)
            stage, since = upcoming, at
            reached[stage] = (at, passed)
            if stage == S.EXCLUDED:
                break
        self._pay(house_id, damage, category, mode, reached)
        stalls_at = rc.stalls_at(stage, since, fig)
        stalled = stalls_at is not None and as_of > stalls_at
        self.houses.append(dict(
            id=house_id, household_id=household_id, county_code=village[:6], township_code=village[:9],
            village_code=village, damage=damage, assessed_at=assessed, assessed_by=ASSESSOR, stage=stage,
            stage_since=since, stalls_at=stalls_at, stall_announced_at=stalls_at if stalled else None,
            rebuild_mode=mode, exclusion_reason=reason if stage == S.EXCLUDED else None,
            correction_required=bool(correction), updated_at=since, lon=lon, lat=lat))

    def _pay(self, house_id: str, damage: str, category: str | None, mode: str | None,
             reached: dict[str, tuple[datetime, int | None]]) -> None:
        if S.EXCLUDED in reached or mode is None:
            return
        fig = self.figures
        plan = fig.plans[rc.path_of(damage, mode, fig)]
        amounts = rc.tranche_amounts(fig.entitled(damage, category), plan)
        for tranche in plan:
            if tranche.milestone not in reached or self.rng.random() >= PAID_P:
                continue
            at, inspection_id = reached[tranche.milestone]
            paid_at = at + self._days(PAY_DELAY_DAYS)
            if paid_at > self.as_of:
                continue
            self.payments.append((len(self.payments) + 1, house_id, tranche.name, amounts[tranche.name], paid_at,
                                  inspection_id, None, paid_at))


def build_houses(households: pd.DataFrame, *, standards: Standards, seed: int, as_of: datetime) -> DemoHouses:
    """The reconstruction frames for the damaged houses of ``households`` (the demo's households frame).

    Reads ``id``, ``house_damage``, ``assistance_category``, ``village_code``
    and ``geom`` (WGS 84 points); households whose house is undamaged get none.
    Every stage, inspection and payment lies at or before ``as_of`` (tz-aware).
    """
    as_of = demo_clock(as_of)
    figures = rc.Figures.of(standards)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(HOUSES_STREAM,)))
    damaged = households[households["house_damage"].isin(RECONSTRUCTION_DAMAGE)].sort_values("id")
    lon = shapely.get_x(np.asarray(damaged["geom"], dtype=object))
    lat = shapely.get_y(np.asarray(damaged["geom"], dtype=object))
    walk = _Walk(rng, figures, as_of)
    for i, (household_id, damage, category, village) in enumerate(zip(
            damaged["id"], damaged["house_damage"], damaged["assistance_category"], damaged["village_code"])):
        walk.house(str(household_id), str(damage), None if pd.isna(category) else str(category), str(village),
                   float(lon[i]), float(lat[i]))

    # object columns keep Python values as they are: None (never NaN) and ints for the nullable ids
    houses = pd.DataFrame(walk.houses, columns=[*_HOUSE_COLUMNS[:-1], "lon", "lat"], dtype=object)
    houses["geom"] = pd.Series(list(shapely.points(houses["lon"].to_numpy(dtype=float),
                                                   houses["lat"].to_numpy(dtype=float))), dtype=object,
                               index=houses.index)
    houses = houses[list(_HOUSE_COLUMNS)]
    houses["correction_required"] = houses["correction_required"].astype(bool)
    return DemoHouses(houses, pd.DataFrame(walk.transitions, columns=list(_TRANSITION_COLUMNS), dtype=object),
                      pd.DataFrame(walk.inspections, columns=list(_INSPECTION_COLUMNS), dtype=object),
                      pd.DataFrame(walk.payments, columns=list(_PAYMENT_COLUMNS), dtype=object))
