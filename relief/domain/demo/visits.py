"""Medical visits to vulnerable households, from the nearest operating facility.

Some recent, some overdue, many none: enough for the medical guarantee to
show every verdict.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from relief.domain.demo.geometry import _projected


def _build_visits(rng: np.random.Generator, households: pd.DataFrame, facilities: pd.DataFrame,
                  as_of: datetime) -> pd.DataFrame:
    """Medical visits to vulnerable households in need: some recent, some overdue, many none."""
    hh = households
    vulnerable = (hh[["infants", "elderly", "disabled", "chronic", "pregnant", "injured"]].sum(axis=1) > 0).to_numpy()
    who = np.flatnonzero(vulnerable & hh["needs_living_aid"].to_numpy())
    u = rng.random(len(who))
    hours = np.where(u < 0.45, rng.uniform(2, 160, len(who)), rng.uniform(190, 330, len(who)))
    keep = u < 0.55
    who, hours = who[keep], hours[keep]
    working = facilities[facilities["operating"]]
    fxy = _projected(working["geom"])
    hxy = _projected(hh["geom"].to_numpy()[who])
    _, nearest = cKDTree(fxy).query(hxy) if len(who) else (None, np.array([], dtype=np.int64))
    frame = pd.DataFrame({
        "household_id": hh["id"].to_numpy()[who],
        "visited_at": [as_of - timedelta(hours=float(np.round(h, 2))) for h in hours],
        "facility_id": working["id"].to_numpy()[nearest].astype(object),
        "note": "demo visit",
    }).sort_values(["visited_at", "household_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame
