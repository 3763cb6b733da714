"""Typed errors with stable codes.

Every error a user can cause is one of these; the web layer turns them into
``{"error": {"code", "message", "field"}}`` with the class's HTTP status and
the CLI prints the message. Nobody parses message text.
"""
from __future__ import annotations

from typing import Any


class ReliefError(Exception):
    """Base of all expected errors."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, detail: Any = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.detail is not None:
            body["detail"] = self.detail
        return body


class ValidationFailed(ReliefError):
    code = "invalid"
    status = 400


class NotAuthenticated(ReliefError):
    code = "not_authenticated"
    status = 401


class Forbidden(ReliefError):
    code = "forbidden"
    status = 403


class NotFound(ReliefError):
    code = "not_found"
    status = 404


class Conflict(ReliefError):
    """The request is well formed but the current state does not allow it."""

    code = "conflict"
    status = 409


class TransitionRefused(Conflict):
    code = "transition_refused"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class DuplicateAid(Conflict):
    """Giving this aid would duplicate aid the household has had already; nothing was written.

    ``findings``: one JSON object per rule broken, ``{"reason": "overlapping_sources" | "over_entitlement",
    ...}`` with the rule's figures (``earlier_aid_ids``, ``sources``, ``overlap_start`` / ``overlap_end``, or
    ``entitlement`` / ``received`` / ``amount`` / ``excess``); ``detail`` carries them with the earlier aid ids
    of all findings, so the web layer words them in the reader's language. The same request with an
    ``override_reason`` goes through (recorded as a justified top-up).
    """

    code = "duplicate_aid"
    override_field = "override_reason"

    def __init__(self, message: str, *, household_id: str, purpose: str, findings: list[dict[str, Any]],
                 field: str | None = "household_id"):
        earlier = list(dict.fromkeys(a for f in findings for a in f.get("earlier_aid_ids", ())))
        sources = list(dict.fromkeys(s for f in findings for s in f.get("sources", ())))
        super().__init__(message, field=field, detail={
            "household_id": household_id, "purpose": purpose, "earlier_aid_ids": earlier, "sources": sources,
            "findings": findings, "override_field": self.override_field})
        self.household_id, self.purpose, self.findings = household_id, purpose, findings


class CapacityExceeded(Conflict):
    code = "capacity_exceeded"


class ResendMismatch(Conflict):
    """A ``client_id`` already used for a different request: the id names it, nothing is written."""

    code = "client_id_reused"


class StoreBusy(ReliefError):
    """The store could not take the write in time; nothing was written and the client may retry."""

    code = "busy"
    status = 503
    retry_after = 1


class Throttled(ReliefError):
    """Too many failed attempts from this address or for this account; retry after ``retry_after`` seconds."""

    code = "throttled"
    status = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field, detail={"retry_after": retry_after})
        self.retry_after = retry_after


class PayloadTooLarge(ReliefError):
    code = "too_large"
    status = 413


class UnsupportedMedia(ReliefError):
    code = "unsupported_media"
    status = 415


class ImportRejected(ReliefError):
    """A bulk import was refused; ``file``, ``row`` and ``column`` say where."""

    code = "import_rejected"
    status = 400

    def __init__(self, message: str, *, file: str, row: int | None = None, column: str | None = None):
        where = file + (f", row {row}" if row is not None else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}", field=column, detail={"file": file, "row": row, "column": column})
        self.file, self.row, self.column = file, row, column
