"""The billing pages a clerk uses: a new invoice with its lines, posting, paying, crediting
and printing it, the receivables and a new payment."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from modules.billing import services
from modules.billing.models import Invoice, InvoiceLine, Payment, PaymentAllocation

from ...conftest import login
from .conftest import acting, count, partner, posted

YEAR = date.today().year


def editor_lines(*rows):
    """Form fields of the invoice editor: (description, quantity, price, discount, tax); the
    editor always posts one empty row at the end."""
    keys = ("line_description", "line_quantity", "line_price_unit", "line_discount",
            "line_tax_rate")
    rows = [*rows, ("", "", "", "", "")]
    return {key: [str(row[i]) for row in rows] for i, key in enumerate(keys)}


@pytest.fixture
def customer(billing):
    with billing.app_context():
        found = partner("Hoa Sen").id
        db.session.commit()
    return found


def test_a_new_invoice_with_its_lines(billing, bea_client, customer):
    assert bea_client.get("/billing/invoices/new").status_code == 200
    saved = bea_client.post("/billing/invoices/new", data={
        "partner_id": customer, "note": "Thank you",
        **editor_lines(("Coffee beans", "3", "19.99", "10", "8"), ("Delivery", "", "5", "", ""))})
    assert saved.status_code == 302, saved.text
    with billing.app_context():
        made = db.session.execute(sa.select(Invoice)).scalar_one()
        assert saved.location.endswith(f"/billing/invoices/{made.id}")
        assert (made.state, made.partner_id, made.note, made.created_by_id) == (
            "draft", customer, "Thank you", billing.ids["bea"])
        assert (made.amount_untaxed, made.amount_tax, made.amount_total) == (
            Decimal("58.97"), Decimal("4.32"), Decimal("63.29"))
        assert db.session.execute(sa.select(InvoiceLine.quantity).order_by(
            InvoiceLine.sequence)).scalars().all() == [Decimal(3), Decimal(1)]
    page = bea_client.get(f"/billing/invoices/{made.id}").text
    assert "63.29" in page.split("invoice-residual")[1]


def test_a_bad_line_shows_the_form_again_and_saves_nothing(billing, bea_client, customer):
    for row, message in (
            (("Beans", "abc", "10", "", ""), "Line 2: enter numbers"),
            (("Beans", "1", "1,5", "", ""), "Line 2: enter numbers"),
            (("Beans", "1", "NaN", "", ""), "Line 2: enter numbers"),
            (("Beans", "1", "1e20", "", ""), "Line 2: enter numbers"),
            (("Beans", "0", "10", "", ""), "Line 2: the quantity must be above zero"),
            (("", "2", "10", "", ""), "Line 2: choose a product or write a description"),
            (("Beans", "1", "10", "120", ""), "the discount and tax between 0 and 100")):
        refused = bea_client.post("/billing/invoices/new", data={
            "partner_id": customer, **editor_lines(("Fine", "1", "5", "", ""), row)})
        assert refused.status_code == 422, row
        assert message in refused.text, row
        assert 'value="Fine"' in refused.text  # what was typed is kept
    with billing.app_context():
        assert count(Invoice) == 0 and count(InvoiceLine) == 0


def test_a_customer_is_needed(billing, bea_client):
    refused = bea_client.post("/billing/invoices/new", data=editor_lines(("A", "1", "5", "", "")))
    assert refused.status_code == 422 and "Choose a customer." in refused.text
    with billing.app_context():
        assert count(Invoice) == 0


def test_post_pay_credit_and_print(billing, bea_client, customer):
    with billing.app_context():
        draft = services.create_invoice(customer, [{"description": "Beans", "quantity": 2,
                                                    "price_unit": Decimal(50)}])
        db.session.commit()
        draft_id = draft.id
    page = bea_client.get(f"/billing/invoices/{draft_id}").text
    assert "state-draft" in page and "invoice-pay" not in page
    assert bea_client.post(f"/billing/invoices/{draft_id}/post").status_code == 302
    page = bea_client.get(f"/billing/invoices/{draft_id}").text
    assert f"INV{YEAR}-00001" in page and "state-posted" in page and "invoice-pay" in page
    # posting twice is refused with a message, not an error page
    again = bea_client.post(f"/billing/invoices/{draft_id}/post", follow_redirects=True)
    assert again.status_code == 200 and "cannot be done now" in again.text
    paid = bea_client.post(f"/billing/invoices/{draft_id}/pay", data={
        "amount": "30", "date": "2026-05-02", "method": "card", "reference": "T-1"})
    assert paid.status_code == 302
    bad = bea_client.post(f"/billing/invoices/{draft_id}/pay", data={"amount": "thirty"},
                          follow_redirects=True)
    assert "Enter a number such as 1,234.5." in bad.text  # what to type, in her format
    with billing.app_context():
        bill = db.session.get(Invoice, draft_id)
        assert (bill.state, bill.amount_paid, bill.amount_residual) == (
            "posted", Decimal(30), Decimal(70))
        payment = db.session.execute(sa.select(Payment)).scalar_one()
        assert (payment.date, payment.method, payment.reference, payment.created_by_id) == (
            date(2026, 5, 2), "card", "T-1", billing.ids["bea"])
    assert "invoice-payments" in bea_client.get(f"/billing/invoices/{draft_id}").text
    # a partly paid invoice cannot be cancelled
    refused = bea_client.post(f"/billing/invoices/{draft_id}/cancel", follow_redirects=True)
    assert "make a credit note instead" in refused.text
    credited = bea_client.post(f"/billing/invoices/{draft_id}/credit_note")
    assert credited.status_code == 302
    with billing.app_context():
        refund = db.session.execute(sa.select(Invoice).where(Invoice.kind == "refund")
                                    ).scalar_one()
        assert credited.location.endswith(f"/billing/invoices/{refund.id}")
        assert (refund.state, refund.refund_of_id) == ("draft", draft_id)
    printed = bea_client.get(f"/billing/invoices/{draft_id}/print")
    assert printed.status_code == 200
    assert f"INV{YEAR}-00001" in printed.text and "Hoa Sen" in printed.text
    assert "100.00" in printed.text


def test_receivables_and_a_new_payment(billing, bea_client, customer):
    with billing.app_context(), acting(billing):
        older = posted(customer, "100", on=date(2026, 1, 5)).id
        newer = posted(customer, "40", on=date(2026, 2, 5)).id
        db.session.commit()
    page = bea_client.get("/billing/receivables")
    assert page.status_code == 200
    assert f'data-partner="{customer}"' in page.text and "140.00" in page.text
    form = bea_client.get(f"/billing/payments/new?partner_id={customer}").text
    assert f'value="{older}"' in form and f'value="{newer}"' in form
    refused = bea_client.post("/billing/payments/new", data={"partner_id": customer,
                                                             "amount": "-3"})
    assert refused.status_code == 422
    # the newer one ticked: it is settled first, the rest goes to nothing else
    saved = bea_client.post("/billing/payments/new", data={
        "partner_id": customer, "amount": "50", "method": "bank", "invoice_ids": [str(newer)]})
    assert saved.status_code == 302 and saved.location.endswith("/billing/payments")
    with billing.app_context():
        payment = db.session.execute(sa.select(Payment)).scalar_one()
        assert payment.unallocated == Decimal(10)
        assert db.session.execute(sa.select(PaymentAllocation.invoice_id)).scalars().all() == [
            newer]
        payment_id = payment.id
    # none ticked: the oldest due first
    bea_client.post("/billing/payments/new", data={"partner_id": customer, "amount": "60"})
    with billing.app_context():
        assert db.session.get(Invoice, older).amount_residual == Decimal(40)
    shown = bea_client.get(f"/billing/payments/{payment_id}").text
    assert "payment-settled" in shown and "10.00" in shown
    assert bea_client.get("/billing/payments").status_code == 200


def test_who_may_do_what(billing, customer):
    with billing.app_context(), acting(billing):
        bill = posted(customer, "100").id
        db.session.commit()
    clerk = login(billing.test_client(), "clerk")  # core.user: reads what they look after
    assert clerk.get("/billing/invoices/new").status_code == 403
    assert clerk.post(f"/billing/invoices/{bill}/cancel").status_code == 403
    assert clerk.get(f"/billing/invoices/{bill}").status_code == 404  # not their customer
    assert clerk.get("/billing/payments/new").status_code == 403
    assert clerk.get("/billing/receivables").status_code == 200
    max_ = login(billing.test_client(), "max")
    assert max_.get("/billing/terms").status_code == 200
    assert login(billing.test_client(), "bea").get("/billing/terms/new").status_code == 403


def test_the_customers_page_still_opens_for_those_who_do_not_bill(shop):
    with shop.app_context(), acting(shop, "max"):
        found = partner("Hoa Sen", salesperson_id=shop.ids["sam"]).id
        db.session.commit()
    assert login(shop.test_client(), "bea").get(f"/contacts/partners/{found}").status_code == 200
    for who in ("sam", "clerk"):
        page = login(shop.test_client(), who).get(f"/contacts/partners/{found}")
        assert page.status_code == 200, who
