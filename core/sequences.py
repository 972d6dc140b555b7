"""Gapless numbers (SO2026-00001, INV2026-00001): one counter row per key, incremented
inside the caller's transaction. The row lock that UPDATE takes makes concurrent
transactions wait, and a rolled-back transaction gives its number back, so no gap and
no duplicate."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class Sequence(db.Model):
    __tablename__ = "core_sequence"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


_TABLE = Sequence.__table__
# built once and run on the session's connection: the ORM's bulk-update machinery would
# cost more than the statement itself
BUMP = sa.update(_TABLE).where(_TABLE.c.key == sa.bindparam("k")).values(
    value=_TABLE.c.value + 1).returning(_TABLE.c.value)


def next_value(key: str) -> int:
    value = db.session.connection().execute(BUMP, {"k": key}).scalar()
    if value is None:  # the key's first number: create the row (once, even racing)
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(Sequence).values(key=key, value=0))
        except sa.exc.IntegrityError:
            pass
        value = db.session.connection().execute(BUMP, {"k": key}).scalar()
    return value


def next_number(prefix: str, year: int, width: int = 5) -> str:
    """`prefix` + year + a gapless counter per prefix and year: SO2026-00001."""
    return f"{prefix}{year}-{next_value(f'{prefix}{year}'):0{width}d}"
