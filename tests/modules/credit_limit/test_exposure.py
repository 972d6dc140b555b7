"""Exposure: unpaid posted invoices plus confirmed orders not yet invoiced, for a company
with its contacts, read for any number of customers in one query from the sums kept of
them, which follow every change."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event

from core.db import db
from modules.billing import services as billing
from modules.billing.models import Invoice
from modules.credit_limit import services
from modules.sales import services as sales

from .conftest import customer, exposure, quotation, sold


def draft_of(order):
    return db.session.execute(sa.select(Invoice).where(Invoice.order_id == order.id)
                              ).scalar_one()


def test_exposure_follows_orders_invoices_and_payments(ctx):
    buyer = customer().id
    quotation(buyer, "999")  # a quotation is not exposure
    assert exposure(buyer) == 0
    first = sold(buyer, "100")
    draft = draft_of(first)
    assert draft.state == "draft"
    assert exposure(buyer) == Decimal(100)  # a draft invoice does not reduce it
    billing.post(draft)
    db.session.flush()
    assert exposure(buyer) == Decimal(100)  # moved from "order" to "invoice"
    billing.register_payment(buyer, Decimal(30), [draft.id])
    db.session.flush()
    assert exposure(buyer) == Decimal(70)
    second = sold(buyer, "50")
    assert exposure(buyer) == Decimal(120)
    # an invoice by hand, with no order
    by_hand = billing.create_invoice(buyer, [{"description": "Fee", "price_unit": 25}])
    assert exposure(buyer) == Decimal(120)
    billing.post(by_hand)
    db.session.flush()
    assert exposure(buyer) == Decimal(145)
    # a cancelled order is not exposure; the rest of the first invoice is paid
    sales.cancel(second)
    billing.register_payment(buyer, Decimal(95))
    db.session.flush()
    assert exposure(buyer) == Decimal(0)


def test_a_part_invoice_leaves_the_rest_of_the_order_in_the_exposure(ctx):
    buyer = customer().id
    made = sold(buyer, "100")
    draft = draft_of(made)
    billing.set_lines(draft, [{"description": "Half", "price_unit": Decimal(40),
                               "order_line_id": made.invoice_lines()[0]["order_line_id"]}])
    billing.post(draft)
    billing.register_payment(buyer, Decimal(40), [draft.id])
    db.session.flush()
    assert exposure(buyer) == Decimal(60)  # 0 unpaid + 60 not invoiced
    # crediting the paid invoice: the order is all "not invoiced" again (100), less the
    # 40 the customer paid and is now owed back (an open credit note)
    refund = billing.credit_note(draft)
    billing.post(refund)
    db.session.flush()
    assert (refund.state, refund.amount_residual) == ("posted", Decimal(40))
    assert exposure(buyer) == Decimal(60)


def test_a_company_answers_for_its_contacts(ctx):
    company = customer("Hoa Sen Co", is_company=True)
    contact = customer("Lan", parent_id=company.id)
    sold(contact.id, "300")
    sold(company.id, "200")
    invoice = billing.create_invoice(contact.id, [{"description": "Fee", "price_unit": 10}])
    billing.post(invoice)
    db.session.flush()
    assert services.exposures([company.id]) == {company.id: Decimal(510)}
    assert services.exposures([contact.id]) == {}  # a contact buys on the company's credit
    # asked together, the contact's purchases still count once, for the company
    assert services.exposures([company.id, contact.id]) == {company.id: Decimal(510)}


def test_many_customers_at_once_in_one_query(ctx):
    ids = []
    for n in range(12):
        buyer = customer(f"Customer {n:02}").id
        ids.append(buyer)
        if n % 3:
            sold(buyer, str(10 * (n + 1)))
        if n % 4 == 0:
            bill = billing.create_invoice(buyer, [{"description": "Fee", "price_unit": n + 1}])
            billing.post(bill)
    idle = customer("Idle").id
    db.session.flush()
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = services.exposures([*ids, idle])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1  # from the sums kept by customer
    expected = {}
    for n, buyer in enumerate(ids):
        amount = Decimal(10 * (n + 1) if n % 3 else 0) + Decimal(n + 1 if n % 4 == 0 else 0)
        if amount:
            expected[buyer] = amount
    assert {k: v for k, v in found.items() if v} == expected
    assert idle not in found
    assert found == {b: exposure(b) for b in found}


def test_the_sums_of_exposure_follow_invoices_payments_and_orders(ctx):
    """Each step changes one part of exposure; the sums kept by customer stay what
    summing every invoice, payment and order gives."""
    from modules.credit_limit.models import (
        OwedByCustomer,
        PrepaidByCustomer,
        UninvoicedByCustomer,
    )

    from ...sums import assert_kept, kept

    sums = (OwedByCustomer, PrepaidByCustomer, UninvoicedByCustomer)
    buyer = customer().id
    first = sold(buyer, "100")
    assert kept(UninvoicedByCustomer) == {(buyer,): (Decimal(100), Decimal(1))}
    assert_kept(*sums)
    bill = draft_of(first)
    billing.post(bill)
    assert_kept(*sums)
    assert kept(UninvoicedByCustomer) == {(buyer,): (Decimal(0), Decimal(1))}
    billing.register_payment(buyer, Decimal(130), [bill.id])  # 30 more than owed
    assert_kept(*sums)
    assert kept(PrepaidByCustomer) == {(buyer,): (Decimal(-30), Decimal(1))}
    refund = billing.credit_note(bill)
    billing.post(refund)
    assert_kept(*sums)
    second = sold(buyer, "40")
    billing.cancel(draft_of(second))  # its order is not invoiced yet again
    assert_kept(*sums)
    assert exposure(buyer) == sum((v[0] for cls in sums for v in kept(cls).values()),
                                  Decimal(0))
    db.session.commit()
    assert_kept(*sums)
