"""Prices and totals: which price-list rule wins (the customer's own list before their
grade's, a product's rule before an all-products one, the highest quantity break, within
dates), and order totals computed exactly in Decimal."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Refusal
from modules.sales import services
from modules.sales.models import Order, OrderLine

from .conftest import count, lines_of, order, partner, pricelist, product

D = Decimal


def test_without_a_price_list_the_list_price_applies(ctx):
    beans = product(price="19.99")
    assert services.price_for(beans, None, D(1)) == (D("19.99"), D(0), None)
    assert services.price_for(beans, partner(grade="A"), D(1)) == (D("19.99"), D(0), None)


def test_the_customers_own_list_beats_their_grades(ctx):
    beans = product(price="19.99")
    customer = partner(grade="A")
    graded = pricelist([(beans, 0, "15.00", None)], name="Grade A", grade="A")
    assert services.price_for(beans, customer, D(1)) == (D("15.00"), D(0), graded.id)
    # the customer's own list wins even with only an all-products rule against the grade's
    # rule for this very product
    own = pricelist([(None, 0, None, "5")], name="Hoa Sen", partner_id=customer.id)
    assert services.price_for(beans, customer, D(1)) == (D("19.99"), D("5.00"), own.id)
    # another customer of grade A keeps the grade's price; a grade B customer the list price
    assert services.price_for(beans, partner("Other", grade="A"), D(1))[0] == D("15.00")
    assert services.price_for(beans, partner("Third", grade="B"), D(1))[0] == D("19.99")


def test_a_product_rule_beats_an_all_products_rule(ctx):
    beans, tea = product(price="19.99"), product("Tea", price="8.00")
    customer = partner()
    pricelist([(None, 0, None, "10"), (beans, 0, "18.00", None)], partner_id=customer.id)
    assert services.price_for(beans, customer, D(1))[:2] == (D("18.00"), D(0))
    assert services.price_for(tea, customer, D(1))[:2] == (D("8.00"), D("10.00"))


def test_the_highest_quantity_break_reached_applies(ctx):
    beans = product(price="19.99")
    customer = partner()
    pricelist([(beans, 0, "19.00", None), (beans, 10, "17.50", None),
               (beans, 100, "15.00", None)], partner_id=customer.id)
    prices = {qty: services.price_for(beans, customer, D(qty))[0]
              for qty in ("1", "9.999", "10", "99", "100", "5000")}
    assert prices == {"1": D("19.00"), "9.999": D("19.00"), "10": D("17.50"),
                      "99": D("17.50"), "100": D("15.00"), "5000": D("15.00")}


def test_price_lists_apply_within_their_dates_and_while_active(ctx):
    beans = product(price="19.99")
    customer = partner()
    today = date(2026, 3, 15)
    spring = pricelist([(beans, 0, "17.00", None)], partner_id=customer.id,
                       date_from=date(2026, 3, 1), date_to=date(2026, 5, 31))
    for day, price in ((date(2026, 2, 28), "19.99"), (date(2026, 3, 1), "17.00"),
                       (today, "17.00"), (date(2026, 5, 31), "17.00"),
                       (date(2026, 6, 1), "19.99")):
        assert services.price_for(beans, customer, D(1), day)[0] == D(price), day
    spring.active = False
    assert services.price_for(beans, customer, D(1), today)[0] == D("19.99")


def test_order_totals_are_exact_decimals(ctx):
    beans = product(price="19.99", tax="8")
    made = order(partner().id, [{"product_id": beans.id, "quantity": D(3),
                                 "discount": D(10)}])
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Order, made.id)
    # 3 × 19.99 = 59.97, less 10% = 53.973 → 53.97; 8% tax = 4.3176 → 4.32
    assert (stored.amount_untaxed, stored.amount_tax, stored.amount_total) == (
        D("53.97"), D("4.32"), D("58.29"))
    line = db.session.execute(sa.select(OrderLine)).scalar_one()
    assert (line.description, line.quantity, line.price_unit, line.discount, line.tax_rate) == (
        "Coffee beans", D("3.000"), D("19.99"), D("10.00"), D("8.00"))
    assert (line.amount_untaxed, line.amount_tax) == (D("53.97"), D("4.32"))


def test_a_quotation_takes_the_customers_price_and_remembers_the_list(ctx):
    beans = product(price="19.99", cost="12.00", tax="10")
    customer = partner()
    prices = pricelist([(beans, 0, None, "15")], partner_id=customer.id)
    made = order(customer.id, [{"product_id": beans.id, "quantity": D(2)},
                               {"product_id": beans.id, "quantity": D(1),
                                "price_unit": D("25"), "discount": D(0)}])
    assert made.pricelist_id == prices.id
    first, second = lines_of(made)
    assert (first.price_unit, first.discount, first.cost) == (D("19.99"), D("15"), D("12.00"))
    # 2 × 19.99 × 0.85 = 33.983 → 33.98; given price and discount win over the list
    assert first.amount_untaxed == D("33.98") and second.amount_untaxed == D("25.00")
    assert made.amount_untaxed == D("58.98") and made.amount_tax == D("3.40") + D("2.50")


BAD_LINES = [
    {"description": "Zero", "quantity": D(0)},
    {"description": "Negative", "quantity": D(-1)},
    {"description": "Too much off", "discount": D("100.01")},
    {"description": "A surcharge", "discount": D(-5)},
    {"description": "Negative price", "price_unit": D("-0.01")},
    {"product_id": 999999},
    {"description": ""},
]


def test_a_bad_line_is_refused_and_nothing_changes(ctx):
    customer = partner()
    beans = product(price="19.99")
    made = order(customer.id, [{"product_id": beans.id, "quantity": D(1)}])
    db.session.commit()
    good = {"description": "Fine", "quantity": D(5), "price_unit": D(1)}
    for bad in BAD_LINES:
        with pytest.raises(Refusal) as refused:
            services.set_lines(made, [good, bad])
        assert refused.value.code == "invalid" and "Line 2" in refused.value.message, bad
        db.session.rollback()
        lines = db.session.execute(sa.select(OrderLine.description, OrderLine.amount_untaxed)
                                   ).all()
        assert lines == [("Coffee beans", D("19.99"))], bad
        assert db.session.get(Order, made.id).amount_total == D("19.99"), bad
        # a refused new quotation leaves no order and gives its number back
        with pytest.raises(Refusal):
            order(customer.id, [bad])
        db.session.rollback()
        assert count(Order) == 1, bad
    assert order(customer.id).name == f"SO{date.today().year}-00002"


def test_an_unknown_customer_is_refused(ctx):
    with pytest.raises(Refusal) as refused:
        order(999999)
    assert refused.value.code == "invalid"


def test_quotations_are_valid_thirty_days_by_default(ctx):
    made = order(partner().id, date_order=date(2026, 1, 10))
    assert made.validity_date == date(2026, 1, 10) + timedelta(days=30)
    assert made.name == "SO2026-00001"
