"""How houses, their history, inspections, payments and progress look in answers and events.

A house is always the same GeoJSON Feature (``services.geojson``) in ``GET
/api/houses``, in ``GET /api/houses/<id>`` and in the ``house.changed``
event, so a map patches an event straight into its layer. Staff without
``reconstruction.read`` (a viewer) never get a house; the summary has only
counts, rates and sums.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

from relief.domain import reconstruction as domain
from relief.jsonable import jsonable, moment, number
from relief.services import geojson

if TYPE_CHECKING:
    from relief.store.tables import House, HousePayment, HouseTransition, Inspection, InspectionPhoto


def house_properties(house: House, *, as_of: datetime, figures: domain.Figures,
                     head_name: str | None = None) -> dict[str, Any]:
    """A house's columns plus what follows from them at ``as_of`` (days in stage, stalled, next milestone)."""
    props = geojson.properties(house, exclude=("stall_announced_at",))
    props["days_in_stage"] = int((as_of - house.stage_since).total_seconds() // 86_400)
    props["stalled"] = domain.is_stalled(house.stage, house.stage_since, as_of, figures)
    props["next_milestone"] = domain.next_milestone(house.stage, house.damage, house.rebuild_mode, figures)
    if head_name is not None:
        props["head_name"] = head_name
    return props


def house_feature(house: House, *, as_of: datetime, figures: domain.Figures,
                  head_name: str | None = None) -> dict[str, Any]:
    return geojson.row_feature(house, house_properties(house, as_of=as_of, figures=figures, head_name=head_name))


def houses_collection(page, *, as_of: datetime, figures: domain.Figures,
                      names: Mapping[str, str]) -> dict[str, Any]:
    return geojson.collection((house_feature(h, as_of=as_of, figures=figures, head_name=names.get(h.household_id))
                               for h in page.rows), page)


def transition_view(row: HouseTransition, actor_name: str | None = None) -> dict[str, Any]:
    return {"id": row.id, "from": row.from_stage, "to": row.to_stage, "at": moment(row.at), "actor": actor_name,
            "reason": row.reason, "inspection_id": row.inspection_id}


def photo_view(photo: InspectionPhoto) -> dict[str, Any]:
    base = f"/api/inspection-photos/{photo.id}"
    return {"id": photo.id, "format": photo.format, "width": photo.width, "height": photo.height,
            "lat": number(photo.lat, 6), "lon": number(photo.lon, 6), "public_url": f"{base}/public",
            "thumb_url": f"{base}/thumb", "original_url": f"{base}/original"}


def inspection_view(row: Inspection, photos: Iterable[InspectionPhoto] = ()) -> dict[str, Any]:
    return {"id": row.id, "client_id": row.client_id, "house_id": row.house_id, "milestone": row.milestone,
            "result": row.result, "inspected_at": moment(row.inspected_at), "received_at": moment(row.received_at),
            "inspector": row.inspector, "note": row.note, "lat": number(row.lat, 6), "lon": number(row.lon, 6),
            "photos": [photo_view(p) for p in photos]}


def payment_view(row: HousePayment) -> dict[str, Any]:
    return {"id": row.id, "house_id": row.house_id, "tranche": row.tranche, "amount": number(row.amount, 2),
            "paid_at": moment(row.paid_at), "inspection_id": row.inspection_id,
            "recorded_at": moment(row.recorded_at)}


def tranche_views(plan: Iterable[domain.Tranche], amounts: Mapping[str, float], *, paid: Mapping[str, float],
                  released: Mapping[str, bool]) -> list[dict[str, Any]]:
    """Each tranche of the house's plan: planned amount, whether its milestone passed, what was paid."""
    return [{"tranche": t.name, "milestone": t.milestone, "share": t.share, "amount": number(amounts[t.name], 2),
             "released": bool(released[t.name]), "paid": number(paid.get(t.name), 2),
             "due": number(amounts[t.name] if released[t.name] and t.name not in paid else 0.0, 2)}
            for t in plan]


def detail_view(house: House, *, feature: dict[str, Any], history: Iterable[tuple[HouseTransition, str | None]],
                inspections: Iterable[Inspection], photos: Iterable[InspectionPhoto],
                payments: Iterable[HousePayment], tranches: list[dict[str, Any]], entitled: float,
                allowed_stages: list[str], area_names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    by_inspection: dict[int, list] = {}
    for photo in photos:
        by_inspection.setdefault(photo.inspection_id, []).append(photo)
    paid = [payment_view(p) for p in payments]
    return {
        "house": feature,
        "areas": {code: dict(names) for code, names in area_names.items()},
        "history": [transition_view(row, name) for row, name in history],
        "inspections": [inspection_view(i, by_inspection.get(i.id, ())) for i in inspections],
        "payments": paid,
        "subsidy": {"entitled": number(entitled, 2), "tranches": tranches,
                    "paid": number(sum(p["amount"] or 0 for p in paid), 2),
                    "due": number(sum(t["due"] or 0 for t in tranches), 2)},
        "allowed_stages": allowed_stages,
    }


def summary_view(frame: pd.DataFrame, by: str, *, as_of: datetime,
                 area_names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Progress per area: counts, rates (0–1), subsidy planned / due / paid in yuan; areas named."""
    key = domain.SUMMARY_LEVELS[by]
    rows = []
    for record in frame.to_dict("records"):
        code = record.pop(key)
        code = None if pd.isna(code) else code
        row = {"code": code, "name": (area_names.get(code) or {}) if code else {}}
        row.update({k: jsonable(v) for k, v in record.items()})
        rows.append(row)
    totals = {name: jsonable(frame[name].sum()) if len(frame) else 0
              for name in ("houses", "excluded", "enrolled", "started", "completed", "moved_in", "stalled",
                           "correction_required", "planned", "due", "paid")}
    enrolled = totals["enrolled"] or 0
    for name in ("started", "completed", "moved_in"):
        totals[f"{name}_rate"] = round(totals[name] / enrolled, 4) if enrolled else None
    return {"by": by, "as_of": moment(as_of), "rows": rows, "totals": totals}


def event_payload(feature: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """``house.changed``: the house's Feature and what changed (stage, inspection, payment)."""
    return {"house": feature, "change": jsonable(dict(change))}
