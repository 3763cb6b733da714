"""Synthetic registers with known truth, for identity matching and the aid chain (tests and the benchmark).

:func:`register_and_records` makes a household register and a record file drawn from it with the faults
real lists have: swapped and mistyped ID digits, homophone and traditional surnames, typos in given names,
moved households, changed and shared phones, and people not in the register at all. :func:`aid_frames`
makes households and aid records for the duplicate sweep, with planted overlaps.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from relief.domain import identity
from relief.domain.assistance import id_check_character
from relief.domain.vocabulary import AID_SOURCE_KINDS, PURPOSE_CLASSES

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉建国志文海峰春梅红德福云松林斌波辉鹏宇浩凯"
#: Same pinyin, other character.
HOMOPHONES = {"张": "章", "王": "汪", "李": "黎", "刘": "柳", "杨": "阳", "黄": "皇", "周": "州", "徐": "许",
              "林": "琳", "陈": "晨", "吴": "伍", "孙": "笋", "朱": "诸", "胡": "扈", "高": "郜", "罗": "骆"}
#: Traditional forms of characters in the pools.
TRADITIONAL = {"张": "張", "陈": "陳", "刘": "劉", "黄": "黃", "杨": "楊", "赵": "趙", "吴": "吳", "孙": "孫",
               "马": "馬", "郑": "鄭", "谢": "謝", "韩": "韓", "冯": "馮", "邓": "鄧", "叶": "葉", "苏": "蘇",
               "伟": "偉", "华": "華", "国": "國", "强": "強", "丽": "麗", "红": "紅", "军": "軍", "杰": "傑",
               "涛": "濤", "兰": "蘭", "艳": "艷", "鹏": "鵬", "辉": "輝", "云": "雲"}
REGIONS = ("422801", "422802", "422822", "422823", "422825", "422826", "422827", "422828")
SALT = "enshi-prefecture-test-salt"


def _id_numbers(rng: np.random.Generator, n: int) -> list[str]:
    seen: set[str] = set()
    out = []
    while len(out) < n:
        region = REGIONS[rng.integers(len(REGIONS))]
        born = pd.Timestamp("1940-01-01") + pd.Timedelta(days=int(rng.integers(0, 60 * 365)))
        body = f"{region}{born:%Y%m%d}{int(rng.integers(0, 1000)):03d}"
        if body in seen:
            continue
        seen.add(body)
        out.append(body + id_check_character(body))
    return out


def _names(rng: np.random.Generator, n: int) -> list[str]:
    # Common surnames are much more common (roughly Zipf), as in a real register.
    weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    sur = rng.choice(list(SURNAMES), size=n, p=weights / weights.sum())
    lengths = rng.choice([1, 2], size=n, p=[0.3, 0.7])
    return [s + "".join(rng.choice(list(GIVEN), size=k)) for s, k in zip(sur, lengths)]


def _phones(rng: np.random.Generator, n: int) -> list[str]:
    return [f"1{int(rng.choice([3, 5, 7, 8, 9]))}{int(x):09d}" for x in rng.integers(0, 10**9, size=n)]


@dataclass
class World:
    households: pd.DataFrame
    records: pd.DataFrame
    #: record_id → household_id, or None for a person not in the register.
    truth: pd.Series


def _transpose(rng: np.random.Generator, number: str) -> str:
    options = identity.transpositions(number[:17])  # swaps within the digits, so the check character tells
    return options[int(rng.integers(len(options)))] + number[17]


def _mistype(rng: np.random.Generator, number: str) -> str:
    i = int(rng.integers(6, 17))
    digit = str((int(number[i]) + int(rng.integers(1, 10))) % 10)
    return number[:i] + digit + number[i + 1:]


def register_and_records(n_households: int, n_records: int, *, seed: int = 15, per_village: int = 50,
                         outsiders: float = 0.08, hashed: bool = False, pinyin_only: bool = False) -> World:
    """A register of ``n_households`` and ``n_records`` records drawn from it (``outsiders`` share not in it).

    Faults per linked record: 4 % swapped neighbouring ID digits, 2 % a mistyped digit, 2 % no ID;
    10 % a homophone surname, 5 % traditional characters, 4 % a given-name typo; 3 % a moved household
    (another village); phone 20 % changed, 15 % missing; 6 % of households share a phone with a neighbour.
    ``hashed``: IDs as :func:`identity.hash_id` with :data:`SALT`; ``pinyin_only``: names as pinyin.
    """
    rng = np.random.default_rng(seed)
    n_villages = max(1, n_households // per_village)
    villages = [f"422801{100 + v // 40:03d}{v % 40:03d}" for v in range(n_villages)]
    ids = _id_numbers(rng, n_households + n_records)
    names = _names(rng, n_households + n_records)
    phones = _phones(rng, n_households + n_records)
    village_of = rng.integers(0, n_villages, size=n_households + n_records)
    hh = pd.DataFrame({"household_id": np.arange(1, n_households + 1), "id_number": ids[:n_households],
                       "name": names[:n_households],
                       "village_code": [villages[v] for v in village_of[:n_households]],
                       "phone": phones[:n_households]})
    share = np.flatnonzero(rng.random(n_households) < 0.06)
    by_village = hh.groupby("village_code").indices
    for i in share:
        peers = by_village[hh.at[i, "village_code"]]
        hh.at[i, "phone"] = hh.at[int(peers[rng.integers(len(peers))]), "phone"]

    rows, truth = [], []
    for r in range(n_records):
        outsider = rng.random() < outsiders
        if outsider:
            j = n_households + r
            number, name, village, phone, target = ids[j], names[j], villages[village_of[j]], phones[j], None
        else:
            h = int(rng.integers(n_households))
            number, name, village, phone = (hh.at[h, "id_number"], hh.at[h, "name"], hh.at[h, "village_code"],
                                            hh.at[h, "phone"])
            target = int(hh.at[h, "household_id"])
            roll = rng.random()
            number = (_transpose(rng, number) if roll < 0.04 else _mistype(rng, number) if roll < 0.06
                      else None if roll < 0.08 else number)
            roll = rng.random()
            if roll < 0.10 and name[0] in HOMOPHONES:
                name = HOMOPHONES[name[0]] + name[1:]
            elif roll < 0.15:
                name = "".join(TRADITIONAL.get(ch, ch) for ch in name)
            elif roll < 0.19 and len(name) > 1:
                name = name[:-1] + GIVEN[int(rng.integers(len(GIVEN)))]
            if rng.random() < 0.03:
                village = villages[int(rng.integers(n_villages))]
            roll = rng.random()
            phone = phones[n_households + r] if roll < 0.20 else None if roll < 0.35 else phone
        rows.append((f"R{r:07d}", number, name, village, phone))
        truth.append(target)
    records = pd.DataFrame(rows, columns=["record_id", "id_number", "name", "village_code", "phone"])
    if hashed:
        records["id_hash"] = [identity.hash_id(n, SALT) if isinstance(n, str) else None for n in records["id_number"]]
        records = records.drop(columns="id_number")
    if pinyin_only:
        keys = identity.pinyin_keys(identity.simplified(records["name"]))
        records["name_pinyin"] = keys["pinyin"]
        records = records.drop(columns="name")
    return World(hh, records, pd.Series(truth, index=records["record_id"], dtype=object))


def precision_recall(result: pd.DataFrame, truth: pd.Series) -> tuple[float, float]:
    """Of the ``matched`` records, the share linked to the right household; of the records that have one,
    the share matched to it."""
    matched = result[result["verdict"] == "matched"]
    expected = truth.reindex(matched["record_id"]).to_numpy()
    right = int(sum(e is not None and e == got for e, got in zip(expected, matched["household_id"])))
    linked = int(truth.notna().sum())
    return (right / len(matched) if len(matched) else 1.0), (right / linked if linked else 1.0)


# --- aid -----------------------------------------------------------------------------

T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)


def aid_frames(n_households: int, n_aid: int, *, seed: int = 15, duplicates: float = 0.01) -> pd.DataFrame:
    """``n_aid`` aid records over ``n_households`` households: per household a run of back-to-back periods
    per purpose from one source each, with ``duplicates`` of the records re-issued by another source over
    an overlapping period."""
    rng = np.random.default_rng(seed)
    household = rng.integers(1, n_households + 1, size=n_aid)
    purpose = rng.integers(0, len(PURPOSE_CLASSES), size=n_aid)
    order = np.lexsort((purpose, household))
    household, purpose = household[order], purpose[order]
    # Back-to-back weekly periods within each (household, purpose) run: no overlap unless planted.
    key = household.astype(np.int64) * 16 + purpose
    run_start = np.r_[True, key[1:] != key[:-1]]
    run_id = np.cumsum(run_start) - 1
    first = np.flatnonzero(run_start)
    step = np.arange(n_aid) - first[run_id]
    start = pd.Timestamp(T0).value + step.astype(np.int64) * 7 * 86_400 * 10**9
    end = start + 7 * 86_400 * 10**9
    source = np.full(n_aid, 0, dtype=np.int64) + (household % 3)  # one source per household
    dup = rng.random(n_aid) < duplicates
    source = np.where(dup, (source + 1) % 3 + 3, source)  # another agency
    start = np.where(dup, start - 3 * 86_400 * 10**9, start)  # reaches three days back into the last period
    sources = np.array(["county", "township", "charity", "red_cross", "partner_a", "partner_b"], dtype=object)
    kinds = np.array(AID_SOURCE_KINDS, dtype=object)
    return pd.DataFrame({
        "aid_id": np.arange(1, n_aid + 1),
        "household_id": household,
        "purpose": np.array(PURPOSE_CLASSES, dtype=object)[purpose],
        "source": sources[source],
        "source_kind": kinds[source % len(kinds)],
        "period_start": pd.DatetimeIndex(start.view("datetime64[ns]")).tz_localize("UTC"),
        "period_end": pd.DatetimeIndex(end.view("datetime64[ns]")).tz_localize("UTC"),
        "amount": rng.integers(50, 500, size=n_aid).astype(float),
        "quantity": np.nan,
        "given_at": pd.DatetimeIndex(start.view("datetime64[ns]")).tz_localize("UTC"),
    })
