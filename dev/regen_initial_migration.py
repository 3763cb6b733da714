"""Rewrite migrations/versions/0001_initial.py from the ORM tables.

Only while revision 0001 has not been released: it autogenerates against an
empty SQLite database, then adds what autogenerate cannot express: enabling
PostGIS, GiST indexes on geometry columns, and the append-only audit trail.
Run: python dev/regen_initial_migration.py
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from alembic import command

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relief.store.db import Store  # noqa: E402
from relief.store.migrate import alembic_config  # noqa: E402
from relief.store.tables import Base  # noqa: E402
from relief.store.types import Geometry  # noqa: E402

VERSIONS = ROOT / "relief" / "store" / "migrations" / "versions"

PRE = '''    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
'''

POST_TEMPLATE = '''
    # What autogenerate cannot express.
    if op.get_bind().dialect.name == "postgresql":
        for table, column in SPATIAL_COLUMNS:
            op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_gist ON {table} USING gist ({column})")
        op.execute(APPEND_ONLY_PG)
    else:
        for statement in APPEND_ONLY_SQLITE:
            op.execute(statement)
'''

CONSTANTS = '''
SPATIAL_COLUMNS = {spatial!r}

APPEND_ONLY_PG = """
CREATE OR REPLACE FUNCTION relief_audit_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION relief_audit_append_only();
"""

APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
'''


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/empty.db")
        command.revision(alembic_config(store), message="initial schema", autogenerate=True, rev_id="0001")
        store.dispose()
    path = next(VERSIONS.glob("0001_*.py"))
    target = VERSIONS / "0001_initial.py"
    path.rename(target)
    text = target.read_text()
    spatial = sorted(
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Geometry)
    )
    text = text.replace("def upgrade() -> None:\n", CONSTANTS.format(spatial=spatial) + "\n\ndef upgrade() -> None:\n" + PRE, 1)
    up_end = text.index("\n\ndef downgrade()")
    text = text[:up_end].rstrip() + "\n" + POST_TEMPLATE + text[up_end:]
    text = re.sub(r"Create Date: .*", "Create Date: (regenerated from the ORM tables)", text)
    target.write_text(text)
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
