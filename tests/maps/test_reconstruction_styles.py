"""The reconstruction colours: one per house stage, a progress ramp with its breaks, served with the styles."""
from __future__ import annotations

import re

from maps import styles
from relief.domain.vocabulary import HOUSE_STAGES


def test_every_stage_has_its_own_colour():
    assert set(styles.HOUSE_STAGE_COLOURS) == set(HOUSE_STAGES)
    colours = list(styles.HOUSE_STAGE_COLOURS.values())
    assert len(set(colours)) == len(colours) and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert styles.HOUSE_STALLED_STROKE not in colours


def test_progress_colour_takes_the_band_below_each_break():
    breaks, colours = styles.PROGRESS_BREAKS, styles.PROGRESS_COLOURS
    assert len(colours) == len(breaks) + 1 and list(breaks) == sorted(breaks)
    assert styles.progress_colour(None) == styles.PROGRESS_NONE
    assert styles.progress_colour(0.0) == colours[0]
    assert styles.progress_colour(breaks[0] - 1e-9) == colours[0]
    assert styles.progress_colour(breaks[0]) == colours[1]  # a break belongs to the band above it
    assert styles.progress_colour(1.0) == colours[-1]


def test_the_styles_answer_carries_the_reconstruction_tables(client):
    answer = client.get("/api/map/styles").get_json()
    assert answer["house_stages"] == list(HOUSE_STAGES)
    assert answer["house_stage_colours"] == styles.HOUSE_STAGE_COLOURS
    assert answer["progress_breaks"] == list(styles.PROGRESS_BREAKS)
    assert answer["reconstruction_zoom"] == styles.RECONSTRUCTION_ZOOM
