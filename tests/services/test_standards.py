"""Publishing a standards document: what is refused, and that a refusal changes nothing."""
from __future__ import annotations

import pytest

from relief.domain.standards import Standards, default_document
from relief.errors import ValidationFailed
from relief.services import standards as standards_service


def test_a_malformed_report_deadline_is_refused_by_name_and_nothing_changes(ctx):
    before = ctx.standards.version
    document = default_document()
    document["version"] = "local-bad-deadlines"
    document["report_deadlines"]["continued_every_days"] = {"drought": "ten"}
    with pytest.raises(ValidationFailed) as refused:
        standards_service.publish(ctx, document, reason="test")
    assert refused.value.field == "report_deadlines.continued_every_days"
    standards_service.forget_cached(ctx.store)
    assert ctx.standards.version == before


def test_the_shipped_deadlines_know_drought_and_working_days(ctx):
    deadlines = ctx.standards.report_deadlines
    assert deadlines["continued_every_days"]["drought"] == 10 and deadlines["verified_days_are"] == "working"


def test_an_older_version_gets_the_sections_it_lacks_from_the_fallback(ctx):
    document = default_document()
    document["version"] = "local-before-geometry"
    del document["geometry"]
    document["photos"] = {key: value for key, value in document["photos"].items() if key != "max_pixels"}
    document["duplicates"]["distance_m"] = 250
    standards_service.publish(ctx, document, reason="test")
    standards = ctx.standards
    assert standards.version == "local-before-geometry"
    assert standards.geometry == default_document()["geometry"]
    assert standards.photos["max_pixels"] == default_document()["photos"]["max_pixels"]
    assert standards.duplicates["distance_m"] == 250  # what the version says is kept


def test_each_store_keeps_its_own_copy(ctx, store):
    """Two stores in one process share no cached standards: nothing to reset between tests."""
    loader = standards_service.standards_loader(store, Standards.bundled())
    assert loader().version == ctx.standards.version
    assert store.memo is not ctx.store.memo
    assert "standards.active" in store.memo and "standards.active" in ctx.store.memo
