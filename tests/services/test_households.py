"""Households as use cases: search, one household's answer, and an edit that is checked, audited and re-judged."""
from __future__ import annotations

import pytest

from relief.errors import CapacityExceeded, NotFound, ValidationFailed
from relief.services import households
from relief.store.tables import GuaranteeStatus, Household
from tests import world


@pytest.fixture
def place(store):
    world.build(store, sites=[world.site("S9", 20, 109.46, area_m2=40.0)], households=[
        world.household("H1", 4, 109.450, head_name="王小明", id_number="42280119800101123X"),
        world.household("H5", 4, 109.46, head_name="赵五", shelter="site", site_id="S9", evacuated=True),
        world.household("H7", 4, 109.46, head_name="孙七", shelter="site", site_id="S9", evacuated=True)])
    return store


@pytest.fixture
def clerk(make_user):
    """A Context acting as a new user of ``role`` (a site manager unless told)."""
    def context(store, published=None, role="site_manager"):
        return world.context(store, make_user(role).actor, published)

    return context


def kept(store, household_id: str) -> str | None:
    with store.read() as session:
        row = session.get(GuaranteeStatus, household_id)
        return None if row is None else row.housing


def test_search_answers_a_page_with_names(place, clerk):
    answer = households.search(clerk(place), q="123X", offset=0, limit=10)
    assert [r["household_id"] for r in answer["rows"]] == ["H1"]
    assert answer["rows"][0]["village"]["name"] == {"zh": "某村", "en": "A village"}
    assert (answer["total"], answer["next_offset"]) == (1, None)
    paged = households.search(clerk(place), village="某村", offset=1, limit=1)
    assert [r["household_id"] for r in paged["rows"]] == ["H5"] and paged["next_offset"] == 2
    with pytest.raises(ValidationFailed) as caught:
        households.search(clerk(place), q="x" * 81)
    assert caught.value.field == "q"


def test_identity_is_in_full_only_for_those_who_may_edit(place, clerk):
    assert households.household_detail(clerk(place), "H1")["id_number"] == "42280119800101123X"
    masked = households.household_detail(clerk(place, role="viewer"), "H1")
    assert masked["id_number"] == masked["id_number_masked"] == "4228**********123X"
    with pytest.raises(NotFound):
        households.household_detail(clerk(place), "H404")


def test_an_edit_at_a_site_rejudges_everyone_there_and_publishes_after_commit(place, clerk):
    published: list = []
    households.edit_household(clerk(place, published), "H5", {"members": 4, "injured": 1, "reason": "seen"})
    assert kept(place, "H5") == "met" and kept(place, "H7") is None  # its size unchanged: only it is re-judged
    published.clear()
    answer = households.edit_household(clerk(place, published), "H5", {"members": 10, "reason": "recounted"})
    assert answer["changed"] == {"members": {"before": 4, "after": 10}}
    assert answer["guarantees"]["housing"] == "at_risk"  # 40 m² for 14 people at the site
    assert kept(place, "H5") == kept(place, "H7") == "at_risk"  # the neighbour's space per person shrank too
    kinds = [e["kind"] for e in published]
    assert "household.updated" in kinds and "site.occupancy_changed" in kinds and "guarantee.changed" in kinds
    updated = next(e for e in published if e["kind"] == "household.updated")
    assert updated["topic"] == "households" and updated["public"] is False
    assert updated["payload"] == {"household_id": "H5", "village_code": world.VILLAGE, "county_code": world.COUNTY,
                                  "fields": ["members"]}


def test_a_refused_edit_writes_and_publishes_nothing(place, clerk):
    published: list = []
    with pytest.raises(CapacityExceeded) as caught:
        households.edit_household(clerk(place, published), "H5", {"members": 17, "reason": "r"})
    assert caught.value.field == "members" and caught.value.detail["free_capacity"] == 16
    with pytest.raises(ValidationFailed) as counted:
        households.edit_household(clerk(place, published), "H1", {"members": 2, "elderly": 3, "reason": "r"})
    assert counted.value.field == "elderly"
    assert published == []
    with place.read() as session:
        assert session.get(Household, "H5").members == 4 and session.get(Household, "H1").elderly == 0


def test_check_counts_names_a_field_the_body_sent():
    base = {"members": 3, "infants": 1, "children": 1, "elderly": 1, "disabled": 0, "chronic": 0, "pregnant": 0,
            "injured": 0}
    households.check_counts(base, {"members": 3})
    with pytest.raises(ValidationFailed) as fewer:
        households.check_counts({**base, "members": 2}, {"members": 2})
    assert fewer.value.field == "members"
    with pytest.raises(ValidationFailed) as more_old:
        households.check_counts({**base, "elderly": 2}, {"elderly": 2})
    assert more_old.value.field == "elderly"
    with pytest.raises(ValidationFailed) as injured:
        households.check_counts({**base, "members": 2, "infants": 0, "injured": 3}, {"members": 2})
    assert injured.value.field == "members"
