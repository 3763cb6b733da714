"""Users and API tokens (only hashes of tokens are stored)."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relief.store.tables import ApiToken, User


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_by_name(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_token(session: Session, token: str) -> User | None:
    query = (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None), User.active.is_(True))
    )
    return session.scalar(query)


def add_user(session: Session, *, name: str, role: str, display_name: str | None, password_hash: str | None,
             county_code: str | None = None) -> User:
    user = User(name=name, role=role, display_name=display_name, password_hash=password_hash, county_code=county_code)
    session.add(user)
    session.flush()
    return user


def add_token(session: Session, user: User, token: str, label: str | None, at: datetime) -> ApiToken:
    row = ApiToken(user_id=user.id, token_hash=token_digest(token), label=label, created_at=at)
    session.add(row)
    return row


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))
