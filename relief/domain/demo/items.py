"""The relief item catalogue, as data.

One row per item with what a unit provides towards each guarantee (kcal,
litres, clothing sets, bedding pieces), which is what the guarantees count.
"""
from __future__ import annotations

import pandas as pd

_ITEM_COLUMNS = ("code", "name", "unit", "guarantee", "kcal_per_unit", "litres_per_unit", "sets_per_unit",
                 "pieces_per_unit")
"""The header of :data:`ITEMS`: the ``items`` table's columns; the last four are amounts per unit."""

ITEMS = (
    # code, name, unit, guarantee, kcal, litres, sets, pieces
    ("rice_10kg", "大米 10 kg 袋 (rice, 10 kg bag)", "bag", "food", 36000, 0, 0, 0),
    ("instant_noodles", "方便面 24 包/箱 (instant noodles, box of 24)", "box", "food", 11000, 0, 0, 0),
    ("biscuits", "压缩饼干 2 kg/箱 (compressed biscuits, 2 kg box)", "box", "food", 9000, 0, 0, 0),
    ("water_5l", "桶装饮用水 5 L (bottled water, 5 L)", "bottle", "water", 0, 5, 0, 0),
    ("water_550ml_case", "瓶装水 550 ml×24/箱 (bottled water, case of 24×550 ml)", "case", "water", 0, 13.2, 0, 0),
    ("clothing_set", "衣物 (clothing set)", "set", "clothing", 0, 0, 1, 0),
    ("winter_coat", "棉大衣 (winter coat)", "piece", "clothing", 0, 0, 1, 0),
    ("quilt", "棉被 (quilt)", "piece", "bedding", 0, 0, 0, 1),
    ("blanket", "毛毯 (blanket)", "piece", "bedding", 0, 0, 0, 1),
    ("sleeping_mat", "防潮睡垫 (sleeping mat)", "piece", "bedding", 0, 0, 0, 0),  # insulation, not a covering
    ("medical_kit", "家庭医疗包 (household medical kit)", "kit", "medical", 0, 0, 0, 0),
    ("tent", "救灾帐篷 12 m² (relief tent, 12 m²)", "tent", "other", 0, 0, 0, 0),
)


def _build_items() -> pd.DataFrame:
    """The ``items`` table; amounts as float, as the table stores them, whether whole or not."""
    return pd.DataFrame(list(ITEMS), columns=list(_ITEM_COLUMNS)).astype(
        {column: float for column in _ITEM_COLUMNS[4:]})
