"""Post-disaster reconstruction house by house: stages, inspections, subsidy tranches, progress.

A house (one grant per dwelling) moves along one of two paths, each step a
row of :data:`STEPS`; the target stage *is* the step, so a request names the
stage it wants the house in and the table says whether that stage follows::

    assessed → eligible | excluded (reason) → agreement_signed (rebuild mode)
      rebuild: → started → foundation → main_structure → roofed → completed → moved_in
      repair:  → repair_started → repair_completed → moved_in
    excluded → assessed (re-opened after a re-survey, reason)

Collapsed and severely damaged houses are rebuilt (modes in_place,
planned_self_build, planned_built, purchase); generally damaged ones are
repaired (mode repair), as the standards' ``rebuild_damage`` /
``repair_damage`` say. A stage named in the standards' ``inspected_milestones``
is reached only with a passing inspection of it; an inspection looks at the
house's next milestone, and a failed one leaves the house where it is with
``correction_required`` until a later inspection of that milestone passes.

Money follows inspections: a house's entitlement is the standards' amount
for its damage class × household category; the tranche plan (rebuild or
repair) splits it into tranches, each due once its milestone is reached (an
inspected milestone: once its inspection passed) and paid at most once.

A house is **stalled** when it has been in its stage longer than the
standards' limit for that stage, judged against an explicit ``as_of``.
Everything here is pure: figures come in as a :class:`Figures` (built from
the standards in force), rows as DataFrames (the per-house listing also as plain columns:
:func:`house_columns`, which needs no pandas).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import repeat
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from relief.domain.roles import PERMISSIONS
from relief.domain.standards import Standards
from relief.domain.vocabulary import (
    HOUSE_STAGES,
    REBUILD_MODES,
    RECONSTRUCTION_DAMAGE,
    HouseStage,
    RebuildMode,
)
from relief.errors import Conflict, Forbidden, TransitionRefused, ValidationFailed

if TYPE_CHECKING:
    import pandas as pd

S = HouseStage

#: The permission every stage step needs (``relief.domain.roles``).
UPDATE = "reconstruction.update"
#: Filing an inspection, and recording a payment.
INSPECT = "reconstruction.inspect"
PAY = "reconstruction.pay"

REBUILD = "rebuild"
REPAIR = "repair"
#: The stages of each path in order; ``excluded`` lies on neither.
PATHS: dict[str, tuple[str, ...]] = {
    REBUILD: (S.ASSESSED, S.ELIGIBLE, S.AGREEMENT_SIGNED, S.STARTED, S.FOUNDATION, S.MAIN_STRUCTURE, S.ROOFED,
              S.COMPLETED, S.MOVED_IN),
    REPAIR: (S.ASSESSED, S.ELIGIBLE, S.AGREEMENT_SIGNED, S.REPAIR_STARTED, S.REPAIR_COMPLETED, S.MOVED_IN),
}
#: Stages in which a house has started building or repairing (or gone further).
STARTED_STAGES = frozenset({S.STARTED, S.FOUNDATION, S.MAIN_STRUCTURE, S.ROOFED, S.COMPLETED, S.REPAIR_STARTED,
                            S.REPAIR_COMPLETED, S.MOVED_IN})
#: Stages in which the work is finished.
COMPLETED_STAGES = frozenset({S.COMPLETED, S.REPAIR_COMPLETED, S.MOVED_IN})
#: Stages from which nothing more happens (``excluded`` may still be re-opened).
FINAL_STAGES = frozenset({S.MOVED_IN, S.EXCLUDED})
INITIAL_STAGE = S.ASSESSED


@dataclass(frozen=True)
class Step:
    """One row of the table: a house in one of ``sources`` may be put in ``target`` by ``permission``'s roles.

    ``path`` limits the step to houses on that path (``None``: either).
    """

    target: str
    sources: frozenset[str]
    permission: str
    path: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        return PERMISSIONS[self.permission]


def _step(target: str, sources: Iterable[str], path: str | None = None) -> Step:
    return Step(target, frozenset(sources), UPDATE, path)


#: The stage table. Exclusion and re-opening need a reason; signing needs a rebuild mode.
STEPS: tuple[Step, ...] = (
    _step(S.ELIGIBLE, {S.ASSESSED}),
    _step(S.EXCLUDED, {S.ASSESSED}),
    _step(S.ASSESSED, {S.EXCLUDED}),
    _step(S.AGREEMENT_SIGNED, {S.ELIGIBLE}),
    _step(S.STARTED, {S.AGREEMENT_SIGNED}, REBUILD),
    _step(S.FOUNDATION, {S.STARTED}, REBUILD),
    _step(S.MAIN_STRUCTURE, {S.FOUNDATION}, REBUILD),
    _step(S.ROOFED, {S.MAIN_STRUCTURE}, REBUILD),
    _step(S.COMPLETED, {S.ROOFED}, REBUILD),
    _step(S.REPAIR_STARTED, {S.AGREEMENT_SIGNED}, REPAIR),
    _step(S.REPAIR_COMPLETED, {S.REPAIR_STARTED}, REPAIR),
    _step(S.MOVED_IN, {S.COMPLETED, S.REPAIR_COMPLETED}),
)
_BY_TARGET: dict[str, Step] = {s.target: s for s in STEPS}
#: Steps that need a reason.
NEEDS_REASON = frozenset({S.EXCLUDED, S.ASSESSED})


# --- figures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Tranche:
    name: str
    share: float
    milestone: str


@dataclass(frozen=True)
class Figures:
    """The ``reconstruction`` section of the standards, checked against the stage words."""

    rebuild_damage: frozenset[str]
    repair_damage: frozenset[str]
    entitlement: Mapping[str, Mapping[str, float]]
    plans: Mapping[str, tuple[Tranche, ...]]
    inspected: frozenset[str]
    limits_days: Mapping[str, float]

    @classmethod
    def of(cls, standards: Standards) -> "Figures":
        return cls.from_section(standards.reconstruction)

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> "Figures":
        where = "reconstruction"
        plans = {}
        for plan in (REBUILD, REPAIR):
            raw = section["tranches"].get(plan)
            if not raw:
                raise ValidationFailed(f"the standards lack the {plan} tranche plan", field=f"{where}.tranches.{plan}")
            plans[plan] = tuple(Tranche(str(t["tranche"]), float(t["share"]), str(t["milestone"])) for t in raw)
            for t in plans[plan]:
                if t.milestone not in PATHS[plan]:
                    raise ValidationFailed(f"tranche {t.name!r}: {t.milestone!r} is no stage of the {plan} path",
                                           field=f"{where}.tranches.{plan}")
        inspected = frozenset(section["inspected_milestones"])
        limits = {str(k): float(v) for k, v in section["stage_limit_days"].items()}
        for stage in (*inspected, *limits):
            if stage not in HOUSE_STAGES:
                raise ValidationFailed(f"{stage!r} is not a house stage", field=where)
        damage = {str(k): {str(c): float(a) for c, a in v.items()} for k, v in section["entitlement_yuan"].items()}
        rebuild = frozenset(section.get("rebuild_damage", ()))
        repair = frozenset(section.get("repair_damage", ()))
        if rebuild & repair or not (rebuild | repair) <= set(RECONSTRUCTION_DAMAGE):
            raise ValidationFailed("rebuild_damage and repair_damage must be distinct damage classes",
                                   field=f"{where}.rebuild_damage")
        return cls(rebuild, repair, damage, plans, inspected, limits)

    def entitled(self, damage: str, category: str | None) -> float:
        by_category = self.entitlement.get(damage) or {}
        if not by_category:
            return 0.0
        return float(by_category.get(category or "default", by_category["default"]))

    def limit(self, stage: str) -> timedelta | None:
        days = self.limits_days.get(stage)
        return None if days is None else timedelta(days=days)


# --- the path of one house --------------------------------------------------------------

def check_damage(damage: Any, field: str = "damage") -> str:
    if damage not in RECONSTRUCTION_DAMAGE:
        raise ValidationFailed(f"{field} must be one of {', '.join(RECONSTRUCTION_DAMAGE)}", field=field)
    return damage


def check_stage(stage: Any, field: str = "stage") -> str:
    if stage not in HOUSE_STAGES:
        raise ValidationFailed(f"unknown stage {stage!r}; expected one of {', '.join(HOUSE_STAGES)}", field=field)
    return stage


def path_of(damage: str, rebuild_mode: str | None, figures: Figures) -> str:
    """``repair`` for a house signed for repair, or (before signing) generally damaged; else ``rebuild``."""
    if rebuild_mode:
        return REPAIR if rebuild_mode == RebuildMode.REPAIR else REBUILD
    return REPAIR if damage in figures.repair_damage else REBUILD


def modes_for(damage: str, figures: Figures) -> tuple[str, ...]:
    """The rebuild modes a house of ``damage`` may sign for."""
    if damage in figures.repair_damage:
        return (RebuildMode.REPAIR.value,)
    return tuple(m for m in REBUILD_MODES if m != RebuildMode.REPAIR)


def next_milestone(stage: str, damage: str, rebuild_mode: str | None, figures: Figures) -> str | None:
    """The stage the house should reach next on its path; None when it has moved in or is excluded."""
    if stage == S.EXCLUDED:
        return None
    path = PATHS[path_of(damage, rebuild_mode, figures)]
    if stage not in path:
        return None
    at = path.index(stage)
    return path[at + 1] if at + 1 < len(path) else None


def allowed_stages(stage: str, role: str, *, damage: str, rebuild_mode: str | None, figures: Figures) -> list[str]:
    """The stages ``role`` may put a house in from ``stage`` (ignoring reasons and inspections), table order."""
    path = None if stage in (S.ASSESSED, S.ELIGIBLE, S.EXCLUDED) else path_of(damage, rebuild_mode, figures)
    if path is not None and stage not in PATHS[path]:
        return []  # a stage of the other path: nothing follows until the house is put right
    return [s.target for s in STEPS if stage in s.sources and role in s.roles
            and (s.path is None or path is None or s.path == path)]


@dataclass(frozen=True)
class Decision:
    """What a transition sets: the new stage, the rebuild mode, and whether it rests on an inspection."""

    stage: str
    rebuild_mode: str | None
    inspected: bool


def transition(stage: str, target: Any, role: str, *, damage: str, rebuild_mode: str | None, figures: Figures,
               reason: str | None = None, new_mode: Any = None, inspection_passed: bool = False) -> Decision:
    """Whether ``role`` may put a house in ``stage`` into ``target``, and what that sets.

    Raises :class:`ValidationFailed` for an unknown target (field ``stage``), a
    missing reason or rebuild mode; :class:`Forbidden` when the role may never
    take this step; :class:`TransitionRefused` when the step does not follow
    from ``stage`` (a skipped stage, the other path) or when an inspected
    milestone lacks its passing inspection (field ``inspection``).
    ``inspection_passed`` says whether the latest inspection of ``target`` passed.
    """
    check_stage(stage, "current stage")
    check_stage(target)
    step = _BY_TARGET[target]
    if role not in step.roles:
        raise Forbidden(f"role {role!r} may not put a house in {target}", field="role")
    options = allowed_stages(stage, role, damage=damage, rebuild_mode=rebuild_mode, figures=figures)
    if target not in options:
        raise TransitionRefused(
            f"a house that is {stage} cannot go to {target}; next: {', '.join(options) or 'none'}",
            field="stage", detail={"stage": stage, "requested": target, "allowed_stages": options})
    if target in NEEDS_REASON and not (reason and reason.strip()):
        why = "excluding a house" if target == S.EXCLUDED else "re-opening an excluded house"
        raise ValidationFailed(f"{why} needs a reason", field="reason")
    mode = rebuild_mode
    if target == S.AGREEMENT_SIGNED:
        allowed = modes_for(damage, figures)
        if new_mode not in allowed:
            raise ValidationFailed(f"a {damage} house signs for one of {', '.join(allowed)}", field="rebuild_mode")
        mode = new_mode
    elif new_mode not in (None, "") and new_mode != rebuild_mode:
        raise ValidationFailed("the rebuild mode is chosen when the agreement is signed", field="rebuild_mode")
    if target == S.ASSESSED:
        mode = None
    inspected = target in figures.inspected
    if inspected and not inspection_passed:
        raise TransitionRefused(f"{target} is an inspected milestone: it needs a passing inspection first",
                                field="inspection", detail={"stage": stage, "requested": target})
    return Decision(target, mode, inspected)


def check_inspection(stage: str, milestone: Any, *, damage: str, rebuild_mode: str | None,
                     figures: Figures) -> str:
    """An inspection looks at the house's next milestone, which must be an inspected one."""
    check_stage(milestone, "milestone")
    if milestone not in figures.inspected:
        raise ValidationFailed(f"{milestone} is not an inspected milestone; inspected: "
                               f"{', '.join(s for s in HOUSE_STAGES if s in figures.inspected)}", field="milestone")
    expected = next_milestone(stage, damage, rebuild_mode, figures)
    if milestone != expected:
        raise ValidationFailed(f"the house is {stage}: its next milestone is {expected or 'none'}, not {milestone}",
                               field="milestone")
    return milestone


def correction_required(results: Sequence[str]) -> bool:
    """Whether the inspections of the house's next milestone (oldest first) end in a failure."""
    return bool(results) and results[-1] != "pass"


# --- money ----------------------------------------------------------------------------

def tranche_amounts(entitled: float, plan: Sequence[Tranche]) -> dict[str, float]:
    """Each tranche's amount in yuan (to the fen); the last takes the remainder, so they add up exactly."""
    out: dict[str, float] = {}
    given = 0.0
    for i, t in enumerate(plan):
        amount = round(entitled - given, 2) if i == len(plan) - 1 else round(entitled * t.share, 2)
        out[t.name] = amount
        given += amount
    return out


def reached(stage: str, milestone: str, path: str) -> bool:
    """Whether a house in ``stage`` has got to ``milestone`` on ``path``."""
    stages = PATHS[path]
    return stage in stages and milestone in stages and stages.index(stage) >= stages.index(milestone)


def check_payment(*, stage: str, damage: str, rebuild_mode: str | None, category: str | None, tranche: Any,
                  amount: float | None, passed: Iterable[str], paid: Mapping[str, float],
                  figures: Figures) -> tuple[Tranche, float]:
    """The tranche and amount of a payment that may be made now, or the reason it may not.

    ``passed`` are the milestones with a passing inspection, ``paid`` the
    tranches already paid. Refusals: an unknown tranche or an amount above
    the tranche (400, naming the field); a tranche whose milestone has not
    passed or that was paid already (409, field ``tranche``).
    """
    if stage == S.EXCLUDED:
        raise Conflict("an excluded house is entitled to nothing", field="tranche")
    path = path_of(damage, rebuild_mode, figures)
    plan = {t.name: t for t in figures.plans[path]}
    if tranche not in plan:
        raise ValidationFailed(f"tranche must be one of {', '.join(plan)} for a {path}", field="tranche")
    t = plan[tranche]
    entitled = figures.entitled(damage, category)
    planned = tranche_amounts(entitled, figures.plans[path])[t.name]
    if tranche in paid:
        raise Conflict(f"tranche {tranche} was paid already", field="tranche")
    passed = set(passed)
    if t.milestone in figures.inspected:
        if t.milestone not in passed:
            raise Conflict(f"tranche {tranche} needs a passing inspection of {t.milestone} first", field="tranche",
                           detail={"milestone": t.milestone})
    elif not reached(stage, t.milestone, path):
        raise Conflict(f"tranche {tranche} is due when the house is {t.milestone}; it is {stage}", field="tranche",
                       detail={"milestone": t.milestone})
    amount = planned if amount is None else float(amount)
    if amount <= 0:
        raise ValidationFailed("amount must be greater than zero", field="amount")
    if amount > planned + 1e-9 or sum(paid.values()) + amount > entitled + 1e-9:
        raise ValidationFailed(f"amount {amount:,.2f} is over tranche {tranche} ({planned:,.2f} of an entitlement "
                               f"of {entitled:,.2f} yuan)", field="amount")
    return t, amount


# --- many houses at once ---------------------------------------------------------------

#: What :func:`house_rows` reads of each house.
HOUSE_COLUMNS = ("house_id", "household_id", "county_code", "township_code", "damage", "category", "stage",
                 "stage_since", "rebuild_mode", "correction_required")
#: The columns of a per-house row (the ``relief reconstruction`` contract), in order.
ROW_COLUMNS = ("house_id", "household_id", "county_code", "township_code", "damage", "stage", "days_in_stage",
               "stalled", "correction_required", "entitled", "paid", "due", "next_milestone")
_DAY_NS = 86_400 * 10**9
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _as_utc_ns(values: Any) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of tz-aware or naive-as-UTC moments; NaT as the int64 minimum."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":  # numpy moments are naive UTC already
        return values.astype("datetime64[ns]").astype("int64")
    import pandas as pd

    series = pd.to_datetime(values, utc=True)
    return np.asarray(series.dt.as_unit("ns").array.asi8, dtype="int64")


def _epoch_ns(moment: datetime) -> int:
    """``moment`` (tz-aware) as nanoseconds since the epoch, exactly (a pandas Timestamp's nanoseconds kept)."""
    delta = moment - _EPOCH
    return ((delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds) * 1000 + \
        int(getattr(delta, "nanoseconds", 0))


def _values(table: Any, name: str) -> np.ndarray:
    """One column of a frame or of a mapping of arrays, as an object array."""
    values = table[name]
    if isinstance(values, np.ndarray):
        return values if values.dtype == object else values.astype(object)
    if hasattr(values, "to_numpy"):
        return values.to_numpy(dtype=object)
    return np.asarray(values, dtype=object)


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA (text, the usual case, is answered first)."""
    if value is None:
        return True
    if isinstance(value, (str, int)):
        return False
    if isinstance(value, float):
        return value != value
    import pandas as pd  # NaT, NA: values only a frame holds, so pandas is loaded already

    return bool(pd.isna(value))


def _per_word(values: np.ndarray, judge: Callable[[Any], Any], dtype: str) -> np.ndarray:
    """``judge`` of each value, asked once per distinct value (columns of words repeat a few words)."""
    listed = values.tolist()
    answers = {word: judge(word) for word in dict.fromkeys(listed)}
    return np.fromiter(map(answers.__getitem__, listed), dtype=dtype, count=len(listed))


def _codes(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Small integer codes of ``values`` in order of first appearance (-1 when missing) and the words coded."""
    words = [w for w in dict.fromkeys(values.tolist()) if not _missing(w)]
    code_of = {w: i for i, w in enumerate(words)}
    return _per_word(values, lambda w: code_of.get(w, -1) if not _missing(w) else -1, "int64"), words


def _texts(values: np.ndarray) -> list[str]:
    """Ids as text (they are, from a store: one C-level check says so)."""
    listed = values.tolist()
    try:
        "".join(listed)
    except TypeError:
        return [v if type(v) is str else str(v) for v in listed]
    return listed


def _positions(ids: np.ndarray, among: Mapping[str, int]) -> np.ndarray:
    """Where each id sits among the houses (-1: not among them)."""
    keys = _texts(ids)
    return np.fromiter(map(among.get, keys, repeat(-1)), dtype="int64", count=len(keys))


def _stage_limits_ns(stages: np.ndarray, figures: Figures) -> np.ndarray:
    out = np.full(len(stages), np.iinfo("int64").max, dtype="int64")
    for stage, days in figures.limits_days.items():
        out[stages == stage] = int(round(days * _DAY_NS))
    return out


def stalls_at(stage: str, since: datetime, figures: Figures) -> datetime | None:
    """The moment a house that entered ``stage`` at ``since`` becomes stalled (None: never)."""
    limit = figures.limit(stage)
    return None if limit is None or stage in FINAL_STAGES else since + limit


def is_stalled(stage: str, since: datetime, as_of: datetime, figures: Figures) -> bool:
    """Stalled means strictly longer in the stage than its limit: at the limit exactly it is not yet."""
    moment = stalls_at(stage, since, figures)
    return moment is not None and as_of > moment


def house_rows(houses: pd.DataFrame, passes: pd.DataFrame, payments: pd.DataFrame, figures: Figures,
               as_of: datetime) -> pd.DataFrame:
    """One row per house with :data:`ROW_COLUMNS`, plus ``planned`` (entitlement of an enrolled house).

    Parameters
    ----------
    houses : frame with :data:`HOUSE_COLUMNS` (``category`` is the household's assistance category)
    passes : ``house_id, milestone`` of passing inspections (duplicates allowed)
    payments : ``house_id, tranche, amount``
    as_of : the moment days in stage and stalled are judged at (tz-aware)
    """
    import pandas as pd

    columns = house_columns(houses, passes, payments, figures, as_of)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(columns["house_id"])))


def house_columns(houses: Any, passes: Any, payments: Any, figures: Figures, as_of: datetime) -> dict[str, np.ndarray]:
    """:func:`house_rows` as plain columns (numpy arrays by name), for a caller that needs no frame.

    The inputs are frames or mappings of equally long arrays with the same columns (``stage_since`` also as
    numpy ``datetime64`` in UTC).
    """
    missing = [c for c in HOUSE_COLUMNS if c not in houses]
    if missing:
        raise ValueError(f"houses frame lacks {missing}")
    ids = np.asarray(_texts(_values(houses, "house_id")), dtype=object)
    n = len(ids)
    stage = _values(houses, "stage")
    damage = _values(houses, "damage")
    mode = _values(houses, "rebuild_mode")
    category = _values(houses, "category")
    # stages as small integer codes: one hash pass, then every comparison is an integer one
    stage_code, stage_words = _codes(stage)
    code_of = {str(word): i for i, word in enumerate(stage_words)}

    def at_stage(*words: str) -> np.ndarray:
        table = np.zeros(len(stage_words) + 1, dtype=bool)  # the last entry answers code -1 (no stage)
        table[[code_of[str(w)] for w in words if str(w) in code_of]] = True
        return table[stage_code]

    excluded = at_stage(S.EXCLUDED)
    mode_set = _per_word(mode, lambda v: not _missing(v) and v != "", "bool")
    repair = np.where(mode_set, mode == RebuildMode.REPAIR, np.isin(damage, list(figures.repair_damage)))

    entitled = np.zeros(n)
    for dmg, by_category in figures.entitlement.items():
        if not by_category:
            continue
        of_damage = damage == dmg
        if not of_damage.any():
            continue
        default = by_category["default"]
        entitled[of_damage] = _per_word(category[of_damage],
                                        lambda c, d=default, by=by_category: d if _missing(c) else by.get(c, d),
                                        "float")
    entitled = np.where(excluded, 0.0, entitled)

    in_stage_ns = _epoch_ns(as_of) - _as_utc_ns(houses["stage_since"])
    limits = np.full(n, np.iinfo("int64").max, dtype="int64")
    for limited, days_limit in figures.limits_days.items():
        limits[at_stage(limited)] = int(round(days_limit * _DAY_NS))
    final = at_stage(*FINAL_STAGES)
    stalled = ~final & (in_stage_ns > limits)

    # passes and payments as positions among the houses (one hash lookup each), never a per-house loop
    among = dict(zip(ids.tolist(), range(n)))  # ids are unique (the houses' key)
    pass_at = _positions(_values(passes, "house_id"), among) if len(passes["house_id"]) \
        else np.array([], dtype="int64")
    pass_milestone = _values(passes, "milestone") if len(pass_at) else np.array([], dtype=object)
    pay_at = _positions(_values(payments, "house_id"), among) if len(payments["house_id"]) \
        else np.array([], dtype="int64")
    pay_tranche = _values(payments, "tranche") if len(pay_at) else np.array([], dtype=object)
    known = pay_at >= 0
    paid_total = np.bincount(pay_at[known], weights=np.asarray(payments["amount"], dtype=float)[known],
                             minlength=n) if len(pay_at) else np.zeros(n)

    def houses_with(at: np.ndarray, keys: np.ndarray, key: str) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[at[(keys == key) & (at >= 0)]] = True
        return out

    due = np.zeros(n)
    for plan_name, plan in figures.plans.items():
        on_plan = (repair if plan_name == REPAIR else ~repair) & ~excluded
        if not on_plan.any():
            continue
        rank = {str(s): i for i, s in enumerate(PATHS[plan_name])}
        rank_of_code = np.asarray([rank.get(str(word), -1) for word in stage_words] + [-1], dtype="int64")
        stage_rank = rank_of_code[stage_code]  # code -1 (a missing stage) takes the appended -1
        shares_given = np.zeros(n)
        for i, t in enumerate(plan):
            if i == len(plan) - 1:
                amount = np.round(entitled - shares_given, 2)
            else:
                amount = np.round(entitled * t.share, 2)
            shares_given = shares_given + amount
            if t.milestone in figures.inspected:
                passed = houses_with(pass_at, pass_milestone, t.milestone)
            else:
                passed = stage_rank >= rank[t.milestone]
            unpaid = ~houses_with(pay_at, pay_tranche, t.name)
            due += np.where(on_plan & passed & unpaid, amount, 0.0)

    next_stage = np.full(n, None, dtype=object)
    for plan_name, stages in PATHS.items():
        on_path = repair if plan_name == REPAIR else ~repair
        for here, after in zip(stages[:-1], stages[1:]):
            next_stage[on_path & at_stage(here)] = str(after)  # the word, as stored and printed

    correction = houses["correction_required"]
    correction = correction if isinstance(correction, np.ndarray) and correction.dtype == bool else \
        _per_word(_values(houses, "correction_required"), lambda v: not _missing(v) and bool(v), "bool")
    days = np.floor_divide(in_stage_ns, _DAY_NS)
    return {
        "house_id": ids,
        "household_id": _values(houses, "household_id"),
        "county_code": _values(houses, "county_code"),
        "township_code": _values(houses, "township_code"),
        "damage": damage, "stage": stage,
        "days_in_stage": days.astype("int64"),
        "stalled": stalled.astype("int64"),
        "correction_required": correction.astype("int64"),
        "entitled": entitled, "paid": paid_total, "due": np.round(due, 2),
        "next_milestone": next_stage,
        "planned": entitled,
    }


SUMMARY_LEVELS = {"county": "county_code", "township": "township_code"}
SUMMARY_COLUMNS = ("houses", "excluded", "enrolled", "started", "completed", "moved_in", "stalled",
                   "correction_required", "started_rate", "completed_rate", "moved_in_rate", "planned", "due", "paid")


def summary(rows: pd.DataFrame, by: str, weights: np.ndarray | None = None) -> pd.DataFrame:
    """Progress per area from :func:`house_rows`: counts, rates of enrolled houses, subsidy planned/due/paid.

    ``by`` is ``county`` or ``township``; houses outside every area are under a None code.
    Rates are shares (0–1) of the houses not excluded; None where an area has none.
    ``weights``: how many alike houses each row stands for (:func:`group_summary`); a row's ``paid`` is
    then already their total.
    """
    import pandas as pd

    if by not in SUMMARY_LEVELS:
        raise ValidationFailed(f"by must be one of {', '.join(SUMMARY_LEVELS)}", field="by")
    key = SUMMARY_LEVELS[by]
    stage = rows["stage"].to_numpy(dtype=object)
    frame = pd.DataFrame({
        "code": rows[key].astype(object).where(rows[key].notna(), "").to_numpy(dtype=object),
        "houses": 1,
        "excluded": (stage == S.EXCLUDED).astype("int64"),
        "started": np.isin(stage, list(STARTED_STAGES)).astype("int64"),
        "completed": np.isin(stage, list(COMPLETED_STAGES)).astype("int64"),
        "moved_in": (stage == S.MOVED_IN).astype("int64"),
        "stalled": rows["stalled"].to_numpy(dtype="int64"),
        "correction_required": rows["correction_required"].to_numpy(dtype="int64"),
        "planned": rows["planned"].to_numpy(dtype=float),
        "due": rows["due"].to_numpy(dtype=float),
        "paid": rows["paid"].to_numpy(dtype=float),
    })
    if weights is not None:
        for column in ("houses", "excluded", "started", "completed", "moved_in", "stalled", "correction_required"):
            frame[column] = frame[column].to_numpy(dtype="int64") * weights
        for money in ("planned", "due"):
            frame[money] = frame[money].to_numpy(dtype=float) * weights
    grouped = frame.groupby("code", sort=True).sum()
    grouped["enrolled"] = grouped["houses"] - grouped["excluded"]
    enrolled = grouped["enrolled"].where(grouped["enrolled"] > 0)
    for name in ("started", "completed", "moved_in"):
        grouped[f"{name}_rate"] = (grouped[name] / enrolled).round(4)
    out = grouped.reset_index()
    out[key] = out.pop("code").replace("", None)
    for money in ("planned", "due", "paid"):
        out[money] = out[money].round(2)
    return out[[key, *SUMMARY_COLUMNS]]


# --- progress from grouped houses -------------------------------------------------------
#
# The store can count houses by what the rules read of them instead of handing every house over: one
# row per group of houses alike in area, stage, damage, category, rebuild mode, stall, correction and in
# which milestones passed and which tranches were paid. :func:`group_summary` judges each group once
# with :func:`house_rows` and weighs it by its number of houses, so the rules stay defined here alone.

def stall_thresholds(as_of: datetime, figures: Figures) -> dict[str, datetime]:
    """``{stage: moment}``: a house in ``stage`` since before the moment is stalled at ``as_of``.

    The same rule as :func:`is_stalled` (strictly longer than the limit), for a store to compare with.
    """
    return {stage: as_of - timedelta(days=days) for stage, days in figures.limits_days.items()
            if stage not in FINAL_STAGES}


def tranche_milestones(figures: Figures) -> tuple[str, ...]:
    """The inspected milestones some tranche waits for (whose passing inspection releases money)."""
    return tuple(dict.fromkeys(t.milestone for plan in figures.plans.values() for t in plan
                               if t.milestone in figures.inspected))


def tranche_names(figures: Figures) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.name for plan in figures.plans.values() for t in plan))


#: What :func:`group_summary` reads of each group besides its area code and the flag columns.
GROUP_COLUMNS = ("stage", "damage", "category", "rebuild_mode", "stalled", "correction_required", "houses", "paid")


def group_summary(groups: pd.DataFrame, by: str, figures: Figures, as_of: datetime) -> pd.DataFrame:
    """:func:`summary` from groups of alike houses rather than from every house.

    ``groups`` has the area column of ``by`` (``county_code`` or ``township_code``), :data:`GROUP_COLUMNS`
    (``stalled`` judged with :func:`stall_thresholds`, ``houses`` the group's size, ``paid`` the sum of its
    payments), ``passed:<milestone>`` (0|1) for each of :func:`tranche_milestones` and ``paid:<tranche>``
    (0|1) for each of :func:`tranche_names`.
    """
    import pandas as pd

    if by not in SUMMARY_LEVELS:
        raise ValidationFailed(f"by must be one of {', '.join(SUMMARY_LEVELS)}", field="by")
    key = SUMMARY_LEVELS[by]
    n = len(groups)
    ids = np.asarray([f"g{i}" for i in range(n)], dtype=object)
    houses = pd.DataFrame({
        "house_id": ids, "household_id": ids,
        "county_code": groups[key].to_numpy(dtype=object), "township_code": groups[key].to_numpy(dtype=object),
        "damage": groups["damage"].to_numpy(dtype=object), "category": groups["category"].to_numpy(dtype=object),
        "stage": groups["stage"].to_numpy(dtype=object),
        # stalls come judged with the groups; the moment only has to be one house_rows reads
        "stage_since": pd.to_datetime(np.full(n, pd.Timestamp(as_of).tz_convert("UTC").value, dtype="int64"),
                                      utc=True),
        "rebuild_mode": groups["rebuild_mode"].to_numpy(dtype=object),
        "correction_required": groups["correction_required"].to_numpy(dtype=bool) if n else np.zeros(0, dtype=bool),
    })

    def flagged(prefix: str, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        at, words = [], []
        for name in names:
            column = f"{prefix}:{name}"
            if column in groups.columns:
                hit = np.flatnonzero(groups[column].to_numpy(dtype="int64") > 0)
                at.append(ids[hit])
                words.append(np.full(len(hit), name, dtype=object))
        if not at:
            return np.array([], dtype=object), np.array([], dtype=object)
        return np.concatenate(at), np.concatenate(words)

    pass_ids, pass_words = flagged("passed", tranche_milestones(figures))
    pay_ids, pay_words = flagged("paid", tranche_names(figures))
    passes = pd.DataFrame({"house_id": pass_ids, "milestone": pass_words})
    payments = pd.DataFrame({"house_id": pay_ids, "tranche": pay_words, "amount": np.zeros(len(pay_ids))})
    rows = house_rows(houses, passes, payments, figures, as_of)
    rows["stalled"] = groups["stalled"].to_numpy(dtype="int64") if n else rows["stalled"]
    rows["paid"] = groups["paid"].fillna(0).to_numpy(dtype=float) if n else rows["paid"]
    return summary(rows, by, weights=groups["houses"].to_numpy(dtype="int64") if n else None)
