"""A customer's credit limit: credit_limit's own table keyed by the partner, so disabling
the module leaves partners untouched and enabling it again finds the limits as they were;
and the sums exposure is made of."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model, db
from core.rollups import Rollup
from modules.billing.models import Invoice, Payment
from modules.sales.models import SOLD, Order

MODES = {"warn": _l("Warn"), "block": _l("Block")}


class PartnerCredit(Model):
    __model__ = "partner.credit"
    __timeline__ = True
    __timeline_of__ = ("partner", "partner_id")  # its changes show on the customer's page

    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), unique=True,
        info={"label": _l("Customer")})
    credit_limit: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(16, 2), info={"label": _l("Credit limit"), "min": 0})
    mode: Mapped[str] = mapped_column(sa.String(8), default="warn",
                                      info={"label": _l("When passed"), "choices": MODES})


# -- what makes up exposure, summed by customer (core.rollups): the credit check on every
# confirmation and the holds list read these instead of every invoice and order ------------
SIGN = sa.case((Invoice.kind == "refund", -1), else_=1)  # a credit note lowers what is owed
# what of a sold order is not invoiced yet (a draft invoice does not count)
INVOICED = (sa.select(sa.func.coalesce(sa.func.sum(Invoice.amount_total * SIGN), 0))
            .where(Invoice.order_id == Order.id, Invoice.state.in_(("posted", "paid")))
            .correlate(Order).scalar_subquery())
LEFT = Order.amount_total - INVOICED


def _by_customer(source, amount, counted=(), where=(), parts=None) -> Rollup:
    return Rollup(source=source, keys={"partner_id": source.partner_id},
                  measures={"amount": sa.func.sum(amount, type_=sa.Numeric(16, 2))},
                  counted=counted, where=where, parts=parts or {})


class OwedByCustomer(db.Model):
    """Posted invoices' unpaid amounts, credit notes less."""
    __rollup__ = _by_customer(Invoice, Invoice.amount_residual * SIGN,
                              counted=(Invoice.state, ("posted",)))
    __table__ = __rollup__.table("credit_sum_owed")


class PrepaidByCustomer(db.Model):
    """Payments not allocated to any invoice: the customer's credit, so negative."""
    __rollup__ = _by_customer(Payment, -Payment.unallocated,
                              where=(Payment.unallocated > 0,))
    __table__ = __rollup__.table("credit_sum_prepaid")


class UninvoicedByCustomer(db.Model):
    """Sold orders not invoiced yet; an invoice of the order changes it."""
    __rollup__ = _by_customer(Order, sa.case((LEFT > 0, LEFT), else_=0),
                              counted=(Order.state, SOLD), parts={Invoice: Invoice.order_id})
    __table__ = __rollup__.table("credit_sum_uninvoiced")
