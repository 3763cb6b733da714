"""The demo loads deterministically and puts every household inside its county."""
from __future__ import annotations

import geopandas as gpd
import pytest
from sqlalchemy import func, select

from relief.services.demo import load_demo
from relief.store.tables import Area, Household, Incident, Site, StockBalance

HOUSEHOLDS = 1500


def snapshot(store) -> dict:
    with store.read() as session:
        return {
            "counts": {m.__tablename__: session.scalar(select(func.count()).select_from(m))
                       for m in (Area, Household, Site, Incident, StockBalance)},
            "household_ids": session.scalars(select(Household.id).order_by(Household.id)).all()[::97],
            "site_ids": session.scalars(select(Site.id).order_by(Site.id)).all(),
            "members": session.scalar(select(func.sum(Household.members))),
        }


@pytest.fixture
def loaded(ctx):
    return load_demo(ctx, seed=7, households=HOUSEHOLDS)


def test_same_seed_same_demo(ctx, store, loaded):
    first = snapshot(store)
    again = load_demo(ctx, seed=7, households=HOUSEHOLDS, reset=True)
    assert again.loaded and snapshot(store) == first
    assert first["counts"]["households"] == HOUSEHOLDS
    assert first["counts"]["areas"] >= 1 + 8 + 80


def test_second_run_changes_nothing(ctx, store, loaded):
    before = snapshot(store)
    result = load_demo(ctx, seed=99, households=HOUSEHOLDS)
    assert not result.loaded and snapshot(store) == before
    assert all(a.token is None for a in result.accounts)  # accounts were made by the first run


def test_other_seed_other_demo(ctx, store, loaded):
    before = snapshot(store)
    load_demo(ctx, seed=8, households=HOUSEHOLDS, reset=True)
    assert snapshot(store)["members"] != before["members"]


def test_every_household_lies_in_its_county(store, loaded):
    with store.read() as session:
        counties = gpd.GeoDataFrame(
            [{"code": a.code, "geometry": a.geom} for a in session.scalars(select(Area).where(Area.level == "county"))],
            crs="EPSG:4326")
        households = gpd.GeoDataFrame(
            [{"id": h.id, "county_code": h.county_code, "village_code": h.village_code, "geometry": h.geom}
             for h in session.scalars(select(Household))], crs="EPSG:4326")
    assert len(counties) == 8
    joined = households.sjoin(counties, predicate="within", how="left")
    assert joined["code"].notna().all()
    assert (joined["code"] == joined["county_code"]).all()
    assert all(v.startswith(c) for v, c in zip(joined["village_code"], joined["county_code"]))


def test_demo_accounts_exist_for_every_role(loaded):
    from relief.domain.roles import ROLES

    assert sorted(a.role for a in loaded.accounts) == sorted(ROLES)
    assert all(a.token for a in loaded.accounts)
