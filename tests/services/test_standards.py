"""Publishing a standards document: what is refused, and that a refusal changes nothing."""
from __future__ import annotations

import pytest

from relief.domain.standards import default_document
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
    standards_service.forget_cached()
    assert ctx.standards.version == before


def test_the_shipped_deadlines_know_drought_and_working_days(ctx):
    deadlines = ctx.standards.report_deadlines
    assert deadlines["continued_every_days"]["drought"] == 10 and deadlines["verified_days_are"] == "working"
