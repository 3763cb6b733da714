"""The front end's shared pieces: one helper module (``static/js/common.js``) and the server's colours and words.

Static checks read the files: no page script defines its own ``el`` or ``getJSON``, no script or stylesheet
keeps its own verdict colours, every page loads ``common.js`` before its own scripts. In Chromium, against a
real ``relief serve``, the dashboard and the map show a verdict in the same colour, the server's.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from maps import styles
from relief import asset_folder
from relief.domain import vocabulary
from tests.web.servers import demo_serving

SCRIPTS = sorted(Path(asset_folder("static"), "js").glob("*.js"))
STYLESHEETS = sorted(Path(asset_folder("static"), "css").glob("*.css"))
COMMON = "common.js"
#: A function named NAME: ``function NAME(``, ``NAME = function``, ``const NAME = (…) =>``, ``NAME: async (``.
DEFINES = r"(?:\bfunction\s+{name}\s*\(|\b{name}\s*[=:]\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*=>|\w+\s*=>))"


def defined_functions(source: str, names=("el", "getJSON")) -> list[str]:
    return [name for name in names if re.search(DEFINES.format(name=name), source)]


def test_the_definition_pattern_sees_each_way_of_writing_one():
    for source in ["function el(tag) {}", "async function getJSON(url) {}", "const el = (tag) => 1;",
                   "var getJSON = function (url) {};", "{ getJSON: async (url) => 1 }", "let el = tag => 1;"]:
        assert defined_functions(source), source
    assert defined_functions("const el = R.el, getJSON = R.getJSON; el('p', {}, 'x');") == []


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s.name != COMMON], ids=lambda p: p.name)
def test_no_page_script_defines_its_own_el_or_getjson(script):
    assert defined_functions(script.read_text()) == [], f"{script.name}: use window.relief's (static/js/{COMMON})"


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s.name != COMMON and not s.name.endswith("-sw.js")],
                         ids=lambda p: p.name)
def test_no_page_script_makes_its_own_client_ids_or_outbox(script):
    """Ids for resend-safe writes and the offline outbox come from window.relief (newId, outbox)."""
    source = "\n".join(line for line in script.read_text().splitlines() if not line.lstrip().startswith(("*", "//")))
    assert "randomUUID" not in source and "indexedDB.open" not in source, script.name


def test_common_js_defines_the_shared_helpers_once():
    source = Path(asset_folder("static"), "js", COMMON).read_text()
    assert defined_functions(source) == ["el", "getJSON"]
    for name in ("postJSON", "fmtNumber", "fmtTime", "debounce", "loadStyles", "csrfToken", "newId", "outbox"):
        assert re.search(DEFINES.format(name=name), source), name


VERDICT_WORDS = "|".join(vocabulary.VERDICTS_WORST_FIRST)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_keep_no_verdict_colours_of_their_own(script):
    """Colours come from GET /api/map/styles: a ``not_applicable: "#…"`` in a script is a second table."""
    source = script.read_text()
    assert not re.search(rf"\b(?:{VERDICT_WORDS})[\"']?\s*:\s*[\"']#", source)


@pytest.mark.parametrize("sheet", STYLESHEETS, ids=lambda p: p.name)
def test_stylesheets_set_no_verdict_colours(sheet):
    """The verdict variables (``--verdict-met`` …) are set by common.js from the server's answer only."""
    css = sheet.read_text()
    assert not re.search(r"--verdict-[\w-]+\s*:", css)
    assert not re.search(rf"--(?:{VERDICT_WORDS.replace('_', '[-_]')}|na)\s*:", css)


def test_styles_answer_carries_the_vocabulary_and_a_colour_for_every_verdict(client):
    answer = client.get("/api/map/styles").get_json()
    assert answer["topics"] == list(vocabulary.TOPICS)
    assert answer["guarantees"] == list(vocabulary.GUARANTEES)
    assert answer["guarantee_statuses"] == list(vocabulary.GUARANTEE_STATUSES)
    assert answer["verdicts_worst_first"] == list(vocabulary.VERDICTS_WORST_FIRST)
    assert set(answer["verdicts_worst_first"]) <= set(answer["guarantee_colours"])
    assert set(answer["verdicts_worst_first"]) <= set(answer["area_class_colours"])


@pytest.mark.parametrize("path", ["/", "/dashboard", "/report", "/login", "/reports/overdue", "/public/donations"])
def test_every_page_loads_common_js_before_its_own_scripts(client, path):
    html = client.get(path).get_data(as_text=True)
    scripts = re.findall(r'<script\b[^>]*\bsrc="/static/js/([^"]+)"', html)
    assert scripts and scripts[0] == COMMON and scripts.count(COMMON) == 1, scripts


def test_the_report_page_keeps_common_js_for_offline_use():
    worker = Path(asset_folder("static"), "js", "report-sw.js").read_text()
    assert f'"/static/js/{COMMON}"' in worker


# ---- in Chromium -------------------------------------------------------------------------------------------

def rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


#: What a page shows for the verdict colours: the CSS variables, the colour CSS gives a
#: ``.status-<verdict>`` text, and the table the script holds.
SHOWN = """(verdicts) => {
  const root = getComputedStyle(document.documentElement);
  const probe = (v) => { const s = document.body.appendChild(document.createElement('span'));
    s.className = 'status-' + v; const c = getComputedStyle(s).color; s.remove(); return c; };
  return Object.fromEntries(verdicts.map((v) => [v, {variable: root.getPropertyValue('--verdict-' + v).trim(),
    text: probe(v), table: window.relief.styles.guarantee_colours[v]}]));
}"""


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    with demo_serving(tmp_path_factory.mktemp("front-end"), "front_end", households=200) as base:
        yield base


@pytest.mark.browser
@pytest.mark.slow
def test_the_dashboard_and_the_map_show_not_applicable_in_the_servers_colour(browser, small_server):
    served = requests.get(small_server + "/api/map/styles", timeout=10).json()["guarantee_colours"]
    assert served == styles.GUARANTEE_COLOURS
    context = browser.new_context(viewport={"width": 1300, "height": 850}, locale="en-GB")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        verdicts = ["not_applicable", "met", "at_risk", "unmet"]

        page.goto(small_server + "/")
        page.wait_for_selector("body[data-map-ready='1']", timeout=20000)
        on_map = page.evaluate(SHOWN, verdicts)
        page.goto(small_server + "/dashboard")
        page.wait_for_selector("#status-legend .legend-item", timeout=20000)
        on_dashboard = page.evaluate(SHOWN, verdicts)
        swatches = page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('#status-legend .legend-item')]
              .map((i) => [i.dataset.status, getComputedStyle(i.querySelector('.swatch')).backgroundColor]))""")
    finally:
        context.close()

    assert on_dashboard["not_applicable"] == on_map["not_applicable"]
    grey = served["not_applicable"]
    assert on_dashboard["not_applicable"] == {"variable": grey, "text": rgb(grey), "table": grey}
    assert on_dashboard == on_map
    assert swatches == {v: rgb(served[v]) for v in ("met", "at_risk", "unmet")}
    assert errors == []
