"""Keyset paging for the list (cursor, seek, sort direction) and the parsing of request
values it and the filters rely on."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime

import sqlalchemy as sa
from flask import abort

from core import translatable

from .. import forms as model_forms


def _int(text, default):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _coerce(model, name, value):
    column = model_forms.column_of(model, name)
    if isinstance(column.type, sa.Integer):
        number = _int(value, None)
        return number if number is not None and abs(number) < 2**63 else -1
    return value


def _direction(column, descending: bool):
    """Empty values last either way, the same on SQLite and PostgreSQL."""
    return (column.desc() if descending else column.asc()).nulls_last()


def _cursor(record, sort_name: str) -> str:
    value = translatable.value(record, sort_name)  # what the list sorted by (base.sql)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    raw = json.dumps([value if not hasattr(value, "as_tuple") else str(value), record.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _keyset(query, sort_col, id_col, descending: bool, cursor: str | None, direction: str):
    """Seek past the cursor instead of counting an OFFSET, so page 5,000 costs what page 1
    costs."""
    backwards = direction == "before" and cursor
    order_desc = descending != bool(backwards)
    if cursor:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            value, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if isinstance(sort_col.type, sa.DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(sort_col.type, sa.Date):
                value = date.fromisoformat(value)
            key = sa.tuple_(sort_col, id_col)
            bound = sa.tuple_(sa.literal(value, sort_col.type), sa.literal(int(last_id)))
            query = query.where(key < bound if order_desc else key > bound)
        except (ValueError, TypeError, json.JSONDecodeError):
            abort(400)
    if order_desc:
        return query.order_by(sort_col.desc(), id_col.desc())
    return query.order_by(sort_col.asc(), id_col.asc())
