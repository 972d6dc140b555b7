"""Issue 15: the customer's credit (payments not allocated to invoices) lowers the credit
exposure, in the same grouped query, for a company with its contacts too."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from core.db import db
from modules.billing import services as billing
from modules.billing.models import Invoice
from modules.credit_limit import services

from .conftest import customer, exposure, sold


def test_unallocated_payments_lower_the_exposure(ctx):
    buyer = customer().id
    sold(buyer, "100")
    assert exposure(buyer) == Decimal(100)
    billing.register_payment(buyer, Decimal(30))  # nothing to settle yet: all credit
    db.session.flush()
    assert exposure(buyer) == Decimal(70)
    # a contact's overpayment counts for the company
    company = customer("Group").id
    contact = customer("Branch", parent_id=company).id
    sold(company, "50")
    billing.register_payment(contact, Decimal(20))
    db.session.flush()
    assert services.exposures([company, buyer]) == {company: Decimal(30),
                                                    buyer: Decimal(70)}


def test_a_payment_page_overpayment_is_not_exposure(ctx):
    buyer = customer().id
    order = sold(buyer, "100")
    bill = db.session.execute(sa.select(Invoice).where(Invoice.order_id == order.id)
                              ).scalar_one()
    billing.post(bill)
    billing.register_payment(buyer, Decimal(150), [bill.id])
    db.session.flush()
    assert exposure(buyer) == Decimal(-50)  # the 50 left over is the customer's credit
