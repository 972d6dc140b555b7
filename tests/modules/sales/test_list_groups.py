"""A list's groups (core.ui.generic.grouping): read from the model's declared counts
(models.OrderCounts, LeadCounts, PipelineCounts) when these answer the list's conditions,
from the documents otherwise, the same figures either way and for every reader; in the
column's order, a page of groups at a time; and the counts (and the forecast's sums)
follow every change to leads and opportunities."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core.db import db
from modules.sales import services
from modules.sales.models import (
    ForecastByMonth,
    Lead,
    LeadCounts,
    Order,
    OrderCounts,
    PipelineCounts,
    Stage,
)

from ...sums import assert_kept
from .conftest import acting, lead, login, opportunity, order, partner

D = Decimal
GROUP_ROW = re.compile(r'<tr data-group="([^"]*)"><td>(?:<a [^>]*>)?([^<]*)(?:</a>)?</td>\s*'
                       r'<td class="text-end group-count"[^>]*>([^<]*)</td>'
                       r'(?:<td class="text-end"[^>]*>([^<]*)</td>)?')


def groups(client, url) -> list[tuple]:
    """(value, label, count, first total) of each group row, as the page lists them."""
    html = client.get(url).text
    table = html.split("group-table phone-cards", 1)[1].split("</table>", 1)[0]
    return [(value, label, count, total) for value, label, count, total
            in GROUP_ROW.findall(table)]


@pytest.fixture
def statements(sales):
    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with sales.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    yield seen
    event.remove(engine, "before_cursor_execute", keep)


def _orders(sales):
    with acting(sales, "mia"):
        sam, tom = sales.ids["sam"], sales.ids["tom"]
        hoa_sen, blue = partner("Hoa Sen"), partner("Blue River")
        for customer, user_id, confirmed in ((hoa_sen, sam, True), (hoa_sen, sam, False),
                                             (blue, tom, True), (blue, None, False)):
            made = order(customer.id, user_id=user_id)
            if confirmed:
                services.confirm(made)
        db.session.commit()


def test_groups_read_the_counts_and_give_what_the_orders_give(sales, statements):
    _orders(sales)
    mia, sam = login(sales.test_client(), "mia"), login(sales.test_client(), "sam")
    statements.clear()
    by_state = groups(mia, "/sales/orders?group=state")
    assert any("sale_count_order" in s for s in statements)
    assert not any("GROUP BY sale_order.state" in s for s in statements)
    # a choice column's groups in its declared order, each with its count and total
    assert [(v, c, t) for v, _, c, t in by_state] == [
        ("draft", "2", "$40.00"), ("confirmed", "2", "$40.00")]
    # a search is not in the counts: the same figures, from the orders
    statements.clear()
    searched = groups(mia, "/sales/orders?group=state&q=SO")
    assert not any("sale_count_order" in s for s in statements)
    assert searched == by_state
    # a salesperson's rule (their own orders) is read on the counts' keys
    statements.clear()
    assert [(v, c) for v, _, c, _ in groups(sam, "/sales/orders?group=state")] == [
        ("draft", "1"), ("confirmed", "1")]
    assert any("sale_count_order" in s for s in statements)
    by_user = groups(mia, "/sales/orders?group=user_id&f.state=confirmed")
    assert [(label, c) for _, label, c, _ in by_user] == [("Sam", "1"), ("Tom", "1")]
    # orders of nobody first: a group, and a link to them, like any other
    assert [(v, c) for v, _, c, _ in groups(mia, "/sales/orders?group=user_id")][0] == (
        "None", "1")


def test_a_reference_with_many_values_is_paged_by_name(sales, statements, monkeypatch):
    monkeypatch.setattr("core.ui.generic.grouping.GROUP_PAGE", 2)
    with acting(sales, "mia"):
        for name in ("Echo", "Alpha", "Delta", "Bravo", "Charlie"):
            order(partner(name).id, user_id=sales.ids["sam"])
        partner("Aaron")  # no order: no group
        db.session.commit()
    mia = login(sales.test_client(), "mia")
    first = mia.get("/sales/orders?group=partner_id").text
    assert [label for _, label, _, _ in groups(mia, "/sales/orders?group=partner_id")] == [
        "Alpha", "Bravo"]
    assert "Previous groups" not in first
    second_url = re.search(r'href="([^"]*gpage=2[^"]*)"', first).group(1).replace("&amp;", "&")
    second = mia.get(second_url).text
    assert [label for _, label, _, _ in groups(mia, second_url)] == ["Charlie", "Delta"]
    assert "Previous groups" in second and "gpage=3" in second
    assert [(label, c) for _, label, c, _ in groups(
        mia, "/sales/orders?group=partner_id&gpage=3")] == [("Echo", "1")]
    assert "More groups" not in mia.get("/sales/orders?group=partner_id&gpage=3").text
    # a page past the last is empty, and garbage reads as the first
    assert groups(mia, "/sales/orders?group=partner_id&gpage=9") == []
    assert len(groups(mia, "/sales/orders?group=partner_id&gpage=x")) == 2
    assert groups(mia, f"/sales/orders?group=partner_id&gpage={10**30}") == []
    assert groups(mia, f"/sales/orders?group=state&gpage={10**30}") == []
    # only the page's customers are counted: one probe per name, no count of every order
    statements.clear()
    groups(mia, "/sales/orders?group=partner_id")
    assert not any(re.search(r"GROUP BY sale_order.partner_id\s*$", s) and "IN (" not in s
                   for s in statements)


def test_the_lead_and_pipeline_counts_follow_every_change(sales):
    counts = (LeadCounts, PipelineCounts, OrderCounts, ForecastByMonth)
    with acting(sales, "mia"):
        sam, tom = sales.ids["sam"], sales.ids["tom"]
        first = lead("Coffee machines", user_id=sam)
        lead("Grinders", user_id=None)
        won = opportunity("Espresso bar", user_id=tom, expected_revenue=D("1200"),
                          expected_close=date(2031, 3, 5))
        assert_kept(*counts)
        converted = services.convert(first, partner_id=partner("Hoa Sen").id)
        assert_kept(*counts)
        later = db.session.execute(sa.select(Stage).order_by(Stage.sequence.desc())).scalars()
        services.move(converted, next(s for s in later if not s.is_won and not s.is_lost))
        services.mark_won(won)
        assert_kept(*counts)
        services.reopen(won)
        won.expected_revenue = D("1500.50")
        won.expected_close, won.probability = date(2031, 4, 1), D("33.3")
        won.user_id = sam
        assert_kept(*counts)
        services.mark_lost(converted, None)
        db.session.execute(sa.update(Lead).where(Lead.user_id == sam).values(user_id=tom))
        assert_kept(*counts)
        db.session.delete(won)
        assert_kept(*counts)
        db.session.commit()
        assert_kept(*counts)
        db.session.execute(sa.delete(Order))
        assert_kept(*counts)
        db.session.rollback()


def test_pipeline_groups_from_the_counts_equal_the_opportunities(sales, statements):
    with acting(sales, "mia"):
        for name, user, revenue, stage_name in (
                ("Bar A", "sam", "100", "New"), ("Bar B", "sam", "250.50", "New"),
                ("Bar C", "tom", "40", "Qualified"), ("Bar D", None, "5", "New")):
            opportunity(name, stage_name=stage_name, expected_revenue=D(revenue),
                        user_id=sales.ids[user] if user else None)
        db.session.commit()
    for who in ("mia", "sam"):
        client = login(sales.test_client(), who)
        statements.clear()
        summed = groups(client, "/sales/opportunities?group=stage_id&f.outcome=open")
        assert any("sale_count_pipeline" in s for s in statements)
        live = groups(client, "/sales/opportunities?group=stage_id&f.outcome=open&q=Bar")
        assert summed == live and summed
        if who == "sam":  # their own and the pool's (nobody's) opportunities
            assert [(label, c, t) for _, label, c, t in summed] == [
                ("New", "3", "$355.50")]
