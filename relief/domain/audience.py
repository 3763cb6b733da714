"""Who may receive a live event: declared where it is emitted, applied alike live and on catch-up.

An event may reach a public (anonymous) map only when everything in it is
what the public REST API also answers without a login: incident features,
site occupancy, masked donations, guarantee counts per area. Anything about
a household (its id, name, verdicts), stock balances, dispatch plans and
overdue reports is for staff. Staff connections receive both audiences, a
public connection only ``PUBLIC``; the rooms an event is sent to
(``relief.live.rooms_for``) and the events replayed on catch-up
(``services.events.catch_up``) both follow :func:`received_by`.

The outbox keeps the audience in its boolean ``public`` column; an audience
narrower than "staff" (one permission) would need a column of its own.
"""
from __future__ import annotations

from enum import Enum


class Audience(str, Enum):
    PUBLIC = "public"
    STAFF = "staff"

    @property
    def public(self) -> bool:
        """The outbox column's value for this audience."""
        return self is Audience.PUBLIC

    @classmethod
    def of_row(cls, public: bool) -> "Audience":
        """The audience an outbox row (or a published event dict) was written for."""
        return cls.PUBLIC if public is True else cls.STAFF


def received_by(*, staff: bool) -> tuple[Audience, ...]:
    """The audiences a connection receives: staff every event, the public only public ones."""
    return (Audience.PUBLIC, Audience.STAFF) if staff else (Audience.PUBLIC,)


def require(audience: object) -> "Audience":
    """``audience`` itself; anything but an :class:`Audience` (a bare bool, a string) is a programming error."""
    if not isinstance(audience, Audience):
        raise TypeError(f"an event's audience must be Audience.PUBLIC or Audience.STAFF, not {audience!r}")
    return audience
