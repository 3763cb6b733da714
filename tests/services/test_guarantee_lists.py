"""Pages and the CSV of verdict lists are shaped beside the serving loop (``ctx.offload``)."""
from __future__ import annotations

from dataclasses import replace

from relief.services import guarantee_lists
from tests.services.test_guarantee_json import verdict_frame


def test_pages_and_csv_are_shaped_through_the_offload(ctx):
    ran = []

    def offload(work, *args):
        ran.append(work.__name__)
        return work(*args)

    heavy = replace(ctx, offload=offload)
    frame = verdict_frame()
    assert len(guarantee_lists.page(heavy, frame, offset=0, limit=2)) == 2
    assert guarantee_lists.csv_text(heavy, frame).splitlines()[0].startswith("household_id,food")
    assert ran == ["page_rows", "csv_text"]
