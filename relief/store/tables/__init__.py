"""ORM tables, one module per concern; importing this package registers them all.

A column holding words names them as ``info={"choices": …}``, always a tuple from
:mod:`relief.domain.vocabulary`: the words are defined there, never here.
"""
from .accounts import ApiToken, AuditEntry, Event, StandardsVersion, User
from .aid import AidFlag, AidFlagStep, PartnerAid, PartnerAidImport
from .areas import Area
from .assistance import (
    AssistanceCase,
    AssistanceProgramme,
    BankAccount,
    CaseTransition,
    Objection,
    PayoutBatch,
    PayoutLine,
)
from .base import Base, bbox_of
from .incidents import FieldReport, Incident, IncidentTransition, Photo, StatutoryReport
from .people import GuaranteeStatus, Household, MedicalVisit
from .places import Depot, Facility, Site
from .reconstruction import House, HousePayment, HouseTransition, Inspection, InspectionPhoto
from .resends import ResendRecord
from .schedule import OverdueAnnouncement, SchedulerLease
from .sitrep import Sitrep
from .sms import SmsMessage, SmsMessageEvent, SmsSubscription
from .stock import DispatchPlan, Distribution, Donation, Item, StockBalance, StockMovement
from .webhooks import (
    Subscription,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookDeliveryEvent,
    WebhookEndpoint,
)

__all__ = [
    "ApiToken", "Area", "AuditEntry", "Base", "Depot", "DispatchPlan", "Distribution", "Donation",
    "Event", "Facility", "FieldReport", "GuaranteeStatus", "Household", "Incident",
    "IncidentTransition", "Item", "MedicalVisit", "OverdueAnnouncement", "Photo", "ResendRecord",
    "SchedulerLease", "Site", "StandardsVersion", "StatutoryReport", "StockBalance", "StockMovement", "User",
    "bbox_of",
    "House", "HousePayment", "HouseTransition", "Inspection", "InspectionPhoto",
    "AssistanceCase", "AssistanceProgramme", "BankAccount", "CaseTransition", "Objection", "PayoutBatch",
    "PayoutLine",
    "Sitrep",
    "Subscription", "WebhookAttempt", "WebhookCursor", "WebhookDelivery", "WebhookDeliveryEvent",
    "WebhookEndpoint",
    "AidFlag", "AidFlagStep", "PartnerAid", "PartnerAidImport",
    "SmsMessage", "SmsMessageEvent", "SmsSubscription",
]
