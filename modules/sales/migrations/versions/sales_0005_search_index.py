"""leads and orders searched by an index

The lead list's search (subject, company, contact, email, phone; `Lead.__search__`) and
the order list's (the number, where "0042" finds SO00042) go through a trigram index of the
folded text instead of folding every row (core.search.create_index): on SQLite FTS5
tables kept by triggers, on PostgreSQL pg_trgm indexes. Built for the rows already there.

Revision ID: sales_0005
Revises: sales_0004
"""
from alembic import op

from core.search import create_index, drop_index

revision = 'sales_0005'
down_revision = 'sales_0004'
branch_labels = None
depends_on = None

# the columns as of this revision: a later change of a __search__ is a new revision
INDEXES = {'sale_lead': ('name', 'company_name', 'contact_name', 'email', 'phone'),
           'sale_order': ('name',)}


def upgrade():
    for table, columns in INDEXES.items():
        create_index(op.get_bind(), table, columns)


def downgrade():
    for table in INDEXES:
        drop_index(op.get_bind(), table)
