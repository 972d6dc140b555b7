"""contacts searched by an index

The contacts list's search (name, email, phone, city; `Partner.__search__`) goes through
a trigram index of the folded text instead of folding every row (core.search.create_index):
on SQLite an FTS5 table `partner_search` kept by triggers, on PostgreSQL a pg_trgm index.
Built for the contacts already there.

Revision ID: core_0005
Revises: core_0004
"""
from alembic import op

from core.search import create_index, drop_index

revision = 'core_0005'
down_revision = 'core_0004'
branch_labels = None
depends_on = None

# the columns as of this revision: a later change of Partner.__search__ is a new revision
COLUMNS = ('name', 'email', 'phone', 'city')


def upgrade():
    create_index(op.get_bind(), 'partner', COLUMNS)


def downgrade():
    drop_index(op.get_bind(), 'partner')
