"""sums of sold orders

Sold orders' lines summed by month, salesperson and team; by customer and month; by
product and month (models.SalesByMonth, SalesByCustomer, SalesByProduct; core.rollups):
what the analysis pages and the home page's widgets read instead of every order line.
Kept up to date in the same transaction as the orders; filled when the module is enabled
or upgraded (core.modules.lifecycle sums them again then).

Revision ID: sales_0006
Revises: sales_0005
"""
import sqlalchemy as sa
from alembic import op

revision = 'sales_0006'
down_revision = 'sales_0005'
branch_labels = None
depends_on = None

MEASURES = ('revenue', 'cost')


def _table(name, keys, measures=MEASURES, index=None):
    op.create_table(
        name, sa.Column('id', sa.Integer(), nullable=False),
        *keys,
        sa.Column('user_id', sa.Integer(), server_default='0', nullable=False),
        sa.Column('team_id', sa.Integer(), server_default='0', nullable=False),
        *(sa.Column(m, sa.Numeric(20, 2), server_default='0', nullable=False)
          for m in MEASURES),
        sa.Column('orders', sa.BigInteger(), server_default='0', nullable=False),
        *(sa.Column(m, sa.Numeric(20, 3), server_default='0', nullable=False)
          for m in measures if m not in MEASURES),
        sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
        sa.UniqueConstraint(*(k.name for k in keys), 'user_id', 'team_id',
                            name=f'uq_{name}_keys'))
    if index:
        op.create_index(f"ix_{name}_{'_'.join(index)}", name, list(index))


def _month():
    return sa.Column('month', sa.String(64), server_default='', nullable=False)


def upgrade():
    _table('sale_sum_month', [_month()])
    _table('sale_sum_customer',
           [sa.Column('partner_id', sa.Integer(), server_default='0', nullable=False),
            _month()], index=('partner_id', 'revenue', 'cost', 'orders', 'month'))
    _table('sale_sum_product',
           [sa.Column('product_id', sa.Integer(), server_default='0', nullable=False),
            sa.Column('label', sa.String(64), server_default='', nullable=False), _month()],
           measures=(*MEASURES, 'quantity'))


def downgrade():
    for name in ('sale_sum_product', 'sale_sum_customer', 'sale_sum_month'):
        op.drop_table(name)
