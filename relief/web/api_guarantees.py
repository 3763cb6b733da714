"""The five guarantees over HTTP.

- ``GET /api/guarantees`` — staff (``staff.read``): households' verdicts,
  filtered and paged. Counts per area come only when asked for:
  ``with_summary=village|township|county`` adds them under ``summary`` (every
  household of ``area``, whatever ``status``), since for a whole prefecture
  they outweigh a page of rows many times over.
  Query: ``as_of`` (ISO 8601 with offset) and/or ``profile`` (normal|cold)
  judge afresh; without both, the kept verdicts are read (what the map shows).
  ``area`` (county, township or village code, or a code prefix), ``status``
  (comma list of met|at_risk|unmet|not_applicable), ``guarantee`` (comma list:
  which guarantees ``status`` looks at), ``offset``/``limit`` (``limit`` at
  most ``MAX_GUARANTEE_ROWS``, 2000 by default), ``format=json|csv`` (CSV:
  every matching row, columns household_id, food … medical, reason_<g> …,
  shortfall_<g> …; cells that a spreadsheet would run as formulas start with
  ``'``).
- ``GET /api/guarantees?summary=village|township|county`` — public: counts
  only (per area, guarantee and status; no household rows; ``with_summary``
  is ignored).
- ``GET /api/households/<id>/guarantees`` — staff: one household, judged as of
  ``as_of`` (default now) under ``profile``.

(``/api/guarantees/summary`` belongs to the live map, ``web/api_map.py``.)
Rows carry ids and area codes only, never a name. Shaping and writing a big
answer runs through ``ctx.offload`` (beside the serving loop), so a
prefecture's list does not hold up every other request.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from relief.domain.vocabulary import GUARANTEE_STATUSES, GUARANTEES
from relief.errors import ValidationFailed
from relief.services import guarantee_lists, guarantees
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import check, public, requires

bp = Blueprint("api_guarantees", __name__, url_prefix="/api")


#: What an anonymous caller asking for household rows may read instead.
COUNTS_ARE_PUBLIC = ("household verdicts are for logged-in staff; counts are public "
                     "(GET /api/guarantees?summary=village)")


def _profile() -> str | None:
    profile = request.args.get("profile") or None
    if profile is not None and profile not in request_context().standards.profiles:
        raise ValidationFailed(f"unknown profile {profile!r}", field="profile")
    return profile


def _level(name: str) -> str | None:
    """An area level named by query parameter ``name``, or None when absent."""
    level = request.args.get(name)
    if level is not None and level not in guarantee_lists.LEVELS:
        raise ValidationFailed(f"{name} must be one of {', '.join(guarantee_lists.LEVELS)}", field=name)
    return level


@bp.get("/guarantees")
@public
def list_guarantees():
    """Public for counts (``summary``); household rows need ``staff.read``."""
    summary_by = _level("summary")
    with_summary = _level("with_summary")
    fmt = request.args.get("format") or "json"
    if fmt not in ("json", "csv"):
        raise ValidationFailed("format must be json or csv", field="format")
    if summary_by is None:
        check("staff.read", hint=COUNTS_ARE_PUBLIC)
    statuses = params.words("status", GUARANTEE_STATUSES)
    only = params.words("guarantee", GUARANTEES)
    page = _page()
    ctx = request_context()
    found = guarantee_lists.verdicts(ctx, as_of=params.query_time("as_of"), profile=_profile())
    area = (request.args.get("area") or "").strip() or None
    if summary_by is not None:
        scope = guarantee_lists.select(found, area=area)
        return _json(ctx, {"source": found.source, "as_of": found.as_of, "profile": found.profile, "area": area,
                           "summary": guarantee_lists.counts(ctx, found, scope, summary_by)})
    chosen = guarantee_lists.select(found, area=area, statuses=statuses, only=only)
    if fmt == "csv":
        return Response(guarantee_lists.csv_text(ctx, chosen), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=guarantees.csv"})
    body = {
        "source": found.source, "as_of": found.as_of, "profile": found.profile,
        "filters": {"area": area, "status": statuses, "guarantee": only},
        "total": int(len(chosen)), **page,
        "households": guarantee_lists.page(ctx, chosen, **page),
    }
    if with_summary is not None:
        body["summary"] = guarantee_lists.counts(ctx, found, guarantee_lists.select(found, area=area), with_summary)
    return _json(ctx, body)


def _page() -> dict[str, int]:
    """``offset``/``limit``, with at most ``MAX_GUARANTEE_ROWS`` households on a page (CSV gives them all)."""
    page = params.paging()
    most = current_app.config["MAX_GUARANTEE_ROWS"]
    if page["limit"] > most:
        if request.args.get("limit"):
            raise ValidationFailed(f"limit must be at most {most} households a page (format=csv gives every row)",
                                   field="limit")
        page["limit"] = most  # a default page size set higher than this list allows
    return page


def _json(ctx, body) -> Response:
    """``jsonify(body)``, written beside the serving loop: a page of households is megabytes of JSON."""
    provider = current_app.json
    return current_app.response_class(ctx.offload(provider.dumps, body) + "\n", mimetype=provider.mimetype)


@bp.get("/households/<household_id>/guarantees")
@requires("staff.read", hint=COUNTS_ARE_PUBLIC)
def household_guarantees(household_id: str):
    ctx = request_context()
    moment = params.query_time("as_of") or ctx.now()
    return jsonify(guarantees.household_guarantees(ctx, household_id, as_of=moment, profile=_profile() or "normal"))
