"""Numbers as the user types and reads them in their language: the one parser that forms,
the document line editor, list filters and payments read numbers with (Vietnamese
"1.500.000" and "1,5", English "1,000.00"), and the form fields that use it and show their
value the same way, so that a form shown again reads back. The API keeps machine numbers
(JSON numbers, "1234.5"): it does not come through here."""
from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol
from babel.numbers import format_decimal as babel_format
from babel.numbers import parse_decimal as babel_parse
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms import DecimalField, IntegerField
from wtforms.widgets import TextInput

from core import money

MONEY = (16, 2)  # (precision, scale) of core.documents.Money: such columns hold amounts
# a number as machines write it: what a user used to spreadsheets may type in Vietnamese
MACHINE = re.compile(r"[+-]?[0-9]+\.[0-9]+")


class NumberError(ValueError):
    """A number that cannot be read; its text is the message to show the user."""


def _locale():
    return (get_locale() if has_request_context() else None) or "en"


def example(places: int = 1, whole: bool = False) -> str:
    """A number in the user's format, for messages: 1.234,5 in Vietnamese."""
    if whole:
        return babel_format(1234, format="#,##0", locale=_locale())
    return babel_format(Decimal("1234." + "56789"[:places]), format="#,##0." + "0" * places,
                        locale=_locale())


def parse_number(text: str) -> Decimal:
    """A number as the user writes it in their language: with the locale's grouping and
    decimal symbols (strictly: vi "1.500" is 1500, "1,5" is 1.5), or a plain machine
    number ("1500.5") where the locale cannot read it otherwise (in Vietnamese "1.5" and
    "1500.5" have no valid grouping, so the point can only be a decimal point). No
    exponent, NaN or infinity. NumberError, saying what to type, when it cannot be read."""
    text = (text or "").strip()
    locale = _locale()
    group, point = get_group_symbol(locale), get_decimal_symbol(locale)
    allowed = re.escape(group + point + (" \u00a0\u202f" if group.isspace() else ""))
    if re.fullmatch(rf"[+-]?[0-9{allowed}]+", text) and any(c.isdigit() for c in text):
        try:
            value = babel_parse(text, locale=locale, strict=True)
        except NumberFormatError:
            value = Decimal(text) if point != "." and MACHINE.fullmatch(text) else None
        if value is not None and value.is_finite():
            return value
    raise NumberError(_("Enter a number such as %(example)s.", example=example()))


def parse_whole(text: str) -> int:
    """A whole number as the user writes it ("1.500" in Vietnamese is 1500)."""
    try:
        value = parse_number(text)
    except NumberError:
        value = None
    if value is None or value != value.to_integral_value():
        raise NumberError(_("Enter a whole number such as %(example)s.",
                            example=example(whole=True)))
    return int(value)


def parse_amount(text: str, code: str | None = None) -> Decimal:
    """An amount of money in `code` (the deployment's currency): a number with no more
    decimals than the currency has (the đồng has none)."""
    value = parse_number(text)
    places = money.digits(code)
    if -value.normalize().as_tuple().exponent > places:
        if not places:
            raise NumberError(_("Enter an amount without decimals, such as %(example)s.",
                                example=example(whole=True)))
        raise NumberError(_("Enter an amount with at most %(n)s decimals, such as "
                            "%(example)s.", n=places, example=example(places)))
    return value


def is_money(column) -> bool:
    return (getattr(column.type, "precision", None), getattr(column.type, "scale", None)) \
        == MONEY


def shown(value, places: int = 2, least: int = 0) -> str:
    """A number as an input shows it in the user's format, grouped, with `least` to
    `places` decimals: what `parse_number` reads back."""
    if value is None or value == "":
        return ""
    pattern = "#,##0" + ("." + "0" * least + "#" * (places - least) if places else "")
    return babel_format(Decimal(str(value)), format=pattern, locale=_locale())


def amount_shown(value, code: str | None = None) -> str:
    """An amount as an input shows it: with the currency's decimals (1.500.000 đồng,
    1,440.00 dollars)."""
    places = money.digits(code)
    return shown(value, places, places)


def from_machine(text: str) -> str:
    """A machine number ("1.500", as CSV exports write a quantity of 1.5) as the user would
    type it, for a field that reads the user's format; other text as it is."""
    text = (text or "").strip()
    if not re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", text):
        return text
    value = Decimal(text)
    return shown(value, places=max(0, -value.as_tuple().exponent))


def symbols() -> dict:
    """The symbols the editor's script reads and writes numbers with."""
    locale = _locale()
    return {"decimal": get_decimal_symbol(locale), "group": get_group_symbol(locale)}


class NumberField(DecimalField):
    """A decimal typed and shown in the user's format (a text input: a browser's number
    input knows no Vietnamese grouping). `amount`: money in the deployment's currency,
    shown with its decimals and refused with more."""
    widget = TextInput()

    def __init__(self, label=None, validators=None, places: int = 2, amount: bool = False,
                 **kwargs):
        kwargs["render_kw"] = {"inputmode": "decimal", **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, places=places, **kwargs)
        self.amount = amount

    def _value(self):
        if self.raw_data:  # shown again as typed
            return self.raw_data[0]
        if self.data is None:
            return ""
        return amount_shown(self.data) if self.amount else shown(self.data, self.places)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        if (valuelist[0] or "").strip():
            try:
                self.data = (parse_amount if self.amount else parse_number)(valuelist[0])
            except NumberError as exc:
                raise ValueError(str(exc)) from None


class WholeNumberField(IntegerField):
    """A whole number typed in the user's format, shown ungrouped (a sequence, a year)."""
    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["render_kw"] = {"inputmode": "numeric", **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        if (valuelist[0] or "").strip():
            try:
                self.data = parse_whole(valuelist[0])
            except NumberError as exc:
                raise ValueError(str(exc)) from None
