"""Duplicate and missed aid flags and each household's aid (``relief/web/api_aid.py``, ``relief/web/aid_pages.py``,
the flag layer in ``relief/web/api_layers.py``)."""
from __future__ import annotations

from relief.domain.vocabulary import AID_FLAG_KINDS, AID_FLAG_STATUSES
from relief.web.openapi.parts import PAGING, body, enum, html, integer, json, keys, obj, once, op, query, text

TAG = "aid flags"
AREA = {"type": "string", "pattern": "^[A-Za-z0-9]{1,24}$"}

OPERATIONS = {
    "api_aid.aid_flags": op("Aid flags (duplicate or missed aid), filtered and paged", tag=TAG,
                            params=[query("flag", enum(AID_FLAG_KINDS)), query("township", AREA),
                                    query("status", enum(AID_FLAG_STATUSES)), PAGING],
                            responses=json(keys("items", "total", "offset", "limit", "next_offset"))),
    "api_aid.aid_flag_counts": op("Flags per township and status, with the oldest open ones", tag=TAG,
                                  params=[query("oldest", integer(0, 100, default=10))],
                                  responses=json(keys("as_of", "open", "by_kind_status", "by_township", "oldest"))),
    "api_aid.aid_flag": op("One flag with its evidence and history", tag=TAG, responses=json(obj())),
    "api_aid.aid_flag_transition": op(
        "Review a flag: move it to another status", tag=TAG,
        request=body(obj({"to": enum(AID_FLAG_STATUSES), "reason": text()}, required=["to"])),
        responses=once(obj(), "the flag")),
    "api_aid.household_aid": op("Every aid a household received, from every source", tag=TAG,
                                responses=json(keys("household_id", "flags", "open_flags", "as_of"))),
    "api_layers.aid_flags_by_village": op("Open flags per village, for the map layer (staff)", tag="map",
                                          responses=json(keys("rows", "total"))),
    "aid_pages.flag_queue": op("The flag review queue", tag="pages",
                               params=[query("flag", {"type": "string"}), query("status", {"type": "string"}),
                                       query("township", {"type": "string"}), query("offset", integer(0))],
                               responses=html()),
    "aid_pages.household_aid": op("One household's aid", tag="pages", responses=html()),
}
