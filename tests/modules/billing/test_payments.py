"""Payments settle one invoice partly, several in the order given or the oldest due first,
and keep an overpayment as not allocated; a paid invoice cannot be cancelled; a credit note
settles the invoice it credits."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Refusal
from modules.billing import services
from modules.billing.models import Invoice, PaymentAllocation

from .conftest import line, partner, posted

YEAR = date.today().year


def allocations(payment):
    return db.session.execute(sa.select(PaymentAllocation.invoice_id, PaymentAllocation.amount)
                              .where(PaymentAllocation.payment_id == payment.id)
                              .order_by(PaymentAllocation.id)).all()


def state(invoice):
    return invoice.state, invoice.amount_paid, invoice.amount_residual


def test_a_part_payment_leaves_the_rest_due(ctx):
    customer = partner().id
    bill = posted(customer, "100")
    payment = services.register_payment(customer, Decimal("40"), [bill.id],
                                        on=date(2026, 5, 1), method="cash", reference="R1")
    db.session.flush()
    assert state(bill) == ("posted", Decimal(40), Decimal(60))
    assert (payment.amount, payment.unallocated, payment.date, payment.method) == (
        Decimal(40), Decimal(0), date(2026, 5, 1), "cash")
    assert allocations(payment) == [(bill.id, Decimal(40))]
    services.register_payment(customer, Decimal("60"), [bill.id])
    assert state(bill) == ("paid", Decimal(100), Decimal(0))
    # a paid invoice is no longer open
    with pytest.raises(Refusal):
        services.register_payment(customer, Decimal("1"), [bill.id])


def test_several_invoices_in_the_order_given(ctx):
    customer = partner().id
    older = posted(customer, "100", on=date(2026, 1, 10))
    newer = posted(customer, "50", on=date(2026, 2, 10))
    payment = services.register_payment(customer, Decimal("120"), [newer.id, older.id])
    db.session.flush()
    assert allocations(payment) == [(newer.id, Decimal(50)), (older.id, Decimal(70))]
    assert state(newer) == ("paid", Decimal(50), Decimal(0))
    assert state(older) == ("posted", Decimal(70), Decimal(30))


def test_the_oldest_due_first_when_none_are_named(ctx):
    customer, other = partner().id, partner("Other").id
    later = posted(customer, "30", on=date(2026, 3, 1))
    earlier = posted(customer, "20", on=date(2026, 2, 1))
    same_day = posted(customer, "10", on=date(2026, 3, 1))
    theirs = posted(other, "500", on=date(2025, 1, 1))
    payment = services.register_payment(customer, Decimal("45"))
    db.session.flush()
    assert allocations(payment) == [(earlier.id, Decimal(20)), (later.id, Decimal(25))]
    assert state(same_day) == ("posted", Decimal(0), Decimal(10))
    assert state(theirs) == ("posted", Decimal(0), Decimal(500))


def test_an_overpayment_stays_unallocated(ctx):
    customer = partner().id
    one, two = posted(customer, "100"), posted(customer, "50")
    payment = services.register_payment(customer, Decimal("200.004"))
    db.session.flush()
    assert (payment.amount, payment.unallocated) == (Decimal("200.00"), Decimal("50.00"))
    assert [i.state for i in (one, two)] == ["paid", "paid"]
    # a payment with no open invoice at all is kept whole
    alone = services.register_payment(partner("New").id, Decimal("25"))
    db.session.flush()
    assert (alone.unallocated, allocations(alone)) == (Decimal(25), [])


def test_payments_that_are_refused(ctx):
    customer, other = partner().id, partner("Other").id
    bill, theirs = posted(customer, "100"), posted(other, "100")
    draft = services.create_invoice(customer, [line()])
    for amount, ids in ((Decimal(0), None), (Decimal(-5), None), (Decimal(10), [theirs.id]),
                        (Decimal(10), [draft.id]), (Decimal(10), [bill.id, 999999])):
        with pytest.raises(Refusal) as caught:
            services.register_payment(customer, amount, ids)
        assert caught.value.code == "invalid"
    assert state(bill) == ("posted", Decimal(0), Decimal(100))


def test_a_paid_invoice_cannot_be_cancelled(ctx):
    customer = partner().id
    partly, fully = posted(customer, "100"), posted(customer, "100")
    services.register_payment(customer, Decimal(10), [partly.id])
    services.register_payment(customer, Decimal(100), [fully.id])
    for bill in (partly, fully):
        with pytest.raises(Refusal) as caught:
            services.cancel(bill)
        assert caught.value.code == "invalid_state"
    assert (partly.state, fully.state) == ("posted", "paid")


def test_a_credit_note_settles_the_invoice_it_credits(ctx):
    customer = partner().id
    bill = posted(customer, "100")
    refund = services.credit_note(bill)
    assert (refund.kind, refund.state, refund.refund_of_id, refund.origin,
            refund.amount_total) == ("refund", "draft", bill.id, bill.name, Decimal(100))
    assert state(bill) == ("posted", Decimal(0), Decimal(100))  # a draft changes nothing
    # a partial credit: the clerk edits the draft credit note first
    services.set_lines(refund, [line("Goods", "1", "30")])
    services.post(refund)
    assert refund.name == f"RINV{YEAR}-00001"
    assert state(bill) == ("posted", Decimal(30), Decimal(70))
    assert refund.amount_residual == 0  # it was used in full against the invoice
    # the rest is credited too: the invoice is settled
    rest = services.credit_note(bill)
    services.set_lines(rest, [line("Goods", "1", "70")])
    services.post(rest)
    assert state(bill) == ("paid", Decimal(100), Decimal(0))
    with pytest.raises(Refusal):
        services.credit_note(refund)  # a credit note is not credited


def test_crediting_a_partly_paid_invoice_leaves_the_paid_part_to_give_back(ctx):
    customer = partner().id
    bill = posted(customer, "100")
    services.register_payment(customer, Decimal(60), [bill.id])
    refund = services.credit_note(bill)
    services.post(refund)
    assert state(bill) == ("paid", Decimal(100), Decimal(0))
    assert state(refund) == ("posted", Decimal(40), Decimal(60))


def test_invoices_are_stored_as_computed(ctx):
    customer = partner().id
    bill = posted(customer, "99.99")
    services.register_payment(customer, Decimal("33.33"), [bill.id])
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Invoice, bill.id)
    assert [str(v) for v in (stored.amount_total, stored.amount_paid,
                             stored.amount_residual)] == ["99.99", "33.33", "66.66"]
