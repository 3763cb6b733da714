"""Reads the subscription pages need beside the webhook store: the counties a filter may name."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relief.domain.vocabulary import AreaLevel
from relief.store.tables import Area


def counties(session: Session) -> list[dict[str, str]]:
    """``[{"code", "name_zh", "name_en"}]`` of every county, by code."""
    rows = session.execute(select(Area.code, Area.name_zh, Area.name_en).where(Area.level == AreaLevel.COUNTY)
                           .order_by(Area.code))
    return [{"code": code, "name_zh": zh, "name_en": en} for code, zh, en in rows]
