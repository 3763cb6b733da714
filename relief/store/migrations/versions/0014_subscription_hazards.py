"""The incident kinds (hazards) a webhook or SMS subscription is limited to

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import relief.store.types  # noqa: F401

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('subscriptions', sa.Column('hazards', sa.JSON(), nullable=True))
    op.add_column('sms_subscriptions', sa.Column('hazards', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sms_subscriptions', schema=None) as batch_op:
        batch_op.drop_column('hazards')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('hazards')
