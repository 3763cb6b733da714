"""Register import: all or nothing, replace-by-id on re-import, areas by point in polygon, fresh verdicts."""
from __future__ import annotations

import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, select

from relief.domain import guarantees as rules
from relief.domain.registers import validate_register
from relief.errors import ImportRejected
from relief.services import guarantees, importer
from relief.store import bulk
from relief.store.tables import (
    Area,
    AuditEntry,
    Distribution,
    Event,
    Facility,
    GuaranteeStatus,
    Household,
    Item,
    MedicalVisit,
    Site,
)
from tests.register_samples import AS_OF, COLD, EXPECTED, FAR, sample_register, write_register

TABLES = (Area, AuditEntry, Distribution, Event, Facility, GuaranteeStatus, Household, Item, MedicalVisit, Site)


def counts(ctx) -> dict[str, int]:
    with ctx.reading() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def _domain_frames(register: dict[str, pd.DataFrame]) -> dict:
    """The evaluate() inputs built straight from the checked register, without the store."""
    checked = validate_register(register)
    return dict(households=checked["households"], sites=checked["sites"], facilities=checked["facilities"],
                distributions=checked["distributions"], items=checked["items"],
                medical_visits=checked["medical_visits"])


def test_import_into_an_empty_database_then_verdicts_match_the_domain(ctx, tmp_path):
    result = importer.import_register(ctx, write_register(tmp_path / "reg"))
    assert result.inserted == {"sites": 3, "facilities": 2, "items": 2, "households": 9, "distributions": 5,
                               "medical_visits": 2}
    assert result.rechecked == 9 and result.changed == 9
    with ctx.reading() as session:
        h = session.get(Household, "H_FAR")
        assert h.village_code is None and h.county_code is None  # no areas: belongs to none
        assert (h.geom.x, h.geom.y) == pytest.approx(FAR) and h.min_lon == pytest.approx(FAR[0])
        assert session.get(Distribution, 1).movement_id is None
        assert session.scalar(select(func.count()).select_from(GuaranteeStatus)) == 9
    for profile, expected in (("normal", EXPECTED), ("cold", {**EXPECTED, **COLD})):
        stored = guarantees.evaluate_all(ctx, as_of=AS_OF, profile=profile)
        direct = rules.evaluate(**_domain_frames(sample_register()), as_of=AS_OF, standards=ctx.standards,
                                profile=profile)
        columns = [c for c in direct.columns if c.startswith(("reason_code_", "shortfall_"))] + list(rules.GUARANTEES)
        pd.testing.assert_frame_equal(stored.loc[direct.index, columns], direct[columns], check_dtype=False,
                                      check_index_type=False)
        for hid, checks in expected.items():
            for g, status, code in checks:
                assert (stored.loc[hid, g], stored.loc[hid, f"reason_code_{g}"]) == (status, code), (profile, hid, g)


def test_a_bad_value_refuses_the_whole_import_and_changes_nothing(ctx, tmp_path):
    importer.import_register(ctx, write_register(tmp_path / "first"))
    before = counts(ctx)
    register = sample_register()
    register["households"].loc[4, "members"] = "two"  # the 5th data row: spreadsheet row 6
    register["households"].loc[0, "head_name"] = "renamed"  # a good change earlier in the same import
    with pytest.raises(ImportRejected) as caught:
        importer.import_register(ctx, write_register(tmp_path / "bad", register))
    error = caught.value
    assert (error.file, error.row, error.column) == ("households.csv", 6, "members")
    assert error.message.startswith("households.csv, row 6, column members:")
    assert counts(ctx) == before
    with ctx.reading() as session:
        assert session.get(Household, "H_LAPSED").head_name == "张三"


def test_reimport_replaces_rows_by_id_and_records_each_distribution_once(ctx, tmp_path):
    importer.import_register(ctx, write_register(tmp_path / "first"))
    register = sample_register()
    register["households"].loc[0, "members"] = "3"
    register["sites"].loc[2, "covered_area_m2"] = "20"
    result = importer.import_register(ctx, write_register(tmp_path / "again", register))
    assert result.updated["households"] == 9 and result.inserted["households"] == 0
    assert result.skipped == {"distributions": 5, "medical_visits": 2}
    assert result.inserted["distributions"] == 0
    with ctx.reading() as session:
        assert session.get(Household, "H_LAPSED").members == 3
        assert session.get(Site, "S_TIGHT").covered_area_m2 == 20
        assert session.scalar(select(func.count()).select_from(Distribution)) == 5


def test_areas_fill_village_and_county_codes(ctx, tmp_path):
    county = MultiPolygon([box(109.3, 30.1, 109.6, 30.4)])
    village = MultiPolygon([box(109.45, 30.25, 109.5, 30.3)])
    areas = pd.DataFrame([
        dict(code="422801", name_zh="恩施市", name_en="Enshi", level="county", parent_code=None, geom=county),
        dict(code="422801001", name_zh="镇", name_en="Town", level="township", parent_code="422801", geom=village),
        dict(code="422801001001", name_zh="村", name_en="Village", level="village", parent_code="422801001",
             geom=village)])
    with ctx.transaction() as unit:
        bulk.insert_frame(unit.session, Area, areas)
    importer.import_register(ctx, write_register(tmp_path / "reg"))
    with ctx.reading() as session:
        near = session.get(Household, "H_LAPSED")
        assert (near.village_code, near.county_code) == ("422801001001", "422801")
        far = session.get(Household, "H_FAR")
        assert (far.village_code, far.county_code) == (None, None)
        assert session.get(Site, "S_MEALS").township_code == "422801001"
        assert session.get(Facility, "F_OPEN").county_code == "422801"
        assert session.get(GuaranteeStatus, "H_LAPSED").village_code == "422801001001"


def test_xlsx_register_imports_like_csv(ctx, tmp_path):
    result = importer.import_register(ctx, write_register(tmp_path / "xlsx", fmt="xlsx"))
    assert result.files["households"] == "households.xlsx"
    assert result.inserted["households"] == 9 and result.inserted["distributions"] == 5
    frame = guarantees.evaluate_all(ctx, as_of=AS_OF)
    assert frame.loc["H_SHORT", "food"] == "at_risk" and frame.loc["H_WATER", "water"] == "met"


def test_a_bad_xlsx_cell_is_named_by_its_spreadsheet_row(ctx, tmp_path):
    register = sample_register()
    register["distributions"].loc[1, "distributed_at"] = "2026-11-20 09:00"  # no offset
    with pytest.raises(ImportRejected) as caught:
        importer.import_register(ctx, write_register(tmp_path / "x", register, fmt="xlsx"))
    assert (caught.value.file, caught.value.row, caught.value.column) == ("distributions.xlsx", 3, "distributed_at")


def test_optional_files_may_be_absent_and_references_may_point_into_the_store(ctx, tmp_path):
    register = sample_register()
    places = {k: register[k] for k in ("sites", "facilities", "items", "households")}
    importer.import_register(ctx, write_register(tmp_path / "places", places))
    later = write_register(tmp_path / "later", {"distributions": register["distributions"]})
    result = importer.import_register(ctx, later)
    assert result.inserted == {"distributions": 5}
    assert result.rechecked == 3  # only the households given something


def test_folder_problems_are_named(ctx, tmp_path):
    with pytest.raises(ImportRejected, match="no register files"):
        importer.import_register(ctx, tmp_path)
    write_register(tmp_path / "both", {"items": sample_register()["items"]})
    write_register(tmp_path / "both", {"items": sample_register()["items"]}, fmt="xlsx")
    with pytest.raises(ImportRejected, match="keep one"):
        importer.import_register(ctx, tmp_path / "both")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "household.csv").write_text("household_id\n")
    with pytest.raises(ImportRejected) as caught:
        importer.import_register(ctx, tmp_path / "odd")
    assert caught.value.file == "household.csv"


def test_csv_saved_by_chinese_excel_in_gb18030(ctx, tmp_path):
    folder = tmp_path / "gbk"
    folder.mkdir()
    sample_register()["items"].assign(name="大米").to_csv(folder / "items.csv", index=False, encoding="gb18030")
    importer.import_register(ctx, folder)
    with ctx.reading() as session:
        assert session.get(Item, "rice_1kg").name == "大米"
