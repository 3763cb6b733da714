"""Users, API tokens and login sessions (only digests of tokens and session keys are stored)."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from relief.store.tables import ApiToken, User
from relief.store.tables.accounts import UserSession


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_by_name(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def token_and_user(session: Session, token: str) -> tuple[ApiToken, User] | None:
    """The live token and its active user, or None (unknown, revoked or user deactivated)."""
    query = (
        select(ApiToken, User)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None), User.active.is_(True))
    )
    row = session.execute(query).first()
    return (row[0], row[1]) if row else None


def touch_token(session: Session, token_id: int, at: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))


def token_by_id(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_tokens(session: Session, user_id: int, at: datetime) -> list[int]:
    """Revoke every live token of a user; returns the ids revoked."""
    ids = list(session.scalars(select(ApiToken.id).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))))
    if ids:
        session.execute(update(ApiToken).where(ApiToken.id.in_(ids)).values(revoked_at=at))
    return ids


def add_session(session: Session, user_id: int, key: str, at: datetime) -> None:
    session.add(UserSession(user_id=user_id, key_hash=token_digest(key), created_at=at))
    session.flush()


def user_by_session(session: Session, user_id: int, key: str, not_before: datetime) -> User | None:
    """The active user whose live session this is, or None (ended, expired, another user's, deactivated)."""
    query = (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.key_hash == token_digest(key), UserSession.user_id == user_id,
               UserSession.created_at >= not_before, User.active.is_(True))
    )
    return session.scalar(query)


def end_session(session: Session, key: str) -> int:
    return session.execute(delete(UserSession).where(UserSession.key_hash == token_digest(key))).rowcount


def end_sessions_of(session: Session, user_id: int) -> int:
    return session.execute(delete(UserSession).where(UserSession.user_id == user_id)).rowcount


def purge_sessions(session: Session, before: datetime) -> int:
    """Forget sessions past their lifetime (never logged out: a closed browser, a lost phone)."""
    return session.execute(delete(UserSession).where(UserSession.created_at < before)).rowcount


def add_user(session: Session, *, name: str, role: str, display_name: str | None, password_hash: str | None,
             county_code: str | None = None) -> User:
    user = User(name=name, role=role, display_name=display_name, password_hash=password_hash, county_code=county_code)
    session.add(user)
    session.flush()
    return user


def add_token(session: Session, user: User, token: str, label: str | None, at: datetime) -> ApiToken:
    """The new token row, flushed so it has its id (the audit trail names it)."""
    row = ApiToken(user_id=user.id, token_hash=token_digest(token), label=label, created_at=at)
    session.add(row)
    session.flush()
    return row


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))
