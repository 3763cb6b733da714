"""``houses``, ``inspections`` and ``house_payments`` in a register folder: checked, then stored with the rest.

Columns (``.csv`` or ``.xlsx``, header in row 1):

- ``houses``: house_id, household_id, lat, lon, damage (collapsed|severe|general), assessed_at,
  stage, stage_since, rebuild_mode, exclusion_reason
- ``inspections``: house_id, milestone, inspected_at, result (pass|fail), inspector, note
- ``house_payments``: house_id, tranche, amount, paid_at

Part of the importer's one transaction (``services.importer``): the first bad
value refuses the whole folder with :class:`ImportRejected` naming file, row
(header = 1) and column. Beyond types and words: a house's household must
exist (in the store or the same folder); a stage at or past an inspected
milestone needs a passing inspection of it (in the file or stored); a payment
needs its tranche's milestone passed and may not exceed the tranche.

Re-importing is safe: a stored house is replaced (its history stays, one
history row is added when its stage changes); an inspection or payment
already stored (same house, milestone, time and result / same house and
tranche and amount) is skipped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import pandas as pd
import shapely

from relief.domain import limits
from relief.domain import reconstruction as domain
from relief.domain.vocabulary import HOUSE_STAGES, INSPECTION_RESULTS, RECONSTRUCTION_DAMAGE, InspectionResult
from relief.errors import ImportRejected
from relief.services.context import Unit
from relief.store import reconstruction as store

FILES = ("houses", "inspections", "house_payments")
COLUMNS = {
    "houses": ("house_id", "household_id", "lat", "lon", "damage", "assessed_at", "stage", "stage_since",
               "rebuild_mode", "exclusion_reason"),
    "inspections": ("house_id", "milestone", "inspected_at", "result", "inspector", "note"),
    "house_payments": ("house_id", "tranche", "amount", "paid_at"),
}
REQUIRED = {
    "houses": ("house_id", "household_id", "lat", "lon", "damage", "assessed_at"),
    "inspections": ("house_id", "milestone", "inspected_at", "result"),
    "house_payments": ("house_id", "tranche", "amount", "paid_at"),
}
PASS = InspectionResult.PASS.value


def take(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Remove this module's files from the importer's ``raw`` frames and return them."""
    return {stem: raw.pop(stem) for stem in FILES if stem in raw}


@dataclass
class _File:
    stem: str
    name: str

    def refuse(self, message: str, row: int | None = None, column: str | None = None) -> ImportRejected:
        return ImportRejected(message, file=self.name, row=None if row is None else row + 2, column=column)


def _header(file: _File, frame: pd.DataFrame) -> None:
    missing = [c for c in COLUMNS[file.stem] if c not in frame.columns]
    if missing:
        raise file.refuse(f"lacks the column {missing[0]!r} (expected {', '.join(COLUMNS[file.stem])})",
                          column=missing[0])
    extra = [c for c in frame.columns if c not in COLUMNS[file.stem]]
    if extra:
        raise file.refuse(f"has an unknown column {extra[0]!r} (expected {', '.join(COLUMNS[file.stem])})",
                          column=extra[0])


def _cells(file: _File, frame: pd.DataFrame):
    """``(index, {column: stripped text})`` per row, required cells checked."""
    for i, values in enumerate(frame[list(COLUMNS[file.stem])].itertuples(index=False, name=None)):
        row = {c: str(v).strip() for c, v in zip(COLUMNS[file.stem], values)}
        for column in REQUIRED[file.stem]:
            if not row[column]:
                raise file.refuse(f"{column} is required", i, column)
        for column, value in row.items():
            if "\x00" in value:
                raise file.refuse("must not contain a NUL character", i, column)
        yield i, row


def _time(file: _File, i: int, column: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise file.refuse(f"{text!r} is not an ISO 8601 time (e.g. 2026-11-20T09:00:00+08:00)", i, column) from None
    if moment.tzinfo is None:
        raise file.refuse(f"{text!r} needs a UTC offset, e.g. +08:00", i, column)
    if not limits.in_time_window(moment):
        raise file.refuse(f"{text!r} is out of range", i, column)
    return moment


def _number(file: _File, i: int, column: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise file.refuse(f"{text!r} is not a number", i, column) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise file.refuse(f"{value:g} is not between {low:g} and {high:g}", i, column)
    return value


def _word(file: _File, i: int, column: str, text: str, allowed) -> str:
    if text not in allowed:
        raise file.refuse(f"{text!r} is not one of {', '.join(allowed)}", i, column)
    return text


def _id(file: _File, i: int, column: str, text: str) -> str:
    if len(text) > 40:
        raise file.refuse("is longer than 40 characters", i, column)
    return text


def apply(unit: Unit, frames: Mapping[str, pd.DataFrame], names: Mapping[str, str],
          figures: domain.Figures) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Check and store the reconstruction files; ``(inserted, updated, skipped)`` by file stem."""
    session = unit.session
    files = {stem: _File(stem, names.get(stem, f"{stem}.csv")) for stem in frames}
    for stem, frame in frames.items():
        _header(files[stem], frame)

    houses = _houses(files["houses"], frames["houses"], figures) if "houses" in frames else {}
    stored_ids = store.known_house_ids(session, [r["house_id"] for stem in ("inspections", "house_payments")
                                                 if stem in frames for _, r in _cells(files[stem], frames[stem])])
    stored = _stored_houses(session, stored_ids - set(houses))
    known = {**stored, **houses}
    if houses:
        households = store.known_households(session, [h["household_id"] for h in houses.values()])
        for h in houses.values():
            if h["household_id"] not in households:
                raise files["houses"].refuse(f"no household {h['household_id']!r} (import households.csv with it, "
                                             "or first)", h["_row"], "household_id")
            h["category"] = households[h["household_id"]]
    ins = _inspections(files["inspections"], frames["inspections"], known, figures) if "inspections" in frames \
        else []
    stored_ins, stored_pay = store.stored_records(session, list(known))
    passed = {(r["house_id"], r["milestone"]) for r in ins if r["result"] == PASS}
    passed |= {(h, m) for h, m, r in zip(stored_ins["house_id"], stored_ins["milestone"], stored_ins["result"])
               if r == PASS}
    for h in houses.values():
        path = domain.PATHS[domain.path_of(h["damage"], h["rebuild_mode"], figures)]
        if h["stage"] in path:
            for milestone in path[1:path.index(h["stage"]) + 1]:
                if milestone in figures.inspected and (h["house_id"], milestone) not in passed:
                    raise files["houses"].refuse(f"stage {h['stage']} needs a passing inspection of {milestone} "
                                                 "(in inspections.csv or stored)", h["_row"], "stage")
    pays = _payments(files["house_payments"], frames["house_payments"], known, passed, stored_pay, figures) \
        if "house_payments" in frames else []

    inserted: dict[str, int] = {}
    updated: dict[str, int] = {}
    skipped: dict[str, int] = {}
    if houses:
        inserted["houses"], updated["houses"] = _write_houses(unit, houses, figures)
    if "inspections" in frames:
        seen = {(h, m, pd.Timestamp(t).tz_convert("UTC") if pd.Timestamp(t).tzinfo else pd.Timestamp(t, tz="UTC"), r)
                for h, m, t, r in zip(stored_ins["house_id"], stored_ins["milestone"], stored_ins["inspected_at"],
                                      stored_ins["result"])}
        new = [r for r in ins if (r["house_id"], r["milestone"], pd.Timestamp(r["inspected_at"]).tz_convert("UTC"),
                                  r["result"]) not in seen]
        frame = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in new],
                             columns=["house_id", "milestone", "inspected_at", "result", "inspector", "note"])
        inserted["inspections"] = store.insert_records(session, "inspections",
                                                       frame.assign(received_at=unit.now, client_id=None))
        skipped["inspections"] = len(ins) - len(new)
    if "house_payments" in frames:
        new = [p for p in pays if not p["_stored"]]
        frame = pd.DataFrame([{k: v for k, v in p.items() if not k.startswith("_")} for p in new],
                             columns=["house_id", "tranche", "amount", "paid_at", "_milestone"])
        if len(frame):
            keys = pd.DataFrame({"house_id": frame["house_id"], "milestone": [p["_milestone"] for p in new]})
            frame = frame.assign(inspection_id=store.inspection_ids(session, keys, PASS).where(
                [p["_milestone"] in figures.inspected for p in new], None))
        frame = frame.drop(columns=["_milestone"]).assign(actor_id=unit.actor.id, recorded_at=unit.now)
        inserted["house_payments"] = store.insert_records(session, "house_payments", frame)
        skipped["house_payments"] = len(pays) - len(new)
    _refresh_corrections(session, set(houses) | {r["house_id"] for r in ins}, figures)
    return inserted, updated, skipped


def _houses(file: _File, frame: pd.DataFrame, figures: domain.Figures) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, row in _cells(file, frame):
        house_id = _id(file, i, "house_id", row["house_id"])
        if house_id in out:
            raise file.refuse(f"house {house_id} appears twice (first in row {out[house_id]['_row'] + 2})", i,
                              "house_id")
        damage = _word(file, i, "damage", row["damage"], RECONSTRUCTION_DAMAGE)
        stage = _word(file, i, "stage", row["stage"] or domain.INITIAL_STAGE.value, HOUSE_STAGES)
        assessed_at = _time(file, i, "assessed_at", row["assessed_at"])
        since = _time(file, i, "stage_since", row["stage_since"]) if row["stage_since"] else assessed_at
        mode = row["rebuild_mode"] or None
        allowed = domain.modes_for(damage, figures)
        if mode is not None and mode not in allowed:
            raise file.refuse(f"a {damage} house is rebuilt as one of {', '.join(allowed)}, not {mode!r}", i,
                              "rebuild_mode")
        if mode is None and stage not in (domain.S.ASSESSED, domain.S.ELIGIBLE, domain.S.EXCLUDED):
            raise file.refuse(f"a house that is {stage} needs its rebuild_mode", i, "rebuild_mode")
        if stage != domain.S.EXCLUDED and stage not in domain.PATHS[domain.path_of(damage, mode, figures)]:
            raise file.refuse(f"{stage} is not a stage of a {mode or damage} house", i, "stage")
        reason = row["exclusion_reason"] or None
        if stage == domain.S.EXCLUDED and not reason:
            raise file.refuse("an excluded house needs its exclusion_reason", i, "exclusion_reason")
        out[house_id] = {
            "_row": i, "house_id": house_id, "household_id": _id(file, i, "household_id", row["household_id"]),
            "lat": _number(file, i, "lat", row["lat"], -90, 90), "lon": _number(file, i, "lon", row["lon"], -180, 180),
            "damage": damage, "assessed_at": assessed_at, "stage": stage, "stage_since": since,
            "rebuild_mode": mode, "exclusion_reason": reason if stage == domain.S.EXCLUDED else None}
    return out


def _stored_houses(session, ids) -> dict[str, dict[str, Any]]:
    out = {}
    for house_id in sorted(ids):
        row = store.house(session, house_id)
        out[house_id] = {"house_id": row.id, "damage": row.damage, "stage": row.stage,
                         "rebuild_mode": row.rebuild_mode, "household_id": row.household_id,
                         "category": store.household_category(session, row.household_id)}
    return out


def _inspections(file: _File, frame: pd.DataFrame, known: Mapping[str, Mapping[str, Any]],
                 figures: domain.Figures) -> list[dict[str, Any]]:
    out = []
    for i, row in _cells(file, frame):
        house = known.get(row["house_id"])
        if house is None:
            raise file.refuse(f"no house {row['house_id']!r} (in houses.csv or stored)", i, "house_id")
        milestone = _word(file, i, "milestone", row["milestone"], sorted(figures.inspected))
        path = domain.path_of(house["damage"], house["rebuild_mode"], figures)
        if milestone not in domain.PATHS[path]:
            raise file.refuse(f"{milestone} is no milestone of a {path}", i, "milestone")
        for column in ("inspector", "note"):
            if len(row[column]) > (80 if column == "inspector" else 2000):
                raise file.refuse("is too long", i, column)
        out.append({"_row": i, "house_id": row["house_id"], "milestone": milestone,
                    "inspected_at": _time(file, i, "inspected_at", row["inspected_at"]),
                    "result": _word(file, i, "result", row["result"], INSPECTION_RESULTS),
                    "inspector": row["inspector"] or None, "note": row["note"] or None})
    return out


def _payments(file: _File, frame: pd.DataFrame, known: Mapping[str, Mapping[str, Any]], passed: set,
              stored: pd.DataFrame, figures: domain.Figures) -> list[dict[str, Any]]:
    before = {(h, t): float(a) for h, t, a in zip(stored["house_id"], stored["tranche"], stored["amount"])}
    seen: dict[tuple[str, str], int] = {}
    out = []
    for i, row in _cells(file, frame):
        house = known.get(row["house_id"])
        if house is None:
            raise file.refuse(f"no house {row['house_id']!r} (in houses.csv or stored)", i, "house_id")
        path = domain.path_of(house["damage"], house["rebuild_mode"], figures)
        plan = {t.name: t for t in figures.plans[path]}
        tranche = _word(file, i, "tranche", row["tranche"], list(plan))
        key = (row["house_id"], tranche)
        if key in seen:
            raise file.refuse(f"tranche {tranche} of house {row['house_id']} appears twice (first in row "
                              f"{seen[key] + 2})", i, "tranche")
        seen[key] = i
        amount = _number(file, i, "amount", row["amount"], 0, 1e12)
        entitled = 0.0 if house["stage"] == domain.S.EXCLUDED else figures.entitled(house["damage"],
                                                                                    house.get("category"))
        planned = domain.tranche_amounts(entitled, figures.plans[path])[tranche]
        if amount <= 0 or amount > planned + 1e-9:
            raise file.refuse(f"{amount:,.2f} is over tranche {tranche} ({planned:,.2f} of {entitled:,.2f} yuan)"
                              if amount > 0 else "must be greater than zero", i, "amount")
        milestone = plan[tranche].milestone
        if milestone in figures.inspected:
            if (row["house_id"], milestone) not in passed:
                raise file.refuse(f"tranche {tranche} needs a passing inspection of {milestone}", i, "tranche")
        elif not domain.reached(house["stage"], milestone, path):
            raise file.refuse(f"tranche {tranche} is due at {milestone}; the house is {house['stage']}", i, "tranche")
        if key in before and abs(before[key] - amount) > 1e-9:
            raise file.refuse(f"tranche {tranche} was paid already with {before[key]:,.2f}", i, "amount")
        out.append({"_row": i, "_stored": key in before, "_milestone": milestone, "house_id": row["house_id"],
                    "tranche": tranche, "amount": amount, "paid_at": _time(file, i, "paid_at", row["paid_at"])})
    return out


def _write_houses(unit: Unit, houses: Mapping[str, dict[str, Any]], figures: domain.Figures) -> tuple[int, int]:
    session = unit.session
    existing = store.known_house_ids(session, list(houses))
    previous = {h: store.house(session, h).stage for h in existing}
    rows = []
    for h in houses.values():
        point = shapely.Point(h["lon"], h["lat"])
        codes = store.place(session, point)
        rows.append({"id": h["house_id"], "household_id": h["household_id"], "geom": point,
                     "county_code": codes.get("county"), "township_code": codes.get("township"),
                     "village_code": codes.get("village"), "damage": h["damage"], "assessed_at": h["assessed_at"],
                     "stage": h["stage"], "stage_since": h["stage_since"],
                     "stalls_at": domain.stalls_at(h["stage"], h["stage_since"], figures),
                     "rebuild_mode": h["rebuild_mode"], "exclusion_reason": h["exclusion_reason"],
                     "correction_required": False, "updated_at": unit.now})
    frame = pd.DataFrame(rows)
    new = frame.loc[~frame["id"].isin(existing)]
    old = frame.loc[frame["id"].isin(existing)].drop(columns=["correction_required"])
    store.insert_houses(session, new)
    store.replace_houses(session, old.assign(stall_announced_at=None))
    history = pd.DataFrame([{"house_id": r["id"], "from_stage": previous.get(r["id"]), "to_stage": r["stage"],
                             "actor_id": unit.actor.id, "at": unit.now, "reason": "import",
                             "inspection_id": None}
                            for r in rows if previous.get(r["id"]) != r["stage"]],
                           columns=["house_id", "from_stage", "to_stage", "actor_id", "at", "reason", "inspection_id"])
    store.insert_records(session, "house_transitions", history)
    return len(new), len(old)


def _refresh_corrections(session, house_ids, figures: domain.Figures) -> None:
    """``correction_required`` from the inspections of each touched house's next milestone."""
    for house_id in sorted(house_ids):
        house = store.house(session, house_id)
        upcoming = domain.next_milestone(house.stage, house.damage, house.rebuild_mode, figures)
        house.correction_required = upcoming in figures.inspected and domain.correction_required(
            [r for _, r in store.results_of(session, house_id, upcoming)])


def import_into(unit: Unit, frames: Mapping[str, pd.DataFrame], names: Mapping[str, str], standards,
                inserted: dict[str, int], updated: dict[str, int], skipped: dict[str, int]) -> None:
    """The importer's hook: store these files in its transaction, adding to its counts."""
    if not frames:
        return
    new, replaced, seen = apply(unit, frames, names, domain.Figures.of(standards))
    inserted.update(new)
    updated.update(replaced)
    skipped.update(seen)
