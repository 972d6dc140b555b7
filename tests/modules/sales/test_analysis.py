"""Sales figures: ABC grading of customers by their share of sales, the weighted forecast
per month, salesperson and team, and revenue, cost and margin by customer, product,
salesperson and month — each a salesperson's own, a manager's everyone's."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from core.auth.models import Team
from core.db import db
from core.partners.models import Partner
from core.settings import set_setting
from modules.sales import analysis, services

from .conftest import acting, opportunity, order, partner, product, sold

D = Decimal


def grades():
    """Each partner's grade, as sales keeps it."""
    from modules.sales.models import PartnerGrade

    db.session.expire_all()
    return dict(db.session.execute(sa.select(Partner.name, PartnerGrade.grade).outerjoin(
        PartnerGrade, PartnerGrade.partner_id == Partner.id)).all())


def test_customers_are_graded_by_their_share_of_sales(ctx):
    for name, amount in (("Big", 800), ("Middle", 150), ("Small", 50)):
        sold(partner(name).id, amount)
    partner("Quiet", grade="A")  # bought nothing in the period: loses the grade
    old = partner("Lapsed", grade="B")
    sold(old.id, 5000, on=date.today() - timedelta(days=400))
    cancelled = order(partner("Cancelled").id)
    services.confirm(cancelled)
    services.cancel(cancelled)
    assert analysis.grade_customers() == "A: 1, B: 1, C: 1"
    assert grades() == {"Big": "A", "Middle": "B", "Small": "C", "Quiet": None,
                        "Lapsed": None, "Cancelled": None}


def test_grading_follows_its_settings(ctx):
    for name, amount in (("Big", 800), ("Middle", 150), ("Small", 50)):
        sold(partner(name).id, amount, cost=0 if name != "Big" else 790)
    set_setting("sales.grade_a", "50")
    set_setting("sales.grade_b", "60")
    analysis.grade_customers()
    assert grades() == {"Big": "A", "Middle": "C", "Small": "C"}
    # by margin: Big made 10, Middle 150, Small 50 — out of 210
    set_setting("sales.grade_basis", "margin")
    set_setting("sales.grade_b", "95")
    analysis.grade_customers()
    assert grades() == {"Big": "C", "Middle": "A", "Small": "B"}


def test_without_any_sale_every_grade_is_cleared(ctx):
    partner("Was A", grade="A")
    assert analysis.grade_customers() == "A: 0, B: 0, C: 0"
    assert grades() == {"Was A": None}


def test_the_forecast_weights_expected_revenue_by_probability(sales):
    start = date(2031, 1, 1)
    with acting(sales, "mia"):
        team = Team(name="North")
        db.session.add(team)
        db.session.flush()
        for name, revenue, stage_name, close, who in (
                ("A", "1000", "New", date(2031, 1, 20), "sam"),        # 10%: 100
                ("B", "2000", "Proposal", date(2031, 1, 31), "tom"),   # 60%: 1200
                ("C", "500.50", "Negotiation", date(2031, 3, 1), "sam"),  # 80%: 400.40
                ("Too late", "9999", "New", date(2031, 7, 1), "sam"),
                ("Too early", "9999", "New", date(2030, 12, 31), "sam")):
            opportunity(name, stage_name, expected_revenue=D(revenue), expected_close=close,
                        user_id=sales.ids[who], team_id=team.id if who == "sam" else None)
        opportunity("Won", "Won", outcome="won", expected_revenue=D(7),
                    expected_close=date(2031, 2, 1), user_id=sales.ids["sam"])
        db.session.commit()
        assert analysis.forecast("month", start) == [
            {"key": "2031-01", "count": 2, "expected": D("3000"), "weighted": D("1300.00")},
            {"key": "2031-03", "count": 1, "expected": D("500.50"), "weighted": D("400.40")}]
        by_user = {r["key"]: r["weighted"] for r in analysis.forecast("user", start)}
        assert by_user == {"Sam": D("500.40"), "Tom": D("1200.00")}
        by_team = {r["key"]: r["weighted"] for r in analysis.forecast("team", start)}
        assert by_team == {"North": D("500.40"), "": D("1200.00")}
    with acting(sales, "sam"):  # a salesperson's forecast is their own
        assert [(r["key"], r["weighted"]) for r in analysis.forecast("month", start)] == [
            ("2031-01", D("100.00")), ("2031-03", D("400.40"))]


def test_sales_analysis_margin_is_revenue_less_cost(sales):
    with acting(sales, "mia"):
        beans = product("Coffee beans", "19.99", cost="12.50")
        tea = product("Green tea", "8.00", cost="3.00")
        hoa_sen, blue = partner("Hoa Sen").id, partner("Blue River").id
        for customer, who, on, lines in (
                (hoa_sen, "sam", date(2031, 1, 5), [(beans, 3, 10), (tea, 2, 0)]),
                (blue, "tom", date(2031, 2, 5), [(beans, 1, 0)])):
            made = order(customer, [{"product_id": p.id, "quantity": D(q), "discount": D(d)}
                                    for p, q, d in lines], user_id=sales.ids[who],
                         date_order=on)
            services.confirm(made)
        order(blue, [{"product_id": tea.id, "quantity": D(100)}])  # a quotation: not sold
        db.session.commit()
        # Hoa Sen: 53.97 + 16.00 = 69.97, cost 37.50 + 6.00; Blue River: 19.99, cost 12.50
        result = analysis.sales_analysis("customer")
        assert [(r["key"], r["revenue"], r["cost"], r["margin"], r["orders"])
                for r in result["rows"]] == [
            ("Hoa Sen", D("69.97"), D("43.50"), D("26.47"), 1),
            ("Blue River", D("19.99"), D("12.50"), D("7.49"), 1)]
        assert result["totals"] == {"revenue": D("89.96"), "cost": D("56.00"),
                                    "margin": D("33.96")}
        by_product = {r["key"]: (r["revenue"], r["margin"])
                      for r in analysis.sales_analysis("product")["rows"]}
        assert by_product == {"Coffee beans": (D("73.96"), D("23.96")),
                              "Green tea": (D("16.00"), D("10.00"))}
        by_month = [(r["key"], r["revenue"]) for r in analysis.sales_analysis("month")["rows"]]
        assert by_month == [("2031-01", D("69.97")), ("2031-02", D("19.99"))]
        february = analysis.sales_analysis("customer", date(2031, 2, 1), date(2031, 2, 28))
        assert [r["key"] for r in february["rows"]] == ["Blue River"]
    with acting(sales, "tom"):
        mine = analysis.sales_analysis("salesperson")
        assert [(r["key"], r["revenue"]) for r in mine["rows"]] == [("Tom", D("19.99"))]


def test_price_analysis_shares_and_discounting(sales):
    with acting(sales, "mia"):
        beans = product("Coffee beans", "20.00", cost="12.00")
        tea = product("Green tea", "10.00", cost="4.00")
        made = order(partner().id, [
            {"product_id": beans.id, "quantity": D(2), "discount": D(25)},  # 30.00
            {"product_id": tea.id, "quantity": D(1)}])  # 10.00
        services.confirm(made)
        result = analysis.price_analysis()
        assert (result["revenue"], result["margin"]) == (D("40.00"), D("12.00"))
        beans_row, tea_row = result["rows"]
        assert (beans_row["product"], beans_row["revenue_share"], beans_row["average_price"],
                beans_row["discounting"], beans_row["margin"]) == (
            "Coffee beans", D(75), D("15.00"), D(25), D("6.00"))
        assert tea_row["margin_share"] == D(50) and tea_row["discounting"] == D(0)
