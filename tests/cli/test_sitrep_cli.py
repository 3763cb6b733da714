"""``relief sitrep``: every format, --issue numbering once per --as-of, a bad --as-of named."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from relief.store.db import Store
from tests import sitrep_world as world


@pytest.fixture
def filled(database_url, make_user):
    store = Store(database_url)
    world.build(store)
    ctx = world.context(store, make_user("field_reporter").actor, world.OCCURRED + timedelta(hours=1))
    world.report(ctx, world.incident(ctx, 109.2), "initial", "T1", affected=12, dead=1)
    store.dispose()


AS_OF = "2026-07-02T08:00:00+08:00"


def test_every_format_is_written_into_the_folder(cli_runner, filled, tmp_path):
    for fmt, ext in (("html", "html"), ("json", "json"), ("edxl", "xml"), ("pdf", "pdf")):
        result = cli_runner("sitrep", "--as-of", AS_OF, "--out", str(tmp_path), "--format", fmt)
        assert result.exit_code == 0, result.output
        written = Path(result.stdout.strip().splitlines()[-1])
        assert written == tmp_path / f"sitrep-1.{ext}" and written.stat().st_size > 0
    assert json.loads((tmp_path / "sitrep-1.json").read_text("utf-8"))["figures"]["affected"] == 12
    assert world.WEST_ZH in (tmp_path / "sitrep-1.html").read_text("utf-8")
    assert (tmp_path / "sitrep-1.pdf").read_bytes().startswith(b"%PDF")
    assert b"<AffectedPopulation>12</AffectedPopulation>" in (tmp_path / "sitrep-1.xml").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing half-written left


def test_issue_numbers_once_per_as_of(cli_runner, filled):
    first = cli_runner("sitrep", "--as-of", AS_OF, "--issue", "--format", "json")
    again = cli_runner("sitrep", "--as-of", AS_OF, "--issue", "--format", "json")
    later = cli_runner("sitrep", "--as-of", "2026-07-03T08:00:00+08:00", "--issue", "--format", "json")
    assert [json.loads(r.stdout)["number"] for r in (first, again, later)] == [1, 1, 2]
    assert json.loads(later.stdout)["previous"]["number"] == 1


def test_a_bad_as_of_is_named(cli_runner, filled):
    result = cli_runner("sitrep", "--as-of", "2020-01-01T00:00:00+08:00", "--format", "json")
    assert result.exit_code != 0 and "as_of" in result.output


def test_the_html_is_the_web_apps_byte_for_byte(cli_runner, filled, app):
    """The command line renders without the web app; the document must not change for it."""
    from relief.services import sitrep
    from relief.services.context import Actor
    from relief.web import sitrep_pages

    ctx = world.context(app.extensions["relief.store"], Actor.system(), world.MORNING)
    snap = sitrep.snapshot(ctx, world.MORNING)
    for lang in ("zh", "en"):
        result = cli_runner("sitrep", "--as-of", AS_OF, "--format", "html", "--lang", lang)
        assert result.exit_code == 0, result.output
        assert result.stdout == sitrep_pages.render_locale(app, snap, lang), lang
    assert "12" in result.stdout and "Key figures" in result.stdout
