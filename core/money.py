"""Money arithmetic shared by every module that prices lines (quotations, invoices): exact
Decimal, rounded half-up to the cent once per line, so documents add up when printed."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


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
