"""Importing a register folder (CSV or xlsx): all or nothing, then fresh verdicts.

Files: ``sites``, ``facilities``, ``items``, ``households``,
``distributions``, ``medical_visits`` (``.csv`` or ``.xlsx``, first sheet);
any may be absent. Values are checked by :mod:`relief.domain.registers`
before anything is written; the first bad one refuses the whole import with
:class:`relief.errors.ImportRejected` naming file, row and column.
The households file may carry an ``assistance_category`` column (the words
of ``vocabulary.ASSISTANCE_CATEGORIES``; an empty cell clears it); a file
without the column leaves the stored categories as they are.

Re-importing is safe:

- sites, facilities, items and households with an id already stored
  **replace** that row's register columns (columns a register lacks, such as
  a phone number, are kept; nothing referring to the row is touched);
- a distribution or medical visit identical to one already recorded for the
  household (same item, quantity and time / same time) is skipped, so
  loading the same file twice records it once. Imported distributions are
  records of what was handed out: they move no stock.

Village and county codes come from the stored areas by point in polygon; a
place outside every area (or an empty database after ``relief init-db``)
belongs to none. After the rows are written, the guarantees of the affected
households are rechecked in the same transaction (everyone's when sites,
facilities or items changed, since those can change anyone's verdict).
"""
from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from openpyxl.utils.exceptions import InvalidFileException

from relief.domain import registers
from relief.errors import ImportRejected
from relief.services import assistance_import, guarantees, reconstruction_import
from relief.services.context import Context
from relief.store import registers as store

SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class ImportResult:
    files: dict[str, str]  # stem → file name read
    inserted: dict[str, int]
    updated: dict[str, int]
    skipped: dict[str, int]  # distributions / visits already recorded
    rechecked: int  # households whose guarantees were recomputed
    changed: int  # of which the status changed


def read_register(folder: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Each register file in ``folder`` as text cells, and the file name it came from."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportRejected("not a folder", file=str(folder))
    raw: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUFFIXES or path.name.startswith((".", "~$")):
            continue
        stem = path.stem
        if (stem not in registers.SPECS and stem not in reconstruction_import.FILES
                and stem not in assistance_import.FILES):
            raise ImportRejected(f"unknown register file; expected {', '.join(registers.FILE_ORDER)} "
                                 f"(.csv or .xlsx)", file=path.name)
        if stem in raw:
            raise ImportRejected(f"both {names[stem]} and {path.name} are present; keep one", file=path.name)
        raw[stem], names[stem] = _read(path), path.name
    if not raw and not (folder / assistance_import.PROGRAMMES_FILE).is_file():
        raise ImportRejected(f"no register files ({', '.join(s + '.csv' for s in registers.FILE_ORDER)})",
                             file=str(folder))
    return raw, names


def _read(path: Path) -> pd.DataFrame:
    """All cells as text; an empty cell is ``""``; whole numbers from xlsx lose their ``.0``."""
    frame = _read_csv(path) if path.suffix.lower() == ".csv" else _read_xlsx(path).map(_cell_text)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.fillna("")


def _read_csv(path: Path) -> pd.DataFrame:
    """UTF-8 (with or without Excel's BOM), else GB18030, the encoding Chinese Excel saves CSV in."""
    try:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
    except UnicodeDecodeError:
        raise ImportRejected("is not CSV text in UTF-8 or GB18030 (is it another kind of file renamed .csv?)",
                             file=path.name) from None
    except (ValueError, OSError, csv.Error, pd.errors.ParserError) as error:
        raise ImportRejected(f"cannot be read as CSV: {_said(error)}", file=path.name) from None


def _read_xlsx(path: Path) -> pd.DataFrame:
    """The first sheet; a file that is not a workbook is named and described, never a traceback."""
    try:
        return pd.read_excel(path, dtype=object, engine="openpyxl")
    except zipfile.BadZipFile:
        raise ImportRejected("is not an xlsx workbook (an xlsx file is a zip archive; this one is not): "
                             "save it again as .xlsx or .csv", file=path.name) from None
    except (KeyError, InvalidFileException):
        raise ImportRejected("is a zip archive without an xlsx workbook in it: save it again as .xlsx or .csv",
                             file=path.name) from None
    except OSError as error:
        raise ImportRejected(f"cannot be read as an xlsx workbook: {_said(error)}", file=path.name) from None
    except Exception as error:  # openpyxl and its XML parser raise many kinds on a damaged workbook
        raise ImportRejected(f"is a damaged xlsx workbook ({_said(error)}): save it again as .xlsx or .csv",
                             file=path.name) from None


def _said(error: Exception, limit: int = 200) -> str:
    """An exception's own words, short enough for one line of a message."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return value.isoformat()  # a naive spreadsheet time is refused later: it needs an offset
    return str(value)


def import_register(ctx: Context, folder: str | Path, *, profile: str = "normal") -> ImportResult:
    """Validate and store a register folder in one transaction; recheck the affected guarantees."""
    raw, names = read_register(folder)
    houses = reconstruction_import.take(raw)  # houses, inspections, house_payments
    assistance_files = assistance_import.take(raw, folder)  # programmes.json, cases, accounts
    standards = ctx.standards
    with ctx.transaction() as unit:
        session = unit.session
        sites, households, items = store.known_ids(session)
        checked = registers.validate_register(raw, registers.Known(sites, households, items), file_names=names)
        areas = store.areas_frame(session, ("county", "township", "village"))
        inserted: dict[str, int] = {}
        updated: dict[str, int] = {}
        skipped: dict[str, int] = {}
        for stem, to_rows in _PLACES:
            if stem in checked:
                inserted[stem], updated[stem] = store.upsert_frame(session, stem, to_rows(checked[stem], areas,
                                                                                          unit.now))
        for stem, to_rows, stored in _RECORDS:
            if stem in checked:
                rows = _new_only(to_rows(checked[stem], unit.actor.id), stored(session, checked[stem]["household_id"]))
                inserted[stem] = store.insert_rows(session, stem, rows)
                skipped[stem] = len(checked[stem]) - len(rows)
        reconstruction_import.import_into(unit, houses, names, standards, inserted, updated, skipped)
        assistance_import.import_into(unit, ctx, assistance_files, names, inserted, updated, skipped)
        judged, changed = guarantees.recheck(unit, _affected(session, checked), profile=profile, standards=standards)
        unit.audit("register.import", "register", None, reason=f"import of {', '.join(names.values())}",
                   detail={"files": names, "inserted": inserted, "updated": updated, "skipped": skipped})
    return ImportResult(names, inserted, updated, skipped, judged, changed)


def _affected(session, checked: dict[str, pd.DataFrame]) -> list[str] | None:
    """Households whose verdicts the import can change; None for everyone."""
    if any(stem in checked for stem in ("sites", "facilities", "items")):
        return None
    ids: set[str] = set()
    for stem in ("households", "distributions", "medical_visits"):
        if stem in checked:
            ids.update(checked[stem]["household_id"])
    if "households" in checked:  # people moving in or out change their sites' space per person
        frame = checked["households"]
        ids.update(store.household_ids_at_sites(session, frame["site_id"].dropna().unique().tolist()))
    return sorted(ids)


# --- register rows → table rows -----------------------------------------------------

def _points(frame: pd.DataFrame) -> np.ndarray:
    lon, lat = frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
    points = shapely.points(lon, lat)
    points[~(np.isfinite(lon) & np.isfinite(lat))] = None
    return points


def _codes(frame: pd.DataFrame, areas: pd.DataFrame, levels: tuple[str, ...]) -> pd.DataFrame:
    return registers.area_codes(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float), areas,
                                levels)


def _site_rows(frame: pd.DataFrame, areas: pd.DataFrame, now) -> pd.DataFrame:
    codes = _codes(frame, areas, ("county", "township"))
    out = frame.drop(columns=["lat", "lon"]).rename(columns={"site_id": "id"})
    return out.assign(geom=_points(frame), county_code=codes["county"].to_numpy(),
                      township_code=codes["township"].to_numpy())


def _facility_rows(frame: pd.DataFrame, areas: pd.DataFrame, now) -> pd.DataFrame:
    codes = _codes(frame, areas, ("county",))
    out = frame.drop(columns=["lat", "lon"]).rename(columns={"facility_id": "id"})
    return out.assign(geom=_points(frame), county_code=codes["county"].to_numpy())


def _item_rows(frame: pd.DataFrame, areas: pd.DataFrame, now) -> pd.DataFrame:
    return frame.rename(columns={"item_code": "code"})


def _household_rows(frame: pd.DataFrame, areas: pd.DataFrame, now) -> pd.DataFrame:
    codes = _codes(frame, areas, ("county", "village"))
    out = frame.drop(columns=["lat", "lon"]).rename(columns={"household_id": "id"})
    return out.assign(geom=_points(frame), village_code=codes["village"].to_numpy(),
                      county_code=codes["county"].to_numpy(), updated_at=now)


#: Each register file is stored in the table of the same name.
_PLACES = (("sites", _site_rows), ("facilities", _facility_rows), ("items", _item_rows),
           ("households", _household_rows))


def _distribution_rows(frame: pd.DataFrame, actor_id: int | None) -> pd.DataFrame:
    return frame.assign(actor_id=actor_id, movement_id=None)


def _visit_rows(frame: pd.DataFrame, actor_id: int | None) -> pd.DataFrame:
    return frame


_RECORDS = (("distributions", _distribution_rows, store.stored_distributions),
            ("medical_visits", _visit_rows, store.stored_visits))


def _new_only(rows: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """Rows not already recorded (same household, time and, for distributions, item and quantity).

    Duplicates *within* the file are kept: two identical hand-outs on one day can both be real.
    """
    keys = [c for c in stored.columns]
    if stored.empty or rows.empty:
        return rows
    stored = stored.copy()
    for column in keys:
        if column in ("distributed_at", "visited_at"):
            stored[column] = pd.to_datetime(stored[column], utc=True).dt.as_unit("ns")
    left = rows[keys].copy()
    for column in keys:
        if column in ("distributed_at", "visited_at"):
            left[column] = left[column].dt.tz_convert("UTC").dt.as_unit("ns")
    seen = left.merge(stored.drop_duplicates().assign(_seen=True), how="left", on=keys)["_seen"]
    return rows.loc[~seen.fillna(False).to_numpy(dtype=bool)]
