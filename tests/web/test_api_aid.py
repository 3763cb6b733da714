"""The aid chain over JSON: flags listed with filters, review steps (resend-safe, 400/409 naming the field),
households' chains, and never for a public or field role."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from relief import live
from relief.services import aid_chain as service
from relief.store.tables import AidFlagStep
from tests import aid_chain_world as w


@pytest.fixture
def published(monkeypatch):
    seen: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda events: seen.extend(events))
    return seen


@pytest.fixture
def world(store, ctx):
    w.build(store)
    ctx.clock = lambda: w.T0 + timedelta(days=3)
    service.sweep(ctx, w.T0 + timedelta(days=3))
    return store


@pytest.fixture
def commander(make_user):
    return make_user("commander")


def _steps(store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(AidFlagStep))


def test_flags_are_listed_with_filters_and_pages(client, world, commander):
    everything = client.get("/api/aid-flags", headers=commander.headers).get_json()
    assert everything["total"] == len(everything["items"]) >= 3
    duplicates = client.get("/api/aid-flags?flag=duplicate&status=open", headers=commander.headers).get_json()
    assert {i["aid_id"] for i in duplicates["items"]} == {"partner:1", "assistance:C1"}
    assert all(i["flag"] == "duplicate" and i["status"] == "open" for i in duplicates["items"])
    east = client.get(f"/api/aid-flags?township={w.aw.EAST}", headers=commander.headers).get_json()
    assert east["items"] and all(i["township_code"] == w.aw.EAST for i in east["items"])
    page = client.get("/api/aid-flags?limit=1&offset=1", headers=commander.headers).get_json()
    assert len(page["items"]) == 1 and page["offset"] == 1 and page["items"][0]["id"] == everything["items"][1]["id"]
    for query, field in (("flag=triple", "flag"), ("status=lost", "status"), ("township=x;y", "township"),
                         ("limit=0", "limit")):
        answer = client.get(f"/api/aid-flags?{query}", headers=commander.headers)
        assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field, query


def test_a_public_caller_or_a_field_role_is_kept_out(client, world, make_user):
    for role in ("field_reporter", "viewer", "warehouse_keeper"):
        headers = make_user(role).headers
        for url in ("/api/aid-flags", "/api/aid-flags/counts", "/api/aid-flags/1", "/api/households/HH1/aid"):
            assert client.get(url, headers=headers).status_code == 403, (role, url)
        assert client.post("/api/aid-flags/1/transitions", json={"to": "confirmed"}, headers=headers).status_code == 403
    assert client.get("/api/aid-flags").status_code == 401
    assert client.get("/api/households/HH1/aid").status_code == 401


def test_transitions_are_resend_safe_and_refusals_name_the_field(client, world, commander, published):
    flag_id = client.get("/api/aid-flags?flag=duplicate", headers=commander.headers).get_json()["items"][0]["id"]
    before = _steps(world)
    send = {"to": "justified_top_up", "reason": "second child born", "client_id": "review-1"}
    first = client.post(f"/api/aid-flags/{flag_id}/transitions", json=send, headers=commander.headers)
    again = client.post(f"/api/aid-flags/{flag_id}/transitions", json=send, headers=commander.headers)
    assert (first.status_code, again.status_code) == (201, 200) and first.get_json() == again.get_json()
    assert first.get_json()["status"] == "justified_top_up" and _steps(world) == before + 1
    assert [e["kind"] for e in published] == ["aid_flag.changed"] and published[0]["public"] is False
    reused = client.post(f"/api/aid-flags/{flag_id}/transitions", json={**send, "to": "confirmed"},
                         headers=commander.headers)
    assert reused.status_code == 409 and reused.get_json()["error"]["field"] == "client_id"
    refused = client.post(f"/api/aid-flags/{flag_id}/transitions", json={"to": "confirmed"}, headers=commander.headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["field"] == "status"
    other = client.get("/api/aid-flags?flag=duplicate&status=open", headers=commander.headers).get_json()["items"][0]
    for body, field in (({"reason": "x"}, "to"), ({"to": "lost"}, "to"), ({"to": "justified_top_up"}, "reason"),
                        ({"to": "confirmed", "reason": 5}, "reason")):
        answer = client.post(f"/api/aid-flags/{other['id']}/transitions", json=body, headers=commander.headers)
        assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field, body
    assert client.post("/api/aid-flags/99999/transitions", json={"to": "confirmed"},
                       headers=commander.headers).status_code == 404
    assert _steps(world) == before + 1


def test_a_households_chain_and_one_flag(client, world, make_user):
    clerk = make_user("township_clerk")
    chain = client.get("/api/households/HH1/aid", headers=clerk.headers).get_json()
    assert [link["aid_id"] for link in chain["links"]] == ["distribution:1", "partner:1", "assistance:C1"]
    assert chain["links"][1]["source"] == f"agency:{w.AGENCY}" and chain["open_flags"] >= 2
    assert client.get("/api/households/nobody/aid", headers=clerk.headers).status_code == 404
    one = client.get(f"/api/aid-flags/{chain['flags'][0]['id']}", headers=clerk.headers).get_json()
    assert one["history"][0]["to_status"] == "open"
    counts = client.get("/api/aid-flags/counts", headers=clerk.headers).get_json()
    assert counts["open"] >= 3 and {t["township_code"] for t in counts["by_township"]} == {w.aw.WEST, w.aw.EAST}
