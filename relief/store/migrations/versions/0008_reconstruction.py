"""post-disaster reconstruction: houses, their stages, inspections and subsidy payments

``houses`` are the dwellings of the damage ledger, placed in county,
township and village by position (a POINT, with a GiST index on PostGIS as
households have); ``house_transitions`` their stage history;
``inspections`` (unique ``client_id``: a phone's resend makes one row) with
``inspection_photos``; ``house_payments`` unique per (house, tranche), so two
racing payments of one tranche make one row.

Revision ID: 0008
Revises: 0007
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import relief.store.types  # noqa: F401


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('houses',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('household_id', sa.String(length=40), nullable=False),
    sa.Column('county_code', sa.String(length=24), nullable=True),
    sa.Column('township_code', sa.String(length=24), nullable=True),
    sa.Column('village_code', sa.String(length=24), nullable=True),
    sa.Column('damage', sa.String(length=12), nullable=False),
    sa.Column('assessed_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('assessed_by', sa.String(length=80), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('stage_since', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('stalls_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('stall_announced_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('rebuild_mode', sa.String(length=24), nullable=True),
    sa.Column('exclusion_reason', sa.Text(), nullable=True),
    sa.Column('correction_required', sa.Boolean(), nullable=False),
    sa.Column('updated_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('min_lon', sa.Float(), nullable=True),
    sa.Column('min_lat', sa.Float(), nullable=True),
    sa.Column('max_lon', sa.Float(), nullable=True),
    sa.Column('max_lat', sa.Float(), nullable=True),
    sa.Column('geom', relief.store.types.Geometry('POINT'), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_houses_household_id_households')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_houses'))
    )
    with op.batch_alter_table('houses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_houses_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_houses_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_houses_max_lon'), ['max_lon'], unique=False)
        batch_op.create_index(batch_op.f('ix_houses_min_lon'), ['min_lon'], unique=False)
        batch_op.create_index(batch_op.f('ix_houses_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_houses_stalls_at'), ['stalls_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_houses_township_code'), ['township_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_houses_village_code'), ['village_code'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=True),
    sa.Column('house_id', sa.String(length=40), nullable=False),
    sa.Column('milestone', sa.String(length=20), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('inspected_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('received_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('inspector', sa.String(length=80), nullable=True),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['house_id'], ['houses.id'], name=op.f('fk_inspections_house_id_houses')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_inspections_inspector_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('client_id', name=op.f('uq_inspections_client_id'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_house_id'), ['house_id'], unique=False)

    op.create_table('house_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('house_id', sa.String(length=40), nullable=False),
    sa.Column('tranche', sa.String(length=24), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('paid_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_house_payments_actor_id_users')),
    sa.ForeignKeyConstraint(['house_id'], ['houses.id'], name=op.f('fk_house_payments_house_id_houses')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_house_payments_inspection_id_inspections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_house_payments')),
    sa.UniqueConstraint('house_id', 'tranche', name='uq_house_payments_house_id_tranche')
    )
    with op.batch_alter_table('house_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_house_payments_house_id'), ['house_id'], unique=False)

    op.create_table('house_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('house_id', sa.String(length=40), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=True),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('inspection_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_house_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['house_id'], ['houses.id'], name=op.f('fk_house_transitions_house_id_houses')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_house_transitions_inspection_id_inspections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_house_transitions'))
    )
    with op.batch_alter_table('house_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_house_transitions_house_id'), ['house_id'], unique=False)

    op.create_table('inspection_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('public_path', sa.String(length=200), nullable=False),
    sa.Column('thumb_path', sa.String(length=200), nullable=False),
    sa.Column('original_path', sa.String(length=200), nullable=False),
    sa.Column('created_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_photos_inspection_id_inspections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_photos'))
    )
    with op.batch_alter_table('inspection_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_photos_inspection_id'), ['inspection_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX IF NOT EXISTS ix_houses_geom_gist ON houses USING gist (geom)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_houses_geom_gist")
    with op.batch_alter_table('inspection_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_photos_inspection_id'))

    op.drop_table('inspection_photos')
    with op.batch_alter_table('house_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_house_transitions_house_id'))

    op.drop_table('house_transitions')
    with op.batch_alter_table('house_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_house_payments_house_id'))

    op.drop_table('house_payments')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_house_id'))

    op.drop_table('inspections')
    with op.batch_alter_table('houses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_houses_village_code'))
        batch_op.drop_index(batch_op.f('ix_houses_township_code'))
        batch_op.drop_index(batch_op.f('ix_houses_stalls_at'))
        batch_op.drop_index(batch_op.f('ix_houses_stage'))
        batch_op.drop_index(batch_op.f('ix_houses_min_lon'))
        batch_op.drop_index(batch_op.f('ix_houses_max_lon'))
        batch_op.drop_index(batch_op.f('ix_houses_household_id'))
        batch_op.drop_index(batch_op.f('ix_houses_county_code'))

    op.drop_table('houses')
