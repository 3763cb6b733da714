"""A submitted standards document of the wrong shape is refused naming the part, never a crash."""
from __future__ import annotations

import copy

import pytest

from relief.domain.standards import default_document, validate_document
from relief.errors import ValidationFailed


@pytest.fixture(scope="module")
def bundled() -> dict:
    return default_document()


def changed(document: dict, **parts) -> dict:
    copied = copy.deepcopy(document)
    copied.update(parts)
    return copied


def test_the_bundled_document_is_valid(bundled):
    assert validate_document(copy.deepcopy(bundled))["version"] == bundled["version"]


@pytest.mark.parametrize("parts, field", [
    ({"guarantees": None}, "guarantees"),
    ({"guarantees": []}, "guarantees"),
    ({"response_levels": 5}, "response_levels"),
    ({"profiles": {"normal": {}, "cold": 1.5}}, "profiles.cold"),
    ({"profiles": {"normal": {}, "cold": {"shelter_m2_per_person": "nope"}}}, "profiles.cold.shelter_m2_per_person"),
    ({"profiles": {"cold": {}}}, "profiles.normal"),
    ({"version": ["2026.9"]}, "version"),
    ({"version": "v" * 41}, "version"),
    ({"report_deadlines": "daily"}, "report_deadlines"),
    ({"response_levels": {"levels": [7]}}, "response_levels.levels[0]"),
])
def test_a_part_of_the_wrong_shape_is_named(bundled, parts, field):
    with pytest.raises(ValidationFailed) as refused:
        validate_document(changed(bundled, **parts))
    assert refused.value.field == field


def test_a_figure_must_be_a_finite_non_negative_number_not_a_boolean(bundled):
    name = next(iter(bundled["guarantees"]))
    for bad in (True, -1, "3", float("inf")):
        document = changed(bundled)
        document["guarantees"][name] = bad
        with pytest.raises(ValidationFailed) as refused:
            validate_document(document)
        assert refused.value.field == f"guarantees.{name}"
