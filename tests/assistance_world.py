"""A small hand-built county for living-assistance tests: the reconstruction world's areas, households in
its two villages, valid ID and account numbers, and contexts for each role of the chain."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shapely.geometry import Point

from relief.domain import assistance as domain
from relief.services.context import Actor
from relief.store.tables import Household
from tests import reconstruction_world as rw
from tests.world import context

COUNTY, WEST, EAST = rw.COUNTY, rw.WEST, rw.EAST
WEST_VILLAGE, EAST_VILLAGE = rw.WEST_VILLAGE, rw.EAST_VILLAGE
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
BANK = "恩施农商银行"


def id_number(serial: int) -> str:
    body = f"42280119800101{serial:03d}"
    return body + domain.id_check_character(body)


def account_number(serial: int) -> str:
    body = f"621700{serial:012d}"
    return body + domain.luhn_check_digit(body)


def add_household(store, household_id: str, *, name: str = "张三明", members: int = 3, damage: str = "collapsed",
                  shelter: str = "site", category: str | None = None, east: bool = False, serial: int = 1) -> None:
    with store.write() as session:
        session.add(Household(id=household_id, head_name=name, id_number=id_number(serial), members=members,
                              county_code=COUNTY, village_code=EAST_VILLAGE if east else WEST_VILLAGE,
                              house_damage=damage, shelter=shelter, assistance_category=category,
                              geom=Point(109.7 if east else 109.2, 30.5)))


def build(store) -> None:
    """Areas and three households: HH1 (collapsed, west), HH2 (severe, east), HH3 (undamaged, at home)."""
    rw.build_areas(store)
    add_household(store, "HH1", name="张三明", members=3, serial=1)
    add_household(store, "HH2", name="李小红", members=5, damage="severe", east=True, serial=2)
    add_household(store, "HH3", name="王五华", members=2, damage="none", shelter="home", serial=3)


ROLE_OF = {"village_committee": 11, "township_clerk": 12, "commander": 13, "admin": 14, "viewer": 15}


def as_role(store, role: str | None, *, at: datetime = T0, published: list | None = None):
    """A context acting as ``role`` (None: an anonymous caller) at the moment ``at``."""
    actor = Actor(None, "public", "anonymous") if role is None else Actor(None, role, role)
    ctx = context(store, actor, published)
    ctx.clock = lambda: at
    return ctx


def apply(store, household_id: str = "HH1", *, programme: str = "transitional", **extra) -> str:
    body = {"household_id": household_id, "programme": programme, "period_start": T0.isoformat(), **extra}
    from relief.services import assistance as service

    return service.create_case(as_role(store, "township_clerk"), body)["case"]["case_id"]


def to_notice(store, case_id: str) -> None:
    from relief.services import assistance as service

    ctx = as_role(store, "village_committee")
    service.transition(ctx, case_id, {"action": "review"})
    service.transition(ctx, case_id, {"action": "publish"})


def after_notice(days: float = 7) -> datetime:
    return T0 + timedelta(days=days)
