"""Stock, donations and dispatch plans (``relief/web/api_stock.py``, ``relief/web/api_dispatch.py``,
``relief/web/stock_pages.py``, ``relief/web/dispatch_pages.py``, ``relief/web/public_pages.py``)."""
from __future__ import annotations

from relief.domain import limits
from relief.domain.vocabulary import DISPATCH_PLAN_STATUSES, DONATION_KINDS, HOLDER_KINDS, RECEIPT_SOURCES
from relief.services.dispatch import MAX_PAGE as MAX_PLANS_PAGE
from relief.services.stock import MAX_LEDGER_LINES
from relief.web.openapi.parts import (
    PAGING,
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
    words,
)

TAG = "stock"
HOLDER = {"holder_kind": enum(HOLDER_KINDS), "holder_id": code()}
QUANTITY = number(limits.QUANTITY)


def _step(summary: str):
    return op(summary, tag="dispatch", request=body(obj({"reason": text()}), required=False),
              responses=once(obj(), "the plan", status=200))


OPERATIONS = {
    "api_stock.receipt": op("Receive stock at a depot or site", tag=TAG,
                            request=body(obj({**HOLDER, "item_code": code(), "quantity": QUANTITY,
                                              "source": enum(RECEIPT_SOURCES), "reason": text()},
                                             required=["item_code", "quantity"])),
                            responses=once(obj(), "the ledger line")),
    "api_stock.transfer": op("Move stock between holders", tag=TAG,
                             request=body(obj({"from_kind": enum(HOLDER_KINDS), "from_id": code(),
                                               "to_kind": enum(HOLDER_KINDS), "to_id": code(), "item_code": code(),
                                               "quantity": QUANTITY, "reason": text()},
                                              required=["item_code", "quantity"])),
                             responses=once(obj(), "the ledger lines")),
    "api_stock.distribution": op("Distribute stock to a household", tag=TAG,
                                 request=body(obj({**HOLDER, "household_id": code(), "item_code": code(),
                                                   "quantity": QUANTITY, "distributed_at": moment()},
                                                  required=["household_id", "item_code", "quantity"])),
                                 responses=once(obj(), "the ledger line")),
    "api_stock.adjustment": op("Correct a balance (count, loss)", tag=TAG,
                               request=body(obj({**HOLDER, "item_code": code(), "quantity": QUANTITY,
                                                 "reason": text()}, required=["item_code", "quantity", "reason"])),
                               responses=once(obj(), "the ledger line")),
    "api_stock.balances": op("Balances per holder and item", tag=TAG,
                             params=[query("holder_kind", enum(HOLDER_KINDS)), query("holder_id", code())],
                             responses=json(keys("balances"))),
    "api_stock.ledger": op("Ledger lines, newest first", tag=TAG,
                           params=[query("holder_kind", enum(HOLDER_KINDS)), query("holder_id", code()),
                                   query("item_code", code()), query("household_id", code()),
                                   query("before_id", integer(1)),
                                   query("limit", integer(1, MAX_LEDGER_LINES, default=200))],
                           responses=json(keys("lines", "next_before_id"))),
    "api_stock.cover": op("Days of cover per site", tag=TAG,
                          params=[query("county_code", text(24)), query("site_id", code())],
                          responses=json(keys("as_of", "sites", "standards_version")),
                          errors=[404]),
    "api_stock.record_donation": op(
        "Record a donation (money or goods)", tag="donations",
        request=body(obj({"kind": enum(DONATION_KINDS), "donor_name": text(200), "donor_contact": text(200),
                          "consent_public": {"type": "boolean"}, "amount_yuan": number(limits.AMOUNT_YUAN),
                          "item_code": code(), "quantity": QUANTITY, "destination_kind": enum(HOLDER_KINDS),
                          "destination_id": code(), "received_at": moment()}, required=["kind"])),
        responses=once(obj(), "the donation")),
    "public_pages.donations_json": op("Donations disclosed to the public", tag="donations", params=[PAGING],
                                      responses=json(keys("donations", "totals", "page"))),
    "public_pages.donations_page": op("The public disclosure of donations", tag="pages", params=[PAGING],
                                      responses=html()),
    "api_dispatch.propose_plan": op("Propose a dispatch plan from depots to sites", tag="dispatch",
                                    request=body(obj({"county_code": text(24), "horizon_days": number(),
                                                      "profile": text(40), "reason": text()}), required=False),
                                    responses=once(obj(), "the plan")),
    "api_dispatch.list_plans": op("Dispatch plans, newest first", tag="dispatch",
                                  params=[query("status", words(DISPATCH_PLAN_STATUSES)), *paging(50, MAX_PLANS_PAGE)],
                                  responses=json(keys("plans", "counts", "total", "offset", "limit", "next_offset"))),
    "api_dispatch.get_plan": op("One dispatch plan", tag="dispatch",
                                responses=json(keys("id", "status", "lines", "actions", "created_at"))),
    "api_dispatch.accept_plan": _step("Accept a proposed plan"),
    "api_dispatch.dispatch_plan": _step("Dispatch an accepted plan (stock leaves the depots)"),
    "api_dispatch.deliver_plan": _step("Confirm a dispatched plan delivered at its sites"),
    "api_dispatch.cancel_plan": _step("Cancel a plan"),
    "stock_pages.stock_page": op("The stock page", tag="pages",
                                 params=[query("holder", text(80)), query("before_id", integer(1))],
                                 responses=html()),
    "stock_pages.donation_form": op("The donation form", tag="pages", responses=html()),
    "stock_pages.stock_service_worker": op("The stock page's service worker", tag="pages",
                                           responses={"200": {"description": "the script", "content": {
                                               "text/javascript": {"schema": {"type": "string"}}}}}),
    "dispatch_pages.plans_page": op("The dispatch plans page", tag="pages",
                                    params=[query("status", words(DISPATCH_PLAN_STATUSES)), query("offset",
                                                                                                  integer(0))],
                                    responses=html()),
    "dispatch_pages.plan_page": op("One dispatch plan", tag="pages", responses=html()),
}
