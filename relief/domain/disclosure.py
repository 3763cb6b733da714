"""What of a donor (or any person) may be shown publicly.

Relief publishes every donation so that the public can follow where help
went (捐赠信息公开), but a donor's personal details stay private unless they
agreed to be named. The masks here are pure string functions so the public
page, the JSON feed and the live event all disclose exactly the same thing.

Masks hide length as well as content where length would give a person away:
a masked name is always the first character and two asterisks (张三 and
张三丰 both become 张**).
"""
from __future__ import annotations

import re
from typing import Any, Mapping

ANONYMOUS = "匿名"  # what the public sees for a donor without a name
_NAME_MASK = "**"
_DIGITS = re.compile(r"\d")


def mask_name(name: str | None) -> str:
    """First character and ``**`` (张** / J**); an empty name reads as anonymous."""
    name = (name or "").strip()
    if not name:
        return ANONYMOUS
    return name[0] + _NAME_MASK


def mask_phone(phone: str | None) -> str:
    """Keep the first three and last four digits of a mobile number (138****5678).

    Shorter numbers keep only their last two digits; separators are dropped
    so that their position cannot hint at the hidden digits.
    """
    digits = "".join(_DIGITS.findall(phone or ""))
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) >= 5:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_id_number(id_number: str | None) -> str:
    """Keep at most four characters at each end and hide at least half (4228**********123X).

    The birth date in the middle of a Chinese resident ID number is always hidden.
    """
    value = (id_number or "").strip()
    keep = min(4, len(value) // 4)
    if keep == 0:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def public_donor_name(name: str | None, consent_public: bool) -> str:
    """The donor's name as published: in full only with their consent."""
    if consent_public and (name or "").strip():
        return name.strip()
    return mask_name(name)


def public_donation(donation: Mapping[str, Any]) -> dict[str, Any]:
    """One donation as the public may see it.

    The contact is never published (consent covers the name only); the name
    is masked unless ``consent_public``. Everything else about the gift
    (what, how much, where it went, when) is public by design.
    """
    public = {key: value for key, value in donation.items()
              if key not in ("donor_name", "donor_contact", "consent_public")}
    public["donor"] = public_donor_name(donation.get("donor_name"), bool(donation.get("consent_public")))
    public["named"] = bool(donation.get("consent_public")) and bool((donation.get("donor_name") or "").strip())
    return public
