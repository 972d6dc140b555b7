"""The sums of sold orders (core.rollups; models.SalesBy*) follow every change to orders in
the same transaction: created, confirmed, cancelled and amended, reassigned, deleted, moved
by a bulk statement or a customer merge, confirmed by racing requests; and the analysis
pages read from them exactly what the orders would give, a salesperson their own."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core import access, rollups
from core.db import db
from core.modules import get_registry, lifecycle
from core.partners.duplicates import merge
from modules.sales import analysis, services
from modules.sales.models import (
    Order,
    OrderLine,
    SalesByCustomer,
    SalesByCustomerEver,
    SalesByMonth,
    SalesByProduct,
)

from ...core.test_api import Api, token_for
from ...races import needs_postgres, together
from ...sums import assert_kept as assert_summed
from ...sums import kept
from .conftest import acting, order, partner, product

D = Decimal
SUMS = (SalesByMonth, SalesByCustomer, SalesByCustomerEver, SalesByProduct)


def assert_kept():
    assert_summed(*SUMS)


def _line(item, quantity, discount=0):
    return {"product_id": item.id, "quantity": D(quantity), "discount": D(discount)}


def test_the_sums_follow_every_change_to_orders(sales):
    with acting(sales, "mia"):
        beans = product("Coffee beans", "19.99", cost="12.50")
        tea = product("Green tea", "8.00", cost="3.00")
        hoa_sen, blue = partner("Hoa Sen"), partner("Blue River")
        sam, tom = sales.ids["sam"], sales.ids["tom"]
        first = order(hoa_sen.id, [_line(beans, 3, 10), _line(tea, 2),
                                   {"description": "Delivery", "quantity": D(1),
                                    "price_unit": D("5.50")}],
                      user_id=sam, date_order=date(2031, 1, 5))
        second = order(blue.id, [_line(beans, 1)], user_id=tom, date_order=date(2031, 2, 5))
        third = order(blue.id, [_line(tea, 7)], user_id=sam, date_order=date(2031, 2, 9))
        assert_kept()
        assert kept(SalesByMonth) == {}  # quotations are not sold
        for made in (first, second, third):
            services.confirm(made)
        assert_kept()
        assert kept(SalesByMonth)[("2031-01", sam, 0)] == (
            D("75.47"), D("43.50"), D(1), D(3))  # 53.97 + 16.00 + 5.50; three lines
        services.cancel(second)  # its figures go, and the row that summed only it
        assert_kept()
        assert ("2031-02", tom, 0) not in kept(SalesByMonth)
        services.back_to_draft(second)
        second.user_id = sam
        services.set_lines(second, [_line(beans, 4)])
        services.confirm(second)
        assert_kept()
        # a line added to a sold order through the session (a data fix), then removed
        extra = OrderLine(order_id=first.id, description="Fix", quantity=D(1),
                          price_unit=D(3), amount_untaxed=D(3), product_id=tea.id)
        db.session.add(extra)
        assert_kept()
        db.session.delete(extra)
        assert_kept()
        # a sold order reassigned through the session: its sums move to the other
        first.user_id = tom
        assert_kept()
        assert ("2031-01", tom, 0) in kept(SalesByMonth)
        first.note, first.user_id = "Thanks", sam  # a column the sums do not read, and back
        assert_kept()
        # an order stored sold from the start (an import of past orders), then its line
        db.session.add(Order(name="SO-PAST-1", partner_id=hoa_sen.id, user_id=tom,
                             state="done", date_order=date(2030, 12, 1), lines=[OrderLine(
                                 description="Past", quantity=D(2), price_unit=D(4),
                                 amount_untaxed=D(8))]))
        assert_kept()
        assert kept(SalesByMonth)[("2030-12", tom, 0)][0] == D(8)
        services.mark_done(first)  # still sold: nothing moves
        before = kept(SalesByCustomer)
        assert_kept()
        assert kept(SalesByCustomer) == before
        # a bulk statement through the session is followed too
        db.session.execute(sa.update(Order).where(Order.id == third.id)
                           .values(date_order=date(2031, 3, 1)))
        assert_kept()
        assert ("2031-03", sam, 0) in kept(SalesByMonth)
        merge(blue, hoa_sen, get_registry())  # Blue River's orders move to Hoa Sen
        assert_kept()
        assert {key[0] for key in kept(SalesByCustomer)} == {hoa_sen.id}
        draft = order(hoa_sen.id, [_line(tea, 1)], user_id=sam)
        db.session.delete(draft)
        services.cancel(third)
        services.back_to_draft(third)
        db.session.delete(third)
        assert_kept()
        db.session.commit()
        assert_kept()


def test_a_failed_operation_leaves_the_sums_as_they_were(sales):
    with acting(sales, "mia"):
        made = order(partner().id, [_line(product(), 2)], user_id=sales.ids["sam"])
        db.session.commit()
        services.confirm(made)
        db.session.flush()
        assert kept(SalesByMonth)
        db.session.rollback()
        assert kept(SalesByMonth) == {}
        assert_kept()


def test_enabling_the_module_again_sums_what_changed_while_it_was_off(sales):
    with acting(sales, "mia"):
        made = order(partner().id, [_line(product(), 2)], user_id=sales.ids["sam"])
        services.confirm(made)
        db.session.commit()
        lifecycle.disable(get_registry(), ["sales"])
        # what a module that is off keeps is not summed meanwhile (here: changed behind it)
        db.session.execute(sa.update(Order).values(date_order=date(2030, 6, 1)))
        db.session.commit()
        lifecycle.enable(get_registry(), ["sales"])
        assert {key[0] for key in kept(SalesByMonth)} == {"2030-06"}
        assert_kept()


def _orders_as(app, login_name):
    with acting(app, login_name):
        made = {}
        for by in analysis.analysis_keys():
            for period in ((None, None), (date(2031, 2, 1), date(2031, 2, 28)),
                           (date(2031, 1, 1), None)):
                made[by, period] = analysis._from_orders(by, *period, 100)
        return made


def test_the_analysis_reads_from_the_sums_what_the_orders_give(sales):
    with acting(sales, "mia"):
        beans, tea = product("Coffee beans", "19.99", cost="12.50"), product("Green tea", "8")
        for name, who, on, lines in (
                ("Hoa Sen", "sam", date(2031, 1, 5), [_line(beans, 3, 10), _line(tea, 2)]),
                ("Blue River", "tom", date(2031, 2, 5), [_line(beans, 1)]),
                ("Lotus", "sam", date(2031, 2, 20), [_line(tea, 9), {
                    "description": "Installation", "quantity": D(1), "price_unit": D(40)}])):
            services.confirm(order(partner(name).id, lines, user_id=sales.ids[who],
                                   date_order=on))
        db.session.commit()
    for login_name in ("mia", "sam"):
        from_orders = _orders_as(sales, login_name)
        with acting(sales, login_name):
            for (by, period), expected in from_orders.items():
                got = analysis._summed(by, *period, 100)
                assert sorted(got, key=repr) == sorted(expected, key=repr), (login_name, by)
            prices = analysis._prices_summed(None, None, 200)
            assert prices == analysis._prices_from_orders(None, None, 200)
    with acting(sales, "sam"):  # his own: Hoa Sen and Lotus
        rows = analysis.sales_analysis("customer")["rows"]
        assert [(r["key"], r["revenue"]) for r in rows] == [
            ("Lotus", D("112.00")), ("Hoa Sen", D("69.97"))]
        by_product = {r["key"] for r in analysis.sales_analysis("product")["rows"]}
        assert by_product == {"Coffee beans", "Green tea", "Installation"}


def test_what_the_sums_cannot_answer_is_read_from_the_orders(sales, monkeypatch):
    with acting(sales, "mia"):
        services.confirm(order(partner("Hoa Sen").id, [_line(product(), 1)],
                               date_order=date(2031, 2, 20)))
        db.session.commit()
        # part of a month: the sums hold whole months
        with pytest.raises(rollups.NotSummed):
            analysis._summed("customer", date(2031, 2, 1), date(2031, 2, 14), 100)
        assert analysis.sales_analysis("customer", date(2031, 2, 1),
                                       date(2031, 2, 14))["rows"] == []
        assert len(analysis.sales_analysis("customer", date(2031, 2, 15),
                                           date(2031, 2, 20))["rows"]) == 1
        # two customers of one name are two rows either way
        for _twin in range(2):
            services.confirm(order(partner("Twin").id, [_line(product("Tea"), 1)],
                                   date_order=date(2031, 2, 21)))
        for period in ((date(2031, 2, 1), date(2031, 2, 28)),
                       (date(2031, 2, 21), date(2031, 2, 21))):
            rows = analysis.sales_analysis("customer", *period)["rows"]
            assert [r["key"] for r in rows].count("Twin") == 2, period
        # a record rule on a column the sums do not keep
        monkeypatch.setattr(access, "rule_condition",
                            lambda model, perm="r", user=None: Order.campaign_id.is_(None))
        with pytest.raises(rollups.NotSummed):
            rollups.readable(SalesByMonth)
        assert [r["key"] for r in analysis.sales_analysis("month")["rows"]] == ["2031-02"]


@pytest.mark.postgres
def test_orders_confirmed_by_racing_requests_are_all_summed(sales, db_url):
    needs_postgres(db_url)
    with acting(sales, "mia"):
        customer = partner().id
        item = product()
        ids = [order(customer, [_line(item, 1 + i)], user_id=sales.ids["sam"],
                     date_order=date(2031, 1, 5)).id for i in range(6)]
        db.session.commit()
    token = token_for(sales, "mia")
    answers = together(*[(lambda: Api(sales.test_client(), token),
                          lambda api, i=i: api("POST", f"sale.order/{i}/confirm"))
                         for i in ids])
    assert [a.status_code for a in answers] == [200] * len(ids)
    with sales.app_context():
        assert_kept()
        assert kept(SalesByMonth)[("2031-01", sales.ids["sam"], 0)][2:] == (D(6), D(6))
