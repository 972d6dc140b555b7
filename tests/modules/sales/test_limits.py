"""Sales refuses nonsense with a message per field, never a 500 (issue 14): negative prices
and costs, discounts, taxes and probabilities beyond 0..100, dates the app cannot compute
with, a taken product code, and quotation forms whose line lists do not line up."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from core.db import db

from ...conftest import login
from ...core.test_api import Api, token_for
from .conftest import partner, product


@pytest.fixture
def api(sales):
    return Api(sales.test_client(), token_for(sales, "mia"))


@pytest.fixture
def customer(sales):
    with sales.app_context():
        ids = {"customer": partner().id, "beans": product("Beans", "10").id}
        db.session.commit()
    return ids


def refused(response, field, status=422):
    assert response.status_code == status, response.get_data(as_text=True)
    assert field in response.json["error"]["details"], response.json
    return response.json["error"]["details"][field][0]


def test_prices_costs_and_taxes_of_products(api):
    assert "negative" in refused(api("POST", "product", {"name": "X", "list_price": "-1"}),
                                 "list_price")
    refused(api("POST", "product", {"name": "X", "cost": -0.5}), "cost")
    refused(api("POST", "product", {"name": "X", "tax_rate": "500"}), "tax_rate")
    assert api("POST", "product", {"name": "X", "tax_rate": "100"}).status_code == 201


def test_a_taken_product_code_is_409_naming_the_field(api):
    assert api("POST", "product", {"name": "A", "code": "BEAN"}).status_code == 201
    refused(api("POST", "product", {"name": "B", "code": "BEAN"}), "code", 409)
    other = api("POST", "product", {"name": "B"}).json
    refused(api("PATCH", f"product/{other['id']}", {"code": "BEAN"}), "code", 409)


def test_lines_refuse_negative_prices_and_discounts_beyond_100(api, customer):
    for line in ({"discount": "500"}, {"price_unit": "-1"}, {"tax_rate": "101"},
                 {"quantity": "0"}, {"quantity": str(10**12)}):
        body = {"partner_id": customer["customer"], "lines": [
            {"description": "Beans", "quantity": "1", "price_unit": "10", **line}]}
        refused(api("POST", "sale.order", body), "lines")


def test_lines_whose_sum_would_not_fit_are_refused(api, customer):
    """Each line fits, their sum would not (Numeric(16, 2) of the order's total)."""
    big = {"description": "Gold", "quantity": "999999999", "price_unit": "9999.99"}
    response = api("POST", "sale.order", {"partner_id": customer["customer"],
                                          "lines": [big] * 20})
    assert response.status_code == 422, response.json


def test_order_dates_stay_within_the_years_the_app_computes_with(api, customer):
    for day in ("9999-12-31", "0001-01-01", "1899-12-31"):
        refused(api("POST", "sale.order", {"partner_id": customer["customer"],
                                           "date_order": day}), "date_order")
    made = api("POST", "sale.order", {"partner_id": customer["customer"],
                                      "date_order": "8999-12-01"})
    assert made.status_code == 201, made.json


def test_probability_and_priority_of_leads(api):
    refused(api("POST", "sale.lead", {"name": "Deal", "probability": "500"}), "probability")
    refused(api("POST", "sale.lead", {"name": "Deal", "probability": -1}), "probability")
    refused(api("POST", "sale.lead", {"name": "Deal", "priority": 7}), "priority")
    refused(api("POST", "sale.lead", {"name": "Deal", "priority": 2**40}), "priority")
    refused(api("POST", "sale.lead", {"name": "Deal", "expected_revenue": "-5"}),
            "expected_revenue")
    assert api("POST", "sale.lead", {"name": "Deal", "priority": 3}).status_code == 201


def test_stage_and_campaign_forms(sales):
    client = login(sales.test_client(), "mia")
    response = client.post("/sales/stages/new", data={"name": "Hot", "sequence": "5",
                                                      "probability": "500"})
    assert response.status_code == 422
    response = client.post("/sales/campaigns/new", data={"name": "Fair", "channel": "event",
                                                         "cost": "-100"})
    assert response.status_code == 422 and "negative" in response.get_data(as_text=True)
    response = client.post("/sales/campaigns/new", data={
        "name": "Fair", "channel": "event", "cost": "100", "date_start": "9999-12-31"})
    assert response.status_code == 422
    assert client.post("/sales/campaigns/new", data={"name": "Fair", "channel": "event",
                                                     "cost": "100"}).status_code == 302


@pytest.mark.parametrize("lists", [
    {"line_description": ["Beans", "Tea", "Cake"], "line_quantity": ["1"],
     "line_price_unit": ["1", "2", "3", "4", "5"]},
    {"line_display_type": ["section", "line", "note", "line"], "line_description": ["A"]},
    {"line_product_id": ["²", "99999999999", "-1", "1"], "line_description": ["", "x"],
     "line_quantity": ["1e400", "NaN"]},
    {"line_description": ["x", "y"], "line_tax_rate": ["1,5", "1.234,5", "abc"],
     "line_discount": ["500"]},
])
def test_a_quotation_form_whose_line_lists_do_not_line_up(sales, customer, lists):
    """The editor posts one list per column; lists of other lengths, or values that are no
    numbers or ids, show the form again with the errors, and save nothing."""
    client = login(sales.test_client(), "mia")
    data = MultiDict({"partner_id": str(customer["customer"])})
    for key, values in lists.items():
        for value in values:
            data.add(key, value)
    response = client.post("/sales/orders/new", data=data)
    assert response.status_code in (302, 422), response.get_data(as_text=True)[:2000]
    if response.status_code == 422:
        assert "alert" in response.get_data(as_text=True)
