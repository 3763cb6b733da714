"""Two distributions of the same food racing to one household through a real ``relief serve``: two warehouse
keepers, one at the depot and one at the site, send at the same moment; for every household exactly one hand-out
passes (201) and the other is refused with 409 ``duplicate_aid`` naming the first, and the store holds one
distribution per household with the refused holder's stock untouched."""
from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import func, select

from relief.services import stock
from relief.store import ledger
from relief.store.db import Store
from relief.store.tables import Distribution
from tests import world
from tests.web.servers import relief_env, run, serving

pytestmark = pytest.mark.slow

HOUSEHOLDS = 12
HOLDERS = (("depot", "D1"), ("site", "S1"))


def build(url: str) -> None:
    store = Store(url)
    try:
        world.build(store, households=[world.household(f"R{i:02d}", 3, 109.45 + i / 1000)
                                       for i in range(HOUSEHOLDS)])
        ctx = world.context(store)
        for kind, holder in HOLDERS:
            stock.receive(ctx, {"holder_kind": kind, "holder_id": holder, "item_code": "RICE",
                                "quantity": 3 * HOUSEHOLDS, "source": "allocation"})
    finally:
        store.dispose()


def race(base: str, tokens: dict[str, str], household: str) -> dict[str, tuple[int, dict]]:
    """Both keepers hand the household 3 kg of rice (40 hours of food for three) at once."""
    start = threading.Barrier(len(HOLDERS))
    answers: dict[str, tuple[int, dict]] = {}

    def send(kind: str, holder: str) -> None:
        body = {"household_id": household, "item_code": "RICE", "quantity": 3, "holder_kind": kind,
                "holder_id": holder, "client_id": f"race-{household}-{holder}"}
        with requests.Session() as http:
            start.wait()
            response = http.post(f"{base}/api/stock/distributions", json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {tokens[holder]}"})
        answers[holder] = (response.status_code, response.json())

    threads = [threading.Thread(target=send, args=holder) for holder in HOLDERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_two_keepers_giving_one_household_the_same_food_at_once_one_passes(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance")
    run(env, "init-db")
    build(database_url)
    tokens = {holder: run(env, "users", "create", f"keeper-{holder}", "--role", "warehouse_keeper").strip()
              for _, holder in HOLDERS}
    with serving(env) as base:
        outcomes = {f"R{i:02d}": race(base, tokens, f"R{i:02d}") for i in range(HOUSEHOLDS)}

    store = Store(database_url)
    try:
        with store.read() as session:
            given = dict(session.execute(select(Distribution.household_id, Distribution.id)).all())
            assert session.scalar(select(func.count()).select_from(Distribution)) == HOUSEHOLDS
            left = {holder: ledger.balance(session, kind, holder, "RICE") for kind, holder in HOLDERS}
    finally:
        store.dispose()
    winners = {"D1": 0, "S1": 0}
    for household, answers in outcomes.items():
        statuses = sorted(status for status, _ in answers.values())
        assert statuses == [201, 409], (household, answers)
        [(winner, (_, passed))] = [(h, a) for h, a in answers.items() if a[0] == 201]
        [(_, refused)] = [a for a in answers.values() if a[0] == 409]
        assert passed["distribution"]["id"] == given[household]
        error = refused["error"]
        assert error["code"] == "duplicate_aid", error
        assert error["detail"]["earlier_aid_ids"] == [f"distribution:{given[household]}"]
        assert f"distribution:{given[household]}" in error["message"]
        winners[winner] += 1
    assert {h: 3 * HOUSEHOLDS - 3 * n for h, n in winners.items()} == left
