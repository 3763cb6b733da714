"""SMS subscriptions, their messages and the (subscription, event) pairs fanned out

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import relief.store.types  # noqa: F401

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sms_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('min_level', sa.String(length=8), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_sms_subscriptions_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_subscriptions'))
    )
    op.create_index(op.f('ix_sms_subscriptions_active'), 'sms_subscriptions', ['active'], unique=False)
    op.create_index(op.f('ix_sms_subscriptions_owner_id'), 'sms_subscriptions', ['owner_id'], unique=False)
    op.create_index(op.f('ix_sms_subscriptions_phone'), 'sms_subscriptions', ['phone'], unique=False)
    op.create_table('sms_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('staff', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('fold_key', sa.String(length=120), nullable=True),
    sa.Column('quota_day', sa.Date(), nullable=False),
    sa.Column('first_seq', sa.Integer(), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('lease_holder', sa.String(length=120), nullable=True),
    sa.Column('lease_until', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('gateway_id', sa.String(length=120), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', relief.store.types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.Column('receipt_at', relief.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['sms_subscriptions.id'],
                            name=op.f('fk_sms_messages_subscription_id_sms_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_messages')),
    sa.UniqueConstraint('gateway_id', name=op.f('uq_sms_messages_gateway_id')),
    sa.UniqueConstraint('message_id', name=op.f('uq_sms_messages_message_id'))
    )
    op.create_index('ix_sms_messages_due', 'sms_messages', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_sms_messages_fold', 'sms_messages', ['subscription_id', 'fold_key'], unique=False)
    op.create_index('ix_sms_messages_quota', 'sms_messages', ['phone', 'quota_day'], unique=False)
    op.create_table('sms_message_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['sms_messages.id'],
                            name=op.f('fk_sms_message_events_message_id_sms_messages')),
    sa.ForeignKeyConstraint(['subscription_id'], ['sms_subscriptions.id'],
                            name=op.f('fk_sms_message_events_subscription_id_sms_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_message_events')),
    sa.UniqueConstraint('subscription_id', 'event_seq', name='uq_sms_message_events_pair')
    )
    op.create_index(op.f('ix_sms_message_events_message_id'), 'sms_message_events', ['message_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sms_message_events_message_id'), table_name='sms_message_events')
    op.drop_table('sms_message_events')
    op.drop_index('ix_sms_messages_quota', table_name='sms_messages')
    op.drop_index('ix_sms_messages_fold', table_name='sms_messages')
    op.drop_index('ix_sms_messages_due', table_name='sms_messages')
    op.drop_table('sms_messages')
    op.drop_index(op.f('ix_sms_subscriptions_phone'), table_name='sms_subscriptions')
    op.drop_index(op.f('ix_sms_subscriptions_owner_id'), table_name='sms_subscriptions')
    op.drop_index(op.f('ix_sms_subscriptions_active'), table_name='sms_subscriptions')
    op.drop_table('sms_subscriptions')
