"""The range of every number, id and moment a request may carry, in one table.

A value outside these ranges is a slipped digit, a broken client or an
attack long before it is a fact, and letting one through does harm far
from where it came in: ``quantity: 1e308`` twice makes a balance
``Infinity`` that no browser can parse, an id beyond the column type is an
overflow in the driver, a year-1 date is out of pandas' range. So the
parsers (``relief.services.fields``, ``relief.web.params``) check every value
against this table and refuse with a 400 naming the field.

Why these bounds:

- ids: every id column is ``INTEGER`` (PostgreSQL ``int4``), so no record
  has an id above 2**31 - 1; a path id beyond it is a 404, never an overflow;
- quantities: one ledger line of one item is at most a billion units (a
  prefecture's whole stock of rice in kg is ~10**7); balances summed from
  such lines stay exact in a float;
- counts of people or houses on a report: at most a billion (more than the
  population of any region this serves; below ``int4``);
- money: at most 10**12 yuan on one donation; losses in 10,000 yuan at most
  10**9 (10**13 yuan);
- distances: at most 20,000 km (half the equator: any two places on earth);
- moments: 1900-01-01 to 2100-01-01 UTC. Wide enough for any record or
  plan, and well inside what every layer can hold (pandas' nanosecond
  timestamps: 1677..2262; Python's dates: 1..9999, which a time zone shift
  at either end overflows). Event times are also not in the future
  (``fields.not_future``).

Any other number a body carries (no entry in :data:`NUMBERS`) is finite and
within ±10**9 (:data:`ANY_NUMBER`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class Range:
    """Inclusive bounds; ``whole`` asks for an integer."""

    low: float
    high: float
    whole: bool = False

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def describe(self) -> str:
        return f"between {self.low:g} and {self.high:g}" if not self.whole else \
            f"a whole number from {int(self.low)} to {int(self.high)}"


#: The largest value of PostgreSQL ``integer`` (``int4``): the type of every id column.
INT4_MAX = 2**31 - 1

ID = Range(1, INT4_MAX, whole=True)
COUNT = Range(0, 10**9, whole=True)
QUANTITY = Range(-1e9, 1e9)
AMOUNT_YUAN = Range(0, 1e12)
AREA_HA = Range(0, 1e9)
LOSS_10K_YUAN = Range(0, 1e9)
DISTANCE_KM = Range(0, 20_000)
LATITUDE = Range(-90, 90)
LONGITUDE = Range(-180, 180)
ANY_NUMBER = Range(-1e9, 1e9)

#: Body fields by name (services' parsers look them up here unless they pass their own bounds).
NUMBERS: dict[str, Range] = {
    "quantity": QUANTITY,
    "amount_yuan": AMOUNT_YUAN,
    "max_km": DISTANCE_KM,
    "reach_km": DISTANCE_KM,
    "lat": LATITUDE,
    "lon": LONGITUDE,
    "crops_affected_ha": AREA_HA,
    "crops_lost_ha": AREA_HA,
    "economic_loss_10k_yuan": LOSS_10K_YUAN,
}

EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def number_range(name: str) -> Range:
    """The bounds of the body field ``name`` (a statutory indicator's own name works too)."""
    return NUMBERS.get(name, ANY_NUMBER)


def indicator_range(name: str) -> Range:
    """A report figure's bounds: counts of people and houses, or the hectares and money named in :data:`NUMBERS`."""
    return NUMBERS.get(name, COUNT)


def in_time_window(moment: datetime) -> bool:
    """Whether an aware ``moment`` lies in :data:`EARLIEST` .. :data:`LATEST` (compared without overflowing)."""
    return EARLIEST <= moment <= LATEST
