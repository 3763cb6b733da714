"""The shapes a household takes for staff: a search row, the household page's answer, an edit's answer.

Names and numbers are personal data: these answers go to staff only (``staff.read``). A search row
carries the ID number masked (first and last four kept); the household answer carries it and the phone
in full only for those who may edit the household (``identity``), masked otherwise. Areas and the site
come with their names (``{"zh", "en"}`` for areas), so pages never show a bare code. Values go through
:mod:`relief.jsonable`.
"""
from __future__ import annotations

from typing import Any, Mapping

from relief.domain.disclosure import mask_id_number, mask_phone
from relief.domain.registers import VULNERABLE
from relief.jsonable import moment, number, text
from relief.store.paging import Page

#: Quantities received, to this many places.
DIGITS = 3
AREA_LEVELS = ("county", "township", "village")


def _masked_id(value: str | None) -> str | None:
    return mask_id_number(value) if value else None


def _masked_phone(value: str | None) -> str | None:
    return mask_phone(value) if value else None


def area(code: str | None, names: Mapping[str, Mapping[str, str]]) -> dict[str, Any] | None:
    """``{"code", "name": {"zh", "en"} | None}``, or None without a code."""
    if not code:
        return None
    return {"code": code, "name": dict(names[code]) if code in names else None}


# --- search --------------------------------------------------------------------------

def search_row(row: Mapping[str, Any], names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """One household found: who, how many, where (with names), its damage, category and shelter."""
    return {
        "household_id": row["id"], "head_name": row["head_name"], "id_number_masked": _masked_id(row["id_number"]),
        "members": int(row["members"]), "village": area(row["village_code"], names),
        "county": area(row["county_code"], names), "house_damage": row["house_damage"],
        "assistance_category": text(row["assistance_category"]), "shelter": row["shelter"],
        "site": {"id": row["site_id"], "name": row["site_name"]} if row["site_id"] else None,
    }


def search_answer(page: Page, names: Mapping[str, Mapping[str, str]], *, q: str | None,
                  village: str | None) -> dict[str, Any]:
    return {"rows": [search_row(r, names) for r in page.rows], "total": page.total, "offset": page.offset,
            "limit": page.limit, "next_offset": page.next_offset, "q": q, "village": village}


# --- one household -----------------------------------------------------------------------

def received_row(row: Mapping[str, Any], holders: Mapping[tuple[str, str], str]) -> dict[str, Any]:
    """One hand-out: the item with its name and unit, how much, when, and where it came from (by name)."""
    key = (row["holder_kind"], row["holder_id"])
    return {"id": row["id"], "item_code": row["item_code"], "item_name": row["item_name"], "unit": row["unit"],
            "quantity": number(row["quantity"], DIGITS), "at": moment(row["distributed_at"]),
            "from": {"kind": key[0], "id": key[1], "name": holders.get(key)} if key[0] and key[1] else None}


def visit_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "at": moment(row["visited_at"]),
            "facility": {"id": row["facility_id"], "name": row["facility_name"]} if row["facility_id"] else None,
            "note": text(row["note"])}


def household_answer(household: Mapping[str, Any], *, areas: Mapping[str, str | None],
                     names: Mapping[str, Mapping[str, str]], site: Mapping[str, Any] | None,
                     guarantees: Mapping[str, Any], received: list[dict[str, Any]], visits: list[dict[str, Any]],
                     identity: bool) -> dict[str, Any]:
    """The household page's answer.

    ``household`` holds the table's columns; ``areas`` the codes by level (``county``, ``township``,
    ``village``); ``guarantees`` is :func:`relief.services.guarantee_json.household_answer`'s;
    ``received`` and ``visits`` are already shaped (newest first).
    """
    id_number, phone = household["id_number"], household["phone"]
    return {
        "household_id": household["id"], "head_name": household["head_name"],
        "id_number": text(id_number) if identity else _masked_id(id_number),
        "id_number_masked": _masked_id(id_number),
        "phone": text(phone) if identity else _masked_phone(phone),
        "members": int(household["members"]),
        "vulnerabilities": {k: int(household[k] or 0) for k in VULNERABLE},
        "house_damage": household["house_damage"], "assistance_category": text(household["assistance_category"]),
        "needs_living_aid": bool(household["needs_living_aid"]), "evacuated": bool(household["evacuated"]),
        "shelter": household["shelter"], "dispersed_kind": text(household["dispersed_kind"]),
        "site": dict(site) if site else None,
        "areas": {level: area(areas.get(level), names) for level in AREA_LEVELS},
        "position": ({"lon": number(household["lon"], 6), "lat": number(household["lat"], 6)}
                     if household.get("lon") is not None else None),
        "notes": text(household["notes"]), "updated_at": moment(household["updated_at"]),
        "guarantees": dict(guarantees),
        "aid": {"distributions": received, "medical_visits": visits},
    }


def edit_answer(household_id: str, changed: Mapping[str, Mapping[str, Any]],
                guarantees: Mapping[str, Any]) -> dict[str, Any]:
    """What an edit answers: the fields it changed (old → new, as audited) and the guarantees judged after it."""
    return {"household_id": household_id, "changed": {k: dict(v) for k, v in changed.items()},
            "guarantees": dict(guarantees)}
