"""The aid chain's staff pages: the aid-flags queue (filters, oldest first, evidence worded from reason codes,
the review steps a reviewer may take), one household's aid chain linked from the household page, the
dashboard's aid-flag counts (aggregate for anyone, flags only for reviewers), the map layer's village counts
(staff only) and the warehouse's duplicate-aid refusal with its override field."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from relief.services import aid_chain
from tests import aid_chain_world as acw
from tests.web.test_case_pages import html, log_in, settings_of


@pytest.fixture
def swept(app, ctx):
    store = app.extensions["relief.store"]
    acw.build(store)
    aid_chain.sweep(ctx, acw.T0 + timedelta(days=3))
    return store


@pytest.fixture
def commander(make_user):
    return make_user("commander")


def test_the_queue_words_each_flag_and_offers_its_steps(client, swept, commander):
    log_in(client, commander)
    page = html(client, "/aid-flags")
    cards = re.findall(r'<li class="ac-card aid-flag" id="flag-(\d+)" data-flag="\d+" data-kind="(\w+)" '
                       r'data-status="(\w+)"\s+data-reason="(\w+)" data-household="(\w+)"', page)
    assert cards and {c[2] for c in cards} == {"open"}
    duplicate = [c for c in cards if c[1] == "duplicate" and c[4] == "HH1"]
    assert duplicate and duplicate[0][3] == "overlapping_sources"
    assert f"agency:{acw.AGENCY}" not in page and acw.AGENCY in page  # the agency named, not its code
    assert "given by" in page and "over overlapping days" in page
    assert 'data-status="confirmed"' in page and 'data-status="not_duplicate"' in page
    assert 'data-needs-reason="1"' in page  # justified top-up needs a reason
    settings = settings_of(page, "aid-settings")
    assert settings["urls"]["transitions"] == "/api/aid-flags/{id}/transitions"
    assert settings["strings"]["reason_required"]


def test_filters_narrow_the_queue_and_resolved_flags_leave_the_default_view(client, ctx, swept, commander):
    log_in(client, commander)
    every = aid_chain.list_flags(ctx, limit=100)["items"]
    missed = html(client, "/aid-flags?flag=missed")
    assert 'data-kind="duplicate"' not in missed
    duplicate = next(f for f in every if f["flag"] == "duplicate")
    aid_chain.transition_flag(ctx.as_actor(commander.actor), duplicate["id"], {"to": "confirmed"})
    assert f'id="flag-{duplicate["id"]}"' not in html(client, "/aid-flags")
    everything = html(client, "/aid-flags?status=all")
    assert f'id="flag-{duplicate["id"]}"' in everything and "Confirmed" in everything
    assert html(client, "/aid-flags?flag=nonsense&township=nowhere")  # unknown choices are ignored


def test_the_queue_is_in_chinese_too(client, swept, commander):
    log_in(client, commander, lang="zh")
    page = html(client, "/aid-flags")
    assert '<html lang="zh' in page and "Duplicate aid" not in page


def test_the_household_aid_page_lists_the_chain_in_time_order(client, swept, commander):
    log_in(client, commander)
    page = html(client, "/households/HH1/aid")
    rows = re.findall(r'<tr data-aid="([^"]+)" data-source-kind="(\w+)" data-purpose="(\w+)">', page)
    assert {kind for _, kind, _ in rows} == {"distribution", "assistance", "partner"}
    assert all(purpose == "food" for _, _, purpose in rows)
    assert 'id="open-flags"' in page and "Duplicate aid" in page
    assert 'id="aid-chain-link"' in html(client, "/households/HH1")
    assert 'id="no-aid"' in html(client, "/households/HH3/aid")
    html(client, "/households/NOPE/aid", status=404)


def test_other_roles_are_refused_and_anonymous_browsers_log_in(client, swept, make_user):
    assert client.get("/aid-flags", headers={"Accept": "text/html"}).status_code == 302
    log_in(client, make_user("warehouse_keeper"))
    assert 'id="aid-refused"' in html(client, "/aid-flags", status=403)
    html(client, "/households/HH1/aid", status=403)
    assert "aid-chain-link" not in html(client, "/households/HH1")


def test_dashboard_counts_for_everyone_flags_only_for_reviewers(client, swept, commander):
    public = html(client, "/dashboard")
    assert 'id="aid-flag-counts"' in public and 'id="aid-oldest"' not in public and "HH1" not in public
    log_in(client, commander)
    staff = html(client, "/dashboard")
    assert 'id="aid-oldest"' in staff and "/households/HH1/aid" in staff


def test_the_map_layer_counts_villages_for_staff_only(client, swept, commander):
    assert client.get("/api/layers/aid-flags").status_code == 401
    answer = client.get("/api/layers/aid-flags", headers=commander.headers).get_json()
    assert answer["rows"] and answer["total"] == sum(r["total"] for r in answer["rows"])
    assert all(set(r) == {"code", "duplicate", "missed", "total"} for r in answer["rows"])
    log_in(client, commander)
    assert "aid-flags-layer.js" in html(client, "/")


def test_the_warehouse_offers_an_override_after_a_duplicate_refusal(client, swept, make_user):
    log_in(client, make_user("warehouse_keeper"))
    page = html(client, "/stock")
    assert 'id="override"' in page and 'name="override_reason"' in page
