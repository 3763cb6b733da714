"""Reconstruction: houses, stages, inspections with photos, subsidy payments (``relief/web/api_reconstruction.py``,
``relief/web/reconstruction_pages.py``)."""
from __future__ import annotations

from relief.domain import limits
from relief.domain.vocabulary import HOUSE_STAGES, INSPECTION_RESULTS, REBUILD_MODES
from relief.web.openapi.parts import (
    BBOX,
    LAYER,
    PAGING,
    array,
    body,
    code,
    download,
    enum,
    html,
    json,
    keys,
    moment,
    number,
    obj,
    once,
    op,
    query,
    text,
    time_filters,
    words,
)

TAG = "reconstruction"
AREA = {"type": "string", "pattern": "^[A-Za-z0-9]{1,24}$"}

INSPECTION = obj({"milestone": text(40), "result": enum(INSPECTION_RESULTS), "inspected_at": moment(),
                  "note": text(), "lat": number(limits.LATITUDE), "lon": number(limits.LONGITUDE),
                  "photos": array({"type": "string", "contentEncoding": "base64"})},
                 required=["client_id", "milestone", "result"])

OPERATIONS = {
    "api_reconstruction.houses": op(
        "Houses being rebuilt, as GeoJSON", tag=TAG,
        params=[query("stage", words(HOUSE_STAGES)), query("county", AREA), query("township", AREA),
                query("stalled", enum(("true", "false", "1", "0", "yes", "no"))), BBOX, PAGING],
        responses=json(LAYER)),
    "api_reconstruction.house": op("One house with its history, inspections, payments and tranches", tag=TAG,
                                   responses=json(obj())),
    "api_reconstruction.transition": op(
        "Move a house to another stage", tag=TAG,
        request=body(obj({"stage": enum(HOUSE_STAGES), "reason": text(), "rebuild_mode": enum(REBUILD_MODES)},
                         required=["stage"])),
        responses=once(obj(), "the house")),
    "api_reconstruction.inspection": op(
        "Record an inspection of a milestone (JSON, or multipart with photos)", tag=TAG,
        request=body(INSPECTION, extra_types={"multipart/form-data": {"schema": obj({
            "inspection": {"type": "string", "description": "the same JSON object as the JSON body"},
            "photos": array({"type": "string", "format": "binary"})})}}),
        responses=once(obj(), "the inspection"), errors=[415]),
    "api_reconstruction.payment": op(
        "Pay a subsidy tranche (409 unless its milestone passed)", tag=TAG,
        request=body(obj({"tranche": text(40), "amount": number(limits.AMOUNT_YUAN), "paid_at": moment()},
                         required=["tranche"])),
        responses=once(obj(), "the payment")),
    "api_reconstruction.summary": op("Counts, rates and subsidy sums per area", tag=TAG,
                                     params=[query("by", enum(("township", "county"))), query("county", AREA),
                                             *time_filters("as_of")],
                                     responses=json(keys("as_of", "by", "rows", "totals"))),
    "api_reconstruction.inspection_photo": op(
        "An inspection photo (staff)", tag=TAG,
        responses={"200": {"description": "the photo", "content": {
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}}}}}),
    "reconstruction_pages.dashboard": op("The reconstruction dashboard", tag="pages", responses=html()),
    "reconstruction_pages.house_page": op("One house", tag="pages", responses=html()),
    "reconstruction_pages.inspection_form": op("The inspection form (works offline)", tag="pages",
                                               params=[query("house", code())], responses=html()),
    "reconstruction_pages.inspection_service_worker": op(
        "The inspection form's service worker", tag="pages",
        responses=download("text/javascript", "the script")),
}
