"""the answers that client-made ids already bought

A phone that lost an answer resends its write with the same ``client_id``;
the row committed with the first write gives the original answer back.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import relief.store.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('resend_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=False),
    sa.Column('operation', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('at', relief.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resend_records')),
    sa.UniqueConstraint('client_id', name=op.f('uq_resend_records_client_id'))
    )


def downgrade() -> None:
    op.drop_table('resend_records')
