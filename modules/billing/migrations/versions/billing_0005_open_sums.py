"""open installments summed by customer and due date

What customers owe by due date (models.OpenByDueDate; core.rollups): the receivables'
ageing and its widget read it instead of every invoice's installments. Filled when the
module is enabled or upgraded (core.modules.lifecycle sums it again then). Payments are
indexed by what they have left over, which few have (the customers' credit).

Revision ID: billing_0005
Revises: billing_0004
"""
import sqlalchemy as sa
from alembic import op

revision = 'billing_0005'
down_revision = 'billing_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'billing_sum_open', sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), server_default='0', nullable=False),
        sa.Column('date_due', sa.Date(), nullable=False),
        sa.Column('amount', sa.Numeric(20, 2), server_default='0', nullable=False),
        sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_sum_open')),
        sa.UniqueConstraint('partner_id', 'date_due', name='uq_billing_sum_open_keys'))
    op.create_index('ix_billing_sum_open_date_due', 'billing_sum_open', ['date_due'])
    op.create_index('ix_billing_payment_unallocated', 'billing_payment', ['unallocated'])


def downgrade():
    op.drop_index('ix_billing_payment_unallocated', table_name='billing_payment')
    op.drop_table('billing_sum_open')
