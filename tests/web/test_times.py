"""Times as people read them: in the configured zone (Asia/Shanghai by default), to the minute.

The server's ``|local_time`` filter and the browser's ``relief.fmtTime`` write the same text for the
same moment, whatever zone the browser itself is in.
"""
from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import render_template_string
from werkzeug.serving import make_server

from relief import config
from relief.web import times

MOMENT = datetime(2026, 11, 20, 1, 2, 3, 456789, tzinfo=timezone.utc)  # 09:02:03.456789 in Beijing
ISO = "2026-11-20T01:02:03.456789+00:00"


def test_the_zone_defaults_to_shanghai(monkeypatch, tmp_path):
    monkeypatch.delenv("RELIEF_TIMEZONE", raising=False)
    settings = config.load({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert settings["TIMEZONE"] == "Asia/Shanghai"
    assert config.time_zone(settings["TIMEZONE"]) == ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("value, hours", [("+08:00", 8), ("+8", 8), ("UTC+05:30", 5.5), ("-03:00", -3), ("UTC", 0)])
def test_offsets_are_still_accepted(value, hours):
    assert config.time_zone(value).utcoffset(None).total_seconds() == hours * 3600


@pytest.mark.parametrize("value", ["Mars/Olympus", "+25:00", "eight"])
def test_a_zone_nobody_can_read_is_refused_naming_the_setting(monkeypatch, tmp_path, value):
    monkeypatch.setenv("RELIEF_TIMEZONE", value)
    with pytest.raises(ValueError, match="RELIEF_TIMEZONE"):
        config.load({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})


def test_the_filter_writes_shanghai_time_to_the_minute(app):
    with app.test_request_context("/"):
        assert times.local_time(MOMENT) == "2026-11-20 09:02"
        assert times.local_time(ISO) == "2026-11-20 09:02"
        assert times.local_time("2026-11-20T01:02:03Z", time_only=True) == "09:02"
        assert times.local_time(datetime(2026, 11, 20, 16, 30)) == "2026-11-21 00:30"  # naive is UTC: next day
        assert times.local_time(None) == "" and times.local_time("not a time") == "not a time"
        assert render_template_string("{{ t|local_time }} {{ time_zone() }}", t=ISO) == "2026-11-20 09:02 Asia/Shanghai"


def test_another_zone_is_followed(app):
    app.config["TIMEZONE"] = "+05:30"
    with app.test_request_context("/"):
        assert times.local_time(ISO) == "2026-11-20 06:32"
        assert times.page_time_zone() == "+05:30"
    assert times.intl_zone(config.time_zone("+08:00")) == "Etc/GMT-8"
    assert times.intl_zone(config.time_zone("-03:00")) == "Etc/GMT+3"
    assert times.intl_zone(config.time_zone("Asia/Shanghai")) == "Asia/Shanghai"


def test_the_overdue_page_shows_local_minutes_not_microseconds(client):
    html = client.get("/reports/overdue?as_of=" + ISO.replace("+", "%2B")).get_data(as_text=True)
    shown = re.sub(r"<[^>]+>", "", html.split('<strong id="as-of">', 1)[1].split("</strong>", 1)[0]).strip()
    assert shown == "2026-11-20 09:02"
    visible = re.sub(r"<[^>]+>", " ", html)
    assert "456789" not in visible and "01:02" not in visible


def test_every_page_hands_the_zone_to_its_scripts(client):
    for path in ("/", "/dashboard", "/login", "/reports/overdue"):
        html = client.get(path).get_data(as_text=True)
        assert '<meta name="relief-time-zone" content="Asia/Shanghai">' in html, path


# ---- in Chromium ------------------------------------------------------------------------------------------

@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.browser
@pytest.mark.parametrize("browser_zone", ["America/New_York", "Asia/Shanghai"])
def test_fmt_time_writes_what_the_filter_writes_whatever_the_browsers_zone(browser, live_url, app, browser_zone):
    context = browser.new_context(timezone_id=browser_zone, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_url + "/login")
        shown = page.evaluate("""(iso) => [relief.fmtTime(iso), relief.fmtTime(iso, {timeOnly: true}),
            relief.fmtTime(new Date(iso)), relief.fmtTime('2026-12-31T16:00:00Z'), relief.fmtTime(null),
            relief.timeZone]""", ISO)
    finally:
        context.close()
    with app.test_request_context("/"):
        assert shown[0] == times.local_time(ISO)
    assert shown == ["2026-11-20 09:02", "09:02", "2026-11-20 09:02", "2027-01-01 00:00", "", "Asia/Shanghai"]
