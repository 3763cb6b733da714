"""living assistance: programmes, cases and their history, objections, bank accounts, payout batches

``assistance_programmes`` unique per (code, version): a case keeps the
programme version it was decided under; ``assistance_cases`` with their
``assistance_case_transitions`` and ``assistance_objections``;
``assistance_accounts`` (one-card account per household);
``assistance_payout_batches`` and ``assistance_payout_lines`` with a partial
unique index on ``case_id`` where the line is paid, so a case is paid once.

Revision ID: 0009
Revises: 0008
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import relief.store.types  # noqa: F401


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assistance_programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('published_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_programmes')),
    sa.UniqueConstraint('code', 'version', name='uq_assistance_programmes_code_version')
    )
    with op.batch_alter_table('assistance_programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_programmes_code'), ['code'], unique=False)

    op.create_table('assistance_payout_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_assistance_payout_batches_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_payout_batches'))
    )
    op.create_table('assistance_accounts',
    sa.Column('household_id', sa.String(length=40), nullable=False),
    sa.Column('bank', sa.String(length=80), nullable=False),
    sa.Column('account_no', sa.String(length=24), nullable=False),
    sa.Column('holder_name', sa.String(length=80), nullable=False),
    sa.Column('updated_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_assistance_accounts_household_id_households')),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_assistance_accounts'))
    )
    op.create_table('assistance_cases',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('household_id', sa.String(length=40), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('programme_code', sa.String(length=40), nullable=False),
    sa.Column('county_code', sa.String(length=24), nullable=True),
    sa.Column('township_code', sa.String(length=24), nullable=True),
    sa.Column('village_code', sa.String(length=24), nullable=True),
    sa.Column('period_start', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('period_end', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('id_number', sa.String(length=24), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('stage_since', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('notice_starts_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('notice_ends_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('payment_failure', sa.Text(), nullable=True),
    sa.Column('decided_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('paid_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_assistance_cases_household_id_households')),
    sa.ForeignKeyConstraint(['programme_id'], ['assistance_programmes.id'], name=op.f('fk_assistance_cases_programme_id_assistance_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_cases'))
    )
    with op.batch_alter_table('assistance_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_cases_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_cases_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_cases_programme_code'), ['programme_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_cases_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_cases_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_cases_township_code'), ['township_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_cases_village_code'), ['village_code'], unique=False)

    op.create_table('assistance_case_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=True),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_assistance_case_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['assistance_cases.id'], name=op.f('fk_assistance_case_transitions_case_id_assistance_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_case_transitions'))
    )
    with op.batch_alter_table('assistance_case_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_case_transitions_case_id'), ['case_id'], unique=False)

    op.create_table('assistance_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=80), nullable=True),
    sa.Column('raised_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('resolved_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['assistance_cases.id'], name=op.f('fk_assistance_objections_case_id_assistance_cases')),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_assistance_objections_resolved_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_objections'))
    )
    with op.batch_alter_table('assistance_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_objections_case_id'), ['case_id'], unique=False)

    op.create_table('assistance_payout_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.String(length=40), nullable=False),
    sa.Column('household_id', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('bank', sa.String(length=80), nullable=False),
    sa.Column('account_no', sa.String(length=24), nullable=False),
    sa.Column('holder_name', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('bank_reason', sa.Text(), nullable=True),
    sa.Column('confirmed_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['assistance_payout_batches.id'], name=op.f('fk_assistance_payout_lines_batch_id_assistance_payout_batches')),
    sa.ForeignKeyConstraint(['case_id'], ['assistance_cases.id'], name=op.f('fk_assistance_payout_lines_case_id_assistance_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_payout_lines'))
    )
    with op.batch_alter_table('assistance_payout_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_payout_lines_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_payout_lines_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_payout_lines_status'), ['status'], unique=False)
        batch_op.create_index('uq_assistance_payout_lines_paid_case', ['case_id'], unique=True, sqlite_where=sa.text("status = 'paid'"), postgresql_where=sa.text("status = 'paid'"))


def downgrade() -> None:
    with op.batch_alter_table('assistance_payout_lines', schema=None) as batch_op:
        batch_op.drop_index('uq_assistance_payout_lines_paid_case', sqlite_where=sa.text("status = 'paid'"), postgresql_where=sa.text("status = 'paid'"))
        batch_op.drop_index(batch_op.f('ix_assistance_payout_lines_status'))
        batch_op.drop_index(batch_op.f('ix_assistance_payout_lines_case_id'))
        batch_op.drop_index(batch_op.f('ix_assistance_payout_lines_batch_id'))

    op.drop_table('assistance_payout_lines')
    with op.batch_alter_table('assistance_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_objections_case_id'))

    op.drop_table('assistance_objections')
    with op.batch_alter_table('assistance_case_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_case_transitions_case_id'))

    op.drop_table('assistance_case_transitions')
    with op.batch_alter_table('assistance_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_cases_village_code'))
        batch_op.drop_index(batch_op.f('ix_assistance_cases_township_code'))
        batch_op.drop_index(batch_op.f('ix_assistance_cases_stage'))
        batch_op.drop_index(batch_op.f('ix_assistance_cases_programme_id'))
        batch_op.drop_index(batch_op.f('ix_assistance_cases_programme_code'))
        batch_op.drop_index(batch_op.f('ix_assistance_cases_household_id'))
        batch_op.drop_index(batch_op.f('ix_assistance_cases_county_code'))

    op.drop_table('assistance_cases')
    op.drop_table('assistance_accounts')
    op.drop_table('assistance_payout_batches')
    with op.batch_alter_table('assistance_programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_programmes_code'))

    op.drop_table('assistance_programmes')
