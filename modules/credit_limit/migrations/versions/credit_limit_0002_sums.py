"""sums of exposure

What makes up a customer's exposure, summed by customer (models.OwedByCustomer,
PrepaidByCustomer, UninvoicedByCustomer; core.rollups): the credit check and the holds
list read them instead of every invoice and order. Filled when the module is enabled or
upgraded (core.modules.lifecycle sums them again then).

Revision ID: credit_limit_0002
Revises: credit_limit_0001
"""
import sqlalchemy as sa
from alembic import op

revision = 'credit_limit_0002'
down_revision = 'credit_limit_0001'
branch_labels = None
depends_on = None

TABLES = ('credit_sum_owed', 'credit_sum_prepaid', 'credit_sum_uninvoiced')


def upgrade():
    for name in TABLES:
        op.create_table(
            name, sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('partner_id', sa.Integer(), server_default='0', nullable=False),
            sa.Column('amount', sa.Numeric(20, 2), server_default='0', nullable=False),
            sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
            sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
            sa.UniqueConstraint('partner_id', name=f'uq_{name}_keys'))


def downgrade():
    for name in TABLES:
        op.drop_table(name)
