"""A small county with aid from every source, for the aid chain's store, service, CLI and web tests.

Built on the assistance world (areas in two townships, HH1 and HH3 west, HH2 east, valid ID numbers):

* HH1 (3 members): 21 kg of rice from depot D1 at T0 (11 days 16 hours of food), an approved case of the
  ``county_food`` programme (food, T0 + 2 days for 30 days) and a partner's food aid matched to it: the
  same purpose from three sources over overlapping periods.
* HH2: a reconstruction tranche paid at T0; a case of ``county_food`` still applied (not aid yet).
* HH3: nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shapely.geometry import Point

from relief.domain import identity
from relief.domain.vocabulary import MatchVerdict
from relief.store.tables import (
    AssistanceCase,
    AssistanceProgramme,
    Depot,
    Distribution,
    House,
    Household,
    HousePayment,
    PartnerAid,
    PartnerAidImport,
    StockMovement,
)
from tests import assistance_world as aw
from tests import world

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
SALT = "enshi-prefecture-test-salt"
AGENCY = "红十字会"
FOOD_RULE = {"eligible": {"house_damage": ["collapsed"], "min_members": 1},
             "amount": {"per_person_per_day": 10, "per_household": 0, "cap_per_year": None},
             "period_days": 30, "budget_yuan": 100000}


def id_hash(household_serial: int) -> str:
    return identity.hash_id(aw.id_number(household_serial), SALT)


def build(store) -> None:
    aw.build(store)
    with store.write() as session:
        for household in session.query(Household):
            household.updated_at = T0 - timedelta(days=1)
        session.add_all(world.items())
        session.add(Depot(id="D1", name="Depot west", county_code=aw.COUNTY, geom=Point(109.2, 30.5)))
        session.add(AssistanceProgramme(code="county_food", version="1", name_zh="县粮食救助",
                                        name_en="County food aid", purpose="food", rule=FOOD_RULE, published_at=T0))
        session.flush()  # the programme is id 1, as every id below (a fresh store)
        movement = StockMovement(at=T0, kind="distribution", holder_kind="depot", holder_id="D1", item_code="RICE",
                                 quantity=-21, household_id="HH1")
        session.add(movement)
        session.flush()
        session.add(Distribution(household_id="HH1", item_code="RICE", quantity=21, distributed_at=T0,
                                 movement_id=movement.id))
        add_case(session, "C1", "HH1", stage="approved", start=T0 + timedelta(days=2), amount=900)
        add_case(session, "C2", "HH2", stage="applied", start=T0, amount=1500)
        session.add(House(id="HS2", household_id="HH2", damage="collapsed", assessed_at=T0, stage="assessed",
                          stage_since=T0, geom=Point(109.7, 30.5)))
        session.flush()
        session.add(HousePayment(house_id="HS2", tranche="first", amount=20000, paid_at=T0))
        imported = PartnerAidImport(agency=AGENCY, file_name="list.csv", imported_at=T0, rows=1, matched=1,
                                    review=0, unmatched=0)
        session.add(imported)
        session.flush()
        session.add(PartnerAid(import_id=imported.id, agency=AGENCY, row_no=2, id_hash=id_hash(1),
                               village_code=aw.WEST_VILLAGE, purpose="food", item="rice", quantity=10, amount=None,
                               period_start=T0 + timedelta(days=1), period_end=T0 + timedelta(days=11),
                               household_id="HH1", match_score=20.0, match_verdict=MatchVerdict.MATCHED.value,
                               match_evidence={"id": "exact"}))


def add_case(session, case_id: str, household_id: str, *, stage: str, start: datetime, amount: float,
             days: int = 30, programme_id: int = 1, programme_code: str = "county_food") -> None:
    session.add(AssistanceCase(id=case_id, household_id=household_id, programme_id=programme_id,
                               programme_code=programme_code, county_code=aw.COUNTY, period_start=start,
                               period_end=start + timedelta(days=days), members=3, amount=amount, stage=stage,
                               stage_since=start, decided_at=start if stage in ("approved", "paid") else None,
                               created_at=start, updated_at=start))
