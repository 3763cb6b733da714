"""Statutory disaster reports: the series rule, aggregation and deadlines.

Under 应急〔2020〕19号 each disaster has one initial report (初报), any number
of continued reports (续报) and one verified report (核报), per township.
Figures are cumulative, so only the latest report of each (incident,
township) counts; summing every report would count the same dead twice.
Deadlines are data (``report_deadlines`` in the standards document).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Mapping

import pandas as pd

from relief.domain.indicators import AMOUNT_INDICATORS, COUNT_INDICATORS, INDICATORS
from relief.domain.vocabulary import DISCARDED_STATUSES, REPORT_KINDS, IncidentStatus, ReportKind
from relief.errors import Conflict, ValidationFailed

# --- the series rule --------------------------------------------------------

def check_report_kind(existing_kinds: Iterable[str], new_kind: str) -> str:
    """Refuse a report that breaks the 初报 → 续报… → 核报 series.

    ``existing_kinds`` are the kinds already filed for this incident and
    township. Exactly one initial report, first; continued reports after it;
    one verified report, after which the series is closed. Raises
    :class:`Conflict` (field ``kind``) saying why; returns ``new_kind``.
    """
    if new_kind not in REPORT_KINDS:
        raise ValidationFailed(f"unknown report kind {new_kind!r}; expected one of {', '.join(REPORT_KINDS)}",
                               field="kind")
    existing = list(existing_kinds)
    if ReportKind.VERIFIED in existing:
        raise Conflict(f"a verified report has already been filed; no {new_kind} report may follow it", field="kind")
    if new_kind == ReportKind.INITIAL and existing:
        raise Conflict("an initial report has already been filed; send a continued or verified report", field="kind")
    if new_kind != "initial" and "initial" not in existing:
        raise Conflict(f"the first report must be the initial report, not a {new_kind} report", field="kind")
    return new_kind


# --- aggregation -------------------------------------------------------------

_KEY = ["incident_id", "township_code"]


@dataclass(frozen=True)
class Aggregates:
    """Figures that count: per incident, per county and for the prefecture.

    ``counted`` holds the one report per (incident, township) that was used;
    ``by_incident`` and ``by_county`` sum it (with a ``townships`` count);
    ``total`` is the prefecture sum as plain numbers.
    """

    counted: pd.DataFrame
    by_incident: pd.DataFrame
    by_county: pd.DataFrame
    total: dict[str, int | float] = field(default_factory=dict)


def latest_reports(reports: pd.DataFrame) -> pd.DataFrame:
    """The report that counts for each (incident, township).

    A verified report supersedes every other one whatever its dates; otherwise
    the latest wins, ordered by ``figures_to``, then ``submitted_at``, then
    ``id``.
    """
    if reports.empty:
        return reports.copy()
    ranked = reports.assign(
        _verified=reports["kind"].eq(ReportKind.VERIFIED.value),
        _figures_to=pd.to_datetime(reports["figures_to"], utc=True),
        _submitted=pd.to_datetime(reports["submitted_at"], utc=True),
    )
    ranked = ranked.sort_values(_KEY + ["_verified", "_figures_to", "_submitted", "id"], kind="stable")
    kept = ranked.groupby(_KEY, sort=False, dropna=False).tail(1)
    return kept.drop(columns=["_verified", "_figures_to", "_submitted"]).reset_index(drop=True)


def _with_indicators(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name in COUNT_INDICATORS:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").fillna(0).astype("int64") if name in frame else 0
    for name in AMOUNT_INDICATORS:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").fillna(0.0).astype(float) if name in frame else 0.0
    if "county_code" not in frame:
        frame["county_code"] = None
    return frame


def _sum_by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    grouped = frame.groupby(key, dropna=False, sort=True)
    out = grouped[list(INDICATORS)].sum()
    out.insert(0, "townships", grouped["township_code"].nunique(dropna=False))
    return out.reset_index()


def aggregate(reports: pd.DataFrame) -> Aggregates:
    """Sum the reports that count, with no double counting.

    ``reports`` needs ``id, incident_id, township_code, county_code, kind,
    figures_to, submitted_at`` and the indicator columns (missing ones are 0).
    The county is the report's own (an incident may cross a county line).
    """
    needed = {"id", "incident_id", "township_code", "kind", "figures_to", "submitted_at"}
    missing = needed - set(reports.columns)
    if missing:
        raise ValidationFailed(f"reports lack columns: {', '.join(sorted(missing))}", field="reports")
    counted = _with_indicators(latest_reports(reports))
    by_incident = _sum_by(counted, "incident_id")
    by_county = _sum_by(counted, "county_code")
    total: dict[str, int | float] = {
        name: (int(counted[name].sum()) if name in COUNT_INDICATORS else float(counted[name].sum()))
        for name in INDICATORS
    }
    return Aggregates(counted=counted, by_incident=by_incident, by_county=by_county, total=total)


# --- deadlines ---------------------------------------------------------------

#: Incidents for which no report is due at all (the original carries them).
NO_REPORTS_STATUSES = DISCARDED_STATUSES
#: Statuses after which a verified report becomes due.
VERIFIED_DUE_STATUSES = frozenset({IncidentStatus.STABILISED, IncidentStatus.CLOSED})
#: Statuses in which daily continued reports have stopped.
NO_CONTINUED_STATUSES = VERIFIED_DUE_STATUSES | DISCARDED_STATUSES


#: How ``verified_days_after_stabilised`` is counted.
DAY_COUNTS = ("calendar", "working")


def _dates(rules: Mapping[str, Any], key: str) -> frozenset[date]:
    try:
        return frozenset(date.fromisoformat(str(d)) for d in rules.get(key) or ())
    except (TypeError, ValueError):
        raise ValidationFailed(f"{key} must be a list of dates (YYYY-MM-DD)", field=f"report_deadlines.{key}") from None


@dataclass(frozen=True)
class DeadlineRules:
    """The ``report_deadlines`` section, parsed.

    ``continued_every_days`` gives kinds whose continued reports fall less
    often than daily (drought: every 10 days); ``verified_days_are`` says
    whether the verified report's days are calendar or working days (Monday to
    Friday, less ``non_working_dates``, plus ``working_weekend_dates`` for
    the weekends worked in exchange for a holiday). Absent keys keep the
    first rules: daily for every kind, calendar days.
    """

    initial: timedelta
    daily_at: time
    verified_days: float
    tz: timezone
    every_days: Mapping[str, int] = field(default_factory=dict)
    verified_working: bool = False
    non_working: frozenset[date] = frozenset()
    working_weekends: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, rules: Mapping[str, Any]) -> "DeadlineRules":
        """Read the ``report_deadlines`` section of a standards document; a malformed entry is refused by name."""
        try:
            initial = timedelta(hours=float(rules["initial_hours"]))
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed("initial_hours must be a number of hours",
                                   field="report_deadlines.initial_hours") from None
        try:
            daily_at = time.fromisoformat(str(rules["continued_daily_at"]))
        except (KeyError, ValueError):
            raise ValidationFailed("continued_daily_at must be HH:MM",
                                   field="report_deadlines.continued_daily_at") from None
        try:
            verified_days = float(rules["verified_days_after_stabilised"])
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed("verified_days_after_stabilised must be a number of days",
                                   field="report_deadlines.verified_days_after_stabilised") from None
        try:
            offset = datetime.strptime(str(rules.get("timezone", "+08:00")).replace(":", ""), "%z").utcoffset()
        except ValueError:
            raise ValidationFailed("timezone must be an offset like +08:00",
                                   field="report_deadlines.timezone") from None
        every = rules.get("continued_every_days") or {}
        if not isinstance(every, Mapping) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in every.values()):
            raise ValidationFailed("continued_every_days must map incident kinds to whole numbers of days (≥ 1)",
                                   field="report_deadlines.continued_every_days")
        counted = rules.get("verified_days_are", "calendar")
        if counted not in DAY_COUNTS:
            raise ValidationFailed(f"verified_days_are must be one of {', '.join(DAY_COUNTS)}",
                                   field="report_deadlines.verified_days_are")
        if counted == "working" and verified_days != int(verified_days):
            raise ValidationFailed("working days must be a whole number",
                                   field="report_deadlines.verified_days_after_stabilised")
        return cls(initial, daily_at, verified_days, timezone(offset), dict(every), counted == "working",
                   _dates(rules, "non_working_dates"), _dates(rules, "working_weekend_dates"))

    def daily(self, day: date) -> datetime:
        """The continued-report deadline on a local calendar day."""
        return datetime.combine(day, self.daily_at, tzinfo=self.tz)

    def period(self, kind: Any) -> int:
        """Days between continued reports for an incident kind (1 unless the standards say otherwise)."""
        return int(self.every_days.get(kind, 1)) if isinstance(kind, str) else 1

    def last_continued_before(self, moment: datetime, occurred_at: datetime, kind: Any = None) -> datetime | None:
        """The latest continued-report deadline strictly before ``moment``: at ``continued_daily_at`` on the
        day of occurrence plus a whole number of periods (every day, or every N days for kinds that say so)."""
        period = self.period(kind)
        start = occurred_at.astimezone(self.tz).date()
        local = moment.astimezone(self.tz)
        periods = (local.date() - start).days // period
        deadline = self.daily(start + timedelta(days=periods * period))
        if deadline >= moment:
            periods -= 1
            deadline = self.daily(start + timedelta(days=periods * period))
        return deadline if periods >= 1 else None

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.non_working

    def verified_due(self, stabilised_at: datetime) -> datetime:
        """The verified report's deadline: N calendar days after stabilisation, or N working days
        (the same local time on the Nth working day after the day it stabilised)."""
        if not self.verified_working:
            return stabilised_at + timedelta(days=self.verified_days)
        local = stabilised_at.astimezone(self.tz)
        day, left = local.date(), int(self.verified_days)
        while left > 0:
            day += timedelta(days=1)
            left -= self.is_working_day(day)
        return datetime.combine(day, local.timetz())


def _aware(value: Any) -> datetime | None:
    """A timezone-aware datetime; naive values are UTC, as the store keeps them."""
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.to_pydatetime()


def _code(value: Any) -> Any:
    """An area code, or None for a missing one (None, NaN)."""
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _item(incident: Mapping[str, Any], township: "_Township", kind: str, due_at: datetime, as_of: datetime,
          tz: timezone) -> dict[str, Any]:
    late = as_of - due_at
    incident_id = incident["id"]
    return {
        "incident_id": incident_id.item() if hasattr(incident_id, "item") else incident_id,
        "township_code": township.code,
        "county_code": township.county,
        "kind": kind,
        "due_at": due_at.astimezone(tz),
        "overdue_by": late,
        "overdue_seconds": int(late.total_seconds()),
    }


@dataclass
class _Township:
    """One township an incident affects: its county and the reports it has sent."""

    code: Any
    county: Any
    sent: list[tuple[str, datetime]] = field(default_factory=list)


def overdue(
    incidents: pd.DataFrame,
    reports: pd.DataFrame,
    *,
    as_of: datetime,
    rules: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Reports that are due and missing at ``as_of``, oldest deadline first.

    ``incidents``: ``id, county_code, status, occurred_at`` and optionally
    ``stabilised_at``, ``kind`` and ``township_code`` (the township the
    incident lies in); ``reports``: ``incident_id, kind, submitted_at`` and
    optionally ``township_code`` and ``county_code``. Only reports submitted
    at or before ``as_of`` count. Rejected and duplicate incidents owe
    nothing. An item is listed only while ``as_of`` is strictly after its
    deadline, so a report can still be sent at the deadline itself.

    Reports are owed per township (the statistical unit): each (incident,
    township) pair is judged on that township's own reports. The townships an
    incident affects are its own township (where it lies; a report filed
    without a township is filed for it) and every township a statutory report
    of the incident names: a township joins the series with its initial
    report. An incident with neither is judged as one unit (township None). A
    report naming no township cannot be told apart and counts for every
    township of its incident. A township's county is its reports' county (an
    incident may cross a county line), else the incident's.

    - initial: due ``occurred_at + initial_hours``; listed until an initial
      report is submitted (a late one clears it).
    - continued: while the incident is not stabilised/closed, a deadline falls
      at ``continued_daily_at`` local time on every day after the day of
      occurrence, or every N days for kinds in ``continued_every_days``
      (drought: 10). Only the latest passed deadline D is checked: it is met by
      any report of the township submitted in (D − N days, D] and cleared by a
      late one in (D, as_of]. Earlier missed periods are history, not listed.
      No continued report is due once the township's verified report exists.
    - verified: due ``verified_days_after_stabilised`` calendar or working
      days (``verified_days_are``) after ``stabilised_at``, for stabilised or
      closed incidents; listed until the township's verified report is in.

    Each item: ``incident_id, township_code, county_code, kind`` (the report
    kind due), ``due_at`` (aware, local offset), ``overdue_by`` (timedelta)
    and ``overdue_seconds``.
    """
    parsed = DeadlineRules.parse(rules)
    now = _aware(as_of)
    if now is None:
        raise ValidationFailed("as_of is required", field="as_of")
    sent = _submitted_by_township(reports, now)
    items: list[dict[str, Any]] = []
    for incident in incidents.to_dict("records"):
        status = incident.get("status")
        occurred = _aware(incident.get("occurred_at"))
        if status in NO_REPORTS_STATUSES or occurred is None:
            continue
        for township in _townships(incident, sent.get(incident["id"], {})):
            items.extend(_overdue_for(incident, township, status, occurred, now, parsed))
    return sorted(items, key=lambda i: (i["due_at"], str(i["incident_id"]), str(i["township_code"] or ""),
                                        REPORT_KINDS.index(i["kind"])))


def _overdue_for(incident: Mapping[str, Any], township: _Township, status: Any, occurred: datetime, now: datetime,
                 parsed: DeadlineRules) -> list[dict[str, Any]]:
    """The reports one township of an incident owes at ``now``."""
    items = []
    kinds = {kind for kind, _ in township.sent}
    due = occurred + parsed.initial
    if now > due and ReportKind.INITIAL not in kinds:
        items.append(_item(incident, township, ReportKind.INITIAL, due, now, parsed.tz))
    if status not in NO_CONTINUED_STATUSES and ReportKind.VERIFIED not in kinds:
        deadline = parsed.last_continued_before(now, occurred, incident.get("kind"))
        if deadline is not None:
            opened = deadline - timedelta(days=parsed.period(incident.get("kind")))
            if not any(at > opened for _, at in township.sent):
                items.append(_item(incident, township, ReportKind.CONTINUED, deadline, now, parsed.tz))
    stabilised = _aware(incident.get("stabilised_at"))
    if status in VERIFIED_DUE_STATUSES and stabilised is not None and ReportKind.VERIFIED not in kinds:
        due = parsed.verified_due(stabilised)
        if now > due:
            items.append(_item(incident, township, ReportKind.VERIFIED, due, now, parsed.tz))
    return items


def _townships(incident: Mapping[str, Any], reported: Mapping[Any, _Township]) -> list[_Township]:
    """The townships an incident owes reports for (see ``overdue``), each with its reports."""
    county, own = _code(incident.get("county_code")), _code(incident.get("township_code"))
    anywhere = reported.get(None)  # reports naming no township count for every one
    codes = sorted({code for code in reported if code is not None} | ({own} - {None}), key=str) or [None]
    out = []
    for code in codes:
        mine = reported.get(code) or _Township(code, county)
        shared = anywhere.sent if anywhere is not None and code is not None else []
        out.append(_Township(code, mine.county or county, [*mine.sent, *shared]))
    return out


def _submitted_by_township(reports: pd.DataFrame, now: datetime) -> dict[Any, dict[Any, _Township]]:
    """incident → township → (kind, submitted_at) of its reports sent by ``now`` and the township's county."""
    out: dict[Any, dict[Any, _Township]] = {}
    if reports is None or reports.empty:
        return out
    columns = ["incident_id", "kind", "submitted_at",
               *(c for c in ("township_code", "county_code") if c in reports.columns)]
    for row in reports[columns].to_dict("records"):
        at = _aware(row["submitted_at"])
        if at is None or at > now:
            continue
        code = _code(row.get("township_code"))
        township = out.setdefault(row["incident_id"], {}).setdefault(code, _Township(code, None))
        township.county = township.county or _code(row.get("county_code"))
        township.sent.append((row["kind"], at))
    return out


def overdue_by_county(items: Iterable[Mapping[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Count overdue items per county: ``{county: {count, initial, continued, verified, max_overdue_seconds}}``."""
    out: dict[Any, dict[str, Any]] = {}
    for item in items:
        entry = out.setdefault(item.get("county_code"),
                               {"count": 0, **{k: 0 for k in REPORT_KINDS}, "max_overdue_seconds": 0})
        entry["count"] += 1
        entry[item["kind"]] += 1
        seconds = item.get("overdue_seconds")
        if seconds is None:
            seconds = int(item["overdue_by"].total_seconds())
        entry["max_overdue_seconds"] = max(entry["max_overdue_seconds"], seconds)
    return out
