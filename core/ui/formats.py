"""Values as pages show them, in the reader's locale and time zone: one formatter for a
column's value by its type, which lists, group totals, boards, calendars, reports, the
timeline and messages share. Dates as `|dateformat('medium')` and times as
`|datetimeformat('short')` do in templates (stored datetimes are naive UTC: Flask-Babel
shows them in the user's time zone, core.i18n.select_timezone). CSV exports stay raw: they
must read back in on import."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from babel.dates import format_skeleton
from babel.numbers import format_percent
from flask import current_app
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale

from core.settings import get_setting

MONEY = (16, 2)  # (precision, scale) of core.documents.Money
PERCENT = (5, 2)  # and of core.documents.Percent
# integers that are codes, not quantities: no grouping ("2026", not "2,026")
PLAIN_INTEGERS = ("id", "sequence", "year", "priority")


def money(value, currency: str | None = None) -> str:
    """An amount in the viewer's locale: `1,234.50 US$`, `1.234,50 US$`, `US$1,234.50`."""
    if value is None:
        return ""
    return format_currency(value, currency or get_setting(
        "currency", current_app.config["ERP_CURRENCY"]))


def percent(value) -> str:
    """A rate kept as 0..100 (a tax, a discount) in the reader's or the printed document's
    locale: `10%`, `12,5%`, `12,5 %`."""
    if value is None or value == "":
        return ""
    return format_percent((Decimal(str(value)) / 100).normalize(), locale=get_locale(),
                          decimal_quantization=False)


def month(key) -> str:
    """A month a report groups by, kept as "2026-11", as the reader names it: "Nov 2026",
    "thg 11 2026", "2026年11月"."""
    try:
        year, number = (int(part) for part in str(key).split("-"))
        return format_skeleton("yMMM", date(year, number, 1), locale=get_locale())
    except (ValueError, TypeError):
        return key or ""


def column_of(model, name: str):
    """The table column behind `name` of a model, or None (an extension's value, a
    relationship, a filter of the module's own)."""
    columns = getattr(getattr(getattr(model, name, None), "property", None), "columns", None)
    return columns[0] if columns else None


def shown(column, value) -> str:
    """`value` of `column` (a table column, or only its type) as the reader writes it: a
    date, a time in their time zone, money with the currency, a rate with %, other
    numbers grouped. Values the timeline keeps as JSON text are read back first; anything
    else is shown as it is."""
    if value is None or value == "":
        return ""
    kind = getattr(column, "type", column)
    try:
        if isinstance(kind, sa.DateTime) or isinstance(value, datetime):
            return format_datetime(_read(datetime, value), "short")
        if isinstance(kind, sa.Date) or isinstance(value, date):
            return format_date(_read(date, value), "medium")
        if isinstance(value, bool) or isinstance(kind, sa.Boolean):
            return str(value)
        if isinstance(kind, sa.Numeric) or isinstance(value, Decimal | float):
            number = Decimal(str(value))
            scale = (getattr(kind, "precision", None), getattr(kind, "scale", None))
            if scale == MONEY:
                return money(number)
            if scale == PERCENT:
                return percent(number)
            return format_decimal(number)
        if isinstance(kind, sa.Integer) and isinstance(value, int) and _quantity(column):
            return format_decimal(value)
    except (ValueError, TypeError, InvalidOperation):
        pass
    return str(value)


def _read(kind, value):
    return kind.fromisoformat(value) if isinstance(value, str) else value


def _quantity(column) -> bool:
    """An integer column counts something (grouped), unless it is a key, a position or a
    year."""
    name = getattr(column, "key", None) or ""
    return bool(name) and not getattr(column, "foreign_keys", None) and not any(
        word in name for word in PLAIN_INTEGERS)
