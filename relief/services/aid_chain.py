"""One aid chain per household: the chain view, the sweep that keeps duplicate and missed aid as flags,
their review, and the overdue announcements.

The sweep (:func:`sweep`) reads the whole chain (``store.aid_chain.chain_frame``) and what the household is
due, judges it with the pure functions of :mod:`relief.domain.aid_chain`, then writes in one transaction:

* **duplicate aid** (``overlapping_sources``, ``over_entitlement``): one flag per finding, key
  ``duplicate:{reason}:{aid_id}``. Entitlements are the approved and paid assistance cases (the case's
  amount over its period, for its programme's purpose) and each house's reconstruction subsidy
  (``standards.entitlement_yuan``, all time).
* **missed aid**: a household is due aid of a purpose from ``since`` when a programme in force admits it
  (``domain.assistance.eligible``; ``since`` is the later of the programme version's publication and the
  household's last change) or when a guarantee of it is unmet (``since``: the verdict's moment when the
  sweep first sees it). Key ``missed:{household}:{purpose}:{basis}:{since}``. An entry continues while it is
  unresolved (a later sweep keeps its ``since``); a resolved entry stays resolved, and the household opens a
  new one only when it is still due on a record (or verdict) newer than the resolution.

A re-sweep updates a flag's facts, never adds a second flag for the same key and never reopens a resolved
flag. A missed entry closes with aid given on its own: when the sweep finds aid of its purpose that answers it
(in time, or late: naming the aid), it takes the step to ``aid_given`` (history and audit); otherwise only a
person closes it, with a reason (:func:`transition_flag`).

Deadlines act without a write: a missed entry is overdue once ``as_of`` is past its deadline, in every list
and answer; the scheduler (:func:`announce_overdue`) publishes ``aid_flag.overdue`` once per entry at its
deadline. Events (``aid_flag.opened``, ``aid_flag.changed``, ``aid_flag.overdue``) are for staff only and
are published after the commit.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from relief.domain import aid_chain as domain
from relief.domain import assistance as assistance_domain
from relief.domain.audience import Audience
from relief.domain.vocabulary import (
    AID_FLAG_KINDS,
    AID_FLAG_STATUSES,
    GUARANTEES,
    AidFlagKind,
    AidFlagStatus,
    AidSourceKind,
    GuaranteeStatus,
    Topic,
)
from relief.errors import NotFound, ValidationFailed
from relief.jsonable import jsonable
from relief.services import assistance as assistance_service
from relief.services.context import Context, Unit
from relief.store import aid_chain as store
from relief.store import assistance as assistance_store

if TYPE_CHECKING:
    from relief.store.tables import AidFlag

PERMISSION = "aid_flags.review"
K, F = AidFlagKind, AidFlagStatus
MAX_REASON = 2000
MAX_LIMIT = 1000
#: What the sweep's answer (and ``relief aid-check``) lists per flag.
CHECK_COLUMNS = ("flag", "household_id", "purpose", "sources", "periods", "amount", "entitlement", "evidence",
                 "since")
_KEY_TIME = "%Y%m%dT%H%M%SZ"


# --- keys ---------------------------------------------------------------------------------

def duplicate_key(reason: str, aid_id: str) -> str:
    return f"duplicate:{reason}:{aid_id}"


def missed_key(household_id: str, purpose: str, basis: str, since: datetime) -> str:
    return f"missed:{household_id}:{purpose}:{basis}:{pd.Timestamp(since).tz_convert('UTC'):{_KEY_TIME}}"


def _basis_of(key: str) -> str | None:
    """The basis written in a missed flag's key (``programme:<code>``, ``guarantee:<name>``)."""
    try:
        rest, _ = key[len("missed:"):].rsplit(":", 1)
        _, _, basis = rest.split(":", 2)
    except ValueError:
        return None
    return basis


def figures(ctx: Context) -> tuple[domain.Figures, domain.PeriodFigures]:
    return domain.Figures.of(ctx.standards), domain.PeriodFigures.of(ctx.standards)


# --- views --------------------------------------------------------------------------------

def overdue(row: AidFlag, as_of: datetime) -> bool:
    """A missed entry not resolved whose deadline has passed (judged at ``as_of``: no write needed)."""
    return (row.kind == K.MISSED and row.deadline is not None and as_of > row.deadline
            and not domain.is_resolved(row.kind, row.status))


def flag_view(row: AidFlag, as_of: datetime, steps: Sequence[Any] | None = None) -> dict[str, Any]:
    view = {
        "id": row.id, "key": row.key, "flag": row.kind, "reason": row.reason, "household_id": row.household_id,
        "purpose": row.purpose, "status": row.status, "aid_id": row.aid_id,
        "earlier_aid_ids": list(row.earlier_aid_ids or []), "sources": list(row.sources or []),
        "period_start": row.period_start, "period_end": row.period_end, "amount": row.amount,
        "entitlement": row.entitlement, "evidence": row.evidence or {}, "since": row.since,
        "deadline": row.deadline, "overdue": overdue(row, as_of), "township_code": row.township_code,
        "village_code": row.village_code, "opened_at": row.opened_at, "updated_at": row.updated_at,
        "resolved_at": row.resolved_at, "resolution_reason": row.resolution_reason, "override_of": row.override_of,
        "allowed_statuses": domain.allowed_targets(row.kind, row.status),
        "needs_reason": [s.target for s in domain.STEPS if s.kind == row.kind and s.source == row.status
                         and s.needs_reason],
    }
    if steps is not None:
        view["history"] = [{"from_status": s.from_status, "to_status": s.to_status, "reason": s.reason,
                            "actor_id": s.actor_id, "at": s.at} for s in steps]
    return jsonable(view)


def _event_payload(row: AidFlag, as_of: datetime) -> dict[str, Any]:
    return jsonable({"id": row.id, "flag": row.kind, "reason": row.reason, "household_id": row.household_id,
                     "purpose": row.purpose, "status": row.status, "aid_id": row.aid_id, "since": row.since,
                     "deadline": row.deadline, "overdue": overdue(row, as_of), "township_code": row.township_code,
                     "village_code": row.village_code})


def _county_of(session, household_id: str) -> str | None:
    from relief.store import households as household_store  # geopandas: `aid-check --no-save` never needs it

    household = household_store.household(session, household_id)
    return household.county_code if household is not None else None


# --- the chain of one household ----------------------------------------------------------------

def household_aid(ctx: Context, household_id: str) -> dict[str, Any]:
    """The household's aid chain, time-ordered (``links``), and its flags (unresolved first)."""
    _, periods = figures(ctx)
    as_of = ctx.now()
    from relief.store import households as household_store  # geopandas: `aid-check --no-save` never needs it

    with ctx.reading() as session:
        if not household_store.household_exists(session, household_id):
            raise NotFound(f"no household {household_id}", field="household_id")
        frame = store.chain_frame(session, [household_id], periods=periods)
        rows, _ = store.flags(session, household_id=household_id, limit=MAX_LIMIT)
        steps = store.flag_steps(session, [r.id for r in rows])
        views = [flag_view(r, as_of, steps.get(r.id)) for r in rows]
    ordered = domain.chain(frame) if len(frame) else frame
    links = [jsonable({c: rec[c] for c in store.CHAIN_COLUMNS}) for rec in ordered.to_dict("records")]
    views.sort(key=lambda v: (domain.is_resolved(v["flag"], v["status"]), v["since"] or "", v["id"]))
    return {"household_id": household_id, "as_of": jsonable(as_of), "links": links, "flags": views,
            "open_flags": sum(1 for v in views if not domain.is_resolved(v["flag"], v["status"]))}


# --- the sweep -------------------------------------------------------------------------------

def _programme_due(households: pd.DataFrame, programmes: Iterable[tuple[datetime | None, Any]]) -> pd.DataFrame:
    """Households each programme in force admits, due from the later of the version's publication
    (``programmes``: ``(published_at, programme)``) and the household's last change."""
    frames = []
    updated = pd.DatetimeIndex(households["updated_at"]) if len(households) else pd.DatetimeIndex([], tz="UTC")
    # A rule reads only a household's kind (damage, shelter, category, members): it judges each distinct kind
    # once, and the households of the kinds it admits are due.
    kind_columns = [c for c in assistance_domain.HOUSEHOLD_COLUMNS if c != "household_id"]
    if len(households):
        kind_of = households.groupby(kind_columns, dropna=False, sort=False).ngroup().to_numpy()
        first = np.unique(kind_of, return_index=True)[1]
        kinds = households.iloc[first][kind_columns].reset_index(drop=True).assign(
            household_id=kind_of[first])
    ids = households["household_id"].to_numpy(dtype=object) if len(households) else np.zeros(0, dtype=object)
    for published_at, programme in programmes:
        if not len(households):
            continue
        admitted = assistance_domain.eligible(kinds, programme)["household_id"].to_numpy(dtype=np.int64)
        rows = np.flatnonzero(np.isin(kind_of, admitted))
        if not len(rows):
            continue
        since = pd.DatetimeIndex(updated[rows])
        if published_at is not None:
            since = since.where(since >= pd.Timestamp(published_at), pd.Timestamp(published_at))
        frames.append(pd.DataFrame({"household_id": pd.Series(ids[rows], dtype=object),
                                    "purpose": programme.purpose, "basis": f"programme:{programme.code}",
                                    "since": since.to_numpy()}))
    return pd.concat(frames, ignore_index=True) if frames else _empty_due()


def _guarantee_due(verdicts: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for guarantee in GUARANTEES:
        unmet = verdicts[verdicts[guarantee] == GuaranteeStatus.UNMET.value] if len(verdicts) else verdicts
        if len(unmet):
            frames.append(pd.DataFrame({"household_id": unmet["household_id"].to_numpy(), "purpose": guarantee,
                                        "basis": f"guarantee:{guarantee}", "since": unmet["as_of"].to_numpy()}))
    return pd.concat(frames, ignore_index=True) if frames else _empty_due()


def _empty_due() -> pd.DataFrame:
    return pd.DataFrame({"household_id": pd.Series(dtype=object), "purpose": pd.Series(dtype=object),
                         "basis": pd.Series(dtype=object), "since": pd.Series(dtype="datetime64[ns, UTC]")})


def _continue_entries(due: pd.DataFrame, index: pd.DataFrame) -> pd.DataFrame:
    """Due rows with the ``since`` of the entry they continue, plus unresolved entries no longer due (so aid
    can still close them)."""
    due = due.assign(since=pd.DatetimeIndex(due["since"]).tz_convert("UTC") if len(due) else due["since"])
    if not len(index):
        return due.drop_duplicates(["household_id", "purpose", "basis"], keep="first").reset_index(drop=True)
    index = index.assign(basis=[_basis_of(k) for k in index["key"]])
    index = index.assign(resolved=[domain.is_resolved(K.MISSED.value, s) for s in index["status"]])
    latest = index.sort_values("id").drop_duplicates(["household_id", "purpose", "basis"], keep="last")
    joined = due.merge(latest[["household_id", "purpose", "basis", "since", "resolved", "resolved_at"]],
                       on=["household_id", "purpose", "basis"], how="left", suffixes=("", "_kept"))
    kept = joined["since_kept"].notna()
    resolved = joined["resolved"].fillna(False).astype(bool).to_numpy()
    newer = (joined["since"] > joined["resolved_at"]).fillna(False).to_numpy() if len(joined) else np.zeros(0, bool)
    continue_kept = kept.to_numpy() & (~resolved | ~newer)
    since = joined["since"].where(~continue_kept, joined["since_kept"])
    due = joined.assign(since=since)[["household_id", "purpose", "basis", "since"]]
    due = due.sort_values("since", kind="stable").drop_duplicates(["household_id", "purpose", "basis"], keep="first")
    waiting = latest[~latest["resolved"]]
    waiting = waiting[["household_id", "purpose", "basis", "since"]]
    out = pd.concat([due, waiting], ignore_index=True) if len(waiting) else due
    keys = out["household_id"].astype(str) + "\x1f" + out["purpose"] + "\x1f" + out["basis"] + "\x1f" + \
        pd.DatetimeIndex(out["since"]).strftime(_KEY_TIME)
    return out.loc[~keys.duplicated().to_numpy()].reset_index(drop=True)


def read_sweep_inputs(ctx: Context, session) -> dict[str, Any]:
    """Everything the sweep reads, in one read session."""
    _, periods = figures(ctx)
    current = [(None if row is None else row.published_at, programme)
               for row, programme, _ in _current_programmes(session, ctx)]
    return {
        "chain": store.chain_frame(session, periods=periods),
        "households": store.households_frame(session),
        "programmes": current,
        "verdicts": store.unmet_verdicts(session),
        "houses": store.reconstruction_entitlements(session),
        "index": store.missed_flag_index(session),
    }


def _current_programmes(session, ctx: Context) -> list[tuple[Any, Any, str]]:
    out = {code: (None, p, ctx.standards.version)
           for code, p in assistance_service.figures(ctx).programmes.items()}
    for row in assistance_store.current_programmes(session):
        out[row.code] = (row, assistance_domain.programme_from_row(row.code, row.name_zh, row.name_en, row.purpose,
                                                                   row.rule), row.version)
    return [out[code] for code in sorted(out)]


class _Codes:
    """Household ids as small integers while the domain works (its joins and groupings on integers rather
    than a million strings), and back for the rows it answers."""

    def __init__(self, *id_columns: Any):
        # object indexes throughout: pandas would otherwise turn a million ids into Arrow strings and back
        known = [np.asarray(c, dtype=object) for c in id_columns if len(c)]
        self.index = pd.Index(np.concatenate(known), dtype=object).unique() if known else \
            pd.Index([], dtype=object)

    def code(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not len(frame):
            return frame
        ids = pd.Index(np.asarray(frame["household_id"], dtype=object), dtype=object)
        return frame.assign(household_id=self.index.get_indexer(ids))

    def back(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not len(frame):
            return frame
        ids = np.asarray(self.index, dtype=object)[frame["household_id"].to_numpy(dtype=np.int64)]
        return frame.assign(household_id=pd.Series(ids, index=frame.index, dtype=object))


def _case_entitlements(chain: pd.DataFrame) -> pd.DataFrame:
    """Approved and paid cases as entitlements (``store.assistance_entitlements``' frame), taken from the
    chain's assistance rows (the same cases: each is aid received and the need it answers)."""
    cases = chain["source_kind"].to_numpy(dtype=object) == AidSourceKind.ASSISTANCE.value
    taken = chain.loc[cases, ["household_id", "purpose", "amount", "period_start", "period_end"]]
    return taken.rename(columns={"amount": "need"}).reset_index(drop=True)


def judge(ctx: Context, inputs: Mapping[str, Any], as_of: datetime) -> dict[str, pd.DataFrame]:
    """The duplicate findings, the missed entries, and the due rows judged (pure: no store)."""
    fig, _ = figures(ctx)
    chain = inputs["chain"]
    houses = inputs["houses"]
    cases = inputs.get("case_entitlements")
    entitlements = [_case_entitlements(chain) if cases is None else cases]
    if len(houses):
        need = [ctx.standards.entitlement_yuan(d, c) for d, c in zip(houses["damage"], houses["assistance_category"])]
        entitlements.append(pd.DataFrame({"household_id": houses["household_id"].to_numpy(),
                                          "purpose": "reconstruction", "need": need})
                            .groupby(["household_id", "purpose"], as_index=False)["need"].sum())
    entitlements = [e for e in entitlements if len(e)]
    ent = pd.concat(entitlements, ignore_index=True) if entitlements else None
    due = pd.concat([_programme_due(inputs["households"], inputs["programmes"]), _guarantee_due(inputs["verdicts"])],
                    ignore_index=True)
    due = _continue_entries(due, inputs["index"])
    due = due[pd.DatetimeIndex(due["since"]) <= pd.Timestamp(as_of)].reset_index(drop=True) if len(due) else due
    codes = _Codes(inputs["households"]["household_id"], chain["household_id"], due["household_id"],
                   *(() if ent is None else (ent["household_id"],)))
    coded = codes.code(chain)
    duplicates = domain.sweep_duplicates(coded, fig, None if ent is None else codes.code(ent)) \
        if len(chain) or ent is not None else pd.DataFrame(columns=list(domain.DUPLICATE_FLAG_COLUMNS))
    missed = domain.sweep_missed(codes.code(due), coded, fig, as_of)
    return {"duplicates": codes.back(duplicates), "missed": codes.back(missed), "due": due}


def _areas(households: pd.DataFrame) -> dict[str, tuple[Any, Any, Any]]:
    if not len(households):
        return {}
    return dict(zip(households["household_id"], zip(households["township_code"], households["village_code"],
                                                    households["county_code"])))


def _stamp(value: Any) -> datetime | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    return (stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")).to_pydatetime()


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _moments(frame: pd.DataFrame, column: str) -> list[datetime | None]:
    """A column of moments as aware UTC datetimes (None where empty), converted once for the whole column."""
    if not len(frame):
        return []
    stamps = pd.DatetimeIndex(frame[column])
    stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
    values = stamps.to_pydatetime()
    return [None if empty else value for value, empty in zip(values, stamps.isna())]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def flag_rows(judged: Mapping[str, pd.DataFrame], areas: Mapping[str, tuple[Any, Any, Any]]) -> list[dict[str, Any]]:
    """The sweep's findings as flag rows (``AidFlag`` columns plus ``_late`` for aid that came late); evidence
    holds plain JSON values only."""
    rows: list[dict[str, Any]] = []
    dup = judged["duplicates"]
    times = {c: _moments(dup, c) for c in ("period_start", "period_end", "since")}
    for i, rec in enumerate(dup.to_dict("records")):
        township, village, _ = areas.get(rec["household_id"], (None, None, None))
        earlier, sources = [str(a) for a in rec["earlier_aid_ids"]], [str(a) for a in rec["sources"]]
        evidence = {k: round(float(rec[k]), 2) for k in ("received", "excess") if _number(rec.get(k)) is not None}
        evidence.update({"reason": rec["reason"], "aid_id": rec["aid_id"], "earlier_aid_ids": earlier,
                         "sources": sources})
        rows.append({"key": duplicate_key(rec["reason"], rec["aid_id"]), "kind": K.DUPLICATE.value,
                     "reason": rec["reason"], "household_id": rec["household_id"], "purpose": rec["purpose"],
                     "aid_id": rec["aid_id"], "earlier_aid_ids": earlier, "sources": sources,
                     "period_start": times["period_start"][i], "period_end": times["period_end"][i],
                     "amount": _number(rec["amount"]), "entitlement": _number(rec["entitlement"]),
                     "evidence": evidence, "since": times["since"][i], "deadline": None, "township_code": township,
                     "village_code": village})
    missed = judged["missed"]
    times = {c: _moments(missed, c) for c in ("since", "deadline", "given_at")}
    for i, rec in enumerate(missed.to_dict("records")):
        township, village, _ = areas.get(rec["household_id"], (None, None, None))
        since, deadline = times["since"][i], times["deadline"][i]
        late = rec["reason"] == domain.AID_LATE
        evidence = {"reason": rec["reason"], "basis": rec["basis"], "deadline": _iso(deadline),
                    "aid_id": rec["aid_id"] if late else None, "given_at": _iso(times["given_at"][i]) if late else None}
        rows.append({"key": missed_key(rec["household_id"], rec["purpose"], rec["basis"], since),
                     "kind": K.MISSED.value, "reason": rec["reason"], "household_id": rec["household_id"],
                     "purpose": rec["purpose"], "aid_id": rec["aid_id"] if late else None, "earlier_aid_ids": [],
                     "sources": [rec["basis"]], "period_start": since, "period_end": deadline,
                     "amount": None, "entitlement": None, "evidence": evidence, "since": since,
                     "deadline": deadline, "township_code": township, "village_code": village, "_late": late})
    return rows


def _close_with_aid(unit: Unit, row: AidFlag, *, aid_id: str | None, reason: str) -> None:
    was = row.status
    decision = domain.transition(row.kind, was, F.AID_GIVEN.value, reason=reason)
    row.status = decision.target
    row.resolved_at = unit.now
    row.resolution_reason = decision.reason
    if aid_id:
        row.aid_id = aid_id
    row.updated_at = unit.now
    store.add_flag_step(unit.session, row, from_status=was, to_status=row.status, reason=decision.reason,
                        actor_id=unit.actor.id, at=unit.now)


def check_rows(rows: Sequence[Mapping[str, Any]], flags_by_key: Mapping[str, Any] | None = None
               ) -> list[dict[str, Any]]:
    """One row per flag as ``relief aid-check`` writes it (:data:`CHECK_COLUMNS`); ``evidence`` also carries
    the flag's key, and its id and status when kept. Plain JSON values (rows from :func:`flag_rows`)."""
    out = []
    for row in rows:
        kept = (flags_by_key or {}).get(row["key"])
        evidence = {**(row.get("evidence") or {}), "key": row["key"]}
        if kept is not None:
            evidence.update({"flag_id": kept.id, "status": kept.status})
        out.append({"flag": row["kind"], "household_id": row["household_id"], "purpose": row["purpose"],
                    "sources": list(row["sources"]), "periods": [[_iso(row["period_start"]), _iso(row["period_end"])]],
                    "amount": row["amount"], "entitlement": row["entitlement"], "evidence": evidence,
                    "since": _iso(row["since"])})
    return out


def sweep(ctx: Context, as_of: datetime | None = None, *, persist: bool = True) -> dict[str, Any]:
    """Judge the whole chain at ``as_of`` (default now) and keep what it finds as flags.

    Answers ``{"as_of", "rows"}`` (:func:`check_rows`, duplicates then missed entries) and, when
    persisting, ``opened``, ``updated``, ``closed`` (missed entries answered: aid given) counts.
    """
    as_of = as_of or ctx.now()
    with ctx.reading() as session:
        inputs = read_sweep_inputs(ctx, session)
    judged = judge(ctx, inputs, as_of)
    areas = _areas(inputs["households"])
    rows = flag_rows(judged, areas)
    if not persist:
        return {"as_of": jsonable(as_of), "rows": check_rows(rows)}
    index = inputs["index"]
    waiting = set(index["key"][[not domain.is_resolved(K.MISSED.value, st) for st in index["status"]]]) \
        if len(index) else set()
    answered = [key for key in _answered_keys(judged) if key in waiting]
    with ctx.transaction() as unit:
        session = unit.session
        clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
        result = store.upsert_flags(session, clean, now=unit.now, initial_status=domain.INITIAL_STATUS.value,
                                    is_resolved=domain.is_resolved, actor_id=unit.actor.id)
        kept = {f.key: f for group in result.values() for f in group}
        late = {row["key"]: row["aid_id"] for row in rows if row.get("_late")
                and not domain.is_resolved(kept[row["key"]].kind, kept[row["key"]].status)}
        closing = store.flags_by_key(session, [*late, *answered], for_update=True) if late or answered else {}
        closed: list[AidFlag] = []
        for key, flag_row in closing.items():
            if domain.is_resolved(flag_row.kind, flag_row.status):
                continue
            if key in late:
                _close_with_aid(unit, flag_row, aid_id=late[key], reason=f"aid {late[key]} given late")
            else:
                _close_with_aid(unit, flag_row, aid_id=None, reason="aid given in time")
            closed.append(flag_row)
            kept[key] = flag_row
        for flag_row in result["opened"]:
            unit.emit("aid_flag.opened", Topic.AID, _event_payload(flag_row, as_of),
                      area_code=areas.get(flag_row.household_id, (None, None, None))[2], audience=Audience.STAFF)
        for flag_row in closed:
            unit.emit("aid_flag.changed", Topic.AID, _event_payload(flag_row, as_of),
                      area_code=areas.get(flag_row.household_id, (None, None, None))[2], audience=Audience.STAFF)
        unit.audit("aid_flags.sweep", "aid_flags", None,
                   detail={"as_of": jsonable(as_of), "duplicates": len(judged["duplicates"]),
                           "missed": len(judged["missed"]), "opened": len(result["opened"]),
                           "updated": len(result["updated"]), "closed": len(closed)})
        answer = check_rows(rows, kept)
    return {"as_of": jsonable(as_of), "rows": answer, "opened": len(result["opened"]),
            "updated": len(result["updated"]), "closed": len(closed)}


def _answered_keys(judged: Mapping[str, pd.DataFrame]) -> list[str]:
    """Keys of due rows judged and not listed as missed: aid answered them in time."""
    due, missed = judged["due"], judged["missed"]
    if not len(due):
        return []
    listed = set(zip(missed["household_id"], missed["purpose"], missed["basis"],
                     pd.DatetimeIndex(missed["since"]).strftime(_KEY_TIME))) if len(missed) else set()
    stamps = pd.DatetimeIndex(due["since"]).tz_convert("UTC").strftime(_KEY_TIME)
    return [f"missed:{h}:{p}:{b}:{s}" for h, p, b, s in zip(due["household_id"], due["purpose"], due["basis"], stamps)
            if (h, p, b, s) not in listed]


# --- listing and review ------------------------------------------------------------------------

def _word(value: Any, allowed: Sequence[str], field: str) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise ValidationFailed(f"{field} must be one of {', '.join(allowed)}", field=field)
    return value


def list_flags(ctx: Context, *, flag: str | None = None, township: str | None = None, status: str | None = None,
               offset: int = 0, limit: int = 100) -> dict[str, Any]:
    """One page of flags, oldest first: ``{"items", "total", "offset", "limit", "next_offset"}``."""
    kind = _word(flag, AID_FLAG_KINDS, "flag")
    status = _word(status, AID_FLAG_STATUSES, "status")
    if township is not None and (not isinstance(township, str) or len(township) > 24):
        raise ValidationFailed("township must be an area code", field="township")
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    as_of = ctx.now()
    with ctx.reading() as session:
        rows, total = store.flags(session, kind=kind, township=township or None, status=status, offset=offset,
                                  limit=limit)
        items = [flag_view(r, as_of) for r in rows]
    return {"items": items, "total": total, "offset": offset, "limit": limit,
            "next_offset": offset + limit if offset + limit < total else None}


def flag_detail(ctx: Context, flag_id: int) -> dict[str, Any]:
    with ctx.reading() as session:
        row = store.flag(session, flag_id)
        if row is None:
            raise NotFound(f"no aid flag {flag_id}", field="id")
        return flag_view(row, ctx.now(), store.flag_steps(session, [row.id])[row.id])


def transition_flag(ctx: Context, flag_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Move a flag along ``domain.aid_chain.STEPS``: ``{"to", "reason"?}``.

    400 naming ``to`` or ``reason``; 404 for no such flag; 409 (``TransitionRefused``) for a step not in
    the table. Writes the step, the audit row and an ``aid_flag.changed`` event.
    """
    if not isinstance(body, Mapping):
        raise ValidationFailed("the body must be a JSON object", field="body")
    target = body.get("to")
    if not isinstance(target, str) or not target:
        raise ValidationFailed(f"to is required: one of {', '.join(AID_FLAG_STATUSES)}", field="to")
    if target not in AID_FLAG_STATUSES:
        raise ValidationFailed(f"to must be one of {', '.join(AID_FLAG_STATUSES)}", field="to")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ValidationFailed("reason must be text", field="reason")
    if reason is not None and len(reason) > MAX_REASON:
        raise ValidationFailed(f"reason must be at most {MAX_REASON} characters", field="reason")
    with ctx.transaction() as unit:
        row = store.flag(unit.session, flag_id, for_update=True)
        if row is None:
            raise NotFound(f"no aid flag {flag_id}", field="id")
        was = row.status
        decision = domain.transition(row.kind, was, target, reason=reason)
        row.status = decision.target
        row.updated_at = unit.now
        if domain.is_resolved(row.kind, row.status):
            row.resolved_at = unit.now
            row.resolution_reason = decision.reason
        store.add_flag_step(unit.session, row, from_status=was, to_status=row.status, reason=decision.reason,
                            actor_id=unit.actor.id, at=unit.now)
        unit.audit("aid_flag.transition", "aid_flag", row.id, reason=decision.reason,
                   detail={"from": was, "to": row.status, "household_id": row.household_id, "kind": row.kind})
        unit.emit("aid_flag.changed", Topic.AID, _event_payload(row, unit.now),
                  area_code=_county_of(unit.session, row.household_id), audience=Audience.STAFF)
        return flag_view(row, unit.now, store.flag_steps(unit.session, [row.id])[row.id])


def record_override(unit: Unit, *, household_id: str, purpose: str, aid_id: str,
                    findings: Sequence[domain.Finding], reason: str | None) -> AidFlag:
    """Keep a giving-time override as a duplicate flag already ``justified_top_up`` (with its reason), under
    the key the sweep would give it, so a later sweep finds it resolved and never reopens it."""
    first = findings[0] if findings else None
    code = first.reason if first is not None else domain.OVERLAPPING
    params = dict(first.params) if first is not None else {}
    earlier = list(params.get("earlier_aid_ids", ()))
    sources = list(params.get("sources", ()))
    areas = store.households_areas(unit.session, [household_id]).get(household_id, (None, None))
    key = duplicate_key(code, aid_id)
    existing = store.flags_by_key(unit.session, [key], for_update=True).get(key)
    if existing is not None:
        return existing
    row = store.add_override_flag(
        unit.session, key=key, kind=K.DUPLICATE.value, reason=code, household_id=household_id, purpose=purpose,
        status=F.OPEN.value, aid_id=aid_id, earlier_aid_ids=earlier, sources=sources,
        period_start=_stamp(params.get("overlap_start") or params.get("period_start")),
        period_end=_stamp(params.get("overlap_end") or params.get("period_end")),
        amount=_number(params.get("amount")), entitlement=_number(params.get("entitlement")),
        evidence=jsonable({"findings": [{"reason": f.reason, **dict(f.params)} for f in findings], "override": True}),
        since=unit.now, township_code=areas[0], village_code=areas[1], opened_at=unit.now, updated_at=unit.now,
        override_of=aid_id)
    store.add_flag_step(unit.session, row, from_status=None, to_status=F.OPEN.value, reason=None,
                        actor_id=unit.actor.id, at=unit.now)
    decision = domain.transition(row.kind, row.status, F.JUSTIFIED_TOP_UP.value, reason=reason)
    row.status, row.resolved_at, row.resolution_reason = decision.target, unit.now, decision.reason
    store.add_flag_step(unit.session, row, from_status=F.OPEN.value, to_status=row.status, reason=decision.reason,
                        actor_id=unit.actor.id, at=unit.now)
    unit.audit("aid_flag.override", "aid_flag", row.id, reason=decision.reason,
               detail={"household_id": household_id, "purpose": purpose, "aid_id": aid_id, "findings": len(findings)})
    unit.emit("aid_flag.opened", Topic.AID, _event_payload(row, unit.now),
              area_code=_county_of(unit.session, household_id), audience=Audience.STAFF)
    return row


# --- counts and the scheduler ---------------------------------------------------------------------

def counts(ctx: Context, *, oldest: int = 10) -> dict[str, Any]:
    """Unresolved flags by township (and kind), by kind and status overall, by village (for the map), and
    the ``oldest`` unresolved flags. Counts carry no household."""
    as_of = ctx.now()
    with ctx.reading() as session:
        rows = store.flag_counts_by_township(session)
        villages = store.flag_counts_by_village(session)
        old = store.oldest_open(session, oldest)
        oldest_views = [flag_view(r, as_of) for r in old]
    by_township: dict[str, dict[str, int]] = {}
    by_kind_status: dict[str, dict[str, int]] = {}
    for r in rows:
        by_kind_status.setdefault(r["kind"], {}).setdefault(r["status"], 0)
        by_kind_status[r["kind"]][r["status"]] += r["count"]
        if not domain.is_resolved(r["kind"], r["status"]):
            entry = by_township.setdefault(r["township_code"] or "", {k: 0 for k in AID_FLAG_KINDS})
            entry[r["kind"]] += r["count"]
    return {"as_of": jsonable(as_of),
            "by_township": [{"township_code": t or None, **c, "total": sum(c.values())}
                            for t, c in sorted(by_township.items())],
            "by_kind_status": by_kind_status, "by_village": villages, "oldest": oldest_views,
            "open": sum(sum(c.values()) for c in by_township.values())}


def announce_overdue(ctx: Context) -> dict[str, Any]:
    """Publish ``aid_flag.overdue`` once for each unresolved missed entry past its deadline; for the scheduler.

    Returns ``{"announced", "next_deadline_at"}``.
    """
    with ctx.transaction() as unit:
        due = store.overdue_unannounced(unit.session, unit.now)
        for row in due:
            unit.emit("aid_flag.overdue", Topic.AID, _event_payload(row, unit.now),
                      area_code=_county_of(unit.session, row.household_id), audience=Audience.STAFF)
        store.mark_announced(unit.session, [r.id for r in due], unit.now)
        if due:
            unit.audit("aid_flag.overdue", "aid_flags", None, detail={"flags": [r.id for r in due]})
        upcoming = store.next_deadline(unit.session)
    return {"announced": len(due), "next_deadline_at": upcoming}


def evidence_text(evidence: Any) -> str:
    return json.dumps(evidence, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
