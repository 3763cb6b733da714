"""Masking personal details for public pages; pure, no app."""
from __future__ import annotations

import pytest

from relief.domain import disclosure as d


@pytest.mark.parametrize("name, masked", [
    ("张三", "张**"), ("张三丰", "张**"), ("欧阳修", "欧**"), (" 李四 ", "李**"),
    ("John Smith", "J**"), ("", d.ANONYMOUS), (None, d.ANONYMOUS), ("   ", d.ANONYMOUS),
])
def test_mask_name_keeps_first_character_and_hides_length(name, masked):
    assert d.mask_name(name) == masked


@pytest.mark.parametrize("phone, masked", [
    ("13812345678", "138****5678"), ("138-1234-5678", "138****5678"), ("+86 138 1234 5678", "861****5678"),
    ("0718-8221234", "071****1234"), ("12345", "***45"), ("123", "***"), (None, ""),
])
def test_mask_phone(phone, masked):
    assert d.mask_phone(phone) == masked


def test_mask_phone_never_shows_the_middle_digits():
    assert "1234" not in d.mask_phone("13812345678")[:7]


@pytest.mark.parametrize("id_number, masked", [
    ("42280119900101123X", "4228**********123X"), ("422801900101123", "422*********123"),
    ("1234567", "1*****7"), ("abc", "***"), ("", ""), (None, ""),
])
def test_mask_id_number_hides_the_birth_date(id_number, masked):
    assert d.mask_id_number(id_number) == masked


def test_mask_id_number_hides_at_least_half():
    for n in range(1, 30):
        value = "9" * n
        assert d.mask_id_number(value).count("*") >= n / 2


def test_public_donor_name_only_with_consent():
    assert d.public_donor_name("张三丰", True) == "张三丰"
    assert d.public_donor_name("张三丰", False) == "张**"
    assert d.public_donor_name("", True) == d.ANONYMOUS


def test_public_donation_drops_contact_and_masks_without_consent():
    row = {"id": 7, "donor_name": "王小明", "donor_contact": "13812345678", "consent_public": False,
           "kind": "cash", "amount_yuan": 500.0}
    public = d.public_donation(row)
    assert public == {"id": 7, "kind": "cash", "amount_yuan": 500.0, "donor": "王**", "named": False}
    assert "13812345678" not in repr(public) and "王小明" not in repr(public)


def test_public_donation_names_consenting_donor_but_never_the_contact():
    public = d.public_donation({"donor_name": "恩施州红十字会", "donor_contact": "0718-8221234",
                                "consent_public": True})
    assert public["donor"] == "恩施州红十字会" and public["named"] is True
    assert "donor_contact" not in public
