"""invoices and payments searched by an index

The invoice list's search (the number and the origin, e.g. the order's number;
`Invoice.__search__`) and the payment list's (the reference) go through a trigram index of the folded text instead of folding
every row (core.search.create_index): 1 s at 170,000 invoices. Built for the rows already
there.

Revision ID: billing_0004
Revises: billing_0003
"""
from alembic import op

from core.search import create_index, drop_index

revision = 'billing_0004'
down_revision = 'billing_0003'
branch_labels = None
depends_on = None

# the columns as of this revision: a later change of a __search__ is a new revision
INDEXES = {'billing_invoice': ('name', 'origin'), 'billing_payment': ('reference',)}


def upgrade():
    for table, columns in INDEXES.items():
        create_index(op.get_bind(), table, columns)


def downgrade():
    for table in INDEXES:
        drop_index(op.get_bind(), table)
