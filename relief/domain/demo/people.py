"""Who the households are: size, vulnerable members, ID numbers and social assistance.

Counts are drawn together so they stay consistent (every count fits inside
``members``); ID numbers are valid in form but use a region code that does
not exist, so no real person can match.
"""
from __future__ import annotations

import numpy as np

from relief.domain.vocabulary import AssistanceCategory

MEMBERS_P = np.array([0.14, 0.25, 0.22, 0.19, 0.11, 0.06, 0.03])  # 1..7 persons, mean ≈ 3.2
AGE_P = np.array([0.03, 0.15, 0.58, 0.24])  # infant, child, adult, elderly (ageing rural Enshi)


def _id_numbers(rng: np.random.Generator, ages: np.ndarray, serial: np.ndarray, year_now: int) -> np.ndarray:
    """18-character ID numbers with a valid check digit and region 000000 (no such region); ages as of ``year_now``."""
    n = len(ages)
    year = year_now - ages
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    seq = serial % 1000
    body = [f"000000{y:04d}{m:02d}{d:02d}{s:03d}" for y, m, d, s in zip(year, month, day, seq)]
    digits = np.array([[ord(c) - 48 for c in b] for b in body], dtype=np.int64).reshape(n, 17)
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.asarray(list("10X98765432"), dtype=object)[(digits @ weights) % 11]
    return np.asarray(body, dtype=object) + check


def _composition(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Members and vulnerable counts, consistent: every count fits inside ``members``."""
    members = rng.choice(np.arange(1, 8), n, p=MEMBERS_P)
    infants, children, adults, elderly = rng.multinomial(members, AGE_P).T
    orphaned = (adults + elderly) == 0  # a household of children only: make one of them an adult
    from_children = orphaned & (children > 0)
    children = children - from_children
    infants = infants - (orphaned & ~from_children)
    adults = adults + orphaned
    disabled = rng.binomial(members, 0.045)
    chronic = rng.binomial(elderly, 0.35) + rng.binomial(adults, 0.05)
    pregnant = ((adults > 0) & (rng.random(n) < 0.03)).astype(np.int64)
    return dict(members=members, infants=infants, children=children, elderly=elderly, adults=adults,
                disabled=disabled, chronic=chronic, pregnant=pregnant)


def _assistance(rng: np.random.Generator, c: dict[str, np.ndarray]) -> np.ndarray:
    """低保 / 五保 / 特困 (as their words) / None, more likely for lone elders and households with disabilities."""
    n = len(c["members"])
    u = rng.random((3, n))
    lone_elder = (c["members"] == 1) & (c["elderly"] == 1)
    wubao = lone_elder & (u[0] < 0.3)
    tekun = ~wubao & ((c["disabled"] > 0) | (c["elderly"] == c["members"])) & (u[1] < 0.10)
    frail = (c["chronic"] > 0) | (c["disabled"] > 0)
    dibao = ~wubao & ~tekun & (u[2] < 0.07 + 0.10 * frail)
    out = np.full(n, None, dtype=object)
    out[dibao], out[tekun], out[wubao] = (AssistanceCategory.DIBAO.value, AssistanceCategory.TEKUN.value,
                                          AssistanceCategory.WUBAO.value)
    return out
