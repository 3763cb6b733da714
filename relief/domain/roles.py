"""Roles and what each may write: the one permission table.

Web endpoints name a permission, never a role list, so who may do what is
read and changed here alone.
"""
from __future__ import annotations

ROLES = (
    "admin",
    "commander",
    "verifier",
    "field_reporter",
    "warehouse_keeper",
    "site_manager",
    "reconstruction_officer",
    "village_committee",
    "township_clerk",
    "viewer",
)

PERMISSIONS: dict[str, frozenset[str]] = {
    "incident.report": frozenset({"admin", "commander", "verifier", "field_reporter"}),
    "incident.transition": frozenset({"admin", "commander", "verifier"}),
    "report.statutory": frozenset({"admin", "commander", "verifier", "field_reporter"}),
    "site.manage": frozenset({"admin", "commander", "site_manager"}),
    "household.manage": frozenset({"admin", "commander", "site_manager"}),
    "stock.move": frozenset({"admin", "commander", "warehouse_keeper", "site_manager"}),
    "donation.record": frozenset({"admin", "commander", "warehouse_keeper"}),
    "dispatch.plan": frozenset({"admin", "commander"}),
    "assignment.accept": frozenset({"admin", "commander"}),
    "reconstruction.update": frozenset({"admin", "commander", "reconstruction_officer"}),
    "reconstruction.inspect": frozenset({"admin", "reconstruction_officer", "field_reporter"}),
    "reconstruction.pay": frozenset({"admin", "reconstruction_officer"}),
    "reconstruction.read": frozenset({"admin", "commander", "verifier", "field_reporter", "reconstruction_officer"}),
    "assistance.read": frozenset({"admin", "commander", "verifier", "village_committee", "township_clerk"}),
    "assistance.apply": frozenset({"admin", "commander", "village_committee", "township_clerk"}),
    "assistance.review": frozenset({"admin", "village_committee", "township_clerk"}),
    "assistance.check": frozenset({"admin", "township_clerk"}),
    "assistance.approve": frozenset({"admin", "commander"}),
    "assistance.pay": frozenset({"admin", "commander"}),
    "standards.edit": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "data.import": frozenset({"admin"}),
    "staff.read": frozenset(ROLES),
    #: Subscribe oneself to events and register one's own webhook endpoints.
    "subscriptions.manage": frozenset(ROLES),
    #: Subscribe a role or an outside system, allow a private webhook host, see and replay every endpoint's deliveries.
    "webhooks.admin": frozenset({"admin"}),
    #: See households' aid chains and review duplicate- and missed-aid flags (civil affairs: county approval,
    #: township checks).
    "aid_flags.review": frozenset({"admin", "commander", "township_clerk"}),
}


def may(role: str | None, permission: str) -> bool:
    return role is not None and role in PERMISSIONS[permission]
