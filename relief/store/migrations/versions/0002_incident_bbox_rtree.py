"""an R*Tree of incident bounding boxes on SQLite

Every report asks which open incidents of its kind lie near it (the
duplicate check). With B-tree indexes on single bounding-box columns SQLite
reads every incident of that kind; its built-in R*Tree answers the overlap
from the boxes alone, however many incidents there are. Triggers keep it in
step with ``incidents``, so no writer has to know it exists. PostgreSQL
answers the same question from the GiST index on ``geom`` (0001).

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

#: Named in relief.store.incidents.INCIDENT_BOXES; migrations/env.py keeps autogenerate away from it.
RTREE = "incidents_bbox"

UPGRADE = [
    f"CREATE VIRTUAL TABLE {RTREE} USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    f"INSERT INTO {RTREE} (id, min_lon, max_lon, min_lat, max_lat) "
    "SELECT id, min_lon, max_lon, min_lat, max_lat FROM incidents WHERE min_lon IS NOT NULL",
    f"CREATE TRIGGER {RTREE}_insert AFTER INSERT ON incidents WHEN NEW.min_lon IS NOT NULL BEGIN "
    f"INSERT INTO {RTREE} (id, min_lon, max_lon, min_lat, max_lat) "
    "VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); END",
    f"CREATE TRIGGER {RTREE}_update AFTER UPDATE OF id, min_lon, max_lon, min_lat, max_lat ON incidents BEGIN "
    f"DELETE FROM {RTREE} WHERE id = OLD.id; "
    f"INSERT INTO {RTREE} (id, min_lon, max_lon, min_lat, max_lat) "
    "SELECT NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat WHERE NEW.min_lon IS NOT NULL; END",
    f"CREATE TRIGGER {RTREE}_delete AFTER DELETE ON incidents BEGIN DELETE FROM {RTREE} WHERE id = OLD.id; END",
]

DOWNGRADE = [f"DROP TRIGGER {RTREE}_{event}" for event in ("insert", "update", "delete")] + [f"DROP TABLE {RTREE}"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in DOWNGRADE:
            op.execute(statement)
