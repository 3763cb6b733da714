"""Who is who: records from programmes and partner agencies linked to the households of the register.

Each record is compared with candidate households field by field, and each
field's agreement level carries a Fellegi–Sunter weight ``log2(m / u)`` (m: how
often true matches agree so, u: how often non-matches do; figures from the
standards' ``aid_chain.identity``, re-estimable from local data with
:func:`estimate_levels`, Splink's expectation–maximisation). A record's score is the sum of
its weights; the levels are its evidence:

======== ===============================================================
id       ``exact`` (same number, or same salted hash), ``transposed`` (two
         neighbouring characters swapped: the GB 11643 check character
         catches every such swap), ``different``
name     ``exact`` (same characters once traditional is made simplified),
         ``homophone`` (same pinyin: 张/章, 王/汪, and the surname's other
         readings: 单 dan/shan), ``similar`` (same pinyin once the sounds
         commonly confused are merged — zh/z, ch/c, sh/s, n/l, ang/an,
         eng/en, ing/in — or Jaro–Winkler at ``name_similarity`` or above),
         ``different``
village  ``same``, ``different``
phone    ``same``, ``different``
======== ===============================================================

A field missing on either side weighs nothing, and so does a clear ID number that differs while one
side fails its check character (it is known to be mistyped, not another person's). Candidates come from blocks:
the same ID or hash, its transpositions, the same village and first two letters of the merged-sound pinyin,
the same phone.

Blocking, comparing and scoring are Splink's (``splink``, imported only when matching), which runs them as SQL
in an in-memory DuckDB database: a pure computation over the two frames, no relief store. Names are turned into
pinyin, and the neighbouring swaps of hashed IDs are hashed, in Python before that (pypinyin, OpenCC, hmac),
since neither can be done in SQL.

Partner agencies send no ID number in clear: they send :func:`hash_id` of it,
HMAC-SHA256 keyed with the prefecture's salt over the normalised 18-character
number (digits and a capital X), as lowercase hex. A partner reproduces it
with ``printf %s 42280119800101001X | openssl dgst -sha256 -hmac "$SALT"`` (the hex after ``= ``)
or ``hmac.new(salt.encode(), id_number.encode(), hashlib.sha256).hexdigest()``.
:func:`refuse_clear_ids` refuses a partner file that carries clear numbers.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from dataclasses import dataclass
from itertools import chain
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from relief.domain.assistance import id_check_character
from relief.domain.frames import require_columns
from relief.domain.vocabulary import MatchVerdict
from relief.errors import ImportRejected, ValidationFailed

#: Comparison levels per field, best first (the order of ``aid_chain.identity.levels``).
LEVELS: dict[str, tuple[str, ...]] = {
    "id": ("exact", "transposed", "different"),
    "name": ("exact", "homophone", "similar", "different"),
    "village": ("same", "different"),
    "phone": ("same", "different"),
}
FIELDS = tuple(LEVELS)
#: Written in evidence for a field missing on either side.
MISSING = "missing"

#: What :func:`match` reads of each household; ``id_number``, ``phone`` and ``village_code`` may be empty.
HOUSEHOLD_COLUMNS = ("household_id", "id_number", "name", "village_code", "phone")
#: What :func:`match` reads of each record, besides one of ``id_number`` / ``id_hash`` and ``name`` /
#: ``name_pinyin``.
RECORD_COLUMNS = ("record_id", "village_code")
#: What :func:`match` returns, one row per record.
MATCH_COLUMNS = ("record_id", "household_id", "score", "verdict", "evidence", "runner_up_household_id",
                 "runner_up_score")

_ID_FORM = re.compile(r"^\d{17}[\dX]$")
_OLD_ID_FORM = re.compile(r"^\d{15}$")
_HASH_FORM = re.compile(r"^[0-9a-f]{64}$")
#: Sounds merged for the ``similar`` level (longer first, so "zh" is not read as "z" + "h").
#: How many other readings of a surname are kept (单: dan, chan, shan).
OTHER_READINGS = 3
_ALT = [f"pinyin_alt{i}" for i in range(OTHER_READINGS)]
_MERGED_SOUNDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ang", "an"), ("eng", "en"), ("ing", "in"), ("l", "n"))


# --- figures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """The ``aid_chain.identity`` figures: per-level weights and the decision scores."""

    weights: Mapping[str, Mapping[str, float]]
    match_score: float
    review_score: float
    ambiguity_margin: float
    name_similarity: float
    #: (m, u) per level, as Splink takes them.
    probabilities: Mapping[str, Mapping[str, tuple[float, float]]]

    @classmethod
    def of(cls, standards) -> "Figures":
        return cls.from_section(standards.aid_chain)

    @classmethod
    def from_section(cls, section: Any) -> "Figures":
        where = "aid_chain.identity"
        raw = section.get("identity") if isinstance(section, Mapping) else None
        if not isinstance(raw, Mapping):
            raise ValidationFailed("aid_chain.identity must be a JSON object", field=where)
        numbers = {}
        for key in ("match_score", "review_score", "ambiguity_margin", "name_similarity"):
            value = raw.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValidationFailed(f"{key} must be a number", field=f"{where}.{key}")
            numbers[key] = float(value)
        if numbers["review_score"] > numbers["match_score"]:
            raise ValidationFailed("review_score may not exceed match_score", field=f"{where}.review_score")
        if numbers["ambiguity_margin"] < 0:
            raise ValidationFailed("ambiguity_margin must be ≥ 0", field=f"{where}.ambiguity_margin")
        if not 0 < numbers["name_similarity"] <= 1:
            raise ValidationFailed("name_similarity must be in (0, 1]", field=f"{where}.name_similarity")
        levels = raw.get("levels")
        if not isinstance(levels, Mapping):
            raise ValidationFailed("levels must map each field to its levels", field=f"{where}.levels")
        weights: dict[str, dict[str, float]] = {}
        probabilities: dict[str, dict[str, tuple[float, float]]] = {}
        for field, names in LEVELS.items():
            given = levels.get(field)
            if not isinstance(given, Mapping) or set(given) != set(names):
                raise ValidationFailed(f"{field} needs the levels {', '.join(names)}", field=f"{where}.levels.{field}")
            weights[field], probabilities[field] = {}, {}
            for level in names:
                entry = given[level]
                m, u = (entry.get("m"), entry.get("u")) if isinstance(entry, Mapping) else (None, None)
                if not all(not isinstance(p, bool) and isinstance(p, (int, float)) and 0 < p <= 1 for p in (m, u)):
                    raise ValidationFailed("m and u must be probabilities in (0, 1]",
                                           field=f"{where}.levels.{field}.{level}")
                weights[field][level] = math.log2(m / u)
                probabilities[field][level] = (float(m), float(u))
        return cls(weights, numbers["match_score"], numbers["review_score"], numbers["ambiguity_margin"],
                   numbers["name_similarity"], probabilities)


# --- ID numbers and their hashes ----------------------------------------------------------

def normalise_id_number(value: Any) -> str | None:
    """The 18-character form (spaces dropped, x made X), or None when ``value`` is not shaped as one.

    The check character is not checked here: a record keeps the number it has, typos included.
    """
    if not isinstance(value, str):
        return None
    text = "".join(value.split()).upper()
    return text if _ID_FORM.match(text) else None


def id_checksum_ok(id_number: str) -> bool:
    """Whether an 18-character number ends in its GB 11643 check character."""
    return id_number[:17].isdigit() and id_check_character(id_number[:17]) == id_number[17]


def transpositions(id_number: str) -> list[str]:
    """The numbers one swap of neighbouring characters away (equal neighbours give nothing new)."""
    out = []
    for i in range(len(id_number) - 1):
        a, b = id_number[i], id_number[i + 1]
        if a != b:
            out.append(id_number[:i] + b + a + id_number[i + 2:])
    return out


def _hasher(salt: str):
    if not isinstance(salt, str) or not salt:
        raise ValidationFailed("the prefecture's salt must be configured", field="salt")
    return hmac.new(salt.encode("utf-8"), digestmod=hashlib.sha256)


def hash_id(id_number: str, salt: str) -> str:
    """HMAC-SHA256 of the normalised ID number keyed with ``salt``, lowercase hex (64 characters)."""
    normal = normalise_id_number(id_number)
    if normal is None:
        raise ValidationFailed("an ID number is 17 digits and a check character (digit or X)", field="id_number")
    h = _hasher(salt)
    h.update(normal.encode("ascii"))
    return h.hexdigest()


def _hash_all(numbers: Iterable[str], salt: str) -> list[str]:
    base = _hasher(salt)
    out = []
    for number in numbers:
        h = base.copy()
        h.update(number.encode("ascii"))
        out.append(h.hexdigest())
    return out


def is_clear_id(value: Any) -> bool:
    """Whether ``value`` reads as an ID number in clear (18 characters, or the old 15 digits)."""
    if not isinstance(value, str):
        return False
    text = "".join(value.split()).upper()
    return bool(_ID_FORM.match(text) or _OLD_ID_FORM.match(text))


def is_id_hash(value: Any) -> bool:
    """Whether ``value`` is shaped as :func:`hash_id`'s output (64 hex characters)."""
    return isinstance(value, str) and bool(_HASH_FORM.match(value.strip().lower()))


def refuse_clear_ids(values: Iterable[Any], *, file: str, column: str = "id_hash", first_row: int = 2) -> None:
    """Refuse a partner file in which any ID is in clear, or a hash is malformed; the error says how to hash.

    ``first_row``: the row number of the first value (2: a CSV after its header).
    """
    for row, value in enumerate(values, start=first_row):
        if is_clear_id(value):
            raise ImportRejected("an ID number in clear: partner files carry only the salted hash "
                                 "(HMAC-SHA256 of the ID number keyed with the prefecture's salt, hex)",
                                 file=file, row=row, column=column)
        if not is_id_hash(value):
            raise ImportRejected("not an ID hash (64 hexadecimal characters)", file=file, row=row, column=column)


# --- names ------------------------------------------------------------------------------

def _converter():
    from opencc import OpenCC  # its dictionaries load on first use, not at import
    return OpenCC("t2s")


def simplified(names: pd.Series) -> pd.Series:
    """Names with traditional characters made simplified and spaces dropped (None stays None)."""
    text = names.where(names.notna(), "").astype(str).str.replace(r"\s+", "", regex=True)
    unique = pd.unique(text)
    converted = _converter().convert("\n".join(unique)).split("\n") if len(unique) else []
    if len(converted) != len(unique):  # a name holding a line break of its own: one by one
        convert = _converter().convert
        converted = [convert(u) for u in unique]
    out = text.map(dict(zip(unique, converted))).astype(object)
    return out.where(out != "", None)


def _readings(chars: Iterable[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each character's usual reading and its other readings (a surname is often read another way)."""
    from pypinyin import Style, lazy_pinyin, pinyin
    usual, other = {}, {}
    for ch in chars:
        usual[ch] = re.sub(r"[^a-z]", "", lazy_pinyin(ch, style=Style.NORMAL, v_to_u=False)[0].lower())
        readings = [re.sub(r"[^a-z]", "", r.lower()) for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]]
        other[ch] = [r for r in dict.fromkeys(readings) if r and r != usual[ch]][:OTHER_READINGS]
    return usual, other


def pinyin_keys(names: pd.Series) -> pd.DataFrame:
    """``pinyin`` (usual readings, syllables joined), ``pinyin_alt0..2`` (the surname read its other
    ways), ``fuzzy`` (merged sounds) and ``initial`` (first letter) of simplified names."""
    unique = pd.unique(names.dropna())
    usual, other = _readings({ch for name in unique for ch in name})
    table = {}
    for name in unique:
        rest = "".join(usual[ch] for ch in name[1:])
        alts = [r + rest for r in other[name[0]]]
        table[name] = ["".join(usual[ch] for ch in name)] + alts + [None] * (OTHER_READINGS - len(alts))
    rows = [table.get(n, [None] * (OTHER_READINGS + 1)) if isinstance(n, str) else [None] * (OTHER_READINGS + 1)
            for n in names]
    frame = pd.DataFrame(rows, index=names.index, columns=["pinyin"] + _ALT, dtype=object)
    return _with_fuzzy(frame)


def normalise_pinyin(values: pd.Series) -> pd.DataFrame:
    """Partner pinyin (``Zhang Wei``, ``ZHANG-wei``, ``zhāng wěi``, ``zhang1 wei3``, ``lü``) as :func:`pinyin_keys`."""
    def clean(value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        text = unicodedata.normalize("NFKD", value.lower().replace("ü", "v"))
        text = re.sub(r"[^a-z]", "", "".join(c for c in text if not unicodedata.combining(c)))
        return text or None
    unique = pd.unique(values.dropna())
    main = values.map(dict(zip(unique, map(clean, unique)))).astype(object)
    frame = pd.DataFrame({"pinyin": main.where(main.notna(), None)}, index=values.index)
    for column in _ALT:
        frame[column] = None
    return _with_fuzzy(frame)


def _fuzzy(text: pd.Series) -> pd.Series:
    out = text
    for a, b in _MERGED_SOUNDS:
        out = out.str.replace(a, b, regex=False)
    return out


def _with_fuzzy(frame: pd.DataFrame) -> pd.DataFrame:
    main = frame["pinyin"].astype(object)
    frame = frame.astype(object)
    frame["pinyin"] = main.where(main.notna() & (main != ""), None)
    frame["fuzzy"] = _fuzzy(main.fillna("")).astype(object).where(frame["pinyin"].notna(), None)
    frame["initial"] = main.fillna("").str[:1].astype(object).where(frame["pinyin"].notna(), None)
    return frame


def normalise_phone(values: pd.Series) -> pd.Series:
    """Digits only, a leading +86 / 86 / 0086 dropped; fewer than 7 digits is no phone."""
    digits = values.where(values.notna(), "").astype(str).str.replace(r"\D", "", regex=True)
    digits = digits.str.replace(r"^(?:0086|86)(?=1\d{10}$)", "", regex=True)
    return digits.astype(object).where((digits.str.len() >= 7).to_numpy(), None)


# --- preparing both sides ------------------------------------------------------------------

def _text(values: pd.Series) -> pd.Series:
    out = values.where(values.notna(), "").astype(str).str.strip()
    return out.where(out != "", None).astype(object)


def prepare_households(households: pd.DataFrame, *, salt: str | None = None) -> pd.DataFrame:
    """The register's comparison keys (once per register; reusable across partner files of one salt)."""
    require_columns(households, HOUSEHOLD_COLUMNS, "households")
    frame = households.reset_index(drop=True)
    out = pd.DataFrame({"household_id": frame["household_id"].to_numpy()})
    ids = frame["id_number"].map(normalise_id_number)
    out["id_number"] = ids.astype(object)
    out["id_ok"] = checksums(out["id_number"])
    if salt is not None:
        present = ids.notna()
        hashed = pd.Series(None, index=ids.index, dtype=object)
        hashed[present] = _hash_all(ids[present], salt)
        out["id_hash"] = hashed
    names = simplified(frame["name"])
    out["name"] = names.astype(object)
    out = pd.concat([out, pinyin_keys(names)], axis=1)
    out["village_code"] = _text(frame["village_code"])
    out["phone"] = normalise_phone(frame["phone"]).astype(object)
    out.attrs["salt"] = salt
    return out


def prepare_records(records: pd.DataFrame) -> pd.DataFrame:
    """A record file's comparison keys: clear ``id_number`` or ``id_hash``, ``name`` or ``name_pinyin``."""
    require_columns(records, RECORD_COLUMNS, "records")
    frame = records.reset_index(drop=True)
    out = pd.DataFrame({"record_id": frame["record_id"].to_numpy()})
    if "id_hash" in frame.columns:
        hashes = _text(frame["id_hash"]).str.lower()
        out["id_hash"] = hashes.where(hashes.map(is_id_hash, na_action="ignore").fillna(False).astype(bool), None)
    elif "id_number" in frame.columns:
        out["id_number"] = frame["id_number"].map(normalise_id_number).astype(object)
        out["id_ok"] = checksums(out["id_number"])
    else:
        raise ValidationFailed("records need id_number or id_hash", field="records.id_hash")
    if "name" in frame.columns and frame["name"].notna().any():
        names = simplified(frame["name"])
        out["name"] = names.astype(object)
        keys = pinyin_keys(names)
    elif "name_pinyin" in frame.columns:
        out["name"] = None
        keys = normalise_pinyin(frame["name_pinyin"])
    else:
        out["name"] = None
        keys = normalise_pinyin(pd.Series(None, index=frame.index, dtype=object))
    out = pd.concat([out, keys], axis=1)
    out["village_code"] = _text(frame["village_code"])
    phone = frame["phone"] if "phone" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    out["phone"] = normalise_phone(phone).astype(object)
    return out


# --- candidates and comparisons (Splink) ----------------------------------------------------

def _block_key(frame: pd.DataFrame) -> pd.Series:
    """Village and the first two letters of the name's merged-sound pinyin."""
    ok = frame["village_code"].notna() & frame["fuzzy"].notna()
    return (frame["village_code"].fillna("") + "|" + frame["fuzzy"].fillna("").str[:2]).where(ok, None)


def _clear_swaps(frame: pd.DataFrame) -> list[list[str]]:
    """Each clear number's neighbouring swaps, only for numbers failing their check character (GB 11643
    catches every swap of two different neighbours, so a passing number is no swap of another)."""
    return [transpositions(n) if isinstance(n, str) and not ok else []
            for n, ok in zip(frame["id_number"].to_numpy(dtype=object), frame["id_ok"].to_numpy())]


def _hashed_swaps(records: pd.DataFrame, register: pd.DataFrame) -> list[list[int]]:
    """Per record, the households (positions) whose ID number, with two neighbouring characters swapped,
    hashes to the record's hash; tried only for records whose hash matches no household, against the
    households sharing their village block or phone.

    Plain hashing, not Splink: a hash has no neighbouring swaps of its own, so the swaps are made from the
    register's clear numbers and hashed with the salt, which the database never sees.
    """
    salt = register.attrs.get("salt")
    if salt is None:
        raise ValidationFailed("matching on hashes needs the register prepared with the salt", field="salt")
    out: list[list[int]] = [[] for _ in range(len(records))]
    known = set(register["id_hash"].dropna())
    stray = records[records["id_hash"].notna() & ~records["id_hash"].isin(known)]
    if not len(stray):
        return out
    near = np.zeros(len(register), dtype=bool)
    for key in ("block", "phone"):
        near |= register[key].isin(set(stray[key].dropna())).to_numpy()
    numbers = register["id_number"].to_numpy(dtype=object)
    near = [h for h in np.flatnonzero(near).tolist() if isinstance(numbers[h], str)]
    variants = [(h, v) for h in near for v in transpositions(numbers[h])]
    wanted: dict[str, list[int]] = {}
    for record, value in zip(stray.index.tolist(), stray["id_hash"].tolist()):
        wanted.setdefault(value, []).append(record)
    for (household, _), value in zip(variants, _hash_all((v for _, v in variants), salt)):
        for record in wanted.get(value, ()):
            out[record].append(household)
    return out


def _list_array(lengths: np.ndarray, values: np.ndarray):
    """An Arrow list-of-text column: row i holds the next ``lengths[i]`` of ``values``."""
    import pyarrow as pa

    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.string(), from_pandas=True))


def _splink_table(frame: pd.DataFrame, id_key: str, swaps: list[list[str]], checked: bool,
                  swap_of: list[list[int]] | None = None):
    """One side as an Arrow table with the columns the comparisons read (lists typed, even when empty)."""
    import pyarrow as pa

    def text(name: str):
        return pa.array(frame[name].to_numpy(dtype=object), pa.string(), from_pandas=True)

    ids = frame[id_key].to_numpy(dtype=object)
    present = frame[id_key].notna().to_numpy()
    swap_lengths = np.fromiter(map(len, swaps), dtype=np.int64, count=len(swaps))
    flat = np.array(list(chain.from_iterable(swaps)), dtype=object)
    # id_keys: the number (or hash) itself, then its swaps.
    key_lengths = present.astype(np.int64) + swap_lengths
    starts = np.concatenate([[0], np.cumsum(key_lengths)])[:-1]
    keys = np.empty(int(key_lengths.sum()), dtype=object)
    keys[starts[present]] = ids[present]
    owner = np.repeat(np.arange(len(swaps)), swap_lengths)
    within = np.arange(len(flat)) - np.repeat(np.cumsum(swap_lengths) - swap_lengths, swap_lengths)
    keys[starts[owner] + present[owner] + within] = flat
    alts = frame[_ALT].to_numpy(dtype=object)
    has_alt = frame[_ALT].notna().to_numpy()
    swap_of = swap_of if swap_of is not None else [[] for _ in range(len(frame))]
    of_lengths = np.fromiter(map(len, swap_of), dtype=np.int64, count=len(swap_of))
    of_values = np.fromiter(chain.from_iterable(swap_of), dtype=np.int64, count=int(of_lengths.sum()))
    return pa.table({
        "uid": pa.array(np.arange(len(frame), dtype=np.int64)),
        "id_key": text(id_key),
        "id_ok": pa.array(frame["id_ok"].to_numpy(dtype=bool) if checked else np.ones(len(frame), dtype=bool)),
        "id_swaps": _list_array(swap_lengths, flat),
        "id_keys": _list_array(key_lengths, keys),
        "swap_of": pa.ListArray.from_arrays(
            pa.array(np.concatenate([[0], np.cumsum(of_lengths)]).astype(np.int32)), pa.array(of_values)),
        "name": text("name"),
        "pinyin": text("pinyin"),
        "pinyin_alts": _list_array(has_alt.sum(axis=1), alts[has_alt]),
        "fuzzy": text("fuzzy"),
        "block": text("block"),
        "village_code": text("village_code"),
        "phone": text("phone"),
    })


def _level(condition: str, label: str, probabilities: Mapping[str, tuple[float, float]] | None) -> dict:
    level = {"sql_condition": condition, "label_for_charts": label}
    if probabilities is not None:
        level["m_probability"], level["u_probability"] = probabilities[label]
    return level


def _comparisons(figures: Figures, with_probabilities: bool = True) -> list[dict]:
    """The Splink comparisons, one per field, levels best first as :data:`LEVELS` (a missing field, and
    a clear number known to be mistyped, are null levels: they weigh nothing)."""
    p = figures.probabilities if with_probabilities else {f: None for f in FIELDS}

    def null(condition: str) -> dict:
        return {"sql_condition": condition, "label_for_charts": MISSING, "is_null_level": True}

    def same_or_not(field: str, column: str) -> dict:
        return {"output_column_name": field, "comparison_levels": [
            null(f"{column}_l IS NULL OR {column}_r IS NULL"),
            _level(f"{column}_l = {column}_r", "same", p[field]),
            _level("ELSE", "different", p[field])]}

    return [
        {"output_column_name": "id", "comparison_levels": [
            null("id_key_l IS NULL OR id_key_r IS NULL"),
            _level("id_key_l = id_key_r", "exact", p["id"]),
            _level("list_contains(id_swaps_l, id_key_r) OR list_contains(id_swaps_r, id_key_l)"
                   " OR list_contains(swap_of_l, uid_r) OR list_contains(swap_of_r, uid_l)", "transposed", p["id"]),
            null("NOT id_ok_l OR NOT id_ok_r"),
            _level("ELSE", "different", p["id"])]},
        {"output_column_name": "name", "comparison_levels": [
            null("pinyin_l IS NULL OR pinyin_r IS NULL"),
            _level("name_l = name_r", "exact", p["name"]),
            _level("pinyin_l = pinyin_r OR list_contains(pinyin_alts_r, pinyin_l) "
                   "OR list_contains(pinyin_alts_l, pinyin_r)", "homophone", p["name"]),
            _level(f"fuzzy_l = fuzzy_r OR jaro_winkler_similarity(pinyin_l, pinyin_r) >= {figures.name_similarity!r}",
                   "similar", p["name"]),
            _level("ELSE", "different", p["name"])]},
        same_or_not("village", "village_code"),
        same_or_not("phone", "phone"),
    ]


def _linker(records: pd.DataFrame, register: pd.DataFrame, figures: Figures, *, with_probabilities: bool = True):
    """A Splink linker (DuckDB, in memory) of the prepared records against the prepared register."""
    import logging

    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    hashed = "id_hash" in records.columns
    id_key = "id_hash" if hashed else "id_number"
    records = records.assign(block=_block_key(records))
    register = register.assign(block=_block_key(register))
    swap_of = None
    if hashed:  # swaps found by hashing: the records name their households (swap_of)
        rec_swaps, reg_swaps = [[] for _ in range(len(records))], [[] for _ in range(len(register))]
        swap_of = _hashed_swaps(records, register)
    else:  # swaps of clear numbers compared in SQL (id_swaps)
        rec_swaps, reg_swaps = _clear_swaps(records), _clear_swaps(register)
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        comparisons=_comparisons(figures, with_probabilities),
        blocking_rules_to_generate_predictions=[
            # A hash's swaps are only looked for among households of its block or phone (see _hashed_swaps).
            block_on("id_key") if hashed else block_on("id_keys", arrays_to_explode=["id_keys"]),
            block_on("block"), block_on("phone")],
        probability_two_random_records_match=0.5,  # no prior: a pair's match weight is its summed weights
        retain_matching_columns=True,  # Splink keeps each field's level (gamma_) only with them
    )
    db = DuckDBAPI()
    tables = [db.register(_splink_table(records, id_key, rec_swaps, not hashed, swap_of), table_name="records"),
              db.register(_splink_table(register, id_key, reg_swaps, not hashed), table_name="households")]
    return Linker(tables, settings, log_level=logging.WARNING)


def compare(records: pd.DataFrame, register: pd.DataFrame, figures: Figures) -> pd.DataFrame:
    """Every candidate pair of prepared records and households: ``record`` and ``household`` positions,
    ``score`` (Splink's match weight: the sum of the fields' weights) and each field's level
    (``level_<field>``, :data:`LEVELS` words or ``missing``)."""
    linker = _linker(records, register, figures)
    levels = ", ".join(f"gamma_{field}" for field in FIELDS)
    predicted = linker.inference.predict(warning_mode="never")
    pairs = predicted.query_sql(
        "SELECT CASE WHEN source_dataset_l = 'records' THEN uid_l ELSE uid_r END AS record, "
        "CASE WHEN source_dataset_l = 'records' THEN uid_r ELSE uid_l END AS household, "
        f"match_weight AS score, {levels} FROM {{this}}")
    pairs = pairs if isinstance(pairs, pd.DataFrame) else pairs.as_pandas_dataframe()
    out = pairs[["record", "household", "score"]].astype({"record": np.int64, "household": np.int64,
                                                          "score": float})
    for field, names in LEVELS.items():
        # Splink numbers a comparison's levels from the best down to 0 (the last), null levels -1.
        words = np.array([MISSING, *reversed(names)], dtype=object)
        out[f"level_{field}"] = words[pairs[f"gamma_{field}"].to_numpy(dtype=np.int64) + 1]
    return out.sort_values(["record", "household"], kind="stable").reset_index(drop=True)


#: GB 11643: the weight of the i-th digit is 2^(17 - i) mod 11; the remainder picks the check character.
_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def checksums(numbers: pd.Series) -> np.ndarray:
    """Whether each normalised number passes its check character, vectorised; no number counts as passing."""
    values = numbers.to_numpy(dtype=object)
    present = np.array([isinstance(v, str) and len(v) == 18 for v in values], dtype=bool)
    ok = np.ones(len(values), dtype=bool)
    if present.any():
        chars = np.frombuffer("".join(values[present]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        body = chars[:, :17].astype(np.int64) - ord("0")
        digits = ((body >= 0) & (body <= 9)).all(axis=1)
        expected = _CHECK[(np.clip(body, 0, 9) @ _WEIGHTS) % 11]
        ok[present] = digits & (chars[:, 17] == expected)
    return ok


def score(levels: pd.DataFrame, figures: Figures) -> np.ndarray:
    """Sum of each field's weight at its level (``missing``: 0)."""
    total = np.zeros(len(levels))
    for field in FIELDS:
        weights = {**figures.weights[field], MISSING: 0.0}
        total += levels[f"level_{field}"].map(weights).to_numpy(dtype=float)
    return total


def evidence(levels: pd.DataFrame) -> pd.Series:
    """``id=exact;name=homophone;village=same;phone=missing``: each field's level, in field order."""
    combined = np.zeros(len(levels), dtype=np.int64)
    words: list[np.ndarray] = []
    for field in FIELDS:  # each field's few levels as small codes, then one code per combination
        codes, uniques = pd.factorize(levels[f"level_{field}"].astype(str))
        combined = combined * (len(uniques) + 1) + codes
        words.append(np.asarray(uniques, dtype=object)[codes])
    if not len(combined):
        return pd.Series(np.array([], dtype=object), index=levels.index)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    text = np.array([";".join(f"{field}={w[i]}" for field, w in zip(FIELDS, words)) for i in first], dtype=object)
    return pd.Series(text[inverse.ravel()], index=levels.index)


# --- matching ----------------------------------------------------------------------------

def match(records: pd.DataFrame, register: pd.DataFrame, figures: Figures, *, all_pairs: bool = False,
          salt: str | None = None) -> pd.DataFrame:
    """Each record's household, score, verdict (:class:`MatchVerdict`) and evidence.

    ``records``: raw records (``record_id``, ``village_code``, ``id_number`` or ``id_hash``, ``name`` or
    ``name_pinyin``, optional ``phone``); ``register``: raw households (:data:`HOUSEHOLD_COLUMNS`) or the
    output of :func:`prepare_households` (with the salt, for hashed records). A record is ``matched``
    to its best household at ``match_score`` or more unless a second household is within
    ``ambiguity_margin``; ``review`` at ``review_score`` or more (or when ambiguous); otherwise
    ``unmatched`` with no household. ``all_pairs``: return every scored candidate pair instead.
    """
    if "pinyin" not in register.columns:
        register = prepare_households(register, salt=salt)
    if "id_hash" in records.columns and "id_hash" not in register.columns:
        raise ValidationFailed("matching on hashes needs the prefecture's salt", field="salt")
    elif salt is not None and register.attrs.get("salt") != salt:
        raise ValidationFailed("the register was prepared with another salt", field="salt")
    prepared = prepare_records(records)
    scored = compare(prepared, register, figures)
    scored["evidence"] = evidence(scored).to_numpy()
    scored["record_id"] = prepared["record_id"].to_numpy()[scored["record"].to_numpy()]
    scored["household_id"] = register["household_id"].to_numpy()[scored["household"].to_numpy()]
    if all_pairs:
        return scored[["record_id", "household_id", "score", "evidence"]].reset_index(drop=True)
    scored = scored.sort_values(["record", "score"], ascending=[True, False], kind="stable")
    rank = scored.groupby("record").cumcount().to_numpy()
    best = scored[rank == 0].set_index("record")
    second = scored[rank == 1].set_index("record")
    out = pd.DataFrame({"record_id": prepared["record_id"].to_numpy()})
    out["household_id"] = best["household_id"].reindex(out.index).astype(object)
    out["score"] = best["score"].reindex(out.index).to_numpy(dtype=float)
    out["evidence"] = best["evidence"].reindex(out.index).astype(object)
    out["runner_up_household_id"] = second["household_id"].reindex(out.index).astype(object)
    out["runner_up_score"] = second["score"].reindex(out.index).to_numpy(dtype=float)
    s, s2 = out["score"].to_numpy(), out["runner_up_score"].to_numpy()
    ambiguous = np.isfinite(s2) & (s - s2 < figures.ambiguity_margin)
    verdict = np.select([(s >= figures.match_score) & ~ambiguous, s >= figures.review_score],
                        [MatchVerdict.MATCHED.value, MatchVerdict.REVIEW.value], MatchVerdict.UNMATCHED.value)
    out["verdict"] = verdict.astype(object)
    out.loc[out["verdict"] == MatchVerdict.UNMATCHED, "household_id"] = None
    out = out.where(out.notna(), None)
    out["score"] = out["score"].astype(float)
    out["runner_up_score"] = out["runner_up_score"].astype(float)
    return out[list(MATCH_COLUMNS)]


def estimate_levels(records: pd.DataFrame, register: pd.DataFrame, figures: Figures, *,
                    seed: int = 1) -> dict[str, dict[str, dict[str, float]]]:
    """m and u per level estimated from local data with Splink, in the standards'
    ``aid_chain.identity.levels`` form, for an administrator to publish.

    ``records`` / ``register``: :func:`prepare_records` / :func:`prepare_households`. u comes from
    random pairs (nearly all non-matches); m from expectation–maximisation over the pairs blocked on the
    village block (which leaves the ID and phone free to learn) and on the ID (which leaves name and
    village free). A level never seen keeps a small floor, so each weight stays finite.
    """
    from splink import block_on

    linker = _linker(records, register, figures, with_probabilities=False)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("block"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_key"))
    model = linker.misc.save_model_to_json()
    floor = 1e-6
    out: dict[str, dict[str, dict[str, float]]] = {}
    for comparison in model["comparisons"]:
        field = comparison["output_column_name"]
        found = {level["label_for_charts"]: level for level in comparison["comparison_levels"]
                 if not level.get("is_null_level")}
        out[field] = {}
        for name in LEVELS[field]:
            level = found.get(name, {})
            out[field][name] = {p: min(max(float(level.get(f"{p}_probability") or 0.0), floor), 1.0)
                                for p in ("m", "u")}
    return out
