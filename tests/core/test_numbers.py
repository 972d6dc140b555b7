"""The one number parser (core.numbers, issue 15): the user's grouping and decimal symbols,
machine numbers where they cannot be misread, nothing else; and money in the currency's
own decimals (core.money)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from core import money, numbers
from core.db import db
from core.settings import set_setting


@pytest.mark.parametrize("lang, text, value", [
    ("vi", "1.500.000", Decimal(1500000)), ("vi", "1,5", Decimal("1.5")),
    ("vi", "1.500", Decimal(1500)),  # grouping, as a Vietnamese writes it
    ("vi", "1500.5", Decimal("1500.5")), ("vi", "1.5", Decimal("1.5")),  # no grouping fits
    ("vi", "-1.234,5", Decimal("-1234.5")), ("en", "1,000.00", Decimal(1000)),
    ("en", "1500.5", Decimal("1500.5")), ("zh_CN", "1,234.5", Decimal("1234.5"))])
def test_numbers_as_the_user_writes_them(app, lang, text, value):
    with app.test_request_context(), force_locale(lang):
        assert numbers.parse_number(text) == value


@pytest.mark.parametrize("lang, text", [
    ("vi", "1,000.00"), ("vi", "1.23.4"), ("en", "1,5"), ("en", "1.500.000"), ("en", "1e5"),
    ("en", "NaN"), ("en", "Infinity"), ("en", "1_000"), ("en", ""), ("en", "-")])
def test_what_is_no_number_says_what_to_type(app, lang, text):
    with app.test_request_context(), force_locale(lang), pytest.raises(
            numbers.NumberError) as refused:
        numbers.parse_number(text)
    assert ("1.234,5" if lang == "vi" else "1,234.5") in str(refused.value)


def test_an_export_reads_back_in_any_language(app):
    """CSV exports write machine numbers: "1.500" is a quantity of 1.5, not 1500."""
    with app.test_request_context(), force_locale("vi"):
        assert numbers.parse_number(numbers.from_machine("1.500")) == Decimal("1.5")
        assert numbers.parse_whole(numbers.from_machine("1500")) == 1500


def test_money_in_the_currency_decimals(app):
    with app.app_context():
        assert money.money("2.345") == Decimal("2.35")  # ERP_CURRENCY, USD
        assert money.money("2.5", "VND") == Decimal(3)
        set_setting("currency", "VND")
        db.session.commit()
        assert money.line_amounts(Decimal("1.5"), Decimal(1001), 0, 10) == (1502, 150)
        assert money.quantum() == Decimal(1)
    with app.test_request_context(), force_locale("vi"):
        assert numbers.parse_amount("1.500.000") == 1500000
        with pytest.raises(numbers.NumberError):
            numbers.parse_amount("1.500,5")
        assert numbers.parse_amount("2,5", "USD") == Decimal("2.5")
