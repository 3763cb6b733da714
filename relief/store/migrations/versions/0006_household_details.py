"""household details for the household pages (assistance category and what the household page edits)

- ``households.notes``: a clerk's notes on the household.
- ``households.id_number`` indexed: the household search finds an ID number exactly.
- ``households.assistance_category`` holds words now (``vocabulary.ASSISTANCE_CATEGORIES``): the Chinese
  programme names stored before (低保, 五保, 特困, 低收入) become their words; anything else becomes ``other``.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

#: The words of this revision's day (a migration keeps its own copy: the vocabulary may grow later).
_WORDS = {'低保': 'dibao', '五保': 'wubao', '特困': 'tekun', '低收入': 'low_income', '无': 'none'}
_KNOWN = ('none', 'dibao', 'wubao', 'tekun', 'low_income', 'other')


def upgrade() -> None:
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_households_id_number'), ['id_number'], unique=False)
    households = sa.table('households', sa.column('assistance_category', sa.String))
    for label, word in _WORDS.items():
        op.execute(households.update().where(households.c.assistance_category == label)
                   .values(assistance_category=word))
    op.execute(households.update()
               .where(households.c.assistance_category.is_not(None),
                      households.c.assistance_category.not_in(_KNOWN))
               .values(assistance_category='other'))


def downgrade() -> None:
    households = sa.table('households', sa.column('assistance_category', sa.String))
    for label, word in _WORDS.items():
        op.execute(households.update().where(households.c.assistance_category == word)
                   .values(assistance_category=label))
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_id_number'))
        batch_op.drop_column('notes')
