"""issued situation reports: number, as_of, who issued it, the snapshot figures

Revision ID: 0010
Revises: 0009
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import relief.store.types  # noqa: F401


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sitreps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('as_of', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('issued_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('issued_by_name', sa.String(length=80), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_sitreps_issued_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sitreps')),
    sa.UniqueConstraint('number', name=op.f('uq_sitreps_number'))
    )
    with op.batch_alter_table('sitreps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sitreps_as_of'), ['as_of'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('sitreps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sitreps_as_of'))
    op.drop_table('sitreps')
