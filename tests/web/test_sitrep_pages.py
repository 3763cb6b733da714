"""The sitrep over HTTP: figures equal the API's, the page, issuing (who may, resends), the PDF, bad as_of."""
from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from pypdf import PdfReader

from relief.services import sitrep
from relief.web import sitrep_pages
from tests import sitrep_world as world


@pytest.fixture
def scene(app, make_user):
    store = app.extensions["relief.store"]
    world.build(store)
    reporter = make_user("field_reporter")
    ctx = world.context(store, reporter.actor, world.OCCURRED + timedelta(hours=1))
    west = world.incident(ctx, 109.2)
    east = world.incident(ctx, 109.7)
    world.report(ctx, west, "initial", "T1", affected=100, dead=2, missing=1, relocated_centralised=30,
                 collapsed_households=5, economic_loss_10k_yuan=50.5)
    world.report(ctx, east, "initial", "T2", affected=40, missing=2, relocated_dispersed=4, severe_households=1)
    return {"ctx": ctx}


@pytest.fixture
def staff(make_user):
    return make_user("viewer")


@pytest.fixture
def commander(make_user):
    return make_user("commander")


def test_figures_equal_the_apis(client, scene, staff):
    answer = client.get("/api/sitrep", headers=staff.headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    total = client.get("/api/reports/summary").get_json()["total"]
    for row in body["key"]:
        if row["source"] == "reports":
            assert body["figures"][row["name"]] == pytest.approx(total[row["name"]]), row["name"]
    assert body["figures"]["affected"] == 140 and body["figures"]["dead"] == 2 and body["figures"]["missing"] == 3
    keys = client.get("/api/key-figures").get_json()
    assert body["figures"]["relocated_centralised_now"] + body["figures"]["relocated_dispersed_now"] == \
        _persons_relocated(keys)
    unmet = body["guarantees"]["total"]
    assert unmet == keys_unmet(keys)


def _persons_relocated(keys):
    found = keys.get("relocated") or keys.get("people_relocated") or {}
    return found.get("persons") if isinstance(found, dict) else found


def keys_unmet(keys):
    return keys.get("unmet") or keys.get("households_unmet")


def test_issuing_needs_a_commander_and_is_resend_safe(client, scene, staff, commander):
    assert client.post("/api/sitrep/issue", json={"client_id": "x1"}).status_code == 401
    assert client.post("/api/sitrep/issue", json={"client_id": "x1"}, headers=staff.headers).status_code == 403
    body = {"client_id": str(uuid.uuid4())}
    first = client.post("/api/sitrep/issue", json=body, headers=commander.headers)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/sitrep/issue", json=body, headers=commander.headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert first.get_json()["number"] == 1
    same_moment = client.post("/api/sitrep/issue", json={"client_id": str(uuid.uuid4()),
                                                         "as_of": first.get_json()["as_of"]}, headers=commander.headers)
    assert same_moment.get_json()["number"] == 1 and same_moment.get_json()["created"] is False


def test_reading_needs_staff(client, scene):
    assert client.get("/api/sitrep").status_code == 401
    assert client.get("/sitrep").status_code == 401
    assert client.get("/sitrep/1.pdf").status_code == 401


@pytest.mark.parametrize("as_of", ["2099-01-01T00:00:00+08:00", "2020-01-01T00:00:00+08:00", "yesterday"])
def test_a_bad_as_of_is_a_400_naming_it(client, scene, staff, as_of):
    answer = client.get("/api/sitrep", query_string={"as_of": as_of}, headers=staff.headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["field"] == "as_of"


def test_one_snapshot_gives_byte_identical_html(app, scene):
    snap = sitrep.snapshot(world.at(scene["ctx"], world.MORNING), world.MORNING)
    first = sitrep_pages.render_locale(app, snap, "zh")
    second = sitrep_pages.render_locale(app, dict(snap), "zh")
    assert first == second
    assert world.WEST_ZH in first and "<svg" in first
    assert "http" not in first.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched from anywhere
    assert 'href="/api/reports/summary"' in first
    english = sitrep_pages.render_locale(app, snap, "en")
    assert "Figures by county" in english and "Key figures" in english


def test_the_page_lists_earlier_reports_and_offers_issuing_to_commanders(client, scene, staff, commander):
    page = client.get("/sitrep", headers=staff.headers).get_data(as_text=True)
    assert world.WEST_ZH in page and 'id="issue-sitrep"' not in page
    client.post("/api/sitrep/issue", json={"client_id": str(uuid.uuid4())}, headers=commander.headers)
    page = client.get("/sitrep", headers=commander.headers).get_data(as_text=True)
    assert 'id="issue-sitrep"' in page and 'href="/sitrep/1.pdf"' in page
    assert client.get("/sitrep/style.css").status_code == 200


def test_the_pdf_of_an_issued_report_has_the_counties_and_tables(client, scene, commander):
    client.post("/api/sitrep/issue", json={"client_id": str(uuid.uuid4())}, headers=commander.headers)
    chinese = _pdf_text(client.get("/sitrep/1.pdf", headers={**commander.headers, "Accept-Language": "zh"}))
    assert world.WEST_ZH in chinese and world.EAST_ZH in chinese  # the CJK font is embedded, its text extractable
    for heading in ("关键数据", "分县数据", "分乡镇灾情数据"):
        assert heading in chinese, heading
    english = _pdf_text(client.get("/sitrep/1.pdf", headers={**commander.headers, "Accept-Language": "en"}))
    for heading in ("Key figures", "Figures by county", "Figures by township", "Overdue statutory reports"):
        assert heading in english, heading
    assert client.get("/sitrep/2.pdf", headers=commander.headers).status_code == 404


def test_the_pdf_embeds_one_face_regular_and_bold(app, scene):
    """Page numbers, map labels and summed rows are set in the report's face too: each other face embedded
    (a default serif, a synthesised oblique, a fallback) costs the PDF a font file loaded and subset."""
    snap = sitrep.snapshot(world.at(scene["ctx"], world.MORNING), world.MORNING)
    reader = PdfReader(io.BytesIO(sitrep_pages.pdf_bytes(sitrep_pages.render_locale(app, snap, "zh"))))
    faces = {str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
             for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert faces == {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert world.WEST_ZH in text and "1 / " in text  # county names (map labels and tables) and page numbers


def test_edxl_answer_carries_the_key_figures(client, scene, staff):
    from xml.etree import ElementTree as ET

    answer = client.get("/api/sitrep", query_string={"format": "edxl"}, headers=staff.headers)
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    root = ET.fromstring(answer.data)
    ns = {"e": "urn:oasis:names:tc:emergency:EDXL:SitRep:1.0"}
    assert root.tag == "{urn:oasis:names:tc:emergency:EDXL:SitRep:1.0}SitRep"
    types = [node.text for node in root.findall("e:Report/e:ReportType", ns)]
    assert types == ["SituationInformation", "CasualtyAndIllness"]
    assert root.find("e:Report/e:AffectedPopulation", ns).text == "140"
    assert root.find("e:Report/e:Missing", ns).text == "3"


def _pdf_text(answer) -> str:
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    assert 1 <= len(reader.pages) <= 20
    return "\n".join(page.extract_text() for page in reader.pages)
