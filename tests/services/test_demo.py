"""The demo loads deterministically, puts every household inside its county, and opens current."""
from __future__ import annotations

from datetime import timedelta, timezone

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import func, select

from relief.services import guarantees, incident_lookup, statutory
from relief.services.demo import load_demo
from relief.store.tables import (
    Area,
    Distribution,
    GuaranteeStatus,
    Household,
    Incident,
    IncidentTransition,
    Site,
    StatutoryReport,
    StockBalance,
)

HOUSEHOLDS = 1500


def snapshot(store) -> dict:
    with store.read() as session:
        return {
            "counts": {m.__tablename__: session.scalar(select(func.count()).select_from(m))
                       for m in (Area, Household, Site, Incident, IncidentTransition, StatutoryReport, StockBalance)},
            "household_ids": session.scalars(select(Household.id).order_by(Household.id)).all()[::97],
            "site_ids": session.scalars(select(Site.id).order_by(Site.id)).all(),
            "members": session.scalar(select(func.sum(Household.members))),
            "incidents": session.execute(select(Incident.status, Incident.occurred_at, Incident.updated_at,
                                                Incident.response_level).order_by(Incident.id)).all(),
            "reports": session.execute(select(StatutoryReport.submitted_at, StatutoryReport.affected)
                                       .order_by(StatutoryReport.id)).all(),
            "distributed": session.scalars(select(Distribution.distributed_at).order_by(Distribution.id)).all()[::41],
            "verdicts": session.execute(select(GuaranteeStatus.water, func.count()).group_by(GuaranteeStatus.water)
                                        .order_by(GuaranteeStatus.water)).all(),
        }


@pytest.fixture
def loaded(ctx):
    return load_demo(ctx, seed=7, households=HOUSEHOLDS)


def test_same_seed_and_moment_same_demo(ctx, store, loaded):
    first = snapshot(store)
    again = load_demo(ctx, seed=7, households=HOUSEHOLDS, reset=True, as_of=loaded.as_of)
    assert again.loaded and again.as_of == loaded.as_of and snapshot(store) == first
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


# --- a demo that opens on the present ---------------------------------------------------------------

def test_it_stands_at_the_moment_it_was_loaded(ctx, loaded):
    now = ctx.now()
    assert timedelta(0) <= now - loaded.as_of < timedelta(minutes=2)
    with ctx.reading() as session:
        occurred = session.scalars(select(Incident.occurred_at)).all()
        last_report = session.scalar(select(func.max(StatutoryReport.submitted_at)))
    assert all(now - timedelta(days=17) < at < now for at in occurred)
    assert now - timedelta(hours=26) < last_report < now  # before the latest daily deadline, at most a day ago


def test_responding_incidents_show_the_level_their_reports_set(ctx, loaded):
    with ctx.reading() as session:
        ids = session.scalars(select(Incident.id).order_by(Incident.id)).all()
    details = [incident_lookup.detail(ctx, incident_id) for incident_id in ids]
    statuses = {d["incident"]["properties"]["status"] for d in details}
    assert {"responding", "verified", "stabilised", "closed"} <= statuses
    levelled = [d for d in details if d["incident"]["properties"]["status"] == "responding" and d["response_level"]]
    assert levelled
    for d in levelled:
        assert d["statutory_reports"] and d["response_reason"]
        assert all(r["level"] == d["response_level"] and r["value"] >= r["threshold"] for r in d["response_reason"])
    assert statutory.recompute_levels(ctx) == []  # the statutory rules agree with every stored level


def test_a_couple_of_reports_are_overdue_not_every_one(ctx, loaded):
    listed = statutory.overdue(ctx, as_of=loaded.as_of)["items"]
    with ctx.reading() as session:
        incidents = session.scalar(select(func.count()).select_from(Incident))
    assert 1 <= len(listed) < incidents
    assert all(0 < item["overdue_seconds"] <= 24 * 3600 for item in listed)


def test_verdicts_are_a_mix_and_some_water_runs_out_within_hours(ctx, loaded):
    with ctx.reading() as session:
        words = {g: set(session.scalars(select(getattr(GuaranteeStatus, g)).distinct()))
                 for g in ("food", "water")}
    assert all({"met", "at_risk", "unmet"} <= found for found in words.values()), words
    judged = guarantees.evaluate_all(ctx, as_of=loaded.as_of)
    at_risk = judged.loc[judged["water"] == "at_risk", "water_covered_until"]
    left = at_risk - pd.Timestamp(loaded.as_of).tz_convert(timezone.utc)
    assert ((left > pd.Timedelta(0)) & (left <= pd.Timedelta(hours=8))).sum() >= 3
