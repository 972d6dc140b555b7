"""core.db helpers beyond the engine settings tested elsewhere."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db, insert_rows
from core.partners.models import Partner


def test_insert_rows_keeps_the_order_of_mixed_rows_and_fills_defaults(app):
    with app.app_context():
        before = db.session.execute(sa.select(sa.func.count(Partner.id))).scalar()
        insert_rows([Partner(name="Lan Anh", email="lan@example.vn"),
                     Partner(name="Wei Chen", kind="supplier", is_company=True),
                     Partner(name="Minh Trí", email="tri@example.vn")])
        db.session.commit()
        rows = db.session.execute(
            sa.select(Partner.name, Partner.kind, Partner.is_company, Partner.email,
                      Partner.created_at).order_by(Partner.id).offset(before)).all()
        assert [row[:4] for row in rows] == [
            ("Lan Anh", "customer", False, "lan@example.vn"),
            ("Wei Chen", "supplier", True, None),
            ("Minh Trí", "customer", False, "tri@example.vn")]
        assert all(row.created_at is not None for row in rows)
        insert_rows([])  # nothing to write is no statement and no error
