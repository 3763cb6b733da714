"""The check at the moment of giving: would this aid duplicate aid the household has had already?

Every use case that hands a household aid asks here inside its own transaction, before the aid's own row
is written: a distribution (:func:`relief.services.stock.distribute`), a case approval
(:func:`relief.services.assistance.transition`) and a reconstruction tranche
(:func:`relief.services.reconstruction.pay`). One round:

1. **propose**: the aid about to be given as a link of the chain (:class:`Proposed`: purpose, source,
   the period it covers, the amount);
2. **check**: :func:`check` locks the household (``store.households.lock_household``: two givings to one
   household serialise, so of two racing duplicates the second sees the first), reads its chain
   (``store.aid_chain.chain_frame``, one household: a small indexed read) and asks
   :func:`relief.domain.aid_chain.check_proposed` (overlapping sources; over the entitlement);
3. **refuse or record**: a finding without an ``override_reason`` raises :class:`~relief.errors.DuplicateAid`
   (409 ``duplicate_aid`` naming the earlier aid; the transaction rolls back, nothing is written); with one,
   the aid goes through and, once written, :meth:`Cleared.record` audits the override with the findings and
   records it as a flag already ``justified_top_up`` (``services.aid_chain.record_override``), so a later
   sweep does not reopen it.

The request field ``override_reason`` is text of at most :data:`MAX_OVERRIDE` characters
(:func:`override_reason`); a blank one is no override. Aid that leaves no choice at the moment it is
recorded — a bank confirming a payment already made — is not checked here: the sweep flags it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from relief.domain import aid_chain as domain
from relief.domain.vocabulary import PurposeClass
from relief.errors import DuplicateAid
from relief.jsonable import jsonable
from relief.services import fields
from relief.services.context import Unit
from relief.store import aid_chain as chain_store

#: The longest ``override_reason`` accepted (characters).
MAX_OVERRIDE = 500
OVERRIDE_FIELD = DuplicateAid.override_field
RECONSTRUCTION_SOURCE = "programme:reconstruction"


def override_reason(body: Mapping[str, Any]) -> str | None:
    """The request's ``override_reason``: text of at most :data:`MAX_OVERRIDE` characters, None when absent
    or blank (400 naming the field otherwise)."""
    return fields.text(body, OVERRIDE_FIELD, limit=MAX_OVERRIDE)


@dataclass(frozen=True)
class Proposed:
    """The aid about to be given, as the chain will hold it once written."""

    household_id: str
    purpose: str
    source: str
    period_start: datetime
    period_end: datetime
    amount: float | None = None
    quantity: float | None = None
    item: str | None = None

    def as_mapping(self) -> dict[str, Any]:
        return {"household_id": self.household_id, "purpose": self.purpose, "source": self.source,
                "period_start": self.period_start, "period_end": self.period_end, "amount": self.amount}


def distribution(standards, *, household_id: str, members: int | None, holder: str, item_code: str,
                 guarantee: str, kcal_per_unit: float | None, litres_per_unit: float | None, quantity: float,
                 at: datetime) -> Proposed:
    """An in-kind hand-out as a link of the chain: the item's purpose, the holder (``depot:<id>`` /
    ``site:<id>``) as its source, and the days it covers the household from ``at`` by the rule of
    :func:`relief.domain.aid_chain.distribution_periods` (as the chain reads it back), for one hand-out
    without building a frame: food lasts its kcal over members × the daily kcal, water its litres over
    members × the daily litres, anything else (or food and water that would cover nothing)
    ``in_kind_days`` of its purpose."""
    purpose = str(domain.ITEM_PURPOSE[guarantee])
    figures = domain.PeriodFigures.of(standards)
    days = figures.in_kind_days[purpose]
    per_unit, daily = {PurposeClass.FOOD.value: (kcal_per_unit, figures.kcal_per_person_day),
                       PurposeClass.WATER.value: (litres_per_unit, figures.litres_per_person_day)}.get(purpose, (0, 1))
    people = float(members or 0)
    if per_unit and people > 0:
        lasting = float(quantity) * float(per_unit) / (people * daily)
        if math.isfinite(lasting) and lasting > 0:
            days = lasting
    covered = timedelta(microseconds=max(round(days * 86_400_000_000), 1))
    return Proposed(household_id, purpose, holder, at, at + covered, quantity=quantity, item=item_code)


def chain_period(period_start: datetime, period_end: datetime) -> tuple[datetime, datetime]:
    """A case's period as the chain holds it, ``[start, end)``: its last day counted whole, as
    :func:`relief.domain.assistance.period_days` counts it."""
    return period_start, period_end + timedelta(days=1)


def case(*, household_id: str, purpose: str, programme_code: str, period_start: datetime, period_end: datetime,
         amount: float | None) -> Proposed:
    """An assistance case about to be approved: the programme as its source, its period (the last day
    counted whole) and amount."""
    start, end = chain_period(period_start, period_end)
    return Proposed(household_id, purpose, f"programme:{programme_code}", start, end, amount=amount)


def tranche(standards, *, household_id: str, paid_at: datetime, amount: float | None) -> Proposed:
    """A reconstruction tranche about to be paid: the reconstruction programme, from ``paid_at`` for the
    days a tranche covers (``in_kind_days.reconstruction`` of the ``aid_chain`` standards)."""
    days = domain.PeriodFigures.of(standards).in_kind_days[PurposeClass.RECONSTRUCTION]
    return Proposed(household_id, PurposeClass.RECONSTRUCTION.value, RECONSTRUCTION_SOURCE, paid_at,
                    paid_at + timedelta(days=days), amount=amount)


def finding_view(finding: domain.Finding) -> dict[str, Any]:
    """A finding as JSON: ``{"reason", ...its parameters}`` (moments in UTC ISO 8601, lists for tuples)."""
    return {"reason": finding.reason, **jsonable(dict(finding.params))}


def _message(proposed: Proposed, findings: Sequence[dict[str, Any]]) -> str:
    """The refusal in plain English (the web layer words it again in the reader's language)."""
    said = []
    for f in findings:
        earlier = ", ".join(f.get("earlier_aid_ids", ())) or "none"
        if f["reason"] == domain.OVERLAPPING:
            said.append(f"{proposed.purpose} from {', '.join(f.get('sources', ()))} over an overlapping period "
                        f"({earlier})")
        else:
            said.append(f"{proposed.purpose} aid of {f.get('received', 0):,.2f} yuan received already "
                        f"({earlier}); this {f.get('amount', 0):,.2f} takes it {f.get('excess', 0):,.2f} over the "
                        f"entitlement of {f.get('entitlement', 0):,.2f}")
    return (f"household {proposed.household_id} would receive duplicate aid: {'; '.join(said)}; "
            f"send an {OVERRIDE_FIELD} to give it anyway")


@dataclass
class Cleared:
    """A proposed aid the check let through: without findings, or with them and an override reason."""

    proposed: Proposed
    findings: list[domain.Finding] = field(default_factory=list)
    reason: str | None = None

    @property
    def overridden(self) -> bool:
        return bool(self.findings)

    def view(self) -> dict[str, Any]:
        """What the answer says of an override: the reason and the findings it overrode."""
        return {OVERRIDE_FIELD: self.reason, "findings": [finding_view(f) for f in self.findings]}

    def record(self, unit: Unit, aid_id: str) -> None:
        """Once the aid is written as ``aid_id``: audit the override and record it as a justified top-up."""
        if not self.findings:
            return
        # imported here: the flags' use cases import services.assistance, which imports this module
        from relief.services import aid_chain as chain_service

        views = [finding_view(f) for f in self.findings]
        unit.audit("aid.override", "aid", aid_id, reason=self.reason,
                   detail={"household_id": self.proposed.household_id, "purpose": self.proposed.purpose,
                           "source": self.proposed.source, "findings": views})
        chain_service.record_override(unit, household_id=self.proposed.household_id, purpose=self.proposed.purpose,
                                      aid_id=aid_id, findings=self.findings, reason=self.reason)


def lock(unit: Unit, household_id: str):
    """Lock the household for a giving (None: no such household). A use case that writes rows referring to the
    household before it checks takes this lock first: on PostgreSQL such a row holds a key-share lock on the
    household, and two givings each holding one while waiting for the other's update lock would deadlock."""
    from relief.store import households as household_store  # geopandas: a case approval's imports stay light

    return household_store.lock_household(unit.session, household_id)


def check(unit: Unit, standards, proposed: Proposed, *, override: str | None, need: float | None = None,
          need_period: tuple[Any, Any] | None = None, exclude: Sequence[str] = (), locked: bool = False) -> Cleared:
    """Lock the household (unless ``locked``: :func:`lock` was called), read its chain and check ``proposed``
    against it (see the module's docstring).

    ``need`` / ``need_period``: the household's entitlement for the purpose in yuan (``over_entitlement``);
    ``exclude``: aid ids of the chain not to compare with (the aid itself, when already in the chain).
    Raises :class:`DuplicateAid` when a rule is broken and ``override`` is None; nothing is written here.
    """
    if not locked:
        lock(unit, proposed.household_id)
    frame = chain_store.chain_frame(unit.session, [proposed.household_id], periods=domain.PeriodFigures.of(standards))
    if len(exclude) and len(frame):
        frame = frame[~frame["aid_id"].isin(list(exclude))]
    findings = domain.check_proposed(proposed.as_mapping(), frame, domain.Figures.of(standards), need=need,
                                     need_period=need_period)
    if findings and override is None:
        views = [finding_view(f) for f in findings]
        raise DuplicateAid(_message(proposed, views), household_id=proposed.household_id, purpose=proposed.purpose,
                           findings=views)
    return Cleared(proposed, findings, override if findings else None)
