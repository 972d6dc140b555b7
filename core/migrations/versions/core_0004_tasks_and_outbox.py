"""background tasks and the outbox's retries

`core_task`: one row per background task (core.tasks), which the user who queued it
follows under "My background tasks". `core_outbox` gets a state (pending, sent, failed)
and the time of its next try, so a message that keeps failing waits longer each time and
is given up in the end instead of holding up the others.

Revision ID: core_0004
Revises: core_0003
"""
import sqlalchemy as sa
from alembic import op

revision = 'core_0004'
down_revision = 'core_0003'
branch_labels = None
depends_on = None

OLD_MAX_ATTEMPTS = 5  # what core.mail gave up after before this revision


def upgrade():
    op.create_table(
        'core_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('key', sa.String(length=191), nullable=True),
        sa.Column('args', sa.JSON(), nullable=True),
        sa.Column('subject', sa.String(length=255), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('link', sa.String(length=512), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('run_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['core_user.id'],
                                name=op.f('fk_core_task_user_id_core_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_task')),
        sa.UniqueConstraint('key', name=op.f('uq_core_task_key')),
    )
    with op.batch_alter_table('core_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_task_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_task_state'), ['state'], unique=False)
        batch_op.create_index('ix_core_task_user', ['user_id', 'id'], unique=False)

    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False,
                                      server_default='pending'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
    outbox = sa.table('core_outbox', sa.column('state', sa.String), sa.column('sent_at'),
                      sa.column('attempts', sa.Integer))
    op.execute(outbox.update().where(outbox.c.sent_at.is_not(None)).values(state='sent'))
    op.execute(outbox.update().where(outbox.c.sent_at.is_(None),
                                     outbox.c.attempts >= OLD_MAX_ATTEMPTS)
               .values(state='failed'))
    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_core_outbox_pending')
        batch_op.create_index('ix_core_outbox_due', ['state', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_core_outbox_due')
        batch_op.create_index('ix_core_outbox_pending', ['sent_at', 'attempts'], unique=False)
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('state')
    with op.batch_alter_table('core_task', schema=None) as batch_op:
        batch_op.drop_index('ix_core_task_user')
        batch_op.drop_index(batch_op.f('ix_core_task_state'))
        batch_op.drop_index(batch_op.f('ix_core_task_name'))
    op.drop_table('core_task')
