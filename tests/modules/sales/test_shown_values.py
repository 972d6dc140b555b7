"""The pipeline's list, groups, board and report in the reader's locale (issue 15): a
probability as 30%, revenue as money with the currency and "," decimals in Vietnamese, the
closing date as a date."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from core.auth.models import User
from core.db import db

from .conftest import acting, opportunity


def _pipeline_in_vietnamese(sales):
    with acting(sales):
        found = opportunity("Espresso bar", expected_revenue=Decimal("1234.5"),
                            expected_close=date(2026, 12, 22), user_id=sales.ids["mia"])
        found.probability = Decimal(30)
        db.session.execute(sa.update(User).where(User.login == "mia").values(lang="vi"))
        db.session.commit()


def test_list_shows_rates_money_and_dates(sales, mia_client):
    _pipeline_in_vietnamese(sales)
    page = mia_client.get("/sales/opportunities").text
    row = page.split('<tr data-id="')[1].split("</tr>")[0]
    assert "30%" in row and "30.00" not in row
    assert "1.234,50\xa0US$" in row and "1234.50" not in row
    assert "22 thg 12, 2026" in row and "2026-12-22" not in row
    grouped = mia_client.get("/sales/opportunities?group=user_id").text
    table = grouped.split("group-table")[1].split("</table>")[0]
    assert "1.234,50\xa0US$" in table


def test_board_card_and_column_total(sales, mia_client):
    _pipeline_in_vietnamese(sales)
    board = mia_client.get("/sales/opportunities/board").text
    card = board.split('class="card board-card')[1].split("</article>")[0]
    assert "22 thg 12, 2026" in card and "2026-12-22" not in card
    assert "1.234,50\xa0US$" in board.split("board-total")[1].split("</span>")[0]


def test_report_sums_revenue_as_money(sales, mia_client):
    _pipeline_in_vietnamese(sales)
    page = mia_client.get("/sales/opportunities/report?rows=user_id&measure=expected_revenue")
    total = page.text.split("grand-total")[1].split("</td>")[0]
    assert total.endswith(">1.234,50\xa0US$")


def test_forecast_names_its_months(sales, mia_client):
    _pipeline_in_vietnamese(sales)
    with acting(sales):
        from modules.sales.models import Lead

        db.session.execute(sa.update(Lead).values(expected_close=date.today()))
        db.session.commit()
    page = mia_client.get("/sales/forecast").text
    month = date.today()
    assert f"thg {month.month} {month.year}" in page
    assert f"{month.year}-{month.month:02d}" not in page
