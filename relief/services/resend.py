"""Resend-safe writes: a client-made ``client_id`` buys one answer, however often it is sent.

A phone on a bad network cannot tell a lost request from a lost answer, so
it sends again. Every write a person or phone makes therefore takes a
``client_id`` (in the body, or the ``Idempotency-Key`` header): the first
request does the work and keeps its answer in ``resend_records`` **in the
same transaction**; a resend gets that answer back (``created`` False, HTTP
200) and writes nothing; the same id with a different body is refused with
409 ``client_id_reused`` naming the id.

The work runs inside one outer transaction that the service's own
``ctx.transaction()`` joins (see ``Context.joined``), so the record commits
with the write or not at all. Two racing sends of one id: on SQLite the
write lock serialises them and the second finds the record; on PostgreSQL
the second's insert waits for the first's commit, finds the conflict, rolls
its own work back and answers with the first's record — and when its work,
having waited on the first's rows, sees their change and refuses (a step
already taken, a row already gone), the refusal is rolled back and the
first's record answers too.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from relief.errors import ReliefError, ResendMismatch, ValidationFailed
from relief.jsonable import jsonable
from relief.services.context import Context
from relief.store import resends as store

CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")


@dataclass(frozen=True)
class Submission:
    """The answer to a write: ``created`` is False when the client id was seen before."""

    created: bool
    body: dict[str, Any]


class _LostRace(Exception):
    """Another request with the same id committed first; this one's work is rolled back."""


def client_key(ctx: Context, body: Mapping[str, Any] | None) -> str | None:
    """The body's ``client_id``, else the request's ``Idempotency-Key``; checked for shape."""
    value = (body or {}).get("client_id")
    if value is None:
        value = ctx.idempotency_key
    if value is None:
        return None
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise ValidationFailed("client_id must be 1 to 100 letters, digits or _ . : - (a UUID is ideal)",
                               field="client_id")
    return value


def fingerprint(operation: str, scope: Any, body: Mapping[str, Any] | None) -> str:
    """What makes two sends the same request: the operation, its target and the body without the id."""
    content = {k: v for k, v in (body or {}).items() if k != "client_id"}
    text = json.dumps([operation, scope, content], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def once(ctx: Context, operation: str, body: Mapping[str, Any] | None, work: Callable[[Context], dict[str, Any]],
         *, scope: Any = None, keep: Keeping | None = None) -> Submission:
    """Run ``work`` once per client id; a resend gets the first answer back.

    ``work`` is the service's own use case (it may open ``ctx.transaction()``
    as usual; that joins the outer one here). ``scope`` is what the body does
    not say but the request does (an incident id from the path, say).
    ``keep`` seals what the answer must not hold in clear at rest (a signing
    secret) before it is kept, and opens it again for a resend.
    """
    key = client_key(ctx, body)
    if key is None:
        return Submission(True, work(ctx))
    mark = fingerprint(operation, scope, body)
    try:
        with ctx.transaction() as unit:
            seen = store.find(unit.session, key)
            if seen is not None:
                return _replay(seen, key, mark, keep)
            answer = plain(work(replace(ctx, joined=unit)))
            kept = plain(keep.seal(answer)) if keep else answer
            if not store.record(unit.session, client_id=key, operation=operation, fingerprint=mark, answer=kept,
                                at=unit.now):
                raise _LostRace
    except _LostRace:
        with ctx.reading() as session:
            return _replay(store.find(session, key), key, mark, keep)
    except ReliefError:
        # A twin of this send, holding the rows first, may have committed between our look for a kept answer
        # and our work (PostgreSQL's READ COMMITTED lets the work see its change and refuse): its answer is ours.
        with ctx.reading() as session:
            seen = store.find(session, key)
        if seen is None:
            raise
        return _replay(seen, key, mark, keep)
    return Submission(True, answer)


def plain(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as the JSON it is kept as, so the first send and every resend read the same."""
    return jsonable(answer)


@dataclass(frozen=True)
class Keeping:
    """How an answer is kept: ``seal`` before it is stored, ``open`` when a resend reads it back."""

    seal: Callable[[dict[str, Any]], dict[str, Any]]
    open: Callable[[dict[str, Any]], dict[str, Any]]


def _replay(seen, key: str, mark: str, keep: Keeping | None = None) -> Submission:
    if seen.fingerprint != mark:
        raise ResendMismatch(f"client_id {key!r} was already used for a different {seen.operation} request; "
                             "nothing was written (send a new client_id for a new request)",
                             field="client_id", detail={"client_id": key, "operation": seen.operation})
    return Submission(False, keep.open(seen.answer) if keep else seen.answer)
