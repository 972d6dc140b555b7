"""Helpers of the tests of sums kept as documents change (core.rollups): a rollup's rows
against what summing every document now gives."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from core.db import db


def kept(cls) -> dict:
    """Rollup class `cls`'s rows: {key values: (measures..., rows)}."""
    rollup, table = cls.__rollup__, cls.__table__
    query = sa.select(*(table.c[k] for k in rollup.keys),
                      *(table.c[m] for m in rollup.measures), table.c.rows)
    return _by_key(db.session.execute(query), len(rollup.keys))


def summed_afresh(cls) -> dict:
    """What the rollup would hold, summed from every document now."""
    return _by_key(db.session.execute(cls.__rollup__.select()), len(cls.__rollup__.keys))


def assert_kept(*classes) -> None:
    db.session.flush()
    for cls in classes:
        assert kept(cls) == summed_afresh(cls), cls.__name__


def _by_key(rows, width: int) -> dict:
    return {tuple(row[:width]): tuple(Decimal(str(v)) for v in row[width:]) for row in rows}
