"""user sessions

Each signed-in browser is a row (core.auth.models.UserSession), so that signing out, a
password change and deactivation end every cookie of the user at once.

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


def downgrade():
    with op.batch_alter_table('core_user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_user_session_ended_at'))
        batch_op.drop_index(batch_op.f('ix_core_user_session_user_id'))
    op.drop_table('core_user_session')
