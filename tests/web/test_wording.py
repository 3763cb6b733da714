"""Guarantee reasons in words: every reason code of every guarantee, in Chinese and English, with its figures.

The domain answers with reason codes; ``relief.web.wording`` words them through Babel with the figures of
the standards in force. In Chromium, the dashboard in Chinese shows no English reason text.
"""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from relief.domain.guarantees import REASON_CODES, Figures
from relief.domain.standards import Standards
from relief.web import wording
from tests.web.servers import relief_env, run, serving

CJK = re.compile(r"[\u4e00-\u9fff]")


def words(app, locale: str, profile: str = "normal") -> dict[str, dict[str, str]]:
    with app.test_request_context("/"), force_locale(locale):
        return wording.reason_words(Standards.bundled(), profile)


def test_every_reason_code_has_words_in_both_languages(app):
    zh, en = words(app, "zh"), words(app, "en")
    assert {g: set(codes) for g, codes in REASON_CODES.items()} == {g: set(t) for g, t in zh.items()}
    assert {g: set(t) for g, t in en.items()} == {g: set(t) for g, t in zh.items()}
    for g, codes in REASON_CODES.items():
        for code in codes:
            assert zh[g][code] != en[g][code], (g, code)
            assert CJK.search(zh[g][code]), (g, code, zh[g][code])
            assert not CJK.search(en[g][code]), (g, code, en[g][code])
            for sentence in (zh[g][code], en[g][code]):
                assert "%(" not in sentence and "{" not in sentence, sentence


#: The figure each parameter stands for in the bundled standards (normal profile).
EXPECTED = {"hours": "24", "kcal": "2,100", "litres": "15", "acute_litres": "7.5", "m2": "3.5", "floor_m2": "1.5",
            "sets": "2", "sets_floor": "1", "bedding": "1", "bedding_floor": "1", "km": "5", "days": "7"}


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_each_sentence_names_its_figures_from_the_standards(app, locale):
    said = words(app, locale)
    for g, table in wording.REASON_FIGURES.items():
        for code, names in table.items():
            for name in names:
                assert EXPECTED[name] in said[g][code], (locale, g, code, name, said[g][code])
    assert said["water"]["site_water_acute"].index("7.5") < said["water"]["site_water_acute"].index("15")


def test_the_figures_follow_the_standards_and_the_profile(app):
    document = Standards.bundled().document
    reach = {**document["guarantees"]["medical_reach_km"], "value": 8}
    changed = dict(document, guarantees={**document["guarantees"], "medical_reach_km": reach})
    with app.test_request_context("/"), force_locale("zh"):
        said = wording.reason_words(Standards(changed))
        cold = wording.reason_words(Standards.bundled(), "cold")
    assert "8公里" in said["medical"]["medical_out_of_reach"]
    assert Figures.read(Standards.bundled(), "cold").shelter_m2 == 4.5
    assert "4.5" in cold["housing"]["site_space_ok"] and "3.5" not in cold["housing"]["site_space_ok"]


def test_unit_words_are_translated_and_unknown_units_kept(app):
    with app.test_request_context("/"), force_locale("zh"):
        for unit in ("kg", "L", "bottle", "box", "piece", "set", "kit", "tent", "bag", "case"):
            assert CJK.search(wording.unit_word(unit)), unit
        assert wording.unit_word("crate") == "crate" and wording.unit_word(None) == ""


def test_the_dashboard_page_carries_the_words_for_every_profile(client):
    html = client.get("/dashboard", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert '"reasonWords"' in html and '"cold"' in html and '"normal"' in html
    assert "no food received" not in html


def test_the_map_page_carries_the_words_for_its_household_popups(client):
    html = client.get("/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert 'id="relief-reasons"' in html and "no operating medical point" not in html


# ---- in Chromium: the dashboard in Chinese --------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wording")
    from tests.web.servers import fresh_database_url

    env = relief_env(fresh_database_url(folder, "wording"), folder / "instance")
    run(env, "demo", "--households", "300")
    run(env, "users", "create", "words-commander", "--role", "commander", "--password", "pw-words-commander")
    with serving(env) as base:
        yield base


@pytest.mark.browser
@pytest.mark.slow
def test_the_dashboard_in_chinese_shows_no_english_reason(browser, demo_server, app):
    english = {s for table in words(app, "en").values() for s in table.values()}
    chinese = {s for table in words(app, "zh").values() for s in table.values()}
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(demo_server + "/lang/zh")
        page.goto(demo_server + "/login")
        page.fill("input[name=name]", "words-commander")
        page.fill("input[name=password]", "pw-words-commander")
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-map-ready='1']", timeout=20000)
        page.goto(demo_server + "/dashboard")
        page.wait_for_selector("#unmet ul.reasons li", timeout=20000)
        shown = page.eval_on_selector_all("#unmet ul.reasons li span", "(spans) => spans.map((s) => s.textContent)")
        text = page.inner_text("#unmet")
    finally:
        context.close()
    assert shown, "no reason shown"
    assert set(shown) <= chinese, set(shown) - chinese
    assert not any(sentence in text for sentence in english)
    assert not re.search(r"[A-Za-z]{4,}", text.replace("–", "")), text[:400]
    assert errors == []
