"""Numbers typed the way the user writes them (issue 15): Vietnamese "1.500.000" and "1,5",
English "1,000.00", in forms, the line editor and list filters; and amounts in the
currency's own decimals (the đồng has none)."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from core.auth.models import User
from core.db import db
from core.settings import set_setting

from .conftest import acting, opportunity, partner


def _speaks(app, login_name, lang):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == login_name).values(lang=lang))
        db.session.commit()


def _campaign(app, name):
    from modules.sales.models import Campaign

    with app.app_context():
        return db.session.execute(sa.select(Campaign).where(Campaign.name == name)).scalar()


@pytest.mark.parametrize("lang, typed, stored", [
    ("vi", "1.500.000", Decimal(1500000)), ("vi", "1,5", Decimal("1.5")),
    ("vi", "1500.5", Decimal("1500.5")),  # a machine number, where it cannot be grouping
    ("en", "1,000.00", Decimal(1000)), ("zh_CN", "1,234.5", Decimal("1234.5"))])
def test_a_form_reads_numbers_as_the_user_writes_them(sales, mia_client, lang, typed, stored):
    _speaks(sales, "mia", lang)
    response = mia_client.post("/sales/campaigns/new", data={
        "name": "Fair", "channel": "event", "cost": typed, "active": "y"})
    assert response.status_code == 302, response.text
    assert _campaign(sales, "Fair").cost == stored


def test_a_form_shows_its_numbers_as_the_user_writes_them(sales, mia_client):
    _speaks(sales, "mia", "vi")
    mia_client.post("/sales/campaigns/new", data={
        "name": "Fair", "channel": "event", "cost": "1.234.567,8", "active": "y"})
    campaign = _campaign(sales, "Fair")
    page = mia_client.get(f"/sales/campaigns/{campaign.id}").text
    assert 'value="1.234.567,80"' in page and 'inputmode="decimal"' in page
    assert 'type="number"' not in page  # a browser's number input refuses "1.234,5"


def test_a_bad_number_shows_the_form_again_with_an_example(sales, mia_client):
    _speaks(sales, "mia", "vi")
    response = mia_client.post("/sales/campaigns/new", data={
        "name": "Fair", "channel": "event", "cost": "1,000.00", "active": "y"})
    assert response.status_code == 422
    assert "1.234,5" in response.text and 'value="1,000.00"' in response.text
    assert _campaign(sales, "Fair") is None
    _speaks(sales, "mia", "en")
    response = mia_client.post("/sales/stages/new", data={
        "name": "Hot", "sequence": "1.5", "probability": "abc"})
    assert response.status_code == 422
    assert "Enter a number such as 1,234.5." in response.text
    assert "Enter a whole number such as 1,234." in response.text


def test_the_line_editor_reads_vietnamese_numbers(sales, mia_client):
    from modules.sales.models import Order, OrderLine

    _speaks(sales, "mia", "vi")
    with acting(sales):
        customer = partner().id
        db.session.commit()
    data = MultiDict({"partner_id": str(customer)})
    for description, quantity, price in (("Cà phê", "1,5", "1.500.000"),
                                         ("Trà", "2.5", "12,5")):  # 2.5: a machine number
        for key, value in (("line_description", description), ("line_quantity", quantity),
                           ("line_price_unit", price), ("line_discount", ""),
                           ("line_tax_rate", "0")):
            data.add(key, value)
    response = mia_client.post("/sales/orders/new", data=data)
    assert response.status_code == 302, response.text
    with sales.app_context():
        lines = db.session.execute(sa.select(OrderLine).order_by(OrderLine.sequence)).scalars()
        assert [(line.quantity, line.price_unit) for line in lines] == [
            (Decimal("1.5"), Decimal(1500000)), (Decimal("2.5"), Decimal("12.5"))]
        order_id = db.session.execute(sa.select(Order.id)).scalar_one()
    page = mia_client.get(f"/sales/orders/{order_id}").text
    assert 'value="1,5"' in page and 'value="1.500.000,00"' in page


def test_a_dong_deployment_rounds_to_whole_dong(sales, mia_client):
    from modules.sales.models import OrderLine

    with sales.app_context():
        set_setting("currency", "VND")
        db.session.commit()
    _speaks(sales, "mia", "vi")
    with acting(sales):
        customer = partner().id
        db.session.commit()
    data = MultiDict({"partner_id": str(customer)})
    for key, value in (("line_description", "Trà"), ("line_quantity", "1,5"),
                       ("line_price_unit", "1.001"), ("line_tax_rate", "10")):
        data.add(key, value)
    assert mia_client.post("/sales/orders/new", data=data).status_code == 302
    with sales.app_context():
        line = db.session.execute(sa.select(OrderLine)).scalar_one()
        assert (line.amount_untaxed, line.amount_tax) == (Decimal(1502), Decimal(150))
        order_id = line.order_id
    page = mia_client.get(f"/sales/orders/{order_id}").text
    assert "1.652\xa0₫" in page and 'value="1.001"' in page  # the price without decimals
    # an amount in a form: no fractional đồng
    response = mia_client.post("/sales/campaigns/new", data={
        "name": "Fair", "channel": "event", "cost": "1.500,5", "active": "y"})
    assert response.status_code == 422 and _campaign(sales, "Fair") is None
    assert "1.234" in response.text
    assert mia_client.post("/sales/campaigns/new", data={
        "name": "Fair", "channel": "event", "cost": "1.500.000", "active": "y"}
    ).status_code == 302
    campaign = _campaign(sales, "Fair")
    page = mia_client.get(f"/sales/campaigns/{campaign.id}").text
    assert 'value="1.500.000"' in page


def test_a_numeric_filter_in_vietnamese(sales, mia_client, monkeypatch):
    from modules.sales import views

    with acting(sales):
        opportunity("Big", expected_revenue=Decimal(1500000))
        opportunity("Small", expected_revenue=Decimal("1.5"))
        db.session.commit()
    monkeypatch.setattr(views.opportunities, "filters", ("expected_revenue",))
    _speaks(sales, "mia", "vi")
    page = mia_client.get("/sales/opportunities?f.expected_revenue=1.500.000").text
    assert "Big" in page and "Small" not in page
    page = mia_client.get("/sales/opportunities?f.expected_revenue=1,5").text
    assert "Small" in page and "Big" not in page
    page = mia_client.get("/sales/opportunities?f.expected_revenue=abc").text
    assert "Small" not in page and "Big" not in page


def test_sales_settings_read_vietnamese_numbers(sales, mia_client):
    from core.settings import get_setting

    _speaks(sales, "mia", "vi")
    good = {"sales.pool_idle_days": "7", "sales.lead_limit": "1.000", "sales.grade_days": "180",
            "sales.grade_a": "70", "sales.grade_b": "90", "sales.grade_basis": "margin"}
    assert mia_client.post("/sales/settings", data=good).status_code == 302
    with sales.app_context():
        assert get_setting("sales.lead_limit") == "1000"
