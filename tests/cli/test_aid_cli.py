"""``relief aid-check`` (the contract's columns, CSV and JSON) and ``relief import partner-aid`` (all or nothing,
row errors, clear ID numbers refused, matching on the salted hash, nothing identifying kept)."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from relief.domain import identity
from relief.store.aid_chain import chain_frame
from relief.store.tables import AidFlag, PartnerAid, PartnerAidImport
from tests import aid_chain_world as w
from tests.assistance_world import id_number

COLUMNS = ["flag", "household_id", "purpose", "sources", "periods", "amount", "entitlement", "evidence", "since"]
AS_OF = (w.T0 + timedelta(days=3)).isoformat()
HEADER = "id_hash,name_pinyin,village_code,purpose,period_start,period_end,amount,item,quantity\n"


@pytest.fixture
def world(store, monkeypatch):
    monkeypatch.setenv("RELIEF_ID_SALT", w.SALT)
    w.build(store)
    return store


def _count(store, model) -> int:
    with store.read() as session:
        return len(session.scalars(select(model)).all())


def test_aid_check_prints_one_row_per_flag_with_the_contract_columns(world, cli_runner):
    done = cli_runner("aid-check", "--as-of", AS_OF)
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == COLUMNS
    partner = next(r for r in rows if json.loads(r["evidence"])["aid_id"] == "partner:1")
    assert (partner["flag"], partner["household_id"], partner["purpose"]) == ("duplicate", "HH1", "food")
    assert partner["sources"] == f"depot:D1;agency:{w.AGENCY}"
    assert partner["periods"] == "2026-06-02T08:00:00+00:00/2026-06-12T08:00:00+00:00"
    assert partner["since"] == "2026-06-02T08:00:00+00:00"
    assert {r["flag"] for r in rows} == {"duplicate", "missed"}
    kept = _count(world, AidFlag)
    assert kept == len(rows)
    again = cli_runner("aid-check", "--as-of", AS_OF, "--format", "json")
    listed = json.loads(again.stdout)
    assert len(listed) == len(rows) and all(list(r) == COLUMNS for r in listed)
    assert next(r for r in listed if r["evidence"]["aid_id"] == "partner:1")["periods"] == [
        ["2026-06-02T08:00:00+00:00", "2026-06-12T08:00:00+00:00"]]
    assert _count(world, AidFlag) == kept  # the second sweep found the same flags


def test_aid_check_no_save_keeps_nothing_and_a_bad_moment_is_refused(world, cli_runner):
    done = cli_runner("aid-check", "--as-of", AS_OF, "--no-save", "--format", "json")
    assert done.exit_code == 0 and json.loads(done.stdout) and _count(world, AidFlag) == 0
    bad = cli_runner("aid-check", "--as-of", "tomorrow")
    assert bad.exit_code != 0 and "--as-of" in bad.output


def _file(tmp_path, *lines: str, header: str = HEADER):
    path = tmp_path / "partner.csv"
    path.write_text(header + "".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def _hash(serial: int) -> str:
    return identity.hash_id(id_number(serial), w.SALT)


GOOD = (f"{_hash(2)},li xiao hong,{w.aw.EAST_VILLAGE},food,2026-06-05T00:00:00+08:00,2026-06-15T00:00:00+08:00,"
        f"300,rice,10")
STRANGER = (f"{identity.hash_id('110101199003070019', w.SALT)},,{w.aw.EAST_VILLAGE},clothing,2026-06-05T00:00:00Z,"
            f"2026-06-06T00:00:00Z,,quilt,2")


def test_a_partner_list_is_matched_on_the_hash_and_kept_without_names(world, cli_runner, tmp_path):
    done = cli_runner("import", "partner-aid", _file(tmp_path, GOOD, STRANGER), "--agency", "恩施州慈善总会")
    assert done.exit_code == 0, done.output
    assert "2 rows" in done.stdout and "1 matched" in done.stdout and "1 unmatched" in done.stdout
    with world.read() as session:
        rows = {r.row_no: r for r in session.scalars(select(PartnerAid).where(PartnerAid.agency == "恩施州慈善总会"))}
        imported = session.scalars(select(PartnerAidImport).where(PartnerAidImport.agency == "恩施州慈善总会")).one()
        assert (rows[2].household_id, rows[2].match_verdict, rows[2].amount) == ("HH2", "matched", 300.0)
        assert rows[2].period_start.isoformat() == "2026-06-04T16:00:00+00:00"
        assert (rows[3].household_id, rows[3].match_verdict, rows[3].quantity) == (None, "unmatched", 2.0)
        assert (imported.rows, imported.matched, imported.unmatched) == (2, 1, 1)
        dump = " ".join(str(v) for row in session.execute(text("SELECT * FROM partner_aid")) for v in row)
        matched_id = rows[2].id
    assert "li xiao hong" not in dump and id_number(2) not in dump and "110101199003070019" not in dump
    with world.read() as session:
        chain = chain_frame(session, ["HH2"])
    assert chain.loc[chain["source"] == "agency:恩施州慈善总会", "aid_id"].tolist() == [f"partner:{matched_id}"]


def test_the_default_salt_is_the_demos_and_the_command_warns(store, cli_runner, tmp_path, monkeypatch):
    monkeypatch.delenv("RELIEF_ID_SALT", raising=False)
    w.build(store)
    line = GOOD.replace(_hash(2), identity.hash_id(id_number(2), "relief-demo-salt-not-for-real-data"))
    done = cli_runner("import", "partner-aid", _file(tmp_path, line), "--agency", "demo")
    assert done.exit_code == 0 and "RELIEF_ID_SALT" in done.output and "1 matched" in done.stdout


@pytest.mark.parametrize("lines, header, where", [
    ([GOOD, GOOD.replace(_hash(2), id_number(2))], HEADER, "row 3, column id_hash"),  # an ID number in clear
    ([GOOD, GOOD.replace(_hash(2), "abc123")], HEADER, "row 3, column id_hash"),
    ([GOOD.replace(",food,", ",snacks,"), GOOD], HEADER, "row 2, column purpose"),
    ([GOOD, GOOD.replace("2026-06-05T00:00:00+08:00,2026-06-15T00:00:00+08:00",
                         "2026-06-15T00:00:00+08:00,2026-06-05T00:00:00+08:00")], HEADER, "row 3, column period_end"),
    ([GOOD.replace("2026-06-05T00:00:00+08:00", "2026-06-05")], HEADER, "row 2, column period_start"),
    ([GOOD.replace(",300,rice,10", ",,rice,")], HEADER, "row 2, column amount"),
    ([GOOD.replace(",300,", ",-5,")], HEADER, "row 2, column amount"),
    ([GOOD + ",130000000"], HEADER.replace("quantity\n", "quantity,phone\n"), "column phone"),
    ([GOOD], HEADER.replace("purpose,", ""), "column"),
])
def test_a_bad_partner_file_names_the_row_and_column_and_writes_nothing(world, cli_runner, tmp_path, lines, header,
                                                                       where):
    before = _count(world, PartnerAid)
    done = cli_runner("import", "partner-aid", _file(tmp_path, *lines, header=header), "--agency", "charity")
    assert done.exit_code == 1 and where in done.output, done.output
    assert _count(world, PartnerAid) == before and _count(world, PartnerAidImport) == 1  # the world's own


def test_a_clear_id_number_is_refused_saying_to_hash_it(world, cli_runner, tmp_path):
    done = cli_runner("import", "partner-aid", _file(tmp_path, GOOD.replace(_hash(2), id_number(2))),
                      "--agency", "charity")
    assert done.exit_code == 1 and "in clear" in done.output and "HMAC-SHA256" in done.output


def test_the_register_folder_import_still_answers_to_relief_import_dir(world, cli_runner, tmp_path):
    done = cli_runner("import", str(tmp_path / "missing"))
    assert done.exit_code == 1 and "not a folder" in done.output


def test_aid_check_no_save_builds_no_web_app(world, database_url, tmp_path):
    from tests.cli.test_commands import WEB_AND_MAPS, _modules_after

    url = database_url if "://" in database_url else f"sqlite:///{database_url}"
    printed, modules = _modules_after(["aid-check", "--as-of", AS_OF, "--no-save"],
                                      {"RELIEF_DATABASE_URL": url, "RELIEF_INSTANCE_PATH": str(tmp_path / "instance")})
    assert printed.startswith(",".join(COLUMNS)), printed
    assert not WEB_AND_MAPS & modules, WEB_AND_MAPS & modules
