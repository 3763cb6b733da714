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
    "standards.edit": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "data.import": frozenset({"admin"}),
    "staff.read": frozenset(ROLES),
}


def may(role: str | None, permission: str) -> bool:
    return role is not None and role in PERMISSIONS[permission]
