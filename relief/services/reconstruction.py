"""Reconstruction use cases: houses through their stages, inspections from the field, tranche payments, progress.

Each write loads the house (locked), asks :mod:`relief.domain.reconstruction`,
writes in one transaction (history row + audit row per transition) and
publishes ``house.changed`` on the ``reconstruction`` topic after commit.
An inspection carries a client-made ``client_id``: a phone's resend returns
the first record (its photos are not processed again); transitions and
payments are made resend-safe by the web layer (``web/resend.answer_once``).
A payment is refused unless its tranche's milestone passed; the unique
(house, tranche) row makes two racing payments one.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from relief.domain import reconstruction as domain
from relief.domain.audience import Audience
from relief.domain.vocabulary import INSPECTION_RESULTS, InspectionResult, Topic
from relief.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ResendMismatch, ValidationFailed
from relief.services import fields
from relief.services.context import Context, Unit
from relief.store import areas as area_store
from relief.store import reconstruction as store

if TYPE_CHECKING:
    import pandas as pd

    from relief.services import photos as photo_service
    from relief.services.resend import Submission
    from relief.store.tables import House

PASS = InspectionResult.PASS.value
MAX_REASON = 2000
MAX_NOTE = 2000


def _shapes():
    """The JSON shapes (GeoJSON, projections), imported when first needed: ``relief reconstruction`` never is."""
    from relief.services import reconstruction_json

    return reconstruction_json


def _photos():
    """Photo handling (Pillow), imported when an inspection or photo needs it."""
    from relief.services import photos

    return photos


def figures(ctx: Context) -> domain.Figures:
    return domain.Figures.of(ctx.standards)


def _house(session, house_id: str, *, for_update: bool = False) -> House:
    house = store.house(session, house_id, for_update=for_update)
    if house is None:
        raise NotFound(f"no house {house_id}", field="house_id")
    return house


def _feature(session, house: House, ctx: Context, as_of: datetime, fig: domain.Figures) -> dict[str, Any]:
    name = store.household_names(session, [house.household_id]).get(house.household_id)
    return _shapes().house_feature(house, as_of=as_of, figures=fig, head_name=name)


def _announce(unit: Unit, session, ctx: Context, house: House, fig: domain.Figures, change: Mapping[str, Any]) -> None:
    """``house.changed`` for staff (it names the household), in the house's county room."""
    feature = _feature(session, house, ctx, unit.now, fig)
    unit.emit("house.changed", Topic.RECONSTRUCTION, _shapes().event_payload(feature, change),
              area_code=house.county_code, audience=Audience.STAFF)


# --- reading ------------------------------------------------------------------------------

def list_houses(ctx: Context, *, stages: Sequence[str] | None = None, county_code: str | None = None,
                township_code: str | None = None, stalled: bool | None = None, bbox=None, offset: int = 0,
                limit: int = 1000) -> dict[str, Any]:
    """Houses as GeoJSON, filtered; ``stalled`` True keeps the stalled ones now, False the others."""
    now, fig = ctx.now(), figures(ctx)
    with ctx.reading() as session:
        page = store.houses_page(session, stages=stages, county_code=county_code, township_code=township_code,
                                 stalled=stalled, at=now, bbox=bbox, offset=offset, limit=limit)
        names = store.household_names(session, [h.household_id for h in page.rows])
        return _shapes().houses_collection(page, as_of=now, figures=fig, names=names)


def _tranches(house: House, category: str | None, passed: Mapping[str, int], paid: Mapping[str, float],
              fig: domain.Figures) -> tuple[float, list[dict[str, Any]]]:
    path = domain.path_of(house.damage, house.rebuild_mode, fig)
    plan = fig.plans[path]
    entitled = 0.0 if house.stage == domain.S.EXCLUDED else fig.entitled(house.damage, category)
    amounts = domain.tranche_amounts(entitled, plan)
    released = {t.name: house.stage != domain.S.EXCLUDED and (
        t.milestone in passed if t.milestone in fig.inspected else domain.reached(house.stage, t.milestone, path))
        for t in plan}
    return entitled, _shapes().tranche_views(plan, amounts, paid=paid, released=released)


def house_detail(ctx: Context, house_id: str) -> dict[str, Any]:
    """One house with its history, inspections (and photos), payments, tranches and the stages the caller may set."""
    now, fig = ctx.now(), figures(ctx)
    with ctx.reading() as session:
        house = _house(session, house_id)
        inspections = store.inspections(session, house_id)
        passed = store.passing_inspections(session, house_id, PASS)
        paid = store.paid_tranches(session, house_id)
        entitled, tranches = _tranches(house, store.household_category(session, house.household_id), passed, paid,
                                       fig)
        codes = [c for c in (house.county_code, house.township_code, house.village_code) if c]
        return _shapes().detail_view(
            house, feature=_feature(session, house, ctx, now, fig), history=store.transitions(session, house_id),
            inspections=inspections, photos=store.inspection_photos(session, [i.id for i in inspections]),
            payments=store.payments(session, house_id), tranches=tranches, entitled=entitled,
            allowed_stages=domain.allowed_stages(house.stage, ctx.actor.role, damage=house.damage,
                                                 rebuild_mode=house.rebuild_mode, figures=fig),
            area_names=area_store.names(session, codes))


def house_rows(ctx: Context, as_of: datetime, *, county_code: str | None = None,
               township_code: str | None = None) -> pd.DataFrame:
    """One row per house as ``relief reconstruction`` prints it (``domain.reconstruction.ROW_COLUMNS``)."""
    fig = figures(ctx)
    with ctx.reading() as session:
        houses, passes, paid = store.columns(session, PASS, county_code=county_code, township_code=township_code)
    return domain.house_rows(houses, passes, paid, fig, as_of)


def house_columns(ctx: Context, as_of: datetime, *, county_code: str | None = None,
                  township_code: str | None = None) -> dict[str, Any]:
    """:func:`house_rows` as plain columns (numpy arrays by name): what a writer of every house needs."""
    fig = figures(ctx)
    with ctx.reading() as session:
        houses, passes, paid = store.columns(session, PASS, county_code=county_code, township_code=township_code)
    return domain.house_columns(houses, passes, paid, fig, as_of)


def summary(ctx: Context, by: str, as_of: datetime | None = None, *, county_code: str | None = None) -> dict[str, Any]:
    """Progress by township or county: rates started / completed / moved in; subsidy planned / due / paid."""
    if by not in domain.SUMMARY_LEVELS:
        raise ValidationFailed(f"by must be one of {', '.join(domain.SUMMARY_LEVELS)}", field="by")
    as_of = as_of or ctx.now()
    fig = figures(ctx)
    with ctx.reading() as session:
        # counted by the database in groups of alike houses, each group judged by the domain's rules
        groups = store.summary_groups(session, PASS, by_column=domain.SUMMARY_LEVELS[by],
                                      stall_before=domain.stall_thresholds(as_of, fig),
                                      milestones=domain.tranche_milestones(fig), tranches=domain.tranche_names(fig),
                                      county_code=county_code)
        frame = domain.group_summary(groups, by, fig, as_of)
        codes = frame[domain.SUMMARY_LEVELS[by]].dropna().tolist()
        names = area_store.names(session, codes)
    return _shapes().summary_view(frame, by, as_of=as_of, area_names=names)


# --- stage transitions ----------------------------------------------------------------------

def transition(ctx: Context, house_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Put a house in the stage ``body["stage"]`` names; who, when and why go to its history and the audit trail."""
    target = fields.text(body, "stage", required=True, limit=40)
    domain.check_stage(target)
    reason = fields.text(body, "reason", limit=MAX_REASON)
    new_mode = fields.text(body, "rebuild_mode", limit=40)
    fig = figures(ctx)
    with ctx.transaction() as unit:
        session = unit.session
        house = _house(session, house_id, for_update=True)
        passing = None
        if target in fig.inspected:
            results = store.results_of(session, house.id, target)
            passing = results[-1][0] if results and results[-1][1] == PASS else None
        decision = domain.transition(house.stage, target, ctx.actor.role, damage=house.damage,
                                     rebuild_mode=house.rebuild_mode, figures=fig, reason=reason, new_mode=new_mode,
                                     inspection_passed=passing is not None)
        before = house.stage
        store.set_stage(house, stage=decision.stage, since=unit.now,
                        stalls_at=domain.stalls_at(decision.stage, unit.now, fig), rebuild_mode=decision.rebuild_mode,
                        exclusion_reason=reason if decision.stage == domain.S.EXCLUDED else None,
                        correction_required=_correction(session, house, fig))
        row = store.add_transition(session, house_id=house.id, from_stage=before, to_stage=decision.stage,
                                   actor_id=unit.actor.id, at=unit.now, reason=reason, inspection_id=passing)
        unit.audit("house.transition", "house", house.id, reason=reason,
                   detail={"from": before, "to": decision.stage, "rebuild_mode": decision.rebuild_mode,
                           "inspection_id": passing})
        _announce(unit, session, ctx, house, fig, {"stage": {"from": before, "to": decision.stage}})
        return {"house_id": house.id, "transition": _shapes().transition_view(row, unit.actor.name),
                "house": _feature(session, house, ctx, unit.now, fig),
                "allowed_stages": domain.allowed_stages(decision.stage, ctx.actor.role, damage=house.damage,
                                                        rebuild_mode=decision.rebuild_mode, figures=fig)}


def _correction(session, house: House, fig: domain.Figures) -> bool:
    """Whether the inspections of the house's (new) next milestone end in a failure."""
    upcoming = domain.next_milestone(house.stage, house.damage, house.rebuild_mode, fig)
    if upcoming is None or upcoming not in fig.inspected:
        return False
    return domain.correction_required([r for _, r in store.results_of(session, house.id, upcoming)])


# --- inspections ---------------------------------------------------------------------------

def _inspection_input(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    from relief.services.resend import client_key

    now = ctx.now()
    milestone = fields.text(body, "milestone", required=True, limit=40)
    domain.check_stage(milestone, "milestone")
    lat = fields.number(body, "lat", required=False)
    lon = fields.number(body, "lon", required=False)
    if (lat is None) != (lon is None):
        raise ValidationFailed("send both lat and lon, or neither", field="lat" if lat is None else "lon")
    return {"client_id": client_key(ctx, body), "milestone": milestone,
            "result": fields.choice(body, "result", INSPECTION_RESULTS),
            "inspected_at": fields.moment(body, "inspected_at", now=now),
            "note": fields.text(body, "note", limit=MAX_NOTE), "lat": lat, "lon": lon,
            "inspector": fields.text(body, "inspector", limit=80)}


def _same_inspection(seen, house_id: str, new: Mapping[str, Any]) -> None:
    if seen.house_id != house_id or seen.milestone != new["milestone"] or seen.result != new["result"]:
        raise ResendMismatch(f"client_id {new['client_id']!r} was already used for another inspection "
                             f"(house {seen.house_id}, {seen.milestone}: {seen.result}); nothing was written",
                             field="client_id", detail={"client_id": new["client_id"], "inspection_id": seen.id})


def _inspection_answer(ctx: Context, session, house: House, inspection, *, created: bool) -> Submission:
    from relief.services.resend import Submission

    photos = store.inspection_photos(session, [inspection.id])
    fig = figures(ctx)
    return Submission(created, {"created": created, "inspection": _shapes().inspection_view(inspection, photos),
                                "house": _feature(session, house, ctx, ctx.now(), fig)})


def add_inspection(ctx: Context, house_id: str, body: Mapping[str, Any],
                   uploads: Iterable[photo_service.Upload] = ()) -> Submission:
    """File an inspection of the house's next milestone, with photos; once per ``client_id``.

    A failure sets ``correction_required``; a later pass of the same milestone clears it.
    """
    new = _inspection_input(ctx, body)
    if new["client_id"]:
        with ctx.reading() as session:  # a resend is answered before its photos are processed again
            seen = store.inspection_by_client_id(session, new["client_id"])
            if seen is not None:
                _same_inspection(seen, house_id, new)
                return _inspection_answer(ctx, session, _house(session, seen.house_id), seen, created=False)
        # nothing known yet: the insert below decides if two sends race
    fig = figures(ctx)
    with ctx.reading() as session:  # refuse a bad inspection before any photo is written
        house = _house(session, house_id)
        domain.check_inspection(house.stage, new["milestone"], damage=house.damage, rebuild_mode=house.rebuild_mode,
                                figures=fig)
    stored = _photos().store_files(ctx, uploads)
    with ctx.transaction() as unit:
        session = unit.session
        house = _house(session, house_id, for_update=True)
        domain.check_inspection(house.stage, new["milestone"], damage=house.damage, rebuild_mode=house.rebuild_mode,
                                figures=fig)
        inspection, created = store.insert_inspection(
            session, client_id=new["client_id"], house_id=house.id, milestone=new["milestone"], result=new["result"],
            inspected_at=new["inspected_at"], received_at=unit.now,
            inspector=new["inspector"] or unit.actor.name, inspector_id=unit.actor.id, note=new["note"],
            lat=new["lat"], lon=new["lon"])
        if not created:
            _same_inspection(inspection, house_id, new)
            return _inspection_answer(ctx, session, house, inspection, created=False)
        fallback = (new["lat"], new["lon"]) if new["lat"] is not None else None
        for photo in stored:
            lat, lon = (photo.lat, photo.lon) if photo.lat is not None else (fallback or (None, None))
            store.add_inspection_photo(
                session, inspection_id=inspection.id, created_at=unit.now, sha256=photo.sha256, format=photo.format,
                width=photo.width, height=photo.height, size_bytes=photo.size_bytes, lat=lat, lon=lon,
                original_path=photo.original_path, public_path=photo.public_path, thumb_path=photo.thumb_path)
        before = house.correction_required
        house.correction_required = _correction(session, house, fig)
        house.updated_at = unit.now
        unit.audit("house.inspection", "house", house.id, detail={
            "inspection_id": inspection.id, "milestone": inspection.milestone, "result": inspection.result,
            "photos": len(stored), "correction_required": house.correction_required})
        _announce(unit, session, ctx, house, fig, {
            "inspection": {"id": inspection.id, "milestone": inspection.milestone, "result": inspection.result},
            "correction_required": {"from": before, "to": house.correction_required}})
        return _inspection_answer(ctx, session, house, inspection, created=True)


def photo_file(ctx: Context, photo_id: int, variant: str) -> tuple[Path, str]:
    """``(path, mimetype)`` of an inspection photo, for staff who see houses; the original only for them too."""
    if ctx.actor.id is None:
        raise NotAuthenticated("inspection photos are for staff: log in or send a token")
    if not ctx.may("reconstruction.read") and not ctx.may("reconstruction.inspect"):
        raise Forbidden(f"role {ctx.actor.role!r} may not see inspection photos")
    if variant not in _photos().VARIANTS:
        raise NotFound(f"no photo variant {variant!r}; expected one of {', '.join(_photos().VARIANTS)}",
                       field="variant")
    with ctx.reading() as session:
        photo = store.inspection_photo(session, photo_id)
        if photo is None:
            raise NotFound(f"no inspection photo {photo_id}")
        relative = {"public": photo.public_path, "thumb": photo.thumb_path, "original": photo.original_path}[variant]
        fmt = photo.format
    path = _photos().photo_root(ctx) / relative
    if not path.is_file():
        raise NotFound(f"inspection photo {photo_id} has no {variant} file on this server")
    return path, "image/jpeg" if variant == "thumb" else _photos().MIMETYPES.get(fmt, "application/octet-stream")


# --- payments ------------------------------------------------------------------------------

def pay(ctx: Context, house_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Record one tranche paid; refused (409, nothing written) unless its milestone's inspection passed.

    The tranche is checked against the household's aid chain (:mod:`relief.services.aid_guard`): reconstruction
    aid from another source (a partner agency) over the tranche's period, or reconstruction aid adding up past
    the house's entitlement, is refused with 409 ``duplicate_aid`` naming the earlier aid, unless the body
    carries an ``override_reason`` (then audited and recorded as a justified top-up).
    """
    from relief.services import aid_guard  # the chain's frames load pandas: only a payment needs them

    tranche = fields.text(body, "tranche", required=True, limit=24)
    amount = fields.number(body, "amount", required=False, minimum=0, maximum=1e12)
    paid_at = fields.moment(body, "paid_at", now=ctx.now())
    override = aid_guard.override_reason(body)
    fig = figures(ctx)
    with ctx.transaction() as unit:
        session = unit.session
        house = _house(session, house_id, for_update=True)
        passed = store.passing_inspections(session, house.id, PASS)
        paid = store.paid_tranches(session, house.id)
        category = store.household_category(session, house.household_id)
        step, amount = domain.check_payment(
            stage=house.stage, damage=house.damage, rebuild_mode=house.rebuild_mode,
            category=category, tranche=tranche, amount=amount, passed=passed, paid=paid, figures=fig)
        cleared = aid_guard.check(
            unit, ctx.standards,
            aid_guard.tranche(ctx.standards, household_id=house.household_id, paid_at=paid_at, amount=amount),
            override=override, need=fig.entitled(house.damage, category))
        inspection_id = passed.get(step.milestone) if step.milestone in fig.inspected else None
        row = store.insert_payment(session, house_id=house.id, tranche=step.name, amount=amount, paid_at=paid_at,
                                   inspection_id=inspection_id, actor_id=unit.actor.id, recorded_at=unit.now)
        if row is None:
            raise Conflict(f"tranche {step.name} was paid already", field="tranche")
        unit.audit("house.payment", "house", house.id, detail={
            "payment_id": row.id, "tranche": step.name, "amount": amount, "inspection_id": inspection_id})
        cleared.record(unit, f"reconstruction:{row.id}")
        _announce(unit, session, ctx, house, fig, {"payment": {"tranche": step.name, "amount": amount}})
        answer = {"house_id": house.id, "payment": _shapes().payment_view(row)}
        if cleared.overridden:
            answer["aid_override"] = cleared.view()
        return answer


# --- on time -------------------------------------------------------------------------------

def announce_stalled(ctx: Context) -> dict[str, Any]:
    """Publish ``house.stalled`` once for each house whose stage outlived its limit; for the scheduler.

    Returns ``{"announced", "next_stall_at"}``.
    """
    fig = figures(ctx)
    with ctx.transaction() as unit:
        session = unit.session
        stalled = store.newly_stalled(session, unit.now)
        for house in stalled:
            unit.emit("house.stalled", Topic.RECONSTRUCTION,
                      _shapes().event_payload(_feature(session, house, ctx, unit.now, fig),
                                           {"stalled": {"stage": house.stage, "since": house.stage_since,
                                                        "limit_days": fig.limits_days.get(house.stage)}}),
                      area_code=house.county_code, audience=Audience.STAFF)
        store.mark_announced(session, [h.id for h in stalled], unit.now)
        if stalled:
            unit.audit("house.stalled", "house", None, detail={"houses": [h.id for h in stalled]})
        upcoming = store.next_stall(session, unit.now)
    return {"announced": len(stalled), "next_stall_at": upcoming}
