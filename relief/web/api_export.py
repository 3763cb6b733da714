"""Streamed exports of every table in the formats partners read: GeoJSON, CSV with HXL, GeoPackage, xlsx.

``GET /api/export/<what>.<ext>``: ``what`` is one of ``ExportTable`` (incidents, field_reports, sites,
households, guarantees, distributions, stock_balances, stock_movements, houses, cases); ``ext`` is
``geojson``, ``csv``, ``hxl.csv`` (CSV with the HXL hashtag row under its header; ``sites.csv?format=hxl``
is the same), ``gpkg`` or ``xlsx``. Staff (``staff.read``) get the full table, or the public version with
``?public=1``; anyone else gets the public version, and the households export only with credentials.
GeoJSON and CSV are streamed as they are read; GeoPackage and xlsx are built in a temporary file beside
the serving loop (``ctx.offload``) and then streamed. An unknown export or format is a 400 naming ``what``
or ``format``, before anything is sent.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Response, request, stream_with_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from relief.domain import exports as export_rules
from relief.domain.vocabulary import ExportFormat
from relief.errors import ValidationFailed
from relief.services import exports
from relief.web.context import request_context
from relief.web.gate import actor_may, check, public

bp = Blueprint("api_export", __name__, url_prefix="/api")

#: Rows read and sent at a time when streaming (smaller than a file's chunks: the loop gets turns sooner).
STREAM_CHUNK_ROWS = 10_000
#: Values of ``?public=`` that ask for the public version.
YES = frozenset({"1", "true", "yes"})

#: xlsx header cells, translated into the reader's language.
LABELS = {
    "id": _l("ID"),
    "kind": _l("Kind"),
    "title": _l("Title"),
    "description": _l("Description"),
    "status": _l("Status"),
    "county_code": _l("County code"),
    "township_code": _l("Township code"),
    "evacuate": _l("Evacuate"),
    "duplicate_of_id": _l("Duplicate of"),
    "response_level": _l("Response level"),
    "occurred_at": _l("Occurred at"),
    "reported_at": _l("Reported at"),
    "updated_at": _l("Updated at"),
    "stabilised_at": _l("Stabilised at"),
    "closed_at": _l("Closed at"),
    "reported_by": _l("Reported by"),
    "county_name": _l("County"),
    "lon": _l("Longitude"),
    "lat": _l("Latitude"),
    "incident_id": _l("Incident"),
    "observed_at": _l("Observed at"),
    "received_at": _l("Received at"),
    "reporter_id": _l("Reporter"),
    "name": _l("Site name"),
    "capacity_persons": _l("Capacity (persons)"),
    "covered_area_m2": _l("Covered area (m²)"),
    "water_l_per_day": _l("Water (L per day)"),
    "provides_meals": _l("Provides meals"),
    "medical_post": _l("Medical post"),
    "occupants": _l("Occupants"),
    "head_name": _l("Head of household"),
    "id_number": _l("ID number"),
    "phone": _l("Phone"),
    "members": _l("Members"),
    "infants": _l("Infants"),
    "children": _l("Children"),
    "elderly": _l("Elderly"),
    "disabled": _l("Disabled"),
    "chronic": _l("Chronically ill"),
    "pregnant": _l("Pregnant"),
    "injured": _l("Injured"),
    "village_code": _l("Village code"),
    "house_damage": _l("House damage"),
    "assistance_category": _l("Assistance category"),
    "notes": _l("Notes"),
    "needs_living_aid": _l("Needs living aid"),
    "evacuated": _l("Evacuated"),
    "shelter": _l("Shelter"),
    "site_id": _l("Site"),
    "dispersed_kind": _l("Dispersed kind"),
    "household_id": _l("Household"),
    "food": _l("Food"),
    "clothing": _l("Clothing"),
    "water": _l("Water"),
    "housing": _l("Housing"),
    "medical": _l("Medical"),
    "as_of": _l("As of"),
    "standards_version": _l("Standards version"),
    "next_change_at": _l("Next change at"),
    "item_code": _l("Item code"),
    "quantity": _l("Quantity"),
    "distributed_at": _l("Distributed at"),
    "movement_id": _l("Movement"),
    "actor_id": _l("Recorded by"),
    "item_name": _l("Item"),
    "unit": _l("Unit"),
    "holder_kind": _l("Holder kind"),
    "holder_id": _l("Holder"),
    "holder_name": _l("Holder name"),
    "at": _l("At"),
    "source": _l("Source"),
    "transfer_id": _l("Transfer"),
    "dispatch_plan_id": _l("Dispatch plan"),
    "reason": _l("Reason"),
    "damage": _l("Damage"),
    "assessed_at": _l("Assessed at"),
    "assessed_by": _l("Assessed by"),
    "stage": _l("Stage"),
    "stage_since": _l("Stage since"),
    "stalls_at": _l("Stalls at"),
    "rebuild_mode": _l("Rebuild mode"),
    "exclusion_reason": _l("Exclusion reason"),
    "correction_required": _l("Correction required"),
    "programme_id": _l("Programme version"),
    "programme_code": _l("Programme"),
    "period_start": _l("Period start"),
    "period_end": _l("Period end"),
    "amount": _l("Amount (yuan)"),
    "notice_starts_at": _l("Notice starts"),
    "notice_ends_at": _l("Notice ends"),
    "rejection_reason": _l("Rejection reason"),
    "payment_failure": _l("Payment failure"),
    "decided_at": _l("Decided at"),
    "paid_at": _l("Paid at"),
    "created_at": _l("Created at"),
}


def labels(language: str | None = None) -> dict[str, str]:
    """The header labels in ``language`` (the request's when None); needs an app context."""
    if language is None:
        return {column: str(label) for column, label in LABELS.items()}
    with force_locale(language):
        return {column: str(label) for column, label in LABELS.items()}


def _split(name: str) -> tuple[str, ExportFormat]:
    """``sites.hxl.csv`` → (``sites``, HXL); ``?format=hxl`` turns a ``.csv`` into HXL."""
    what, dot, extension = name.partition(".")
    if not dot:
        extension = ""
    fmt = export_rules.format_of_extension(extension)
    asked = request.args.get("format")
    if asked is not None:
        chosen = export_rules.parse_format(asked)
        if {fmt, chosen} == {ExportFormat.CSV, ExportFormat.HXL}:
            fmt = chosen
        elif chosen != fmt:
            raise ValidationFailed(f"format {asked!r} contradicts the extension {extension!r}", field="format")
    return what, fmt


@bp.get("/export/<path:name>")
@public
def export(name: str):
    what, fmt = _split(name)
    table = export_rules.parse_table(what)
    if table in export_rules.STAFF_ONLY:
        check("staff.read", hint=f"the {table} export holds personal data")
    staff = actor_may("staff.read")
    ctx = request_context()
    chosen = exports.plan(ctx, table, fmt, public=not staff or request.args.get("public", "").lower() in YES)
    headers = {"Content-Disposition": f'attachment; filename="{chosen.file_name}"', "Cache-Control": "no-store"}
    if chosen.is_text:
        pieces = (piece.encode("utf-8") for piece in
                  exports.text_pieces(ctx, chosen, chunk_rows=STREAM_CHUNK_ROWS))
        return Response(stream_with_context(pieces), mimetype=chosen.media_type, headers=headers)
    header_labels = labels() if chosen.fmt == ExportFormat.XLSX else None
    folder = Path(tempfile.mkdtemp(prefix="relief-export-"))
    path = folder / chosen.file_name
    try:
        ctx.offload(lambda: exports.write_file(ctx, chosen, path, labels=header_labels))
    except BaseException:
        folder.rmdir()
        raise

    def pieces_then_clean():
        try:
            yield from exports.file_pieces(path)
        finally:
            folder.rmdir()

    headers["Content-Length"] = str(path.stat().st_size)
    return Response(pieces_then_clean(), mimetype=chosen.media_type, headers=headers)

