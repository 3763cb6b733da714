"""``resend.once`` on both stores: one write per client id, even when two sends race."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from relief.errors import Conflict, ResendMismatch
from relief.services import resend, stock
from relief.store.tables import ResendRecord, StockMovement
from tests import world

RECEIPT = {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 4, "source": "purchase"}


@pytest.fixture
def place(store):
    world.build(store)
    return store


def count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def receive_once(store, body, published=None):
    ctx = world.context(store, published=published)
    return resend.once(ctx, "stock.receipt", body, lambda c: stock.receive(c, body))


def test_first_send_works_and_a_resend_gets_its_answer_without_events(place):
    published: list = []
    body = {**RECEIPT, "client_id": "r-1"}
    first = receive_once(place, body, published)
    events = len(published)
    again = receive_once(place, body, published)
    assert first.created and not again.created
    assert again.body == first.body and first.body["balance"] == 4
    assert events == 1 and len(published) == events
    assert count(place, StockMovement) == 1


def test_the_answer_is_kept_as_json_so_both_sends_read_alike(place):
    body = {**RECEIPT, "client_id": "r-2"}
    first = receive_once(place, body)
    assert isinstance(first.body["movement"]["at"], str)
    assert receive_once(place, body).body == first.body


def test_a_different_body_is_refused_and_names_the_operation(place):
    receive_once(place, {**RECEIPT, "client_id": "r-3"})
    with pytest.raises(ResendMismatch) as refused:
        receive_once(place, {**RECEIPT, "quantity": 5, "client_id": "r-3"})
    assert refused.value.field == "client_id" and refused.value.detail["operation"] == "stock.receipt"
    assert count(place, StockMovement) == 1


def test_without_a_client_id_every_send_is_new(place):
    receive_once(place, RECEIPT)
    receive_once(place, RECEIPT)
    assert count(place, StockMovement) == 2 and count(place, ResendRecord) == 0


def test_racing_sends_of_one_id_write_once(place):
    body = {**RECEIPT, "client_id": "r-race"}
    answers, errors = [], []
    start = threading.Barrier(6)

    def send():
        start.wait()
        try:
            answers.append(receive_once(place, body))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(a.created for a in answers) == [False] * 5 + [True]
    assert len({a.body["movement"]["id"] for a in answers}) == 1
    assert count(place, StockMovement) == 1 and count(place, ResendRecord) == 1


def _refuse(_ctx):
    raise Conflict("the change was made already")


def _find_late(monkeypatch):
    """The first look for a kept answer misses, as when a twin commits just after it."""
    real, looks = resend.store.find, []

    def find(session, key):
        looks.append(key)
        return None if len(looks) == 1 else real(session, key)

    monkeypatch.setattr(resend.store, "find", find)


def test_a_send_whose_work_refuses_after_its_twin_committed_answers_with_the_twins_answer(place, monkeypatch):
    body = {**RECEIPT, "client_id": "r-twin"}
    first = receive_once(place, body)
    _find_late(monkeypatch)
    again = resend.once(world.context(place), "stock.receipt", body, _refuse)
    assert not again.created and again.body == first.body
    assert count(place, StockMovement) == 1 and count(place, ResendRecord) == 1


def test_a_refusal_with_no_twin_behind_it_stays_a_refusal(place, monkeypatch):
    _find_late(monkeypatch)
    with pytest.raises(Conflict):
        resend.once(world.context(place), "stock.receipt", {**RECEIPT, "client_id": "r-alone"}, _refuse)
    assert count(place, ResendRecord) == 0
