"""Words for the domain's reason codes, in the user's language (Flask-Babel).

The domain answers with reason codes (``relief.domain.guarantees.REASON_CODES``) and the figures of
the standards in force; pages show sentences. :func:`reason_words` words every code of every guarantee
with its figures (hours, kcal, litres, m², km, days) filled in, through ``gettext`` with ``%(name)s``
placeholders, so the Chinese catalogue carries whole sentences. A page passes the result to its
script, which looks up ``reason_codes[g]`` in it: an English sentence never reaches a Chinese page.

Unit words for stock (``unit_word``) go through Babel too; item names are shown as the catalogue
stores them. Names kept in both languages (areas: ``{"zh", "en"}``) are picked by :func:`in_language`.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from relief.domain.guarantees import REASON_CODES, Figures
from relief.domain.standards import Standards

#: The figures each reason's sentence names, by guarantee and code (tests check each is filled in).
REASON_FIGURES: dict[str, dict[str, tuple[str, ...]]] = {
    "food": {"food_covered": ("hours", "kcal"), "food_covered_short": ("hours",)},
    "water": {"site_water": ("litres",), "site_water_acute": ("acute_litres", "litres"),
              "water_covered": ("hours", "litres"), "water_covered_short": ("hours",)},
    "housing": {"site_space_ok": ("m2",), "site_space_tight": ("floor_m2", "m2"),
                "site_space_crowded": ("floor_m2",)},
    "clothing": {"clothing_full": ("sets", "bedding"), "clothing_partial": ("sets_floor", "bedding_floor"),
                 "clothing_missing": ("sets_floor", "bedding_floor")},
    "medical": {"medical_in_reach": ("km",), "medical_visit_due": ("days",), "medical_out_of_reach": ("km",)},
}


def _number(value: float) -> str:
    """A figure as people write it in the page's language (``2,100``, ``7.5``), no trailing zeros."""
    return format_decimal(round(float(value), 3), format="#,##0.###")


def reason_figures(standards: Standards, profile: str = "normal") -> dict[str, str]:
    """The figures the sentences name, formatted for the page's language."""
    f = Figures.read(standards, profile)
    raw = {"hours": f.horizon_s / 3600.0, "kcal": f.food_kcal, "litres": f.water_l, "acute_litres": f.water_acute_l,
           "m2": f.shelter_m2, "floor_m2": f.shelter_floor_m2, "sets": f.sets, "sets_floor": f.sets_floor,
           "bedding": f.bedding, "bedding_floor": f.bedding_floor, "km": f.reach_m / 1000.0,
           "days": f.visit_days}
    return {name: _number(value) for name, value in raw.items()}


def _sentences(p: dict[str, str]) -> dict[str, dict[str, Callable[[], str]]]:
    """Every reason's sentence, as calls (each ``gettext`` runs in the request's language)."""
    def out() -> str:
        return _("not in relief scope (not relocated, evacuated, badly damaged or needing living aid)")

    return {
        "food": {
            "not_in_scope": out,
            "site_meals": lambda: _("the relocation site provides meals"),
            "food_covered": lambda: _("food received covers the next %(hours)s h (%(kcal)s kcal per person per day)",
                                      hours=p["hours"], kcal=p["kcal"]),
            "food_covered_short": lambda: _("food received runs out within the next %(hours)s h", hours=p["hours"]),
            "food_lapsed": lambda: _("food received has run out"),
            "food_none": lambda: _("no food received"),
        },
        "water": {
            "not_in_scope": out,
            "site_water": lambda: _("the site supplies at least %(litres)s L per person per day", litres=p["litres"]),
            "site_water_acute": lambda: _("the site supplies %(acute_litres)s to %(litres)s L per person per day "
                                          "(acute phase only)", acute_litres=p["acute_litres"], litres=p["litres"]),
            "water_covered": lambda: _("water received covers the next %(hours)s h (%(litres)s L per person per day)",
                                       hours=p["hours"], litres=p["litres"]),
            "water_covered_short": lambda: _("water received runs out within the next %(hours)s h", hours=p["hours"]),
            "water_lapsed": lambda: _("water received has run out"),
            "water_none": lambda: _("no water received"),
        },
        "housing": {
            "not_in_scope": out,
            "at_home": lambda: _("at home, house usable"),
            "dispersed": lambda: _("placed with a host family or in rented housing"),
            "site_space_ok": lambda: _("site gives at least %(m2)s m² covered space per person", m2=p["m2"]),
            "site_space_tight": lambda: _("site gives %(floor_m2)s to %(m2)s m² covered space per person",
                                          floor_m2=p["floor_m2"], m2=p["m2"]),
            "site_space_crowded": lambda: _("site gives less than %(floor_m2)s m² covered space per person",
                                            floor_m2=p["floor_m2"]),
            "site_unknown": lambda: _("recorded at a site that is not known"),
            "home_unsafe": lambda: _("at home, but the house is severely damaged or collapsed"),
            "home_evacuated": lambda: _("evacuated, but recorded at home"),
            "no_shelter": lambda: _("no shelter"),
        },
        "clothing": {
            "not_in_scope": out,
            "own_clothing": lambda: _("house not badly damaged: own clothing and bedding kept"),
            "clothing_full": lambda: _("received at least %(sets)s clothing sets and %(bedding)s bedding pieces "
                                       "per person", sets=p["sets"], bedding=p["bedding"]),
            "clothing_partial": lambda: _("received at least %(sets_floor)s clothing sets and %(bedding_floor)s "
                                          "bedding pieces per person, below the standard",
                                          sets_floor=p["sets_floor"], bedding_floor=p["bedding_floor"]),
            "clothing_missing": lambda: _("received fewer than %(sets_floor)s clothing sets or %(bedding_floor)s "
                                          "bedding pieces per person",
                                          sets_floor=p["sets_floor"], bedding_floor=p["bedding_floor"]),
        },
        "medical": {
            "not_in_scope": out,
            "medical_in_reach": lambda: _("operating medical point within %(km)s km", km=p["km"]),
            "medical_visit_due": lambda: _("injured, chronically ill or pregnant member not seen in the last "
                                           "%(days)s days", days=p["days"]),
            "medical_out_of_reach": lambda: _("no operating medical point within %(km)s km", km=p["km"]),
            "location_unknown": lambda: _("where the household is now is not known"),
        },
    }


def reason_words(standards: Standards, profile: str = "normal") -> dict[str, dict[str, str]]:
    """``{guarantee: {reason_code: sentence}}`` for every reason the five guarantees can give, in the request's
    language, with the figures of ``standards`` under ``profile``."""
    sentences = _sentences(reason_figures(standards, profile))
    missing = {(g, c) for g, codes in REASON_CODES.items() for c in codes} - {
        (g, c) for g, table in sentences.items() for c in table}
    if missing:  # a reason added to the domain without its words
        raise LookupError(f"no words for reason codes {sorted(missing)}")
    return {g: {code: sentences[g][code]() for code in codes} for g, codes in REASON_CODES.items()}


def reason_words_by_profile(standards: Standards) -> dict[str, dict[str, dict[str, str]]]:
    """:func:`reason_words` for each profile of ``standards`` (verdicts name the profile they were judged under)."""
    return {profile: reason_words(standards, profile) for profile in (standards.profiles or ["normal"])}


def unit_word(unit: str | None) -> str:
    """A stock unit (``kg``, ``bottle``, ``piece``, ``set``…) in the request's language; an unknown unit as stored."""
    words = {
        "kg": _("kg"), "g": _("g"), "L": _("L"), "l": _("L"), "bottle": _("bottle"), "box": _("box"),
        "piece": _("piece"), "pieces": _("pieces"), "set": _("set"), "sets": _("sets"), "kit": _("kit"),
        "tent": _("tent"), "bag": _("bag"), "pack": _("pack"), "unit": _("unit"), "case": _("case"), "kcal": _("kcal"),
    }
    return words.get(unit or "", unit or "")


def in_language(names: Mapping[str, Any] | None, fallback: str = "") -> str:
    """A ``{"zh", "en"}`` name in the page's language, else the other language's, else ``fallback``."""
    names = names or {}
    first, second = ("zh", "en") if str(get_locale() or "zh") == "zh" else ("en", "zh")
    return names.get(first) or names.get(second) or fallback


# --- duplicate aid at the moment of giving ---------------------------------------------------------

def aid_purpose_word(purpose: str | None) -> str:
    """An aid purpose (``relief.domain.vocabulary.PurposeClass``) in the request's language; unknown as given."""
    words = {
        "food": _("food aid"), "water": _("drinking water aid"), "clothing": _("clothing and bedding aid"),
        "housing": _("shelter aid"), "medical": _("medical aid"), "living_cash": _("living assistance cash"),
        "reconstruction": _("reconstruction subsidy"),
    }
    return words.get(purpose or "", purpose or "")


def aid_list(values: Any) -> str:
    return ", ".join(str(v) for v in values or ()) or "—"


def aid_source_words(source: Any) -> str:
    """Who gave: a depot, a site, a programme, a partner agency (``kind:name``), in the page's language."""
    text = str(source or "")
    kind, _sep, rest = text.partition(":")
    if kind == "agency":
        return rest
    if kind == "depot":
        return _("depot %(id)s", id=rest)
    if kind == "site":
        return _("relocation site %(id)s", id=rest)
    if kind == "programme":
        return _("reconstruction programme") if rest == "reconstruction" else _("programme %(code)s", code=rest)
    return text


def aid_finding_words(finding: Mapping[str, Any]) -> str:
    """One duplicate-aid finding (``{"reason", ...}`` as :class:`relief.errors.DuplicateAid` carries it) as a
    sentence naming the earlier aid, its sources and the overlap or the entitlement."""
    from relief.web.times import local_time

    purpose = aid_purpose_word(finding.get("purpose"))
    aids = aid_list(finding.get("earlier_aid_ids"))
    if finding.get("reason") == "over_entitlement":
        return _("%(purpose)s: %(received)s yuan received already (%(aids)s); %(amount)s yuan more exceeds the "
                 "entitlement of %(entitlement)s yuan by %(excess)s yuan",
                 purpose=purpose, aids=aids, received=_number(finding.get("received") or 0),
                 amount=_number(finding.get("amount") or 0), entitlement=_number(finding.get("entitlement") or 0),
                 excess=_number(finding.get("excess") or 0))
    return _("%(purpose)s given already by %(sources)s over an overlapping period (%(start)s to %(end)s): %(aids)s",
             purpose=purpose, sources=", ".join(aid_source_words(s) for s in finding.get("sources") or ()) or "—",
             aids=aids,
             start=local_time(finding.get("overlap_start")), end=local_time(finding.get("overlap_end")))


def duplicate_aid_message(household_id: str, findings: Any) -> str:
    """The 409 ``duplicate_aid`` refusal in the request's language: what the household had already, and how
    to give it anyway (an ``override_reason``)."""
    said = "; ".join(aid_finding_words(f) for f in findings or ())
    return _("Household %(household)s would be aided twice for the same need — %(findings)s. Nothing was given; "
             "to give it anyway, state an override reason (override_reason).", household=household_id,
             findings=said)
