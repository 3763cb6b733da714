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
    PROPOSED = "proposed"
    ACCEPTED = "accepted"


HOLDER_KINDS = values(HolderKind)
MOVEMENT_KINDS = values(MovementKind)
ITEM_GUARANTEES = values(ItemGuarantee)
RECEIPT_SOURCES = values(ReceiptSource)
DONATION_KINDS = values(DonationKind)
DISPATCH_PLAN_STATUSES = values(DispatchPlanStatus)


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


# --- live events -------------------------------------------------------------

class Topic(StrEnum):
    INCIDENTS = "incidents"
    REPORTS = "reports"
    SITES = "sites"
    STOCK = "stock"
    GUARANTEES = "guarantees"
    DISPATCH = "dispatch"
    AREAS = "areas"


TOPICS = values(Topic)
