"""The incident page, server side: what each role is offered, names not codes, 404, the forms' words."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import update

from relief.domain.indicators import INDICATORS
from relief.domain.roles import PERMISSIONS, ROLES
from relief.domain.vocabulary import IncidentStatus
from relief.store.tables import Area, Incident

CST = timezone(timedelta(hours=8))
LAT, LON = 30.28, 109.48
#: Every lifecycle action the page can show, as the form's data attribute.
ACTION_FORM = re.compile(r'<form class="action-form" data-action="([a-z_]+)"')
#: Status → role → the actions the lifecycle allows (written out, not read from the table).
EXPECTED = {
    "reported": {"verifier": ["start_verification", "verify", "reject", "mark_duplicate"],
                 "admin": ["start_verification", "verify", "reject", "mark_duplicate"]},
    "verified": {"verifier": ["mark_duplicate"], "admin": ["mark_duplicate", "respond"], "commander": ["respond"]},
    "responding": {"admin": ["stabilise"], "commander": ["stabilise"]},
    "closed": {},
}


@pytest.fixture
def areas(store):
    with store.write() as session:
        session.add_all([
            Area(code="422801", name_zh="恩施市", name_en="Enshi", level="county", parent_code=None,
                 geom=MultiPolygon([box(109.2, 30.0, 109.8, 30.6)])),
            Area(code="422801001", name_zh="舞阳坝街道", name_en="Wuyangba", level="township", parent_code="422801",
                 geom=MultiPolygon([box(109.4, 30.2, 109.6, 30.4)])),
            Area(code="422801002", name_zh="小渡船街道", name_en="Xiaoduchuan", level="township",
                 parent_code="422801", geom=MultiPolygon([box(109.6, 30.2, 109.8, 30.4)])),
            Area(code="422802", name_zh="利川市", name_en="Lichuan", level="county", parent_code=None,
                 geom=MultiPolygon([box(108.5, 30.0, 109.2, 30.6)])),
            Area(code="422802001", name_zh="都亭街道", name_en="Duting", level="township", parent_code="422802",
                 geom=MultiPolygon([box(108.8, 30.2, 109.0, 30.4)])),
        ])


@pytest.fixture
def users(make_user):
    return {role: make_user(role) for role in ROLES}


@pytest.fixture
def incident(client, users, areas) -> int:
    body = {"client_id": str(uuid.uuid4()), "kind": "landslide", "title": "Slope above the school",
            "description": "cracks <b>widening</b>", "lat": LAT, "lon": LON,
            "occurred_at": (datetime.now(CST) - timedelta(hours=1)).replace(microsecond=0).isoformat(),
            "indicators": {"affected": 30, "dead": 1}, "township_code": "422801001"}
    answer = client.post("/api/incidents", json=body, headers=users["field_reporter"].headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def set_status(store, incident_id: int, status: str) -> None:
    with store.write() as session:
        session.execute(update(Incident).where(Incident.id == incident_id).values(status=status))


def page(client, incident_id: int, user=None, lang: str = "en") -> str:
    client.get(f"/lang/{lang}")
    answer = client.get(f"/incidents/{incident_id}", headers=user.headers if user else {})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


@pytest.mark.parametrize("status", list(EXPECTED))
@pytest.mark.parametrize("role", [*ROLES, None])
def test_each_role_is_offered_exactly_the_actions_it_may_take(client, store, users, incident, status, role):
    set_status(store, incident, status)
    html = page(client, incident, users[role] if role else None)
    assert ACTION_FORM.findall(html) == EXPECTED[status].get(role, [])
    offered = bool(EXPECTED[status].get(role))
    assert ('name="reason"' in html) == offered  # each action has its reason box
    if role is None or role not in PERMISSIONS["incident.transition"]:
        assert "What you can do now" not in html.replace('class="visually-hidden">What you can do now', "")


def test_the_api_answer_carries_the_same_actions(client, users, incident):
    for role in ROLES:
        detail = client.get(f"/api/incidents/{incident}", headers=users[role].headers).get_json()
        assert [a["action"] for a in detail["actions"]] == EXPECTED["reported"].get(role, [])
    anonymous = client.get(f"/api/incidents/{incident}").get_json()
    assert anonymous["actions"] == []
    assert [t["code"] for t in anonymous["townships"]] == ["422801001", "422801002"]
    assert anonymous["area_names"]["422801002"] == {"zh": "小渡船街道", "en": "Xiaoduchuan"}


def test_names_not_codes_in_both_languages(client, users, incident):
    zh = page(client, incident, users["verifier"], "zh")
    assert "舞阳坝街道" in zh and "恩施市" in zh
    en = page(client, incident, users["verifier"], "en")
    assert "Wuyangba" in en and "Enshi" in en
    for html in (zh, en):
        shown = re.sub(r'<[^>]+>', " ", re.sub(r"<script.*?</script>", "", html, flags=re.S))
        assert "422801" not in shown  # codes stay in attributes and data, never in the text people read
    # the figures table and the timeline name the township and the report
    assert re.search(r'<tr data-township="422801001"><th scope="row">Wuyangba</th>', en)
    assert "initial report (初报)" in en and "Affected population (people): 30" in en


def test_user_text_is_escaped_and_times_are_local_to_the_minute(client, users, incident):
    html = page(client, incident, users["verifier"])
    assert "cracks &lt;b&gt;widening&lt;/b&gt;" in html and "<b>widening" not in html
    shown = re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", html)
    assert shown and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", s) for s in shown)


def test_unknown_incident_is_404(client, users):
    answer = client.get("/incidents/987654", headers=users["verifier"].headers)
    assert answer.status_code == 404 and "987654" in answer.get_data(as_text=True)
    assert client.get("/incidents/0").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_statutory_form_is_for_those_who_may_file(client, users, incident, role):
    html = page(client, incident, users[role])
    may = role in PERMISSIONS["report.statutory"] and role in PERMISSIONS["incident.report"]
    assert ('id="statutory-form"' in html) == may
    if may:
        # every indicator is a labelled field with its error slot; the township list is the county's, by name
        for name in INDICATORS:
            assert f'<label for="ind-{name}">' in html and f'data-error-for="indicators.{name}"' in html
        options = re.findall(r'<option value="(4228\d+)" data-next="(\w*)"[^>]*>([^<]+)</option>', html)
        assert options == [("422801001", "continued", "Wuyangba"), ("422801002", "initial", "Xiaoduchuan")]
        assert re.search(r'<option value="422801001" data-next="continued" selected>', html)


def test_no_statutory_form_on_a_rejected_incident(client, store, users, incident):
    set_status(store, incident, IncidentStatus.REJECTED)
    assert 'id="statutory-form"' not in page(client, incident, users["verifier"])


def test_the_page_words_server_refusals_in_chinese(client, users, incident):
    html = page(client, incident, users["verifier"], "zh")
    words = json.loads(re.search(r'<script id="incident-i18n" type="application/json">(.*?)</script>', html,
                                 re.S).group(1))
    words = json.dumps(words, ensure_ascii=False)
    assert "受灾人口" in words
    for english in ("Enter a whole number", "may not exceed", "Give a reason"):
        assert english not in words


def test_overdue_list_links_to_the_incident_page_with_names(client, users, areas):
    occurred = datetime(2026, 7, 1, 7, 30, tzinfo=CST)
    body = {"client_id": str(uuid.uuid4()), "kind": "flood", "title": "River over the bank", "lat": LAT, "lon": LON,
            "occurred_at": occurred.isoformat()}
    iid = client.post("/api/incidents", json=body, headers=users["field_reporter"].headers).get_json()["id"]
    client.get("/lang/en")
    html = client.get("/reports/overdue", query_string={"as_of": (occurred + timedelta(hours=3)).isoformat()})
    text = html.get_data(as_text=True)
    assert f'href="/incidents/{iid}"' in text and "/api/incidents/" not in text
    assert "Wuyangba" in text and "Enshi" in text
    row = re.search(rf'<tr data-incident="{iid}".*?</tr>', text, re.S).group(0)
    assert "422801" not in re.sub(r"<[^>]+>", " ", row)
    assert re.search(r'<time datetime="[^"]+">2026-07-01 09:30</time>', row)  # due 2 h after, Beijing time
