"""the aid chain: partner agencies' aid lists, aid flags and their review steps

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import relief.store.types  # noqa: F401

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partner_aid_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=120), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('imported_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('review', sa.Integer(), nullable=False),
    sa.Column('unmatched', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_partner_aid_imports_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_aid_imports'))
    )
    op.create_table('partner_aid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=120), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('village_code', sa.String(length=24), nullable=True),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('item', sa.String(length=80), nullable=True),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('period_start', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('period_end', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('household_id', sa.String(length=40), nullable=True),
    sa.Column('match_score', sa.Float(), nullable=True),
    sa.Column('match_verdict', sa.String(length=12), nullable=False),
    sa.Column('match_evidence', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_partner_aid_household_id_households')),
    sa.ForeignKeyConstraint(['import_id'], ['partner_aid_imports.id'],
                            name=op.f('fk_partner_aid_import_id_partner_aid_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_aid'))
    )
    with op.batch_alter_table('partner_aid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_aid_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_aid_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_aid_id_hash'), ['id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_aid_import_id'), ['import_id'], unique=False)

    op.create_table('aid_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('household_id', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('aid_id', sa.String(length=80), nullable=True),
    sa.Column('earlier_aid_ids', sa.JSON(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('period_start', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('period_end', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('entitlement', sa.Float(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('since', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('deadline', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('overdue_announced_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('township_code', sa.String(length=24), nullable=True),
    sa.Column('village_code', sa.String(length=24), nullable=True),
    sa.Column('opened_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('resolution_reason', sa.Text(), nullable=True),
    sa.Column('override_of', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_aid_flags_household_id_households')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_flags')),
    sa.UniqueConstraint('key', name=op.f('uq_aid_flags_key'))
    )
    with op.batch_alter_table('aid_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_flags_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_flags_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_flags_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_flags_township_code'), ['township_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_flags_village_code'), ['village_code'], unique=False)

    op.create_table('aid_flag_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', relief.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_aid_flag_steps_actor_id_users')),
    sa.ForeignKeyConstraint(['flag_id'], ['aid_flags.id'], name=op.f('fk_aid_flag_steps_flag_id_aid_flags')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_flag_steps'))
    )
    with op.batch_alter_table('aid_flag_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_flag_steps_flag_id'), ['flag_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('aid_flag_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_flag_steps_flag_id'))

    op.drop_table('aid_flag_steps')
    with op.batch_alter_table('aid_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_flags_village_code'))
        batch_op.drop_index(batch_op.f('ix_aid_flags_township_code'))
        batch_op.drop_index(batch_op.f('ix_aid_flags_status'))
        batch_op.drop_index(batch_op.f('ix_aid_flags_household_id'))
        batch_op.drop_index(batch_op.f('ix_aid_flags_deadline'))

    op.drop_table('aid_flags')
    with op.batch_alter_table('partner_aid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_aid_import_id'))
        batch_op.drop_index(batch_op.f('ix_partner_aid_id_hash'))
        batch_op.drop_index(batch_op.f('ix_partner_aid_household_id'))
        batch_op.drop_index(batch_op.f('ix_partner_aid_agency'))

    op.drop_table('partner_aid')
    op.drop_table('partner_aid_imports')
