"""The warehouse page: receipts, transfers, distributions, adjustments, balances and ledger; donations entry.

Both pages are shells around the JSON API: ``static/js/stock_pages.js`` posts
each form to ``POST /api/stock/receipts|transfers|distributions|adjustments``
or ``POST /api/donations`` with a ``client_id`` made on the phone, after
saving it in an outbox (IndexedDB), so an entry made with no network is sent
later, exactly once (the same id on every retry). The warehouse page's
service worker is served from ``/stock-sw.js`` with ``Service-Worker-Allowed:
/stock`` so the page opens with no network.

Anonymous browsers are sent to the login page (other anonymous callers get the gate's 401);
every word the script shows is translated here and handed to it.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, send_from_directory
from flask_babel import get_locale
from flask_babel import gettext as _

from relief.domain.vocabulary import RECEIPT_SOURCES, HolderKind, MovementKind, ReceiptSource
from relief.errors import Forbidden, ValidationFailed
from relief.services import stock, warehouse
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import actor_may, browsers_log_in_first, public, requires
from relief.web.public_pages import unit_words

bp = Blueprint("stock_pages", __name__)

#: Ledger lines on one page of the warehouse page (older ones by ``before_id``).
LEDGER_PAGE = 50



browsers_log_in_first(bp)


@bp.errorhandler(Forbidden)
def _forbidden(error: Forbidden):
    title = _("Donations") if request.endpoint == "stock_pages.donation_form" else _("Warehouse")
    return render_template("stock.html", refused=True, refused_title=title), 403


def movement_words() -> dict[str, str]:
    return {
        MovementKind.RECEIPT: _("Receipt"), MovementKind.TRANSFER_OUT: _("Transfer out"),
        MovementKind.TRANSFER_IN: _("Transfer in"), MovementKind.DISTRIBUTION: _("Distribution"),
        MovementKind.ADJUSTMENT: _("Adjustment"),
    }


def source_words() -> dict[str, str]:
    return {ReceiptSource.DONATION: _("donation"), ReceiptSource.ALLOCATION: _("allocation from above"),
            ReceiptSource.PURCHASE: _("purchase")}


def holder_words() -> dict[str, str]:
    return {HolderKind.DEPOT: _("Depot"), HolderKind.SITE: _("Relocation site")}


def entry_strings() -> dict[str, str]:
    """Words the outbox, the household search and the error messages show, in the page's language."""
    return {
        "queued": _("waiting to send"), "sending": _("sending"), "sent": _("sent"), "failed": _("refused"),
        "retry": _("Retry"), "remove": _("Remove"), "online": _("Online"),
        "offline": _("Offline: entries wait on this phone and are sent when the network returns."),
        "pending": _("%(n)s waiting to send", n="{n}"), "nothing_pending": _("Nothing waiting to send."),
        "network_wait": _("waiting for the network"), "server_busy": _("server unavailable; will retry"),
        "saved": _("Saved."), "saved_offline": _("No network: saved on this phone, it will be sent later."),
        "receipt": _("Receipt"), "transfer": _("Transfer"), "distribution": _("Distribution"),
        "adjustment": _("Adjustment"), "donation": _("Donation"),
        "searching": _("Searching…"),
        "no_match": _("No household found; a scanned or typed household ID is sent as is."),
        "search_failed": _("Search is not available; type or scan the household ID."),
        "members": _("%(n)s people", n="{n}"), "chosen": _("Chosen"),
        "error_invalid": _("This value is not accepted."),
        "error_required": _("This is required."),
        "error_quantity": _("Enter a quantity greater than zero."),
        "error_reason": _("Give a reason."),
        "error_time": _("Enter a time that is not in the future."),
        "error_holder": _("No such depot or site."), "error_household": _("No household with this ID."),
        "error_item": _("No such item in the catalogue."),
        "error_same_holder": _("Choose another depot or site than this one."),
        "error_stock": _("Not enough in stock: %(requested)s requested, %(available)s available.",
                         requested="{requested}", available="{available}"),
        "error_reused": _("This entry's ID was already used for a different entry; enter it again."),
        "error_forbidden": _("Your role may not do this."),
        "error_login": _("You are not logged in (or your session ended): log in again, then retry."),
        "error_other": _("The server refused this entry (%(code)s).", code="{code}"),
        "balance_now": _("Balance now: %(quantity)s", quantity="{quantity}"),
        "on_public_page": _("On the public page as: %(donor)s", donor="{donor}"),
    }


def _holder_choice(holders: list[dict], chosen: str | None) -> dict | None:
    """The holder named ``kind:id`` in the query (a bad one is a 400 naming ``holder``), else the first one."""
    if not chosen:
        return holders[0] if holders else None
    for holder in holders:
        if f"{holder['kind']}:{holder['id']}" == chosen:
            return holder
    raise ValidationFailed(f"no depot or site {chosen!r}", field="holder")


@bp.get("/stock")
@requires("staff.read")
def stock_page():
    ctx = request_context()
    catalogue = warehouse.catalogue(ctx)
    holder = _holder_choice(catalogue["holders"], request.args.get("holder"))
    before = params.integer("before_id", 0, minimum=1) if request.args.get("before_id") else None
    balances, ledger = [], {"lines": [], "next_before_id": None}
    if holder:
        balances = stock.balances(ctx, holder_kind=holder["kind"], holder_id=holder["id"])["balances"]
        ledger = stock.ledger_lines(ctx, holder_kind=holder["kind"], holder_id=holder["id"], before_id=before,
                                    limit=LEDGER_PAGE)
    may_move = actor_may("stock.move")
    settings = {
        "page": "stock", "mayMove": may_move, "holder": holder, "holders": catalogue["holders"],
        "items": {i["code"]: i for i in catalogue["items"]}, "ledgerPage": LEDGER_PAGE, "firstPage": before is None,
        "locale": str(get_locale()), "movementWords": movement_words(), "sourceWords": source_words(),
        "units": unit_words(), "urls": {"households": "/api/households", "balances": "/api/stock/balances",
                                        "ledger": "/api/stock/ledger"},
    }
    return render_template("stock.html", settings=settings, strings=entry_strings(), catalogue=catalogue,
                           holder=holder, balances=balances, ledger=ledger, before_id=before, may_move=may_move,
                           sources=RECEIPT_SOURCES, source_words=source_words(), movement_words=movement_words(),
                           holder_words=holder_words(), units=unit_words(),
                           items={i["code"]: i for i in catalogue["items"]})


@bp.get("/donations/new")
@requires("donation.record")
def donation_form():
    catalogue = warehouse.catalogue(request_context())
    settings = {"page": "donation", "mayMove": True, "holders": catalogue["holders"],
                "items": {i["code"]: i for i in catalogue["items"]}, "locale": str(get_locale()),
                "units": unit_words(), "urls": {}}
    return render_template("donation_form.html", settings=settings, strings=entry_strings(), catalogue=catalogue,
                           holder_words=holder_words(), units=unit_words())


@bp.get("/stock-sw.js")
@public
def stock_service_worker():
    response = send_from_directory(current_app.static_folder, "js/stock-sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/stock"
    response.headers["Cache-Control"] = "no-cache"
    return response
