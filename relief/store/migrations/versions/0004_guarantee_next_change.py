"""verdicts that age: when each changes next, the scheduler's lease and its overdue announcements

``guarantee_status.next_change_at`` is when a household's verdict next
changes with time alone (indexed: the scheduler asks which moments have
come). ``scheduler_leases`` holds which process leads the scheduler;
``overdue_announcements`` the report deadlines already announced as overdue,
one row each (its unique ``key`` keeps an announcement to once).

Verdicts kept before this revision do not know their moment: those inside
the relief scope are marked due at their own ``as_of``, so the scheduler's
first tick re-judges them once and sets it.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import relief.store.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

GUARANTEES = ("food", "clothing", "water", "housing", "medical")


def upgrade() -> None:
    with op.batch_alter_table('guarantee_status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_change_at', relief.store.types.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_guarantee_status_next_change_at'), ['next_change_at'], unique=False)
    op.execute("UPDATE guarantee_status SET next_change_at = as_of WHERE NOT ("
               + " AND ".join(f"{g} = 'not_applicable'" for g in GUARANTEES) + ")")

    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('expires_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('overdue_announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('report_kind', sa.String(length=16), nullable=False),
    sa.Column('township_code', sa.String(length=24), nullable=True),
    sa.Column('due_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('announced_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                            name=op.f('fk_overdue_announcements_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overdue_announcements')),
    sa.UniqueConstraint('key', name=op.f('uq_overdue_announcements_key'))
    )
    with op.batch_alter_table('overdue_announcements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overdue_announcements_incident_id'), ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('overdue_announcements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overdue_announcements_incident_id'))
    op.drop_table('overdue_announcements')
    op.drop_table('scheduler_leases')
    with op.batch_alter_table('guarantee_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guarantee_status_next_change_at'))
        batch_op.drop_column('next_change_at')
