"""Living assistance: programmes, cases, objections, the public notice (``relief/web/api_assistance.py``,
``relief/web/case_pages.py``, ``relief/web/assistance_pages.py``)."""
from __future__ import annotations

from relief.domain import limits
from relief.domain.vocabulary import CASE_ACTIONS, CASE_STAGES
from relief.web.openapi.parts import (
    PAGING,
    body,
    code,
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
    words,
)

TAG = "assistance"
CODE = {"type": "string", "pattern": "^[A-Za-z0-9_]{1,40}$"}

OPERATIONS = {
    "api_assistance.programmes": op("The assistance programmes in force, with money approved and paid", tag=TAG,
                                    responses=json(keys("programmes"))),
    "api_assistance.cases": op("Cases, filtered and paged", tag=TAG,
                               params=[query("stage", words(CASE_STAGES)), query("programme", CODE),
                                       query("township", CODE), PAGING],
                               responses=json(keys("cases", "total", "next_offset"))),
    "api_assistance.case": op("One case with its history, objections and the actions the caller may take", tag=TAG,
                              responses=json(obj())),
    "api_assistance.create_case": op(
        "Apply for assistance for a household", tag=TAG,
        request=body(obj({"household_id": code(), "programme": code(), "period_start": moment(),
                          "period_end": moment(), "amount": number(limits.AMOUNT_YUAN), "id_number": text(40),
                          "case_id": code(), "account": obj({"bank": text(200), "account_no": text(40),
                                                             "holder_name": text(200)})},
                         required=["household_id", "programme", "period_start"])),
        responses=once(obj(), "the case")),
    "api_assistance.transition": op(
        "Take a step on a case (review, publish, check, approve, reject, uphold, dismiss …)", tag=TAG,
        description="Each action needs its own permission (assistance.review/check/approve …), checked by the "
                    "service: 403 otherwise.",
        request=body(obj({"action": enum(CASE_ACTIONS), "reason": text()}, required=["action"])),
        responses=once(obj(), "the case", status=200)),
    "api_assistance.objection": op(
        "Object to a case on public notice (no login; limited per client address)", tag=TAG,
        request=body(obj({"text": text(), "contact": text(200)}, required=["text"])),
        responses=once(obj(), "the objection and the case, masked"), errors=[429]),
    "api_assistance.dashboard": op("Cases by stage per township, money per programme, the oldest waiting", tag=TAG,
                                   responses=json(keys("by_township", "programmes", "oldest_waiting"))),
    "case_pages.dashboard": op("The assistance dashboard", tag="pages", responses=html()),
    "case_pages.case_list": op("The case list", tag="pages",
                               params=[query("stage", enum(CASE_STAGES)), query("programme", text(40)),
                                       query("township", text(24))], responses=html()),
    "case_pages.case_page": op("One case", tag="pages", responses=html()),
    "case_pages.propose": op("File cases for every eligible household of a township (the page's sweep)", tag=TAG,
                             request=body(obj({"programme": text(40), "township": text(40), "as_of": moment()},
                                              required=["programme"])),
                             responses=once(obj({"programme": {"type": "string"}, "cases": {"type": "integer"}}),
                                            "the cases filed", status=200)),
    "assistance_pages.public_notice": op(
        "A township's public notice of cases (names masked), as a page or JSON (format=json)", tag="pages",
        params=[query("format", enum(("json", "html")))],
        responses={"200": {"description": "the notice", "content": {"text/html": {"schema": {"type": "string"}},
                                                                    "application/json": {"schema": obj()}}}}),
}
