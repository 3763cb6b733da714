"""dispatch plans with the steps a convoy has (in transit, delivered at the site)

A plan now goes proposed → accepted → in transit → delivered (or cancelled
before it leaves): who sent it and when, who confirmed the delivery at the
site and when, what arrived per line (``received``), who cancelled it. The
status gets an index for the list of plans by status.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import relief.store.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_STEPS = ('dispatched', 'delivered', 'cancelled')


def upgrade() -> None:
    with op.batch_alter_table('dispatch_plans', schema=None) as batch_op:
        for step in _STEPS:
            batch_op.add_column(sa.Column(f'{step}_by', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column(f'{step}_at', relief.store.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('received', sa.JSON(), nullable=True))
        for step in _STEPS:
            batch_op.create_foreign_key(batch_op.f(f'fk_dispatch_plans_{step}_by_users'), 'users', [f'{step}_by'],
                                        ['id'])
        batch_op.create_index(batch_op.f('ix_dispatch_plans_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dispatch_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_plans_status'))
        for step in _STEPS:
            batch_op.drop_constraint(batch_op.f(f'fk_dispatch_plans_{step}_by_users'), type_='foreignkey')
        batch_op.drop_column('received')
        for step in reversed(_STEPS):
            batch_op.drop_column(f'{step}_at')
            batch_op.drop_column(f'{step}_by')
