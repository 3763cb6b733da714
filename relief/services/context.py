"""What every use case runs with: the store, who acts, the clock, the standards.

A :class:`Context` is built by the web layer per request (or by the CLI) and
handed to service functions, so services never reach for Flask globals.
``ctx.transaction()`` is the unit of work: the session, the audit rows and
the outbox events of one change commit together, and the events are
published only after that commit succeeds.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from relief.domain.audience import Audience
from relief.domain.audience import require as require_audience
from relief.domain.roles import may as role_may
from relief.domain.standards import Standards
from relief.offload import call_here
from relief.store import events as event_store
from relief.store.audit import write_audit
from relief.store.db import Store


@dataclass(frozen=True)
class Actor:
    """Who is acting; ``id`` is None for the system (demo, migrations)."""

    id: int | None
    name: str
    role: str

    @classmethod
    def system(cls) -> "Actor":
        return cls(id=None, name="system", role="admin")

    def may(self, permission: str) -> bool:
        """Whether this person's role holds ``permission`` (``relief.domain.roles``).

        Only a person holds permissions: anonymous callers and the system (``id`` None) get the
        public view of what they read; the system's writes are never gated.
        """
        return self.id is not None and role_may(self.role, permission)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Unit:
    """One transaction's session plus the audit rows and events it will commit."""

    session: Any
    actor: Actor
    now: datetime
    events: list[dict[str, Any]] = field(default_factory=list)
    audit_entries: list[dict[str, Any]] = field(default_factory=list)

    def audit(self, action: str, entity: str, entity_id: Any = None, *, reason: str | None = None,
              detail: dict | None = None) -> None:
        """Kept until the end of the transaction, then written with the events in one statement each."""
        self.audit_entries.append({"actor_id": self.actor.id, "actor_name": self.actor.name, "action": action,
                                   "entity": entity, "entity_id": None if entity_id is None else str(entity_id),
                                   "reason": reason, "detail": detail, "at": self.now})

    def emit(self, kind: str, topic: str, payload: dict[str, Any], *, audience: Audience,
             area_code: str | None = None) -> None:
        """Queue an event for after the commit; ``audience`` has no default, so every event states who may see it."""
        self.events.append(event_store.pending_event(kind=kind, topic=topic, payload=payload, area_code=area_code,
                                                     audience=require_audience(audience), at=self.now))


@dataclass
class Context:
    store: Store
    actor: Actor = field(default_factory=Actor.system)
    publish: Callable[[list[dict[str, Any]]], None] = lambda events: None
    clock: Callable[[], datetime] = _utcnow
    standards_loader: Callable[[], Standards] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    #: How CPU-heavy work is run (``relief.offload``): beside the event loop when serving, else right here.
    offload: Callable[..., Any] = call_here
    #: The request's ``Idempotency-Key`` header, used when a body carries no ``client_id``.
    idempotency_key: str | None = None
    #: An outer unit of work that ``transaction()`` and ``reading()`` join instead of opening their own
    #: (``services.resend`` runs a use case inside the transaction that keeps its answer).
    joined: Unit | None = None

    @property
    def standards(self) -> Standards:
        """The standards in force, from the loader the edge (app factory, CLI, test) gave this context."""
        if self.standards_loader is None:
            raise RuntimeError("this Context was built without a standards_loader")
        return self.standards_loader()

    def now(self) -> datetime:
        return self.clock()

    def as_actor(self, actor: Actor) -> "Context":
        return replace(self, actor=actor)

    def may(self, permission: str) -> bool:
        """Whether the acting person holds ``permission``: what a use case asks before showing staff more."""
        return self.actor.may(permission)

    @contextmanager
    def transaction(self) -> Iterator[Unit]:
        """Commit once at the end; publish the unit's events only after commit.

        Inside a joined unit this is that unit: the outer transaction commits and publishes.
        """
        if self.joined is not None:
            yield self.joined
            return
        with self.store.write() as session:
            unit = Unit(session=session, actor=self.actor, now=self.now())
            yield unit
            write_audit(session, unit.audit_entries)
            event_store.assign_sequence(session, unit.events)
        if unit.events:
            self.publish([event_store.materialise(e) for e in unit.events])

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A read session; inside a joined unit, that unit's session (it sees the unit's own writes)."""
        if self.joined is not None:
            yield self.joined.session
            return
        with self.store.read() as session:
            yield session
