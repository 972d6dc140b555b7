"""What a stored value may be, read from its column: the one place that the API's fields
and their OpenAPI document (core.api.fields), the forms made from columns (core.ui.forms)
and the one save path (core.records) take their limits from, so a value refused by one is
refused by all, with the same message.

- whole numbers: the column type's range (Integer 32 bits, BigInteger 64, SmallInteger 16);
  ids and references from 1;
- decimals: what Numeric(precision, scale) holds, fewer than precision - scale digits
  before the point;
- dates and times: years 1900 to 8999, so that what the app adds to them (a payment term's
  days, a calendar's weeks) is still a date;
- text: no NUL or other control character but tab and line breaks, no lone surrogate (it
  cannot be stored as UTF-8), at most the column's length;
- and what a column's `info` adds: `{"min": 0}` (a price, a cost), `{"min": 0, "max": 100}`
  (a percentage)."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

INT16 = (-(2**15), 2**15 - 1)
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
MAX_ID = INT32[1]  # ids are Integer columns

YEAR_MIN, YEAR_MAX = 1900, 8999
DATE_MIN, DATE_MAX = date(YEAR_MIN, 1, 1), date(YEAR_MAX, 12, 31)
# a moment of those years anywhere on Earth, once in UTC: a day's margin
DATETIME_MIN = datetime(YEAR_MIN - 1, 12, 31)
DATETIME_MAX = datetime(YEAR_MAX + 1, 1, 1, 23, 59, 59, 999999)

# The same rules as regular expressions, for the OpenAPI document and the API's checks
# (written for both JSON Schema's and Python's dialects).
CONTROL = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f"
TEXT_PATTERN = f"^[^{CONTROL}]*$"
# required text: something besides spaces and line breaks (the API trims those)
FILLED_PATTERN = f"^[ \\t\\n\\r]*[^ \\t\\n\\r{CONTROL}][^{CONTROL}]*$"
_YEAR = "(19[0-9]{2}|[2-8][0-9]{3})"
_DAY = "(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = f"^{_YEAR}-{_DAY}$"
# RFC 3339: seconds (a fraction may follow) and the offset from UTC (Z for UTC itself)
DATETIME_PATTERN = (f"^{_YEAR}-{_DAY}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                    "(\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
# an email address, or nothing; spaces and line breaks around it are trimmed. Forms, the
# API and imports check addresses by this one rule: a name, "@", and a domain of two or
# more labels (any script: "người@ví-dụ.vn"); whether it receives mail, only sending tells
_ADDRESS = f"[^@ \\t\\n\\r{CONTROL}]+"
_LABEL = f"[^@. \\t\\n\\r{CONTROL}]+"
EMAIL_PATTERN = (f"^[ \\t\\n\\r]*({_ADDRESS}@{_LABEL}(\\.{_LABEL})+)?"
                 "[ \\t\\n\\r]*$")
EMAIL_RE = re.compile(EMAIL_PATTERN)
_CONTROL_RE = re.compile(f"[{CONTROL}]")


class IdConverter(IntegerConverter):
    """`<int:...>` in routes is a record's id: a number beyond what an id column holds is
    read as 0, an id no record has, so the view answers 404 whatever the method, instead
    of the database overflowing (and instead of Werkzeug's 405 for a URL no rule takes)."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


def parse_id(text) -> int | None:
    """A record's id from a form or a query: ASCII digits an id column holds, else None
    ("²" is a digit to Python but no number, 2**70 no id)."""
    text = str(text).strip() if text is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def int_range(column) -> tuple[int, int]:
    """The whole numbers an Integer column holds, narrowed by its info's min and max; ids
    and references start at 1."""
    kind = column.type
    low, high = INT64 if isinstance(kind, sa.BigInteger) else (
        INT16 if isinstance(kind, sa.SmallInteger) else INT32)
    if column.primary_key or column.foreign_keys or column.info.get("references"):
        low = 1
    low = max(low, int(column.info.get("min", low)))
    high = min(high, int(column.info.get("max", high)))
    return low, high


def decimal_range(column) -> tuple[Decimal, Decimal, int]:
    """(lowest, highest, decimals) of a Numeric column, narrowed by its info's min and
    max."""
    precision = column.type.precision or 16
    scale = column.type.scale if column.type.scale is not None else 2
    top = Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)
    low = max(-top, Decimal(str(column.info.get("min", -top))))
    high = min(top, Decimal(str(column.info.get("max", top))))
    return low, high, scale


def decimal_pattern(low: Decimal, high: Decimal, places: int) -> str:
    """A regular expression for decimals written as text within [low, high] (to `places`
    decimals): the sign, the digits, and a top of 100 or 1000... written exactly. Ranges of
    another shape are checked as numbers besides."""
    top = max(abs(Decimal(low)), abs(Decimal(high)))
    digits = len(str(int(top)))
    fraction = f"(\\.[0-9]{{1,{places}}})?" if places else ""
    body = f"[0-9]{{1,{digits}}}{fraction}"
    if top == Decimal(10) ** (digits - 1) and digits > 1:  # 100: up to 99.99, or 100
        body = (f"(1{'0' * (digits - 1)}" + (f"(\\.0{{1,{places}}})?" if places else "")
                + f"|[0-9]{{1,{digits - 1}}}{fraction})")
    sign = "-?" if low < 0 else ""
    positive = "(?![0.]*$)" if low > 0 else ""  # not zero
    return f"^{positive}{sign}{body}$"


def text_problem(text: str, max_length: int | None = None):
    """Why `text` cannot be stored, or None: control characters, a lone surrogate, too
    long."""
    if _CONTROL_RE.search(text):
        return _l("Text may not contain control characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _l("Text may not contain unpaired surrogate characters.")
    if max_length and len(text) > max_length:
        return _l("At most %(n)s characters.", n=max_length)
    return None


class _Shown:
    """A bound in a message, written as the reader writes numbers (1.000.000 in Vietnamese)
    when the message is shown, not when it is made."""

    def __init__(self, value):
        self.value = value

    def __str__(self):
        from core.numbers import shown

        value = self.value
        places = max(0, -value.as_tuple().exponent) if isinstance(value, Decimal) else 0
        return shown(value, places, places)


def number_problem(value, low, high):
    if value < low or value > high:
        if low == 0 and high >= 10**9:
            return _l("Must not be negative.")
        return _l("Must be between %(low)s and %(high)s.", low=_Shown(low), high=_Shown(high))
    return None


def date_problem(value):
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
        if not DATETIME_MIN <= value <= DATETIME_MAX:
            return _l("Choose a date between the years %(low)s and %(high)s.", low=YEAR_MIN,
                      high=YEAR_MAX)
    elif isinstance(value, date) and not DATE_MIN <= value <= DATE_MAX:
        return _l("Choose a date between the years %(low)s and %(high)s.", low=YEAR_MIN,
                  high=YEAR_MAX)
    return None


def problem(column, value):
    """Why `value` does not fit `column`, or None (None fits; a required column is the
    caller's check)."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return None
    offered = column.info.get("choices")  # a form's select, an import, the API alike
    if offered and not isinstance(value, bool) and value not in offered:
        return _l("Not a valid choice.")
    if isinstance(kind, sa.Integer) and isinstance(value, int):
        return number_problem(value, *int_range(column))
    if isinstance(kind, sa.Numeric) and isinstance(value, Decimal | int | float):
        low, high, places = decimal_range(column)
        if isinstance(value, float):
            value = Decimal(str(value))
        if not value.is_finite():
            return _l("The number is out of range.")
        return number_problem(value, low, high)
    if isinstance(kind, sa.Date | sa.DateTime):
        return date_problem(value)
    if isinstance(kind, sa.String) and isinstance(value, str):
        return text_problem(value, getattr(kind, "length", None))
    return None


def problems(model_cls, values: dict) -> dict:
    """{name: message} of the values that do not fit their columns."""
    mapper = sa.inspect(model_cls)
    found = {}
    for name, value in values.items():
        attr = mapper.column_attrs.get(name)
        if attr is None:
            continue
        message = problem(attr.columns[0], value)
        if message is not None:
            found[name] = message
    return found
