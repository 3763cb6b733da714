"""Households for staff: find one, see everything about it, correct what the register got wrong.

- :func:`search` finds households by the head's name, the ID number (exactly, or its last four or
  more characters), the household id, or the village (code or name), one page at a time.
- :func:`household_detail` gathers one household: members and vulnerabilities, damage, assistance
  category, shelter and site, its areas by name, the five guarantees judged now, and what it received.
- :func:`edit_household` corrects the fields a clerk corrects (:data:`EDITABLE`), with a required
  reason, in one transaction: the household row is locked (after its site, when the number of members
  changes at a site: the same lock order as check-in), the new values are checked together (no
  vulnerable group larger than the household), the audit row keeps old → new values
  (``services.audit.changes``; the phone masked), and the household's guarantees are re-judged through
  ``guarantees.recheck_households``, with everyone at its site when its size changed there (their space
  and water per person changed too). After commit ``household.updated`` (topic ``households``, staff
  only: ids, area codes and the names of the changed fields) and any ``guarantee.changed`` /
  ``site.occupancy_changed`` are published.

A site's capacity is never exceeded by an edit either: more members at a site than it has free places
is ``capacity_exceeded`` on ``members`` (check the household out, or into a larger site, first).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping

from relief.domain.audience import Audience
from relief.domain.disclosure import mask_phone
from relief.domain.registers import VULNERABLE
from relief.domain.vocabulary import ASSISTANCE_CATEGORIES, HOUSE_DAMAGE, Shelter, Topic
from relief.errors import CapacityExceeded, Conflict, NotFound, ValidationFailed
from relief.services import fields, household_json
from relief.services import guarantees as guarantee_service
from relief.services.audit import changes
from relief.services.context import Context
from relief.services.guarantees import recheck_households
from relief.services.relocation import announce_sites
from relief.store import areas as area_store
from relief.store import households as household_store
from relief.store import sites as site_store
from relief.store import stock_queries
from relief.store.layer_queries import site_occupancy

if TYPE_CHECKING:
    from relief.store.tables import Household

#: Longest search text (a name, an ID number, an id or a village name).
MAX_TERM = 80
#: Most members one household may have (a register row above this is a typing slip).
MAX_MEMBERS = 200
MAX_PHONE = 24
MAX_REASON = 500
MAX_NOTES = 2000
COUNTS = ("members", *VULNERABLE)
#: What an edit may change, in the order the audit row lists them.
EDITABLE = (*COUNTS, "house_damage", "assistance_category", "needs_living_aid", "phone", "notes")
#: Keys an edit's body may carry besides the fields.
_ALSO = ("reason", "client_id")
#: Members of these groups are counted by age, so together they cannot outnumber the household.
_AGES = ("infants", "children", "elderly")
_PHONE = re.compile(r"^[0-9+()\- ]{3,24}$")
AID_ROWS = 200
VISIT_ROWS = 50
EVENT_KIND = "household.updated"


def _term(value: str | None, field: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_TERM:
        raise ValidationFailed(f"{field} is longer than {MAX_TERM} characters", field=field)
    if "\x00" in value:
        raise ValidationFailed(f"{field} must not contain a NUL character", field=field)
    return value


def search(ctx: Context, *, q: str | None = None, village: str | None = None, offset: int = 0,
           limit: int = 50) -> dict[str, Any]:
    """One page of the households matching ``q`` within ``village``; rows carry area and site names."""
    q, village = _term(q, "q"), _term(village, "village")
    with ctx.reading() as session:
        page = household_store.search(session, q=q, village=village, offset=offset, limit=limit)
        codes = {r[k] for r in page.rows for k in ("village_code", "county_code")}
        names = area_store.names(session, codes)
    return household_json.search_answer(page, names, q=q, village=village)


# --- one household ------------------------------------------------------------------------

def _columns(household: Household) -> dict[str, Any]:
    names = ("id", "head_name", "id_number", "phone", *COUNTS, "house_damage", "assistance_category",
             "needs_living_aid", "evacuated", "shelter", "dispersed_kind", "site_id", "village_code", "county_code",
             "notes", "updated_at")
    values = {name: getattr(household, name) for name in names}
    values["lon"], values["lat"] = household.min_lon, household.min_lat  # a point's box is the point
    return values


def _area_codes(session, household: Household) -> dict[str, str | None]:
    """The household's village, township and county codes (the township is the village's parent)."""
    village = household.village_code
    township = area_store.parent_code(session, village) if village else None
    county = household.county_code or (area_store.parent_code(session, township) if township else None)
    return {"village": village, "township": township, "county": county}


def household_detail(ctx: Context, household_id: str) -> dict[str, Any]:
    """Everything staff see about one household (identity in full only with ``household.manage``)."""
    as_of = ctx.now()
    with ctx.reading() as session:
        household = household_store.household(session, household_id)
        if household is None:
            raise NotFound(f"no household {household_id!r}", field="household_id")
        row = _columns(household)
        codes = _area_codes(session, household)
        names = area_store.names(session, [c for c in codes.values() if c])
        site = site_store.site(session, household.site_id) if household.site_id else None
        site_view = ({"id": site.id, "name": site.name, "status": site.status, "kind": site.kind}
                     if site is not None else ({"id": household.site_id, "name": None} if household.site_id else None))
        received = household_store.received(session, household_id, limit=AID_ROWS)
        holders = stock_queries.holder_names(session, [(r["holder_kind"], r["holder_id"]) for r in received])
        visits = household_store.visits(session, household_id, limit=VISIT_ROWS)
    verdicts = guarantee_service.household_guarantees(ctx, household_id, as_of=as_of)
    return household_json.household_answer(
        row, areas=codes, names=names, site=site_view, guarantees=verdicts,
        received=[household_json.received_row(r, holders) for r in received],
        visits=[household_json.visit_row(v) for v in visits], identity=ctx.may("household.manage"))


# --- editing --------------------------------------------------------------------------------

def _count(body: Mapping[str, Any], name: str) -> int:
    value = body.get(name)
    low = 1 if name == "members" else 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_MEMBERS:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {MAX_MEMBERS}", field=name)
    return value


def _phone(body: Mapping[str, Any]) -> str | None:
    value = fields.text(body, "phone", limit=MAX_PHONE)
    if value is not None and not _PHONE.match(value):
        raise ValidationFailed("phone may hold only digits, spaces and + ( ) -", field="phone")
    return value


def asked_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the body sets, checked one by one (each refusal names its field); unknown keys refused."""
    for key in body:
        if key not in EDITABLE and key not in _ALSO:
            raise ValidationFailed(f"{key} cannot be changed here; editable: {', '.join(EDITABLE)}", field=key)
    asked: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in body:
            continue
        if name in COUNTS:
            asked[name] = _count(body, name)
        elif name == "house_damage":
            asked[name] = fields.choice(body, name, HOUSE_DAMAGE)
        elif name == "assistance_category":  # null or "" clears it (not recorded)
            asked[name] = fields.choice(body, name, ASSISTANCE_CATEGORIES, required=False)
        elif name == "needs_living_aid":
            asked[name] = fields.boolean(body, name)
        elif name == "phone":
            asked[name] = _phone(body)
        else:
            asked[name] = fields.text(body, name, limit=MAX_NOTES)
    if not asked:
        raise ValidationFailed(f"nothing to change: send at least one of {', '.join(EDITABLE)}", field="body")
    return asked


def check_counts(values: Mapping[str, Any], asked: Mapping[str, Any]) -> None:
    """No group larger than the household, and the age groups together no more than its members.

    The refusal names a field the body sent (``members`` when it sent that), so the form can mark it.
    """
    members = values["members"]
    for group in VULNERABLE:
        if values[group] > members:
            field = group if group in asked or "members" not in asked else "members"
            raise ValidationFailed(f"{group} ({values[group]}) cannot exceed members ({members})", field=field)
    ages = sum(values[g] for g in _AGES)
    if ages > members:
        field = "members" if "members" in asked else next(g for g in _AGES if g in asked)
        raise ValidationFailed(f"members ({members}) must be at least infants + children + elderly ({ages})",
                               field=field)


def _audited(changed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The audit row's old → new values; a phone number is kept masked (the trail is never erased)."""
    out = dict(changed)
    if "phone" in out:
        out["phone"] = {k: mask_phone(v) if v else v for k, v in out["phone"].items()}
    return out


def _locked(unit, household_id: str, asked: Mapping[str, Any]) -> tuple[Household, str | None]:
    """The household row-locked, after its site's when its size may change there (check-in's lock order)."""
    seen = household_store.household(unit.session, household_id)
    if seen is None:
        raise NotFound(f"no household {household_id!r}", field="household_id")
    site_id = seen.site_id if "members" in asked and seen.shelter == Shelter.SITE else None
    if site_id:
        site_store.lock_sites(unit.session, [site_id])
    household = household_store.lock_households(unit.session, [household_id])[household_id]
    here = household.site_id if household.shelter == Shelter.SITE else None
    if site_id and here != site_id:
        raise Conflict(f"household {household_id} moved while this edit was made; send it again", field="members")
    return household, here


def _check_room(unit, household: Household, site_id: str, members: int) -> None:
    """Room at the household's site for its new size, counting everyone there now."""
    site = site_store.site(unit.session, site_id)
    if site is None:
        return
    others = site_occupancy(unit.session, [site_id]).get(site_id, 0) - household.members
    free = max(site.capacity_persons - others, 0)
    if members > free:
        raise CapacityExceeded(
            f"site {site.id} ({site.name}) has room for {free} people of this household; {members} asked",
            field="members", detail={"site_id": site.id, "free_capacity": free, "needed": members,
                                     "household_id": household.id})


def edit_household(ctx: Context, household_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Correct a household's details with a reason; audited, re-judged, announced (see the module's notes)."""
    asked = asked_changes(body)
    reason = fields.text(body, "reason", required=True, limit=MAX_REASON)
    with ctx.transaction() as unit:
        household, site_id = _locked(unit, household_id, asked)
        before = {name: getattr(household, name) for name in EDITABLE}
        check_counts({**before, **asked}, asked)
        changed = changes(before, asked)
        if changed:
            resized = "members" in changed and site_id is not None
            if resized and asked["members"] > household.members:
                _check_room(unit, household, site_id, asked["members"])
            household_store.update_household(unit.session, household, {k: v["after"] for k, v in changed.items()},
                                             now=unit.now)
            unit.audit("household.edit", "household", household.id, reason=reason, detail=_audited(changed))
            unit.emit(EVENT_KIND, Topic.HOUSEHOLDS,
                      {"household_id": household.id, "village_code": household.village_code,
                       "county_code": household.county_code, "fields": list(changed)},
                      area_code=household.county_code, audience=Audience.STAFF)
            everyone = {household.id}
            if resized:
                announce_sites(unit, [site_id])
                everyone |= set(household_store.ids_at_sites(unit.session, [site_id]))
            recheck_households(unit, everyone, standards=ctx.standards)
        as_of = unit.now
    verdicts = guarantee_service.household_guarantees(ctx, household_id, as_of=as_of)
    return household_json.edit_answer(household_id, _audited(changed), verdicts)
