"""The figures relief computes against, loaded as data.

Every threshold (Sphere minimums, response levels, report deadlines) lives in
one versioned JSON document so that an administrator can publish a local
table without a code change, and every verdict can name the version it used.

The domain never chooses a document: every function that needs figures takes
a :class:`Standards`. The bundled document is read only by
:func:`default_document` (through :meth:`Standards.bundled`), which the edges
call: the app factory, the command line before a database exists, tests.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable, Mapping

from relief.errors import ValidationFailed


def default_document() -> dict[str, Any]:
    """The bundled standards document (a fresh copy): the one place relief reads it."""
    text = resources.files("relief.data").joinpath("standards.json").read_text("utf-8")
    return json.loads(text)


#: Sections added after the first published versions, which an older document may lack (or lack figures of).
LATER_SECTIONS = ("duplicates", "photos", "geometry", "cap", "reconstruction", "assistance", "edxl_sitrep", "hxl",
                  "aid_chain", "webhooks")


def completed(document: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with each later section, or figure of one, that it lacks taken from ``base``.

    A version published before a section existed keeps working with the
    figures of ``base`` (the caller's choice, normally the bundled document);
    what the document does say is never overridden.
    """
    out = dict(document)
    for name in LATER_SECTIONS:
        theirs, ours = out.get(name), base.get(name)
        if theirs is None and ours is not None:
            out[name] = ours
        elif isinstance(theirs, Mapping) and isinstance(ours, Mapping):
            out[name] = {**ours, **theirs}
    return out


@dataclass(frozen=True)
class Standards:
    """A read-only view over one standards document."""

    document: Mapping[str, Any]

    @classmethod
    def bundled(cls) -> "Standards":
        """The standards shipped with relief; for the edges (app factory, command line, tests) only."""
        return cls(default_document())

    @property
    def version(self) -> str:
        return str(self.document["version"])

    def figure(self, name: str, profile: str = "normal") -> float:
        """A guarantee figure, with the profile's substitutions applied.

        ``profile='cold'`` swaps e.g. ``shelter_m2_per_person`` for its cold
        season counterpart, as the profile table says.
        """
        profiles = self.document.get("profiles", {})
        if profile not in profiles:
            raise ValidationFailed(f"unknown standards profile {profile!r}", field="profile")
        key = profiles[profile].get(name, name)
        entry = self.document["guarantees"][key]
        return float(entry["value"] if isinstance(entry, Mapping) else entry)

    def figures(self, profile: str = "normal") -> dict[str, float]:
        """All guarantee figures for a profile, by their base name."""
        return {name: self.figure(name, profile) for name in self.document["guarantees"]}

    @property
    def profiles(self) -> list[str]:
        return list(self.document.get("profiles", {}))

    @property
    def response_levels(self) -> Mapping[str, Any]:
        return self.document["response_levels"]

    @property
    def report_deadlines(self) -> Mapping[str, Any]:
        return self.document["report_deadlines"]

    @property
    def duplicates(self) -> Mapping[str, Any]:
        return self.document["duplicates"]

    @property
    def photos(self) -> Mapping[str, Any]:
        return self.document["photos"]

    @property
    def geometry(self) -> Mapping[str, Any]:
        return self.document["geometry"]

    @property
    def edxl_sitrep(self) -> Mapping[str, Any]:
        """§4: EDXL-SitRep 1.0: namespace, report types and which sitrep figure fills which field."""
        return self.document["edxl_sitrep"]

    @property
    def reconstruction(self) -> Mapping[str, Any]:
        """§5: entitlement per damage class × household category, tranche plans, inspected milestones,
        stage limits (read through ``relief.domain.reconstruction.Figures``)."""
        return self.document["reconstruction"]

    @property
    def assistance(self) -> Mapping[str, Any]:
        """§6: living-assistance programmes, the notice period and the food cost per person per day
        (read through ``relief.domain.assistance.Figures``)."""
        return self.document["assistance"]

    @property
    def aid_chain(self) -> Mapping[str, Any]:
        """The aid chain: missed-aid windows, overlap grace, identity-matching weights
        (read through ``relief.domain.aid_chain.Figures`` and ``relief.domain.identity.Figures``)."""
        return self.document["aid_chain"]

    @property
    def webhooks(self) -> Mapping[str, Any]:
        """Webhook delivery: the retry schedule, auto-disable, leases, folding and digests
        (read through ``relief.domain.subscriptions.Figures``)."""
        return self.document["webhooks"]

    def hxl_tags(self, table: str, columns: Iterable[str]) -> list[str]:
        """§4: the HXL hashtag of each of ``columns`` of the export ``table`` ("" for a column without one)."""
        section = self.document.get("hxl") or {}
        own = (section.get("tables") or {}).get(table) or {}
        common = section.get("columns") or {}
        return [own.get(column) or common.get(column) or "" for column in columns]

    def stage_limit_days(self, stage: str) -> float | None:
        """Days a house may stay in ``stage`` before it counts as stalled; None for a stage without a limit."""
        limit = self.reconstruction["stage_limit_days"].get(stage)
        return None if limit is None else float(limit)

    def entitlement_yuan(self, damage: str, category: str | None) -> float:
        """One house's subsidy: its damage class × its household's category (``default`` for any other)."""
        by_category = self.reconstruction["entitlement_yuan"].get(damage)
        if not by_category:
            return 0.0
        return float(by_category.get(category or "default", by_category["default"]))


#: The width of ``standards_versions.version``.
MAX_VERSION_LENGTH = 40


def validate_document(document: Any) -> dict[str, Any]:
    """Check that a submitted standards document has what relief reads.

    Returns the document; raises :class:`ValidationFailed` naming the first
    missing or malformed part.
    """
    if not isinstance(document, dict):
        raise ValidationFailed("standards must be a JSON object", field="standards")
    for key in ("version", "guarantees", "profiles", "response_levels", "report_deadlines"):
        if key not in document:
            raise ValidationFailed(f"standards document lacks {key!r}", field=key)
    version = document["version"]
    if not isinstance(version, str) or not 0 < len(version.strip()) <= MAX_VERSION_LENGTH:
        raise ValidationFailed(f"version must be text of 1 to {MAX_VERSION_LENGTH} characters", field="version")
    for key in ("guarantees", "profiles", "response_levels", "report_deadlines"):
        if not isinstance(document[key], dict):
            raise ValidationFailed(f"{key} must be a JSON object", field=key)
    for name, entry in document["guarantees"].items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
            raise ValidationFailed(f"guarantee figure {name!r} must be a non-negative number",
                                   field=f"guarantees.{name}")
    for profile, swaps in document["profiles"].items():
        if not isinstance(swaps, dict):
            raise ValidationFailed(f"profile {profile!r} must map figure names to figure names",
                                   field=f"profiles.{profile}")
        for name, replacement in swaps.items():
            if replacement not in document["guarantees"]:
                raise ValidationFailed(f"profile {profile!r} swaps {name!r} for {replacement!r}, which is no figure",
                                       field=f"profiles.{profile}.{name}")
    levels = document["response_levels"].get("levels")
    if not isinstance(levels, list) or not levels:
        raise ValidationFailed("response_levels.levels must be a non-empty list", field="response_levels.levels")
    for i, level in enumerate(levels):
        if not isinstance(level, dict) or "level" not in level or not isinstance(level.get("thresholds"), dict):
            raise ValidationFailed("each response level needs 'level' and 'thresholds'",
                                   field=f"response_levels.levels[{i}]")
    if "normal" not in document["profiles"]:
        raise ValidationFailed("profiles must include 'normal'", field="profiles.normal")
    for profile in document["profiles"]:
        Standards(document).figures(profile)
    if "reconstruction" in document:
        validate_reconstruction(document["reconstruction"])
    if "assistance" in document:
        from relief.domain.assistance import Figures as AssistanceFigures  # it reads this module
        AssistanceFigures.from_section(document["assistance"])
    if "aid_chain" in document:
        from relief.domain.aid_chain import Figures as AidChainFigures  # they read this module
        from relief.domain.identity import Figures as IdentityFigures
        AidChainFigures.from_section(document["aid_chain"])
        IdentityFigures.from_section(document["aid_chain"])
    return document


def validate_reconstruction(section: Any) -> Mapping[str, Any]:
    """The ``reconstruction`` section (§5): what relief reads of it, each refusal naming the part."""
    where = "reconstruction"
    if not isinstance(section, dict):
        raise ValidationFailed("reconstruction must be a JSON object", field=where)
    for key in ("entitlement_yuan", "tranches", "inspected_milestones", "stage_limit_days"):
        if key not in section:
            raise ValidationFailed(f"reconstruction lacks {key!r}", field=f"{where}.{key}")
    for damage, by_category in section["entitlement_yuan"].items():
        if not isinstance(by_category, dict) or "default" not in by_category:
            raise ValidationFailed("each damage class needs amounts by household category with a 'default'",
                                   field=f"{where}.entitlement_yuan.{damage}")
        for category, amount in by_category.items():
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 <= amount < float("inf"):
                raise ValidationFailed("an entitlement must be a non-negative number of yuan",
                                       field=f"{where}.entitlement_yuan.{damage}.{category}")
    if not isinstance(section["tranches"], dict) or not section["tranches"]:
        raise ValidationFailed("tranches must map a plan name to its tranches", field=f"{where}.tranches")
    for plan, tranches in section["tranches"].items():
        field = f"{where}.tranches.{plan}"
        if not isinstance(tranches, list) or not tranches or not all(
                isinstance(t, dict) and isinstance(t.get("tranche"), str) and isinstance(t.get("milestone"), str)
                and isinstance(t.get("share"), (int, float)) and not isinstance(t.get("share"), bool)
                and 0 < t["share"] <= 1 for t in tranches):
            raise ValidationFailed("each tranche needs a name, a milestone and a share in (0, 1]", field=field)
        if abs(sum(t["share"] for t in tranches) - 1) > 1e-9:
            raise ValidationFailed("the shares of a tranche plan must add up to 1", field=field)
        if len({t["tranche"] for t in tranches}) != len(tranches):
            raise ValidationFailed("tranche names must differ within a plan", field=field)
    if not isinstance(section["inspected_milestones"], list):
        raise ValidationFailed("inspected_milestones must be a list of stages", field=f"{where}.inspected_milestones")
    limits = section["stage_limit_days"]
    if not isinstance(limits, dict) or not all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and 0 < v < float("inf") for v in limits.values()):
        raise ValidationFailed("stage limits must be positive numbers of days", field=f"{where}.stage_limit_days")
    return section
