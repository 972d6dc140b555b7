"""What credit_limit adds to customers: the credit fields of the partner API, the panel on
the customer's page, the credit holds list; and disabling the module stops it all at once
while keeping the limits for when it comes back."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.db import db
from core.modules import get_registry, lifecycle
from modules.credit_limit.models import PartnerCredit

from ...conftest import login
from ...core.test_api import Api, token_for
from .conftest import acting, customer, quotation, sold

FIELDS = {"credit_limit", "credit_mode", "credit_exposure"}


def credit_of(body):
    return {k: body[k] for k in FIELDS}


@pytest.fixture
def api(credit):
    return Api(credit.test_client(), token_for(credit, "mia"))


def test_the_partner_api_reads_and_writes_the_credit_fields(credit, api):
    made = api("POST", "partner", {"name": "Hoa Sen", "credit_limit": "5000",
                                   "credit_mode": "block"})
    assert made.status_code == 201, made.json
    assert credit_of(made.json) == {"credit_limit": "5000.00", "credit_mode": "block",
                                    "credit_exposure": "0"}
    partner_id = made.json["id"]
    # the other order of the two fields works the same
    other = api("POST", "partner", {"name": "Other", "credit_mode": "block",
                                    "credit_limit": "10"}).json
    assert (other["credit_limit"], other["credit_mode"]) == ("10.00", "block")
    plain = api("POST", "partner", {"name": "Plain"}).json
    assert credit_of(plain) == {"credit_limit": None, "credit_mode": "warn",
                                "credit_exposure": "0"}
    with acting(credit):
        sold(partner_id, "1234.50")
        db.session.commit()
    got = api("GET", f"partner/{partner_id}").json
    assert credit_of(got) == {"credit_limit": "5000.00", "credit_mode": "block",
                              "credit_exposure": "1234.50"}
    changed = api("PATCH", f"partner/{partner_id}", {"credit_mode": "warn"}).json
    assert (changed["credit_limit"], changed["credit_mode"]) == ("5000.00", "warn")
    cleared = api("PATCH", f"partner/{partner_id}", {"credit_limit": None}).json
    assert (cleared["credit_limit"], cleared["credit_mode"]) == (None, "warn")
    listing = api("GET", "partner?order=name").json["items"]
    assert [(p["name"], p["credit_limit"], p["credit_exposure"]) for p in listing] == [
        ("Hoa Sen", None, "1234.50"), ("Other", "10.00", "0"), ("Plain", None, "0")]
    for bad in ({"credit_mode": "stop"}, {"credit_mode": None}, {"credit_limit": "lots"},
                {"credit_exposure": "1"}):
        refused = api("PATCH", f"partner/{partner_id}", bad)
        assert refused.status_code == 422, bad
    with credit.app_context():
        assert db.session.query(PartnerCredit).count() == 2


def test_only_those_who_set_limits_on_the_page_may_set_them_in_the_api(credit):
    with acting(credit):
        buyer = customer(limit="1000", mode="block", salesperson_id=credit.ids["sam"]).id
        db.session.commit()
    sam = Api(credit.test_client(), token_for(credit, "sam"))
    assert sam("GET", f"partner/{buyer}").json["credit_limit"] == "1000.00"
    # the page refuses Sam
    page = login(credit.test_client(), "sam").post(f"/credit/partners/{buyer}", data={
        "credit_limit": "1000000", "mode": "warn"})
    assert page.status_code == 403
    sam("PATCH", f"partner/{buyer}", {"credit_limit": "1000000", "credit_mode": "warn"})
    assert sam("GET", f"partner/{buyer}").json["credit_limit"] == "1000.00"


def test_a_negative_limit_is_refused_in_the_api_as_on_the_page(credit, api):
    refused = api("POST", "partner", {"name": "Hoa Sen", "credit_limit": "-100"})
    assert refused.status_code == 422


def test_the_panel_on_the_customers_page(credit):
    with acting(credit):
        company = customer("Hoa Sen Co", limit="1000", mode="block", is_company=True).id
        contact = customer("Lan", parent_id=company).id
        sold(company, "950")
        db.session.commit()
    # (the admin and a billing clerk: salespeople get a 403 on a customer's page while
    # billing is enabled, see tests/modules/billing/test_pages.py)
    admin = login(credit.test_client())
    page = admin.get(f"/contacts/partners/{company}")
    assert page.status_code == 200
    assert "partner-credit" in page.text and "950.00" in page.text
    assert "1,000.00" in page.text
    assert 'name="credit_limit"' in page.text  # who may change it gets the form
    assert "partner-credit" not in admin.get(f"/contacts/partners/{contact}").text
    bea = login(credit.test_client(), "bea").get(f"/contacts/partners/{company}").text
    assert "partner-credit" in bea and 'name="credit_limit"' not in bea
    mia = login(credit.test_client(), "mia")
    saved = mia.post(f"/credit/partners/{company}", data={"credit_limit": "2000",
                                                          "mode": "warn"})
    assert saved.status_code == 302
    for bad in ({"credit_limit": "-1", "mode": "warn"}, {"credit_limit": "x", "mode": "warn"},
                {"credit_limit": "10", "mode": "stop"}):
        assert mia.post(f"/credit/partners/{company}", data=bad).status_code == 302
    assert login(credit.test_client(), "sam").post(
        f"/credit/partners/{company}", data={"credit_limit": "1", "mode": "warn"}
    ).status_code == 403
    with credit.app_context():
        found = db.session.query(PartnerCredit).one()
        assert (found.credit_limit, found.mode) == (Decimal(2000), "warn")


def test_the_credit_holds_list(credit, sam_client, monkeypatch):
    from modules.credit_limit import services, views

    with acting(credit):
        over = customer("Over").id
        sold(over, "1200")  # confirmed before the limit was set this low
        services.set_credit(over, Decimal(1000), "block")
        at_90 = customer("At ninety", limit="1000").id
        sold(at_90, "900")
        below = customer("Below", limit="1000").id
        sold(below, "899.99")
        customer("No limit")
        db.session.commit()
    with credit.app_context():
        rows = services.holds()
    assert [(r["partner_id"], r["exposure"], r["over"]) for r in rows] == [
        (over, Decimal(1200), True), (at_90, Decimal(900), False)]
    assert rows[1]["share"] == Decimal(90)
    page = sam_client.get("/credit/holds")
    assert page.status_code == 200
    assert f'data-partner="{over}" class="table-danger"' in page.text
    assert f'data-partner="{at_90}"' in page.text and f'data-partner="{below}"' not in page.text
    assert "widget-credit" in login(credit.test_client(), "mia").get("/").text
    # a page at a time: the most used first, then the next page
    monkeypatch.setattr(views, "HOLDS_PAGE", 1)
    first = sam_client.get("/credit/holds")
    assert f'data-partner="{over}"' in first.text and f'data-partner="{at_90}"' not in first.text
    assert 'href="/credit/holds?page=2" rel="next"' in first.text
    second = sam_client.get("/credit/holds?page=2")
    assert f'data-partner="{at_90}"' in second.text and 'rel="prev"' in second.text
    assert f'data-partner="{at_90}"' in sam_client.get("/credit/holds?page=99").text


def test_disabling_stops_the_check_and_hides_the_fields_until_enabled_again(credit, api):
    with acting(credit):
        buyer = customer(limit="100", mode="block").id
        first, second = quotation(buyer, "500").id, quotation(buyer, "500").id
        db.session.commit()
    assert api("POST", f"sale.order/{first}/confirm").status_code == 409
    assert set(api("GET", f"partner/{buyer}").json) >= FIELDS
    with credit.app_context():
        lifecycle.disable(get_registry(), ["credit_limit"])
    confirmed = api("POST", f"sale.order/{first}/confirm")
    assert (confirmed.status_code, confirmed.json["state"]) == (200, "confirmed")
    assert not FIELDS & set(api("GET", f"partner/{buyer}").json)
    assert not FIELDS & set(api("GET", "partner").json["items"][0])
    assert api("PATCH", f"partner/{buyer}", {"credit_limit": "1"}).status_code == 422
    admin = login(credit.test_client())
    assert admin.get("/credit/holds").status_code == 404
    page = admin.get(f"/contacts/partners/{buyer}")
    assert page.status_code == 200 and "partner-credit" not in page.text
    with credit.app_context():
        lifecycle.enable(get_registry(), ["credit_limit"])
    got = api("GET", f"partner/{buyer}").json
    assert credit_of(got) == {"credit_limit": "100.00", "credit_mode": "block",
                              "credit_exposure": "500.00"}
    refused = api("POST", f"sale.order/{second}/confirm")
    assert refused.json["error"]["code"] == "credit_limit_exceeded"


def test_disabling_in_one_process_is_seen_by_another(credit, db_url):
    """Another worker (its own app on the same database) sees the module disabled on its
    next request and stops checking at once."""
    from ...conftest import make_app

    with acting(credit):
        buyer = customer(limit="100", mode="block").id
        made = quotation(buyer, "500").id
        db.session.commit()
    other = make_app(db_url)
    try:
        worker = Api(other.test_client(), token_for(other, "mia"))
        assert worker("POST", f"sale.order/{made}/confirm").status_code == 409
        with credit.app_context():
            lifecycle.disable(get_registry(), ["credit_limit"])
        assert worker("POST", f"sale.order/{made}/confirm").status_code == 200
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
