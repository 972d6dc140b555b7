"""Invoices by hand: exact totals, posting with gapless numbers and due dates from the
customer's payment term (installments that add up), the schedules a term may have, and
the states an invoice goes through."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Refusal
from modules.billing import services
from modules.billing.models import Invoice, InvoiceDue, InvoiceLine, PaymentTerm

from .conftest import count, invoice, line, partner, term

YEAR = date.today().year


def refused(call, *args) -> str:
    with pytest.raises(Refusal) as caught:
        call(*args)
    return caught.value.code


def test_an_invoice_by_hand_has_exact_totals(ctx):
    made = invoice(partner().id,
                   line("Coffee beans", "3", "19.99", discount="10", tax="8"),
                   line("Delivery", "7", "1.15", tax="10"),
                   line("Sample", "1", "0.005"))  # a price is kept to the cent, half up
    assert (made.state, made.kind, made.name) == ("draft", "invoice", None)
    # 53.973 -> 53.97 and 4.3176 -> 4.32; 8.05 and 0.805 -> 0.81; 0.01
    expected = (Decimal("62.03"), Decimal("5.13"), Decimal("67.16"))
    assert (made.amount_untaxed, made.amount_tax, made.amount_total) == expected
    assert made.amount_residual == Decimal("67.16") and made.amount_paid == 0
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Invoice, made.id)
    assert [str(v) for v in (stored.amount_untaxed, stored.amount_tax,
                             stored.amount_total)] == ["62.03", "5.13", "67.16"]
    assert all(isinstance(v, Decimal) for v in (stored.amount_total, stored.amount_residual))
    lines = db.session.execute(sa.select(InvoiceLine).where(
        InvoiceLine.invoice_id == made.id).order_by(InvoiceLine.sequence)).scalars().all()
    assert [(ln.description, str(ln.amount_untaxed), str(ln.amount_tax)) for ln in lines] == [
        ("Coffee beans", "53.97", "4.32"), ("Delivery", "8.05", "0.81"),
        ("Sample", "0.01", "0.00")]


def test_bad_lines_are_refused(ctx):
    customer = partner().id
    assert refused(services.create_invoice, 999999, [line()]) == "invalid"
    for bad in (line(quantity="0"), line(quantity="-1"), line(description="  "),
                line(price="-1"), line(discount="101"), line(discount="-5")):
        assert refused(services.create_invoice, customer, [bad]) == "invalid", bad
        db.session.rollback()
    assert count(Invoice) == 0


def test_posting_numbers_invoices_without_gaps_and_sets_the_due_date(ctx):
    customer = partner().id
    services.set_term(customer, term("30 days").id)
    first, second, empty = (invoice(customer), invoice(customer, line(price="5")),
                            invoice(customer, line(price="0")))
    # an invoice with nothing to pay is refused before it takes a number
    assert refused(services.post, empty) == "invalid"
    services.post(first)
    services.post(second)
    assert (first.name, second.name) == (f"INV{YEAR}-00001", f"INV{YEAR}-00002")
    assert (first.state, first.date_due) == ("posted", first.date_invoice + timedelta(days=30))
    assert refused(services.post, first) == "invalid_state"
    assert refused(services.set_lines, first, [line()]) == "invalid_state"
    db.session.commit()
    # a number taken by a transaction that is rolled back is given back
    third = invoice(customer)
    services.post(third)
    assert third.name == f"INV{YEAR}-00003"
    db.session.rollback()
    again = invoice(customer)
    services.post(again)
    assert again.name == f"INV{YEAR}-00003"
    # the number's year is the invoice's
    old = invoice(customer, on=date(2024, 12, 31))
    services.post(old)
    assert old.name == "INV2024-00001"


def test_installments_add_up_and_the_last_takes_the_rounding(ctx):
    customer = partner().id
    services.set_term(customer, term("50% now, 50% in 60 days").id)
    made = invoice(customer, line("Goods", "1", "100.01"), on=date(2026, 3, 1))
    services.post(made)
    db.session.flush()
    dues = db.session.execute(sa.select(InvoiceDue.date_due, InvoiceDue.amount).where(
        InvoiceDue.invoice_id == made.id).order_by(InvoiceDue.date_due)).all()
    # 50% of 100.01 is 50.005: the first is rounded half up, the last takes what is left
    assert [(d, str(a)) for d, a in dues] == [
        (date(2026, 3, 1), "50.01"), (date(2026, 4, 30), "50.00")]
    assert made.date_due == date(2026, 3, 1)
    # three parts of an amount that does not split evenly
    db.session.add(PaymentTerm(name="Thirds", schedule="33.33@0, 33.33@30, 33.34@45"))
    db.session.flush()
    services.set_term(customer, term("Thirds").id)
    thirds = invoice(customer, line("Goods", "1", "0.10"), on=date(2026, 3, 1))
    services.post(thirds)
    db.session.flush()
    amounts = db.session.execute(sa.select(InvoiceDue.amount).where(
        InvoiceDue.invoice_id == thirds.id).order_by(InvoiceDue.date_due)).scalars().all()
    assert [str(a) for a in amounts] == ["0.03", "0.03", "0.04"]
    assert sum(amounts) == thirds.amount_total


def test_a_customer_without_a_term_pays_at_once(ctx):
    made = invoice(partner().id, on=date(2026, 5, 4))
    services.post(made)
    db.session.flush()
    assert made.date_due == date(2026, 5, 4)
    assert db.session.execute(sa.select(InvoiceDue.amount).where(
        InvoiceDue.invoice_id == made.id)).scalars().all() == [Decimal("20.00")]


def test_schedules(ctx):
    assert services.parse_schedule("100@30") == [(Decimal(100), 30)]
    assert services.parse_schedule(" 50@0, 50@60 ") == [(Decimal(50), 0), (Decimal(50), 60)]
    assert services.parse_schedule("100") == [(Decimal(100), 0)]
    for bad in ("", "abc", "50@0", "50@0, 60@30", "100@-5", "0@0, 100@10", "50@x, 50@10",
                "50%@0, 50%@30", "-50@0, 150@30", "100@30,"):
        with pytest.raises(Refusal) as caught:
            services.parse_schedule(bad)
        assert caught.value.code == "invalid", bad


def test_the_default_terms_are_there_and_a_bad_schedule_is_refused_on_the_page(billing):
    from ...conftest import login

    with billing.app_context():
        assert db.session.execute(sa.select(PaymentTerm.name, PaymentTerm.schedule).order_by(
            PaymentTerm.id)).all() == [
            ("Immediate", "100@0"), ("15 days", "100@15"), ("30 days", "100@30"),
            ("50% now, 50% in 60 days", "50@0, 50@60")]
    client = login(billing.test_client(), "max")
    bad = client.post("/billing/terms/new", data={"name": "Odd", "schedule": "60@0, 60@30",
                                                  "active": "y"})
    assert bad.status_code == 422
    good = client.post("/billing/terms/new", data={"name": "Split", "schedule": "40@0, 60@30",
                                                   "active": "y"})
    assert good.status_code == 302, good.text
    with billing.app_context():
        assert count(PaymentTerm, PaymentTerm.name == "Odd") == 0
        assert count(PaymentTerm, PaymentTerm.name == "Split") == 1


def test_cancelling(ctx):
    customer = partner().id
    draft, sent = invoice(customer), invoice(customer)
    services.post(sent)
    services.cancel(draft)
    services.cancel(sent)
    assert (draft.state, sent.state, sent.amount_residual) == ("cancelled", "cancelled", 0)
    assert refused(services.cancel, sent) == "invalid_state"
    assert refused(services.post, draft) == "invalid_state"
    assert refused(services.credit_note, sent) == "invalid_state"
