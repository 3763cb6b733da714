"""The households file's optional ``assistance_category`` column: words stored, a blank clears, absent keeps."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from relief.domain.registers import validate_register
from relief.errors import ImportRejected
from relief.services import importer
from relief.store.tables import Household
from tests.register_samples import sample_register, write_register


def categories(ctx) -> dict[str, str | None]:
    with ctx.reading() as session:
        return dict(session.execute(select(Household.id, Household.assistance_category)).all())


def with_categories(register, values: dict[str, str]):
    households = register["households"].copy()
    households["assistance_category"] = [values.get(h, "") for h in households["household_id"]]
    return {**register, "households": households}


def test_the_column_is_optional_and_checked_against_the_words():
    plain = validate_register(sample_register())["households"]
    assert "assistance_category" not in plain.columns  # a file without it writes nothing to the column
    given = validate_register(with_categories(sample_register(), {"H_NEW": "dibao", "H_FAR": "low_income"}))
    column = given["households"].set_index("household_id")["assistance_category"]
    assert (column["H_NEW"], column["H_FAR"], column["H_SHORT"]) == ("dibao", "low_income", None)


@pytest.mark.parametrize("word", ["低保", "Dibao", "poor"])
def test_an_unknown_word_names_file_row_and_column(word):
    register = with_categories(sample_register(), {"H_NEW": "tekun", "H_FAR": word})  # H_FAR: 7th data row
    with pytest.raises(ImportRejected) as caught:
        validate_register(register)
    error = caught.value
    assert (error.file, error.row, error.column) == ("households.csv", 8, "assistance_category")
    assert "dibao" in error.message and repr(word) in error.message


def test_an_unknown_column_lists_the_optional_one():
    register = sample_register()
    register["households"] = register["households"].assign(category="dibao")
    with pytest.raises(ImportRejected) as caught:
        validate_register(register)
    assert caught.value.column == "category" and "assistance_category (optional)" in caught.value.message


def test_import_stores_clears_and_keeps(ctx, tmp_path):
    register = with_categories(sample_register(), {"H_NEW": "dibao", "H_SEEN": "wubao", "H_DUE": "none"})
    importer.import_register(ctx, write_register(tmp_path / "with", register))
    stored = categories(ctx)
    assert (stored["H_NEW"], stored["H_SEEN"], stored["H_DUE"], stored["H_SHORT"]) == ("dibao", "wubao", "none", None)

    importer.import_register(ctx, write_register(tmp_path / "without"))  # no column: what is stored stays
    assert categories(ctx) == stored

    cleared = with_categories(sample_register(), {"H_NEW": "tekun"})  # a blank cell clears the others
    importer.import_register(ctx, write_register(tmp_path / "cleared", cleared))
    after = categories(ctx)
    assert (after["H_NEW"], after["H_SEEN"], after["H_DUE"]) == ("tekun", None, None)


def test_a_bad_word_refuses_the_whole_import(ctx, tmp_path):
    importer.import_register(ctx, write_register(tmp_path / "first"))
    before = categories(ctx)
    register = with_categories(sample_register(), {"H_NEW": "dibao", "H_DUE": "五保"})
    with pytest.raises(ImportRejected) as caught:
        importer.import_register(ctx, write_register(tmp_path / "bad", register, fmt="xlsx"))
    assert (caught.value.file, caught.value.column) == ("households.xlsx", "assistance_category")
    assert categories(ctx) == before
    with ctx.reading() as session:
        assert session.scalar(select(func.count()).select_from(Household)) == len(before)
