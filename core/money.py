"""Money arithmetic shared by every module that prices lines (quotations, invoices): exact
Decimal, rounded half-up once per line to the currency's own decimals (the cent for the
dollar, the whole đồng), so documents add up when printed."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision
from flask import current_app, has_app_context

from core.settings import get_setting

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def currency() -> str:
    """The deployment's currency (the `currency` setting, else ERP_CURRENCY)."""
    default = current_app.config.get("ERP_CURRENCY", "USD") if has_app_context() else "USD"
    return get_setting("currency", default) or default


def digits(code: str | None = None) -> int:
    """The decimals an amount in `code` (by default the deployment's currency) has."""
    return get_currency_precision(code or currency())


def quantum(code: str | None = None) -> Decimal:
    """The smallest amount of a currency: 0.01 for USD, 1 for VND."""
    return Decimal(1).scaleb(-digits(code))


def money(value, code: str | None = None) -> Decimal:
    return Decimal(value).quantize(quantum(code), rounding=ROUND_HALF_UP)


def line_amounts(quantity, price_unit, discount=0, tax_rate=0) -> tuple[Decimal, Decimal]:
    """(untaxed, tax) of one line: quantity × price less the discount %, then its tax %."""
    gross = Decimal(quantity or 0) * Decimal(price_unit or 0)
    untaxed = money(gross * (HUNDRED - Decimal(discount or 0)) / HUNDRED)
    return untaxed, money(untaxed * Decimal(tax_rate or 0) / HUNDRED)


def totals(lines) -> tuple[Decimal, Decimal, Decimal]:
    """(untaxed, tax, total) of lines that have amount_untaxed and amount_tax."""
    untaxed = sum((line.amount_untaxed for line in lines), Decimal(0))
    tax = sum((line.amount_tax for line in lines), Decimal(0))
    return untaxed, tax, untaxed + tax
