"""The warehouse page (/stock) and the donation form (/donations/new): server render and Chromium journeys.

Journeys run in zh and en: a warehouse keeper records a receipt and a hand-out and sees the balance change;
a hand-out made offline waits on the phone and reaches the server once; a donation entered on the form shows
masked on the public page with a Beijing time.
"""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from relief.domain.disclosure import public_donor_name
from relief.store.tables import Distribution, Donation, ResendRecord, StockMovement
from tests import world
from tests.conftest import CHROMIUM_ARGS
from tests.web.test_report_page import LiveServer

BEIJING = ZoneInfo("Asia/Shanghai")
FORMS = ("form-receipt", "form-transfer", "form-distribution", "form-adjustment")


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)])
    return store


def receive(client, user, quantity, holder=("site", "S1"), item="RICE"):
    response = client.post("/api/stock/receipts", headers=user.headers, json={
        "holder_kind": holder[0], "holder_id": holder[1], "item_code": item, "quantity": quantity,
        "source": "allocation"})
    assert response.status_code == 201, response.get_json()


def log_in(client, user, lang="en"):
    client.get(f"/lang/{lang}")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"name": user.name, "password": f"pw-{user.name}", "csrf_token": token})
    assert answer.status_code == 302


def count(store, model, *where) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


# --- server render --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/stock", "/stock?holder=site:S1", "/donations/new"])
def test_anonymous_browsers_are_sent_to_the_login_page(client, place, path):
    response = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert path.split("?")[0] in response.headers["Location"]
    refused = client.get(path, headers={"Accept": "application/json"})  # not a browser: the gate's answer
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "not_authenticated"


def test_keeper_sees_the_four_forms_balances_and_ledger_by_name(client, place, make_user):
    keeper = make_user("warehouse_keeper")
    receive(client, keeper, 1234567.5)
    log_in(client, keeper)
    html = client.get("/stock?holder=site:S1").get_data(as_text=True)
    for form in FORMS:
        assert f'id="{form}"' in html
    assert re.search(r'<meta name="csrf-token" content="[^"]+"', html)
    assert "<h1>Warehouse: <span id=\"holder-name\">Site S1</span></h1>" in html
    balances = html[html.index('id="balances"'):html.index('id="no-balances"')]
    assert "<td>Rice</td>" in balances and "1234567.5" in balances and ">kg<" in balances
    assert "RICE" not in re.sub(r'data-item="RICE"', "", balances)  # the name, not the code
    ledger = html[html.index('id="ledger"'):html.index('id="no-ledger"')]
    assert "Receipt · allocation from above" in ledger and "+1234567.5 kg" in ledger
    assert re.search(r"<time datetime=\"[^\"]+\">\d{4}-\d\d-\d\d \d\d:\d\d</time>", ledger)  # to the minute
    assert 'inputmode="decimal"' in html and "autofocus" in html
    assert 'Receipt into Site S1' in html


def test_keeper_page_in_chinese_has_no_english_form_words(client, place, make_user):
    keeper = make_user("warehouse_keeper")
    log_in(client, keeper, "zh")
    html = client.get("/stock?holder=site:S1").get_data(as_text=True)
    assert "登记入库" in html and "登记发放" in html and "出入库台账" in html
    for english in ("Record receipt", "Record hand-out", "Ledger", "Balances", "Entries on this phone"):
        assert english not in html


def test_viewer_sees_stock_but_no_forms(client, place, make_user):
    receive(client, make_user("warehouse_keeper"), 8)
    viewer = make_user("viewer")
    log_in(client, viewer)
    response = client.get("/stock?holder=site:S1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert not any(f'id="{form}"' in html for form in FORMS)
    assert 'id="queue"' not in html
    assert "recording movements needs the warehouse keeper role" in html
    assert "<td>Rice</td>" in html and '<td class="num">8</td>' in html


def test_ledger_pages_back_with_before_id(client, place, make_user):
    keeper = make_user("warehouse_keeper")
    for _ in range(3):
        receive(client, keeper, 1)
    log_in(client, keeper)
    from relief.web import stock_pages

    first = client.get("/stock?holder=site:S1").get_data(as_text=True)
    assert first.count("data-movement=") == 3 and 'id="older"' not in first
    original, stock_pages.LEDGER_PAGE = stock_pages.LEDGER_PAGE, 2
    try:
        first = client.get("/stock?holder=site:S1").get_data(as_text=True)
        older = re.search(r'id="older" href="([^"]+)"', first).group(1).replace("&amp;", "&")
        ids = [int(i) for i in re.findall(r'data-movement="(\d+)"', first)]
        assert ids == sorted(ids, reverse=True) and len(ids) == 2  # newest first
        rest = client.get(older).get_data(as_text=True)
        assert [int(i) for i in re.findall(r'data-movement="(\d+)"', rest)] == [min(ids) - 1]
    finally:
        stock_pages.LEDGER_PAGE = original


def test_unknown_holder_is_a_400_naming_it(client, place, make_user):
    log_in(client, make_user("viewer"))
    response = client.get("/stock?holder=site:NOPE")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "holder"


def test_donation_form_for_clerks_only(client, place, make_user):
    log_in(client, make_user("viewer"))
    refused = client.get("/donations/new")
    assert refused.status_code == 403 and "Your role may not use this page." in refused.get_data(as_text=True)
    client.post("/logout", data={})
    commander = make_user("commander")
    log_in(client, commander)
    html = client.get("/donations/new").get_data(as_text=True)
    for name in ("donor_name", "donor_contact", "consent_public", "amount_yuan", "item_code", "quantity",
                 "destination", "received_at"):
        assert f'name="{name}"' in html and f'data-error-for="{name}"' in html
    assert ">General fund<" in html and ">Depot west<" in html and ">Rice (kg)<" in html


def test_service_worker_may_control_the_warehouse_page(client):
    response = client.get("/stock-sw.js")
    assert response.status_code == 200 and response.headers["Service-Worker-Allowed"] == "/stock"
    assert "javascript" in response.mimetype


# --- in Chromium ------------------------------------------------------------------------------------

@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_as(browser, live, user, lang, path, **context_options):
    """A phone-sized context logged in as ``user`` in ``lang``, on ``path``."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, **context_options)
    page = context.new_page()
    page.goto(f"{live.url}/lang/{lang}", referer=f"{live.url}/login")
    page.goto(f"{live.url}/login?next={path}")
    page.fill("input[name=name]", user.name)
    page.fill("input[name=password]", f"pw-{user.name}")
    page.click("form button[type=submit]")
    page.wait_for_selector("body[data-stock-ready='1']")
    return context, page


def balance_of(page, item="RICE") -> str:
    return page.inner_text(f"#balances tr[data-item='{item}'] td.num")


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


WORDS = {"zh": {"saved": "已保存", "balance": "现有库存", "queued": "待发送"},
         "en": {"saved": "Saved.", "balance": "Balance now", "queued": "waiting to send"}}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_keeper_records_a_receipt_and_a_hand_out(browser, live, place, make_user, lang):
    keeper = make_user("warehouse_keeper")
    context, page = open_as(browser, live, keeper, lang, "/stock?holder=site:S1")
    try:
        assert page.is_visible("#no-balances")
        no_sideways_scroll(page)
        form = "#form-receipt"
        assert page.evaluate("document.activeElement.name") == "item_code"  # autofocus
        page.select_option(f"{form} select[name=item_code]", "RICE")
        page.fill(f"{form} input[name=quantity]", "20")
        page.press(f"{form} input[name=quantity]", "Enter")  # Enter moves on to the next field
        assert page.evaluate("document.activeElement.name") == "source"
        page.click(f"{form} button[type=submit]")
        page.wait_for_selector("#balances tr[data-item='RICE']")
        assert balance_of(page) == "20"
        assert WORDS[lang]["saved"] in page.inner_text("#entry-result")
        assert page.inner_text("#balances tr[data-item='RICE'] td:first-child") == "Rice"

        page.click("#tab-distribution")
        assert page.evaluate("document.activeElement.id") == "household"
        page.fill("#household", "H1")  # as a scanner types it, ending with Enter
        page.press("#household", "Enter")
        assert page.evaluate("document.activeElement.name") == "item_code"
        page.select_option("#form-distribution select[name=item_code]", "RICE")
        page.fill("#form-distribution input[name=quantity]", "3")
        page.click("#form-distribution button[type=submit]")
        page.wait_for_function("() => document.querySelector(\"#balances tr[data-item='RICE'] td.num\")"
                               ".textContent === '17'")
        assert WORDS[lang]["balance"] in page.inner_text("#entry-result")
        row = page.wait_for_selector("#ledger tr[data-kind='distribution'][data-household='H1']")
        assert "-3" in row.inner_text() and "Rice" in row.inner_text()
        assert count(place, Distribution, Distribution.household_id == "H1") == 1

        # More than is there: refused, worded in the page's language next to the quantity.
        page.fill("#household", "H1")
        page.fill("#form-distribution input[name=quantity]", "500")
        page.click("#form-distribution button[type=submit]")
        error = page.wait_for_selector("#form-distribution [data-error-for='quantity']:not(:empty)")
        expected = "库存不足" if lang == "zh" else "Not enough in stock"
        assert expected in error.inner_text()
        assert balance_of(page) == "17"
        no_sideways_scroll(page)
    finally:
        context.close()


def distribution_movements(store, client_id: str) -> list[int]:
    """The distribution ledger lines the answer kept for ``client_id`` names, and all such lines for H1."""
    with store.read() as session:
        answer = session.scalar(select(ResendRecord.answer).where(ResendRecord.client_id == client_id))
        lines = session.scalars(select(StockMovement.id).where(StockMovement.kind == "distribution",
                                                               StockMovement.household_id == "H1")).all()
    assert answer is not None, "the server never recorded this client_id"
    assert [answer["movement"]["id"]] == list(lines)
    return list(lines)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hand_out_made_offline_is_sent_once_when_back_online(browser, live, place, make_user, client, lang):
    keeper = make_user("warehouse_keeper")
    receive(client, keeper, 10)
    context, page = open_as(browser, live, keeper, lang, "/stock?holder=site:S1#distribution", service_workers="block")
    try:
        assert page.is_visible("#form-distribution") and not page.is_visible("#form-receipt")
        context.set_offline(True)
        page.wait_for_selector("#net[data-online='0']")
        page.fill("#household", "H1")
        page.select_option("#form-distribution select[name=item_code]", "RICE")
        page.fill("#form-distribution input[name=quantity]", "4")
        page.click("#form-distribution button[type=submit]")
        item = page.wait_for_selector("#queue li[data-kind='distribution'][data-status='queued']")
        client_id = item.get_attribute("data-client-id")
        assert WORDS[lang]["queued"] in item.inner_text()
        assert page.get_attribute("body", "data-pending") == "1"
        page.wait_for_timeout(500)
        assert count(place, Distribution) == 0 and count(place, ResendRecord, ResendRecord.client_id == client_id) == 0

        context.set_offline(False)
        page.wait_for_selector(f"#queue li[data-client-id='{client_id}'][data-status='sent']", timeout=20000)
        assert page.get_attribute("body", "data-pending") == "0"
        assert len(distribution_movements(place, client_id)) == 1
        assert count(place, Distribution, Distribution.household_id == "H1") == 1
        page.wait_for_function("() => document.querySelector(\"#balances tr[data-item='RICE'] td.num\")"
                               ".textContent === '6'")

        # The answer was lost, say: the phone sends the same entry again; the server answers 200, records nothing.
        page.evaluate("""(id) => new Promise((resolve, reject) => {
            const open = indexedDB.open("relief-stock", 1);
            open.onsuccess = () => {
              const tx = open.result.transaction("outbox", "readwrite");
              const store = tx.objectStore("outbox");
              const get = store.get(id);
              get.onsuccess = () => { const r = get.result; r.status = "queued"; store.put(r); };
              tx.oncomplete = () => resolve(true);
              tx.onerror = () => reject(tx.error);
            };
        })""", client_id)
        with page.expect_response(lambda r: r.url.endswith("/api/stock/distributions")) as resent:
            page.evaluate("window.reliefStock.flush()")
        assert resent.value.status == 200
        page.wait_for_selector(f"#queue li[data-client-id='{client_id}'][data-status='sent']", timeout=20000)
        assert len(distribution_movements(place, client_id)) == 1
        assert count(place, Distribution) == 1
        assert balance_of(page) == "6"
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_clerk_records_a_donation_that_shows_masked_in_beijing_time(browser, live, place, make_user, lang):
    keeper = make_user("warehouse_keeper")
    # The phone is in another zone: the public page must still read Beijing time.
    context, page = open_as(browser, live, keeper, lang, "/donations/new", timezone_id="America/New_York")
    try:
        no_sideways_scroll(page)
        assert page.evaluate("document.activeElement.name") == "donor_name"
        page.fill("input[name=donor_name]", "张三丰")
        page.fill("input[name=donor_contact]", "13900000000")
        page.check("input[name=kind][value=in_kind]")
        assert page.is_visible("input[name=quantity]") and not page.is_visible("input[name=amount_yuan]")
        page.select_option("select[name=item_code]", "BLANKET")
        page.fill("input[name=quantity]", "0")
        page.click("#form-donation button[type=submit]")
        error = page.wait_for_selector("[data-error-for='quantity']:not(:empty)")
        assert error.inner_text() == ("请输入大于零的数量。" if lang == "zh" else "Enter a quantity greater than zero.")
        page.fill("input[name=quantity]", "40")
        page.select_option("select[name=destination]", "depot:D1")
        page.click("#form-donation button[type=submit]")
        masked = public_donor_name("张三丰", False)
        page.wait_for_function("(m) => document.getElementById('entry-result').textContent.includes(m)", arg=masked)
        assert "张三丰" not in page.inner_text("#entry-result")
        with place.read() as session:
            donation = session.scalars(select(Donation)).one()
            stored = (donation.id, donation.donor_name, donation.kind, donation.quantity, donation.received_at)
        donation_id, received = stored[0], stored[4]
        assert stored[1:4] == ("张三丰", "in_kind", 40)

        page.goto(f"{live.url}/public/donations")
        row = page.wait_for_selector(f"#donations tr[data-donation='{donation_id}']")
        text = row.inner_text()
        assert masked in text and "张三丰" not in text and "13900000000" not in page.content()
        assert received.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") in text
        assert "UTC" not in text
        header = page.inner_text("#donations thead")
        assert ("北京时间" if lang == "zh" else "Beijing time") in header
        assert "Blanket" in text
        no_sideways_scroll(page)
    finally:
        context.close()


@pytest.mark.browser
def test_warehouse_page_opens_with_no_network(browser, live, place, make_user, client):
    keeper = make_user("warehouse_keeper")
    receive(client, keeper, 10)
    context, page = open_as(browser, live, keeper, "en", "/stock?holder=site:S1", service_workers="allow")
    stopped = False
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
        page.reload()  # the worker keeps this copy of the page
        page.wait_for_selector("body[data-stock-ready='1']")
        context.set_offline(True)
        live.stop()
        stopped = True
        page.reload()
        page.wait_for_selector("body[data-stock-ready='1']")
        assert page.inner_text("#holder-name") == "Site S1" and balance_of(page) == "10"
        page.click("#tab-distribution")
        page.fill("#household", "H1")
        page.select_option("#form-distribution select[name=item_code]", "RICE")
        page.fill("#form-distribution input[name=quantity]", "2")
        page.click("#form-distribution button[type=submit]")
        page.wait_for_selector("#queue li[data-kind='distribution'][data-status='queued']")
    finally:
        context.close()
        if stopped:
            live.start()  # the fixture stops it again
