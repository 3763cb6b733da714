"""Every word relief stores, sends or compares: the one place each is defined.

A status, kind or name written as a string literal anywhere else is a bug
waiting for a rename. Each set is a ``StrEnum`` (its members *are* the
strings, so they go into SQL, JSON and templates unchanged) plus, where code
wants an ordered tuple of plain strings (SQL CHECK constraints, frame
columns, front-end lists), the tuple derived from it.

Lifecycle *rules* (which status follows which) stay with their domain module
(``incidents.TRANSITIONS``); only the words live here. Labels and colours are
not words: labels go through Babel, colours live in ``maps.styles`` and reach
every page from ``/api/map/styles``.
"""
from __future__ import annotations

from enum import StrEnum


def values(words: type[StrEnum]) -> tuple[str, ...]:
    """The plain strings of an enum, in declaration order."""
    return tuple(member.value for member in words)


# --- incidents ---------------------------------------------------------------

class IncidentKind(StrEnum):
    LANDSLIDE = "landslide"
    COLLAPSE = "collapse"
    DEBRIS_FLOW = "debris_flow"
    FLOOD = "flood"
    SNOW_ICE = "snow_ice"
    HAIL = "hail"
    EARTHQUAKE = "earthquake"
    DROUGHT = "drought"
    OTHER = "other"


class IncidentStatus(StrEnum):
    REPORTED = "reported"
    VERIFYING = "verifying"
    VERIFIED = "verified"
    RESPONDING = "responding"
    STABILISED = "stabilised"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


INCIDENT_KINDS = values(IncidentKind)
INCIDENT_STATUSES = values(IncidentStatus)
#: Statuses from which nothing more happens.
TERMINAL_STATUSES = frozenset({IncidentStatus.CLOSED, IncidentStatus.REJECTED, IncidentStatus.DUPLICATE})
#: Incidents still on the map and still candidates for duplicate matching.
OPEN_STATUSES = frozenset(IncidentStatus) - TERMINAL_STATUSES
#: Confirmed incidents whose figures count (relocation totals, CAP alerts while live).
COUNTED_STATUSES = frozenset({IncidentStatus.VERIFIED, IncidentStatus.RESPONDING, IncidentStatus.STABILISED})
#: Confirmed incidents, live or finished: the ones a CAP feed publishes.
CONFIRMED_STATUSES = COUNTED_STATUSES | {IncidentStatus.CLOSED}
#: Incidents that never happened as reported.
DISCARDED_STATUSES = frozenset({IncidentStatus.REJECTED, IncidentStatus.DUPLICATE})


class ReportKind(StrEnum):
    """Statutory reports: 初报, 续报, 核报."""

    INITIAL = "initial"
    CONTINUED = "continued"
    VERIFIED = "verified"


REPORT_KINDS = values(ReportKind)


# --- the five guarantees -----------------------------------------------------

class Guarantee(StrEnum):
    FOOD = "food"
    CLOTHING = "clothing"
    WATER = "water"
    HOUSING = "housing"
    MEDICAL = "medical"


class GuaranteeStatus(StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    UNMET = "unmet"
    NOT_APPLICABLE = "not_applicable"


GUARANTEES = values(Guarantee)
GUARANTEE_STATUSES = values(GuaranteeStatus)
#: Not a verdict but the absence of one, shown on maps beside the verdicts.
UNKNOWN = "unknown"
#: Verdicts worst first, then ``unknown``: a household's worst verdict is the first of these it has.
VERDICTS_WORST_FIRST = (GuaranteeStatus.UNMET.value, GuaranteeStatus.AT_RISK.value, GuaranteeStatus.MET.value,
                        GuaranteeStatus.NOT_APPLICABLE.value, UNKNOWN)


# --- households --------------------------------------------------------------

class HouseDamage(StrEnum):
    NONE = "none"
    GENERAL = "general"
    SEVERE = "severe"
    COLLAPSED = "collapsed"


class Shelter(StrEnum):
    HOME = "home"
    SITE = "site"
    DISPERSED = "dispersed"
    NONE = "none"


class DispersedKind(StrEnum):
    HOST_FAMILY = "host_family"
    RENTED = "rented"
    OTHER = "other"


HOUSE_DAMAGE = values(HouseDamage)
SHELTERS = values(Shelter)
DISPERSED_KINDS = values(DispersedKind)
#: Damage that makes a house unsafe to live in.
UNSAFE_DAMAGE = (HouseDamage.SEVERE.value, HouseDamage.COLLAPSED.value)
#: Households away from home.
RELOCATED_SHELTERS = (Shelter.SITE.value, Shelter.DISPERSED.value)
#: Where a household goes when it leaves a site.
CHECKOUT_DESTINATIONS = (Shelter.HOME.value, Shelter.DISPERSED.value, Shelter.NONE.value)


class AssistanceCategory(StrEnum):
    """A household's standing in social assistance (standards §5–6): the programmes that raise its subsidies.

    ``none``: checked and in no programme (an empty column means not recorded).
    """

    NONE = "none"
    DIBAO = "dibao"  # 城乡低保: minimum living guarantee
    WUBAO = "wubao"  # 农村五保供养: rural five-guarantee support
    TEKUN = "tekun"  # 特困人员供养: support for people in extreme poverty
    LOW_INCOME = "low_income"  # 低收入家庭
    OTHER = "other"


ASSISTANCE_CATEGORIES = values(AssistanceCategory)


# --- places ------------------------------------------------------------------

class AreaLevel(StrEnum):
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class SiteKind(StrEnum):
    SCHOOL = "school"
    GYM = "gym"
    TENT_CAMP = "tent_camp"
    COMMUNITY_CENTRE = "community_centre"
    OTHER = "other"


class SiteStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


AREA_LEVELS = values(AreaLevel)
SITE_KINDS = values(SiteKind)
SITE_STATUSES = values(SiteStatus)


# --- stock -------------------------------------------------------------------

class HolderKind(StrEnum):
    DEPOT = "depot"
    SITE = "site"


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    DISTRIBUTION = "distribution"
    ADJUSTMENT = "adjustment"


class ItemGuarantee(StrEnum):
    """What an item serves; stock adds bedding and other to the five guarantees."""

    FOOD = "food"
    WATER = "water"
    CLOTHING = "clothing"
    BEDDING = "bedding"
    MEDICAL = "medical"
    OTHER = "other"


class ReceiptSource(StrEnum):
    DONATION = "donation"
    ALLOCATION = "allocation"
    PURCHASE = "purchase"


class DonationKind(StrEnum):
    CASH = "cash"
    IN_KIND = "in_kind"


class DispatchPlanStatus(StrEnum):
    """A plan's steps, as a convoy has them (the order and who may take each: ``dispatch.STEPS``)."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class DispatchAction(StrEnum):
    """What moves a dispatch plan from one status to the next."""

    ACCEPT = "accept"
    DISPATCH = "dispatch"
    DELIVER = "deliver"
    CANCEL = "cancel"


HOLDER_KINDS = values(HolderKind)
MOVEMENT_KINDS = values(MovementKind)
ITEM_GUARANTEES = values(ItemGuarantee)
RECEIPT_SOURCES = values(ReceiptSource)
DONATION_KINDS = values(DonationKind)
DISPATCH_PLAN_STATUSES = values(DispatchPlanStatus)
DISPATCH_ACTIONS = values(DispatchAction)


# --- aid ---------------------------------------------------------------------

class PurposeClass(StrEnum):
    """What an aid serves, so aid from different sources can be compared for overlap."""

    FOOD = "food"
    CLOTHING = "clothing"
    WATER = "water"
    HOUSING = "housing"
    MEDICAL = "medical"
    LIVING_CASH = "living_cash"
    RECONSTRUCTION = "reconstruction"


PURPOSE_CLASSES = values(PurposeClass)


# --- the aid chain -------------------------------------------------------------

class AidSourceKind(StrEnum):
    """Where a link of a household's aid chain comes from."""

    DISTRIBUTION = "distribution"
    ASSISTANCE = "assistance"
    RECONSTRUCTION = "reconstruction"
    DONATION = "donation"
    PARTNER = "partner"  # a partner agency's aid list


class AidFlagKind(StrEnum):
    DUPLICATE = "duplicate"
    MISSED = "missed"


class AidFlagStatus(StrEnum):
    """Where a flag stands in review (the table: ``aid_chain.STEPS``)."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    NOT_DUPLICATE = "not_duplicate"
    JUSTIFIED_TOP_UP = "justified_top_up"
    AID_GIVEN = "aid_given"
    DISMISSED = "dismissed"


class MatchVerdict(StrEnum):
    """What identity matching concluded of a record: linked, for a person to look at, or no household."""

    MATCHED = "matched"
    REVIEW = "review"
    UNMATCHED = "unmatched"


AID_SOURCE_KINDS = values(AidSourceKind)
AID_FLAG_KINDS = values(AidFlagKind)
AID_FLAG_STATUSES = values(AidFlagStatus)
MATCH_VERDICTS = values(MatchVerdict)


# --- reconstruction ------------------------------------------------------------

class HouseStage(StrEnum):
    """Where a damaged house stands, from the damage ledger to the family moving back in."""

    ASSESSED = "assessed"
    ELIGIBLE = "eligible"
    EXCLUDED = "excluded"
    AGREEMENT_SIGNED = "agreement_signed"
    STARTED = "started"
    FOUNDATION = "foundation"
    MAIN_STRUCTURE = "main_structure"
    ROOFED = "roofed"
    COMPLETED = "completed"
    REPAIR_STARTED = "repair_started"
    REPAIR_COMPLETED = "repair_completed"
    MOVED_IN = "moved_in"


class RebuildMode(StrEnum):
    """How a house is rebuilt (原址重建, 统规自建, 统规统建, a purchased flat), or repaired."""

    IN_PLACE = "in_place"
    PLANNED_SELF_BUILD = "planned_self_build"
    PLANNED_BUILT = "planned_built"
    PURCHASE = "purchase"
    REPAIR = "repair"


class InspectionResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"


HOUSE_STAGES = values(HouseStage)
REBUILD_MODES = values(RebuildMode)
INSPECTION_RESULTS = values(InspectionResult)
#: The damage classes a house in the reconstruction ledger can have (never ``none``).
RECONSTRUCTION_DAMAGE = (HouseDamage.COLLAPSED.value, HouseDamage.SEVERE.value, HouseDamage.GENERAL.value)


# --- living assistance ---------------------------------------------------------

class CaseStage(StrEnum):
    """Where an assistance case stands on its way from application to payout (standards §6)."""

    APPLIED = "applied"
    VILLAGE_REVIEWED = "village_reviewed"  # 村民代表会评议
    ON_NOTICE = "on_notice"  # 村务公开栏公示
    OBJECTION = "objection"  # an objection raised during the notice waits to be heard
    TOWNSHIP_CHECKED = "township_checked"  # 乡镇审核
    APPROVED = "approved"  # 县审批
    PAID = "paid"
    REJECTED = "rejected"


class CaseAction(StrEnum):
    """What moves a case from one stage to the next (the order and who may: ``assistance.STEPS``)."""

    APPLY = "apply"
    REVIEW = "review"
    PUBLISH = "publish"
    CHECK = "check"
    APPROVE = "approve"
    PAY = "pay"
    REJECT = "reject"
    OBJECT = "object"
    UPHOLD = "uphold"
    DISMISS = "dismiss"
    PAYMENT_FAILED = "payment_failed"


class ObjectionOutcome(StrEnum):
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class PayoutStatus(StrEnum):
    """A payout line: sent to the bank, then paid or failed as the bank's confirmation says."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


CASE_STAGES = values(CaseStage)
CASE_ACTIONS = values(CaseAction)
OBJECTION_OUTCOMES = values(ObjectionOutcome)
PAYOUT_STATUSES = values(PayoutStatus)
#: What a payout confirmation may say of a line.
PAYOUT_RESULTS = (PayoutStatus.PAID.value, PayoutStatus.FAILED.value)


# --- live events -------------------------------------------------------------

class Topic(StrEnum):
    INCIDENTS = "incidents"
    REPORTS = "reports"
    SITES = "sites"
    STOCK = "stock"
    GUARANTEES = "guarantees"
    DISPATCH = "dispatch"
    AREAS = "areas"
    HOUSEHOLDS = "households"
    RECONSTRUCTION = "reconstruction"
    ASSISTANCE = "assistance"
    AID = "aid"  # aid flags (aid_flag.opened, aid_flag.changed, aid_flag.overdue): staff only


TOPICS = values(Topic)


# --- exports -----------------------------------------------------------------

class ExportTable(StrEnum):
    """What ``relief export`` and ``GET /api/export/<what>.<ext>`` write: one table each."""

    INCIDENTS = "incidents"
    FIELD_REPORTS = "field_reports"
    SITES = "sites"
    HOUSEHOLDS = "households"
    GUARANTEES = "guarantees"
    DISTRIBUTIONS = "distributions"
    STOCK_BALANCES = "stock_balances"
    STOCK_MOVEMENTS = "stock_movements"
    HOUSES = "houses"
    CASES = "cases"


class ExportFormat(StrEnum):
    GEOJSON = "geojson"
    CSV = "csv"
    HXL = "hxl"
    GPKG = "gpkg"
    XLSX = "xlsx"


EXPORT_TABLES = values(ExportTable)
EXPORT_FORMATS = values(ExportFormat)


# --- subscriptions and webhooks ----------------------------------------------

class DeliveryMode(StrEnum):
    """When a subscription's notifications go out: at once, or folded into an hourly or daily digest."""

    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"


class DeliveryStatus(StrEnum):
    """A webhook delivery: waiting (or being retried), received by the endpoint, or given up (dead-lettered)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class WebhookTopic(StrEnum):
    """The outbox topic of notices about webhooks themselves (an endpoint disabled after failures)."""

    WEBHOOKS = "webhooks"


DELIVERY_MODES = values(DeliveryMode)
DELIVERY_STATUSES = values(DeliveryStatus)
#: Topics a subscription may name: the live topics plus the webhook notices.
SUBSCRIPTION_TOPICS = TOPICS + values(WebhookTopic)


# --- SMS notifications ---------------------------------------------------------

class SmsStatus(StrEnum):
    """An SMS message: waiting (or being retried), handed to the gateway, confirmed by its receipt, or given up."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


class SmsKind(StrEnum):
    """What an SMS message carries: events (one, or amendments folded), a mode's digest, or a quota overflow."""

    EVENT = "event"
    DIGEST = "digest"
    OVERFLOW = "overflow"


SMS_STATUSES = values(SmsStatus)
SMS_KINDS = values(SmsKind)
#: What a gateway's delivery receipt may say of a message.
SMS_RECEIPT_STATUSES = (SmsStatus.DELIVERED.value, SmsStatus.FAILED.value)
