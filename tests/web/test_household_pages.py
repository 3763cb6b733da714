"""The household pages: rendered on the server for staff, and the search → open → correct journey in Chromium."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from relief.domain.guarantees import REASON_CODES, Figures
from relief.domain.standards import Standards
from relief.store.tables import Household
from tests import world
from tests.web.test_api_households import ID_1, place  # noqa: F401  (the fixture)
from tests.web.test_report_page import LiveServer

PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def viewer(make_user):
    return make_user("viewer")


@pytest.fixture
def manager(make_user):
    return make_user("site_manager")


def page(client, url: str, user, lang: str = "zh") -> str:
    client.get(f"/lang/{lang}")
    response = client.get(url, headers=user.headers)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def english_reasons() -> set[str]:
    """Every reason sentence the domain writes in English (what a Chinese page must never show)."""
    texts = Figures.read(Standards.bundled()).reason_texts()
    return {t for g in REASON_CODES for t in texts[g]}


def guarantee_items(text: str) -> dict[str, tuple[str, str]]:
    """guarantee → (verdict, reason code) from the rendered badges."""
    found = re.findall(r'data-guarantee="(\w+)" data-verdict="(\w+)"\s+data-reason-code="(\w+)"', text)
    return {g: (v, c) for g, v, c in found}


def test_anonymous_browsers_are_sent_to_log_in(client, place):  # noqa: F811
    for url in ("/households", "/households?q=%E7%8E%8B", "/households/H1"):
        response = client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/households")
        assert "王小明" not in response.get_data(as_text=True)
        scripted = client.get(url)  # not a browser's navigation: the gate's own answer
        assert scripted.status_code == 401 and scripted.get_json()["error"]["code"] == "not_authenticated"


def test_the_search_page_lists_what_it_found_with_names(client, place, viewer):  # noqa: F811
    text = page(client, "/households?q=王小明", viewer)
    assert 'href="/households/H1"' in text and "4228**********123X" in text and ID_1 not in text
    assert "某村" in text and "H2" not in re.sub(r"<script.*?</script>", "", text, flags=re.S)
    assert 'class="table-wrap"' in text
    at_site = page(client, "/households?q=赵五", viewer, "en")
    assert "Site S9" in at_site and 'lang="en"' in at_site
    everyone = page(client, "/households", viewer)
    assert all(f'href="/households/{h}"' in everyone for h in ("H1", "H2", "H5", "H6", "H10"))


def test_a_search_too_long_is_shown_next_to_its_box(client, place, viewer):  # noqa: F811
    text = page(client, "/households?q=" + "x" * 81, viewer, "en")
    assert 'id="q" name="q"' in text and 'aria-invalid="true"' in text
    assert re.search(r'<p class="field-error" id="q-error"\s*>At most 80 characters\.</p>', text)


def test_the_search_pages_through_many(client, place, viewer):  # noqa: F811
    with place.write() as session:
        session.add_all([world.household(f"M{i:03d}", 2, 109.45, head_name=f"孙{i}") for i in range(60)])
    first = page(client, "/households?q=M", viewer)
    assert first.count('href="/households/M') == 50 and "offset=50" in first
    second = page(client, "/households?q=M&offset=50", viewer)
    assert second.count('href="/households/M') == 10 and "offset=0" in second


def test_the_household_page_for_a_viewer(client, place, viewer):  # noqa: F811
    text = page(client, "/households/H1", viewer)
    assert "王小明" in text and "4228**********123X" in text and ID_1 not in text and "139****5678" in text
    assert 'id="hh-edit"' not in text  # no edit form without household.manage
    assert "某镇" in text and "恩施市" in text and "某村" in text  # names, not codes
    assert set(guarantee_items(text)) == {"food", "clothing", "water", "housing", "medical"}
    # what it received: newest first, with item names and where it came from
    assert text.index("Bottled water 5 L") < text.index("Rice") and "Site S1" in text
    assert 'id="relief-styles"' in text


def test_the_zh_page_words_reasons_by_code_and_shows_no_english_reason(client, app, place, manager):  # noqa: F811
    from relief.web.wording import reason_words

    text = page(client, "/households/H5", manager, "zh")
    items = guarantee_items(text)
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        words = reason_words(app.extensions["relief.standards"]())
    for g, (_, code) in items.items():
        assert words[g][code] in text, (g, code)
    shown = [t for t in english_reasons() if t in text]
    assert shown == []
    english = page(client, "/households/H5", manager, "en")
    assert any(t in english for t in english_reasons())  # the same reasons, in English on the English page


def test_the_household_page_for_a_manager_has_the_form(client, place, manager):  # noqa: F811
    text = page(client, "/households/H1", manager, "en")
    assert ID_1 in text and "13912345678" in text
    assert 'id="hh-edit"' in text and 'name="csrf-token"' in text
    for field in ("members", "infants", "children", "elderly", "disabled", "chronic", "pregnant", "injured",
                  "house_damage", "assistance_category", "needs_living_aid", "phone", "notes", "reason"):
        assert f'id="f-{field}"' in text and f'id="e-{field}"' in text, field
    assert "household_pages.js" in text


def test_an_unknown_household_is_a_404_page(client, place, viewer):  # noqa: F811
    client.get("/lang/en")
    response = client.get("/households/NOPE", headers=viewer.headers)
    assert response.status_code == 404 and "No household has this id" in response.get_data(as_text=True)


# --- in Chromium ------------------------------------------------------------------------------------

@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


def _log_in(page, base: str, user) -> None:
    page.goto(base + "/login")
    page.fill("input[name=name]", user.name)
    page.fill("input[name=password]", f"pw-{user.name}")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
@pytest.mark.slow
def test_search_open_correct_and_see_the_guarantee_rejudged(browser, live, place, manager):  # noqa: F811
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live.url + "/lang/zh")
        _log_in(page, live.url, manager)

        page.goto(live.url + "/households")
        assert page.evaluate(OVERFLOW) <= 1
        page.fill("#q", "赵五")  # typed: the list follows without a submit
        page.wait_for_function("() => document.querySelectorAll('#hh-results tbody tr').length === 1")
        assert "q=" in page.url
        page.click("#hh-results tbody a")
        page.wait_for_url(re.compile(r"/households/H5$"))
        assert page.evaluate(OVERFLOW) <= 1
        housing = "#hh-guarantees [data-guarantee=housing]"
        assert page.get_attribute(housing, "data-verdict") == "met"
        served = page.evaluate("() => window.relief.styles.guarantee_colours")
        colour = page.evaluate(f"() => getComputedStyle(document.querySelector('{housing}')).borderLeftColor")
        assert colour == rgb(served["met"])

        page.fill("#f-members", "14")
        page.click("#hh-save")  # without a reason: refused here, next to the reason box
        assert page.is_visible("#e-reason") and page.get_attribute("#f-reason", "aria-invalid") == "true"
        page.fill("#f-injured", "20")
        page.fill("#f-reason", "重新清点人数")
        page.click("#hh-save")  # the server refuses injured > members and names the field
        page.wait_for_selector("#e-injured:not([hidden])")
        assert page.get_attribute("#f-injured", "aria-invalid") == "true"
        with place.read() as session:
            assert session.get(Household, "H5").members == 4  # nothing written

        page.fill("#f-injured", "1")
        page.click("#hh-save")
        page.wait_for_url(re.compile(r"/households/H5\?saved=1$"))
        assert page.text_content("#hh-members").strip() == "14"
        assert page.get_attribute(housing, "data-verdict") == "at_risk"
        colour = page.evaluate(f"() => getComputedStyle(document.querySelector('{housing}')).borderLeftColor")
        assert colour == rgb(served["at_risk"])
        content = page.content()
        assert [t for t in english_reasons() if t in content] == []
        assert page.evaluate(OVERFLOW) <= 1
    finally:
        context.close()
    assert errors == []
    with place.read() as session:
        household = session.get(Household, "H5")
        assert (household.members, household.injured) == (14, 1)


AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
VIOLATIONS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_fit_a_phone_and_pass_axe(browser, live, place, manager, lang):  # noqa: F811
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # axe is injected as a script
    try:
        page = context.new_page()
        page.goto(f"{live.url}/lang/{lang}")
        _log_in(page, live.url, manager)
        for url in ("/households", "/households?q=" + "x" * 81, "/households/H1", "/households/H5"):
            page.goto(live.url + url)
            page.wait_for_load_state("networkidle")
            assert page.evaluate(OVERFLOW) <= 1, url
            page.add_script_tag(path=str(AXE))
            assert page.evaluate(VIOLATIONS) == [], url
    finally:
        context.close()


def rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))
