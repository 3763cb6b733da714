"""Households, sites, relocation and the five guarantees (``relief/web/api_households.py``,
``relief/web/api_relocation.py``, ``relief/web/api_guarantees.py``, ``relief/web/household_pages.py``,
``relief/web/site_pages.py``)."""
from __future__ import annotations

from relief.domain import limits
from relief.domain.vocabulary import (
    CHECKOUT_DESTINATIONS,
    DISPERSED_KINDS,
    GUARANTEE_STATUSES,
    GUARANTEES,
    SITE_STATUSES,
)
from relief.web import api_households as households_api
from relief.web.openapi.parts import (
    PAGING,
    array,
    body,
    code,
    enum,
    html,
    integer,
    json,
    keys,
    moment,
    number,
    obj,
    once,
    op,
    paging,
    query,
    text,
    time_filters,
)

TAG = "households"
LEVELS = enum(("village", "township", "county"))
PROFILE = query("profile", text(40), "a standards profile (normal, cold …)")

OPERATIONS = {
    "api_households.search": op("Households by name, id or village (staff: personal data)", tag=TAG,
                                params=[query("q", text(200)), query("village", text(24)),
                                        *paging(households_api.PAGE, households_api.MAX_PAGE)],
                                responses=json(keys("rows", "total", "offset", "limit", "next_offset"))),
    "api_households.household": op("One household with its guarantees and aid (staff)", tag=TAG,
                                   responses=json(keys("household_id", "members", "shelter", "guarantees",
                                                       "position"))),
    "api_households.edit": op("Correct a household's fields (audited)", tag=TAG,
                              request=body(obj({"phone": text(40), "reason": text()})),
                              responses=once(obj(), "the household", status=200)),
    "api_relocation.check_in": op("Check a household in at a site", tag=TAG,
                                  request=body(obj({"site_id": code(), "reason": text()}, required=["site_id"])),
                                  responses=once(obj(), "the household and touched sites", status=200)),
    "api_relocation.check_out": op("Check a household out of its site", tag=TAG,
                                   request=body(obj({"to": enum(CHECKOUT_DESTINATIONS),
                                                     "dispersed_kind": enum(DISPERSED_KINDS), "reason": text()})),
                                   responses=once(obj(), "the household and touched sites", status=200)),
    "api_relocation.medical_visit": op("Record a medical visit to a household", tag=TAG,
                                       request=body(obj({"facility_id": code(), "visited_at": moment(),
                                                         "note": text()})),
                                       responses=once(obj(), "the visit")),
    "api_relocation.propose_assignments": op(
        "Propose sites for households to relocate (nothing is written)", tag="relocation",
        request=body(obj({"county_code": text(24), "max_km": number(limits.DISTANCE_KM)}), required=False,
                     once=False),
        responses=json(obj())),
    "api_relocation.accept_assignments": op(
        "Accept proposed assignments (checks the households in)", tag="relocation",
        request=body(obj({"assignments": array(obj({"household_id": code(), "site_id": code()})),
                          "token": text(200), "reason": text()})),
        responses=once(obj(), "what was checked in", status=200)),
    "api_relocation.displacement": op("Expected displacement by incident reach", tag="relocation",
                                      params=[query("reach_km", number(limits.Range(0, 500))),
                                              query("county_code", text(24))],
                                      responses=json(keys("as_of", "reach_km", "counties", "totals"))),
    "api_relocation.site": op("One site with its occupancy and cover", tag="sites",
                                 responses=json(keys("feature", "occupancy", "cover", "as_of"))),
    "api_relocation.site_status": op("Open, close or mark a site full", tag="sites",
                                     request=body(obj({"status": enum(SITE_STATUSES), "reason": text()},
                                                      required=["status"])),
                                     responses=once(obj(), "the site", status=200)),
    "api_guarantees.list_guarantees": op(
        "Households' verdicts on the five guarantees (staff), or counts per area (summary=…, public)",
        tag="guarantees",
        params=[query("summary", LEVELS), query("with_summary", LEVELS), query("format", enum(("json", "csv"))),
                query("status", {"type": "string"}, "comma-separated: " + ", ".join(GUARANTEE_STATUSES)),
                query("guarantee", {"type": "string"}, "comma-separated: " + ", ".join(GUARANTEES)),
                query("area", text(24), "an area code or code prefix"), PROFILE, *time_filters("as_of"), PAGING],
        responses={"200": {"description": "verdicts or counts", "content": {
            "application/json": {"schema": obj()}, "text/csv": {"schema": {"type": "string"}}}}},
        errors=[401, 403]),
    "api_guarantees.household_guarantees": op("One household's verdicts, judged as of a moment", tag="guarantees",
                                              params=[PROFILE, *time_filters("as_of")],
                                              responses=json(keys("household_id", *GUARANTEES, "as_of", "profile"))),
    "household_pages.households_page": op("The household list", tag="pages",
                                          params=[query("q", text(200)), query("village", text(24)),
                                                  query("offset", integer(0))], responses=html()),
    "household_pages.household_page": op("One household", tag="pages",
                                         params=[query("saved", enum(("1",)))], responses=html()),
    "site_pages.site_list": op("The site list", tag="pages", responses=html()),
    "site_pages.site_page": op("One site", tag="pages", responses=html()),
    "site_pages.occupants": op("A site's occupants for its page's script", tag="sites", responses=json(obj())),
}
