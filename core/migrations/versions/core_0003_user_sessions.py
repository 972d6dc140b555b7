"""user sessions and rate limits

Each signed-in browser is a row (core.auth.models.UserSession), so that signing out, a
password change and deactivation end every cookie of the user at once. `core_rate_limit`
keeps the sign-in limits (core.ratelimit.RateLimit) where every worker and host sees them
when there is no Redis.

Revision ID: core_0003
Revises: core_0002
"""
import sqlalchemy as sa
from alembic import op

revision = 'core_0003'
down_revision = 'core_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'core_user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['core_user.id'],
                                name=op.f('fk_core_user_session_user_id_core_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_user_session')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_core_user_session_key_hash')),
    )
    with op.batch_alter_table('core_user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_user_session_user_id'), ['user_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_core_user_session_ended_at'), ['ended_at'],
                              unique=False)
    op.create_table(
        'core_rate_limit',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('wait', sa.Float(), nullable=False),
        sa.Column('expires', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_core_rate_limit')),
    )
    with op.batch_alter_table('core_rate_limit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_rate_limit_expires'), ['expires'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('core_rate_limit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_rate_limit_expires'))
    op.drop_table('core_rate_limit')
    with op.batch_alter_table('core_user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_user_session_ended_at'))
        batch_op.drop_index(batch_op.f('ix_core_user_session_user_id'))
    op.drop_table('core_user_session')
