"""Keyset paging for the list (cursor, seek, sort direction) and the parsing of request
values it and the filters rely on."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import abort

from core import limits, numbers, translatable
from core.search import sort_key

from .. import forms as model_forms


def _int(text, default):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _coerce(model, name, value):
    """A filter's value as its column holds it; numbers as the user writes them (vi
    "1.500" is 1500), None for one that cannot be read (matches nothing, see _equals)."""
    column = model_forms.column_of(model, name)
    try:
        if isinstance(column.type, sa.Integer):
            number = numbers.parse_whole(value)
            return number if abs(number) < 2**63 else None
        if isinstance(column.type, sa.Numeric):
            number = numbers.parse_number(value)
            return number if abs(number) < Decimal(10) ** 28 else None
    except ValueError:
        return None
    return value


def _equals(model, name, column, value):
    """The filter bar's condition that `column` holds `value` (as typed or linked)."""
    coerced = _coerce(model, name, value)
    return sa.false() if coerced is None else column == coerced


def _filter_text(value) -> str:
    """A value as a filter link carries it: numbers in the user's format, which _coerce
    reads back unambiguously (a machine "1.500" would be 1500 in Vietnamese)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal | float):
        return numbers.shown(value, places=12).replace(numbers.symbols()["group"], "")
    return value


def _direction(column, descending: bool):
    """Empty values last either way, the same on SQLite and PostgreSQL; text in the
    reader's language (core.search)."""
    column = sort_key(column)
    return (column.desc() if descending else column.asc()).nulls_last()


def _cursor(record, sort_name: str) -> str:
    value = translatable.value(record, sort_name)  # what the list sorted by (base.sql)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    raw = json.dumps([value if not hasattr(value, "as_tuple") else str(value), record.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_value(kind, value):
    """The sort value a cursor carries, as the sort column's type holds it; ValueError
    when it is of another type (a text cursor for a number) or beyond the type's range."""
    if isinstance(kind, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Boolean):
        if not isinstance(value, bool):
            raise ValueError(value)
        return value
    if isinstance(kind, sa.Integer):
        if isinstance(value, bool) or not isinstance(value, int) or not (
                limits.INT64[0] <= value <= limits.INT64[1]):
            raise ValueError(value)
        return value
    if isinstance(kind, sa.Numeric):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(value)
        number = Decimal(str(value))
        if not number.is_finite() or abs(number) >= Decimal(10) ** 30:
            raise ValueError(value)
        return number
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError(value)
    return value


def _keyset(query, sort_col, id_col, descending: bool, cursor: str | None, direction: str):
    """Seek past the cursor instead of counting an OFFSET, so page 5,000 costs what page 1
    costs."""
    backwards = direction == "before" and cursor
    order_desc = descending != bool(backwards)
    ordered = sort_key(sort_col)  # the reader's order, which the cursor compares in too
    if cursor:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            value, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
            value = _cursor_value(sort_col.type, value)
            if isinstance(last_id, bool) or not isinstance(last_id, int) or not (
                    0 < last_id <= limits.INT64[1]):
                raise ValueError(last_id)
            key = sa.tuple_(ordered, id_col)
            bound = sa.tuple_(sort_key(sa.literal(value, sort_col.type)), sa.literal(last_id))
            query = query.where(key < bound if order_desc else key > bound)
        except (ValueError, TypeError, InvalidOperation, json.JSONDecodeError):
            abort(400)
    if order_desc:
        return query.order_by(ordered.desc(), id_col.desc())
    return query.order_by(ordered.asc(), id_col.asc())
