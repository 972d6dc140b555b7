"""Invoicing sales orders: a draft invoice when an order is confirmed (unless the setting
says to invoice by hand), "invoice what is left" on the order, partial invoicing, and credit
notes making quantities invoiceable again."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Refusal
from core.settings import set_setting
from modules.billing import services
from modules.billing.models import Invoice, InvoiceLine
from modules.sales.models import Order, OrderLine

from ...conftest import login
from ...core.test_api import Api, token_for
from .conftest import acting, count, order, partner


def invoice_lines(invoice_id):
    return [(ln.description, ln.quantity, ln.price_unit, ln.order_line_id is not None)
            for ln in db.session.execute(sa.select(InvoiceLine).where(
                InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.sequence)).scalars()]


def line_ids(order_id):
    return db.session.execute(sa.select(OrderLine.id).where(
        OrderLine.order_id == order_id).order_by(OrderLine.sequence)).scalars().all()


def test_a_confirmed_order_gets_its_draft_invoice(shop_ctx):
    made = order(partner().id, ("Beans", "3", "10"), ("Delivery", "1", "5.50"))
    [draft] = db.session.execute(sa.select(Invoice)).scalars().all()
    assert (draft.state, draft.kind, draft.order_id, draft.origin, draft.partner_id) == (
        "draft", "invoice", made.id, made.name, made.partner_id)
    assert draft.amount_total == made.amount_total == Decimal("35.50")
    assert invoice_lines(draft.id) == [("Beans", Decimal(3), Decimal(10), True),
                                       ("Delivery", Decimal(1), Decimal("5.50"), True)]
    # a quotation is not invoiced
    order(partner("Other").id, confirm=False)
    assert count(Invoice) == 1


def test_by_hand_then_invoice_what_is_left_from_the_order_page(shop):
    with shop.app_context():
        set_setting("billing.invoice_on_confirm", "0")
        with acting(shop, "ada"):
            made = order(partner().id, ("Beans", "3", "10"))
            quote = order(partner("Later").id, confirm=False)
            db.session.commit()
            made_id, quote_id = made.id, quote.id
        assert count(Invoice) == 0
    ada = login(shop.test_client(), "ada")
    assert "Invoice what is left" in ada.get(f"/sales/orders/{made_id}").text
    first = ada.post(f"/sales/orders/{made_id}/invoice")
    assert first.status_code == 302
    with shop.app_context():
        [invoice] = db.session.execute(sa.select(Invoice)).scalars().all()
        assert first.location.endswith(f"/billing/invoices/{invoice.id}")
        assert (invoice.order_id, invoice.amount_total, invoice.state) == (
            made_id, Decimal(30), "draft")
    # nothing is left: back to the order with a message, and no new invoice
    again = ada.post(f"/sales/orders/{made_id}/invoice", follow_redirects=True)
    assert again.request.path == f"/sales/orders/{made_id}"
    assert "Everything on this order is invoiced already." in again.text
    refused = ada.post(f"/sales/orders/{quote_id}/invoice", follow_redirects=True)
    assert "cannot be done now" in refused.text
    assert ada.post("/sales/orders/999999/invoice").status_code == 404
    with shop.app_context():
        assert count(Invoice) == 1
    # Bea bills but does not see orders; Sam sells but does not bill
    assert login(shop.test_client(), "bea").post(
        f"/sales/orders/{made_id}/invoice").status_code == 403
    assert login(shop.test_client(), "sam").post(
        f"/sales/orders/{made_id}/invoice").status_code == 403


def test_partial_invoicing_and_credit_notes_make_quantities_invoiceable_again(shop_ctx):
    set_setting("billing.invoice_on_confirm", "0")
    made = order(partner().id, ("Beans", "3", "10"), ("Delivery", "1", "50"))
    beans, delivery = line_ids(made.id)
    first = services.invoice_from_order(made)
    # bill 2 of the 3 bags now (the order line stays linked)
    services.set_lines(first, [{"description": "Beans", "quantity": Decimal(2),
                                "price_unit": Decimal(10), "order_line_id": beans}])
    services.post(first)
    assert services.invoiced_quantities([beans, delivery]) == {beans: Decimal(2)}
    rest = services.invoice_from_order(made)
    assert invoice_lines(rest.id) == [("Beans", Decimal(1), Decimal(10), True),
                                      ("Delivery", Decimal(1), Decimal(50), True)]
    services.post(rest)
    with pytest.raises(Refusal) as caught:
        services.invoice_from_order(made)
    assert caught.value.code == "nothing_to_do"
    # crediting the first invoice makes its 2 bags invoiceable again
    refund = services.credit_note(first)
    services.post(refund)
    assert services.invoiced_quantities([beans, delivery]) == {
        beans: Decimal(1), delivery: Decimal(1)}
    again = services.invoice_from_order(made)
    assert invoice_lines(again.id) == [("Beans", Decimal(2), Decimal(10), True)]
    # a cancelled invoice does not count as invoiced
    services.cancel(again)
    assert services.invoice_from_order(made).amount_total == Decimal(20)
    # everything, whatever was invoiced before, on request
    assert services.invoice_from_order(made, remaining=False).amount_total == Decimal(80)


def test_editing_an_orders_draft_invoice_keeps_it_linked_to_the_order(shop):
    with shop.app_context():
        set_setting("billing.invoice_on_confirm", "0")
        with acting(shop, "ada"):
            made = order(partner().id, ("Beans", "3", "10"))
            draft = services.invoice_from_order(made)
            db.session.commit()
            made_id, draft_id = made.id, draft.id
            origin = db.session.execute(sa.select(InvoiceLine.order_line_id).where(
                InvoiceLine.invoice_id == draft_id)).scalar_one()
    ada = login(shop.test_client(), "ada")
    page = ada.get(f"/billing/invoices/{draft_id}").text
    assert f'name="line_order_line_id" value="{origin}"' in page  # the page carries the link
    # bill 2 of the 3 bags now: the clerk changes the quantity on the invoice page
    saved = ada.post(f"/billing/invoices/{draft_id}", data={
        "line_order_line_id": [str(origin), ""],
        "line_description": ["Beans", ""], "line_quantity": ["2", ""],
        "line_price_unit": ["10", ""], "line_discount": ["", ""], "line_tax_rate": ["", ""]})
    assert saved.status_code == 302
    assert ada.post(f"/billing/invoices/{draft_id}/post").status_code == 302
    assert ada.post(f"/sales/orders/{made_id}/invoice").status_code == 302
    with shop.app_context():
        totals = db.session.execute(sa.select(Invoice.amount_total).order_by(Invoice.id)
                                    ).scalars().all()
        assert totals == [Decimal(20), Decimal(10)]  # not 20 + 30 for 3 bags


def test_cancelling_an_order_takes_its_draft_invoice_and_confirming_again_makes_one(shop):
    with shop.app_context(), acting(shop, "ada"):
        made = order(partner().id, ("Beans", "3", "10"))  # its draft invoice is made
        billed = order(partner("Billed").id, ("Tea", "1", "8"))
        services.post(db.session.execute(sa.select(Invoice).where(
            Invoice.order_id == billed.id)).scalar_one())
        db.session.commit()
        made_id, billed_id = made.id, billed.id
    ada = login(shop.test_client(), "ada")
    assert ada.post(f"/sales/orders/{made_id}/cancel").status_code == 302
    with shop.app_context():
        assert db.session.execute(sa.select(Invoice.state).where(
            Invoice.order_id == made_id)).scalars().all() == ["cancelled"]
    assert ada.post(f"/sales/orders/{made_id}/draft").status_code == 302
    api = Api(shop.test_client(), token_for(shop, "ada"))
    confirmed = api("POST", f"sale.order/{made_id}/confirm")
    assert (confirmed.status_code, confirmed.json["state"]) == (200, "confirmed")
    with shop.app_context():
        assert db.session.execute(sa.select(Invoice.state).where(
            Invoice.order_id == made_id).order_by(Invoice.id)).scalars().all() == [
            "cancelled", "draft"]
    # an order with a posted invoice is not cancelled: it is credited first
    refused = api("POST", f"sale.order/{billed_id}/cancel")
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "has_invoices")
    assert "credit notes" in refused.json["error"]["message"]
    with shop.app_context():
        assert db.session.get(Order, billed_id).state == "confirmed"
