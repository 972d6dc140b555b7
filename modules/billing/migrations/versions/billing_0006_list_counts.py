"""counts the lists' groups read; open installments by due date alone

Invoices by state and kind, payments by method, with their amounts (models.InvoiceCounts,
PaymentCounts; core.rollups): grouping the lists by them reads these rows instead of
every document. What is open by due date over every customer (models.OpenByDay): the
ageing's totals read a row a day. Filled when the module is upgraded
(core.modules.lifecycle sums them again).

Revision ID: billing_0006
Revises: billing_0005
"""
import sqlalchemy as sa
from alembic import op

revision = 'billing_0006'
down_revision = 'billing_0005'
branch_labels = None
depends_on = None


def _table(name, keys, measures):
    op.create_table(
        name, sa.Column('id', sa.Integer(), nullable=False),
        *(sa.Column(k, sa.String(n), server_default='', nullable=False) for k, n in keys),
        *(sa.Column(m, sa.Numeric(20, 2), server_default='0', nullable=False)
          for m in measures),
        sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
        sa.UniqueConstraint(*(k for k, _ in keys), name=f'uq_{name}_keys'))


def upgrade():
    _table('billing_count_invoice', [('state', 16), ('kind', 8)],
           ('amount_total', 'amount_residual'))
    _table('billing_count_payment', [('method', 16)], ('amount', 'unallocated'))
    op.create_table(
        'billing_sum_open_day', sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('date_due', sa.Date(), nullable=False),
        sa.Column('amount', sa.Numeric(20, 2), server_default='0', nullable=False),
        sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_sum_open_day')),
        sa.UniqueConstraint('date_due', name='uq_billing_sum_open_day_keys'))


def downgrade():
    op.drop_table('billing_sum_open_day')
    op.drop_table('billing_count_payment')
    op.drop_table('billing_count_invoice')
