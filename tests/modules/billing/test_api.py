"""The billing API: invoices with nested lines and their actions, payments that settle
invoices, and what a salesperson who does not bill may see."""
from __future__ import annotations

from datetime import date

import pytest

from core.db import db
from modules.billing.models import Invoice, InvoiceLine

from ...core.test_api import Api, token_for
from .conftest import acting, count, partner, posted

YEAR = date.today().year


@pytest.fixture
def api(billing):
    return Api(billing.test_client(), token_for(billing, "bea"))


@pytest.fixture
def customer(billing):
    with billing.app_context():
        found = partner("Hoa Sen").id
        db.session.commit()
    return found


def new_invoice(customer, *lines):
    return {"partner_id": customer, "date_invoice": "2026-03-01", "lines": list(lines) or [
        {"description": "Beans", "quantity": "3", "price_unit": "19.99", "discount": "10",
         "tax_rate": "8"},
        {"description": "Delivery", "price_unit": "5"}]}


def test_an_invoice_with_lines_posted_and_cancelled(api, customer):
    made = api("POST", "billing.invoice", new_invoice(customer))
    assert made.status_code == 201, made.json
    body = made.json
    assert (body["state"], body["kind"], body["name"], body["date_invoice"]) == (
        "draft", "invoice", None, "2026-03-01")
    assert (body["amount_untaxed"], body["amount_tax"], body["amount_total"],
            body["amount_residual"]) == ("58.97", "4.32", "63.29", "63.29")
    assert [(ln["description"], ln["quantity"], ln["amount_untaxed"]) for ln in
            body["lines"]] == [("Beans", "3.000", "53.97"), ("Delivery", "1.000", "5.00")]
    invoice_id = body["id"]
    # a draft's lines are replaced whole
    changed = api("PATCH", f"billing.invoice/{invoice_id}", {
        "lines": [{"description": "Beans", "quantity": "2", "price_unit": "10"}]})
    assert changed.status_code == 200 and changed.json["amount_total"] == "20.00"
    posted_ = api("POST", f"billing.invoice/{invoice_id}/post")
    assert posted_.status_code == 200, posted_.json
    assert (posted_.json["state"], posted_.json["name"], posted_.json["date_due"]) == (
        "posted", "INV2026-00001", "2026-03-01")
    again = api("POST", f"billing.invoice/{invoice_id}/post")
    assert (again.status_code, again.json["error"]["code"]) == (409, "invalid_state")
    for change in ({"lines": [{"description": "More", "price_unit": "99"}]}, {"note": "x"}):
        refused = api("PATCH", f"billing.invoice/{invoice_id}", change)
        assert (refused.status_code, refused.json["error"]["code"]) == (409, "invalid_state")
    got = api("GET", f"billing.invoice/{invoice_id}").json
    assert (got["amount_total"], [ln["description"] for ln in got["lines"]]) == (
        "20.00", ["Beans"])
    cancelled = api("POST", f"billing.invoice/{invoice_id}/cancel")
    assert (cancelled.status_code, cancelled.json["state"]) == (200, "cancelled")
    refused = api("POST", f"billing.invoice/{invoice_id}/cancel")
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "invalid_state")


def test_refusals_change_nothing(billing, api, customer):
    empty = api("POST", "billing.invoice", {"partner_id": customer})
    assert empty.status_code == 201 and empty.json["lines"] == []
    nothing = api("POST", f"billing.invoice/{empty.json['id']}/post")
    assert (nothing.status_code, nothing.json["error"]["code"]) == (422, "invalid")
    for bad in ({"lines": [{"description": "x", "price_unit": "1"}]},
                {"partner_id": 999999, "lines": []},
                new_invoice(customer, {"description": "x", "quantity": "0"}),
                new_invoice(customer, {"description": "x", "quantity": "1", "discount": "150"}),
                new_invoice(customer, {"quantity": "1"}),
                new_invoice(customer, {"description": "x", "bogus": 1}),
                {"partner_id": customer, "state": "paid"}):
        refused = api("POST", "billing.invoice", bad)
        assert refused.status_code == 422, (bad, refused.json)
        assert refused.json["error"]["code"] == "invalid"
    with billing.app_context():
        assert count(Invoice) == 1 and count(InvoiceLine) == 0


def test_a_paid_invoice_is_not_cancelled_and_a_credit_note_is_an_action(billing, api, customer):
    with billing.app_context(), acting(billing):
        bill = posted(customer, "100").id
        db.session.commit()
    paid = api("POST", "billing.payment", {"partner_id": customer, "amount": "100",
                                           "invoice_ids": [bill]})
    assert paid.status_code == 201, paid.json
    assert api("GET", f"billing.invoice/{bill}").json["state"] == "paid"
    refused = api("POST", f"billing.invoice/{bill}/cancel")
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "invalid_state")
    refund = api("POST", f"billing.invoice/{bill}/credit_note")
    assert refund.status_code == 200
    assert (refund.json["kind"], refund.json["state"], refund.json["refund_of_id"]) == (
        "refund", "draft", bill)
    assert refund.json["id"] != bill


def test_a_payment_settles_the_invoices_it_names(billing, api, customer):
    with billing.app_context(), acting(billing):
        one = posted(customer, "100", on=date(2026, 1, 1)).id
        two = posted(customer, "50", on=date(2026, 2, 1)).id
        three = posted(customer, "70", on=date(2026, 3, 1)).id
        db.session.commit()
    made = api("POST", "billing.payment", {"partner_id": customer, "amount": "130",
                                           "date": "2026-04-01", "method": "bank",
                                           "reference": "VCB-1", "invoice_ids": [one, three]})
    assert made.status_code == 201, made.json
    assert (made.json["amount"], made.json["unallocated"], made.json["invoice_ids"]) == (
        "130.00", "0.00", [one, three])
    residuals = {i: api("GET", f"billing.invoice/{i}").json["amount_residual"]
                 for i in (one, two, three)}
    assert residuals == {one: "0.00", two: "50.00", three: "40.00"}
    # none named: the oldest due first; too much stays unallocated
    rest = api("POST", "billing.payment", {"partner_id": customer, "amount": "100"})
    assert (rest.json["invoice_ids"], rest.json["unallocated"]) == ([two, three], "10.00")
    assert api("GET", f"billing.invoice?partner_id={customer}&state=paid").json["total"] == 3
    # refused: nothing to pay, someone else's invoice, changing a recorded payment
    other = api("POST", "partner", {"name": "Other"}).json["id"]
    for bad, status in (({"partner_id": customer, "amount": "0"}, 422),
                        ({"partner_id": customer}, 422),
                        ({"partner_id": other, "amount": "5", "invoice_ids": [one]}, 422),
                        ({"partner_id": customer, "amount": "5", "invoice_ids": [424242]}, 422)):
        assert api("POST", "billing.payment", bad).status_code == status, bad
    assert api("PATCH", f"billing.payment/{made.json['id']}", {"amount": "1"}
               ).status_code == 403  # a clerk records payments, a manager may change them
    manager = Api(billing.test_client(), token_for(billing, "max"))
    changed = manager("PATCH", f"billing.payment/{made.json['id']}", {"amount": "1"})
    assert (changed.status_code, changed.json["error"]["code"]) == (409, "invalid_state")
    assert api("GET", "billing.payment").json["total"] == 2


def test_a_payment_settles_the_named_invoices_in_the_order_given(billing, api, customer):
    with billing.app_context(), acting(billing):
        older = posted(customer, "100", on=date(2026, 1, 1)).id
        newer = posted(customer, "100", on=date(2026, 2, 1)).id
        db.session.commit()
    made = api("POST", "billing.payment", {"partner_id": customer, "amount": "100",
                                           "invoice_ids": [newer, older]})
    assert made.status_code == 201
    assert api("GET", f"billing.invoice/{newer}").json["state"] == "paid"
    assert api("GET", f"billing.invoice/{older}").json["amount_residual"] == "100.00"


def test_a_salesperson_sees_only_the_invoices_of_their_customers(shop):
    with shop.app_context(), acting(shop, "max"):
        mine = partner("Sam's customer", salesperson_id=shop.ids["sam"]).id
        theirs = partner("Tom's customer", salesperson_id=shop.ids["tom"]).id
        nobodys = partner("Nobody's customer").id
        ids = {name: posted(pid, "100").id for name, pid in (
            ("mine", mine), ("theirs", theirs), ("nobodys", nobodys))}
        db.session.commit()
    sam = Api(shop.test_client(), token_for(shop, "sam"))
    listing = sam("GET", "billing.invoice")
    assert listing.status_code == 200
    assert [i["id"] for i in listing.json["items"]] == [ids["mine"]]
    assert sam("GET", f"billing.invoice/{ids['mine']}").status_code == 200
    assert sam("GET", f"billing.invoice/{ids['theirs']}").status_code == 404
    assert sam("POST", "billing.invoice", {"partner_id": mine}).status_code == 403
    assert sam("POST", f"billing.invoice/{ids['mine']}/cancel").status_code == 403
    assert sam("GET", "billing.payment").status_code == 403
    bea = Api(shop.test_client(), token_for(shop, "bea"))
    assert bea("GET", "billing.invoice").json["total"] == 3
    # the pages agree
    from ...conftest import login

    sam_client = login(shop.test_client(), "sam")
    listed = sam_client.get("/billing/invoices").text
    assert "Sam&#39;s customer" in listed or "Sam's customer" in listed
    assert "Tom" not in listed
    assert sam_client.get(f"/billing/invoices/{ids['theirs']}").status_code == 404
    receivables = sam_client.get("/billing/receivables").text
    assert f'data-partner="{mine}"' in receivables
    assert f'data-partner="{theirs}"' not in receivables
    assert f'data-partner="{nobodys}"' not in receivables


def test_a_line_too_large_for_the_amounts_is_refused(billing, api, customer):
    refused = api("POST", "billing.invoice", new_invoice(customer, {
        "description": "x", "quantity": "999999999", "price_unit": "99999999999"}))
    assert refused.status_code == 422
    with billing.app_context():
        assert count(Invoice) == 0


def test_a_tax_rate_outside_0_to_100_is_refused(billing, api, customer):
    for rate in ("-50", "1000"):
        refused = api("POST", "billing.invoice", new_invoice(customer, {
            "description": "x", "price_unit": "100", "tax_rate": rate}))
        assert refused.status_code == 422, refused.json


def test_a_posted_invoice_cannot_be_deleted(billing, customer):
    with billing.app_context(), acting(billing):
        bill = posted(customer, "100").id
        db.session.commit()
    manager = Api(billing.test_client(), token_for(billing, "max"))
    assert manager("POST", "billing.payment", {"partner_id": customer, "amount": "100",
                                               "invoice_ids": [bill]}).status_code == 201
    refused = manager("DELETE", f"billing.invoice/{bill}")
    assert refused.status_code == 409
    assert manager("GET", f"billing.invoice/{bill}").json["state"] == "paid"
