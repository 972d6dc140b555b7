"""Credit exposure and the check on confirming an order.

Exposure of a customer (a company with its contacts) = unpaid posted invoices (less open
credit notes and less the customer's credit: payments not allocated to invoices) +
confirmed orders not yet invoiced; confirming adds the order at hand. Both
parts are SQL aggregates over any number of customers at once."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import gettext as _

from core import access
from core.db import db
from core.errors import Refusal, Warn
from core.partners.models import Partner
from core.ui import money as show
from modules.billing.models import Invoice, Payment
from modules.sales.models import Order

from .models import PartnerCredit

NEAR = Decimal("0.9")  # "near the limit" on the holds list: 90% used


def exposures(partner_ids: list[int] | None = None) -> dict[int, Decimal]:
    """customer id -> exposure, for the given customers (None: every customer that has
    any). Two grouped queries, whatever the number of customers. A draft invoice is not
    a receivable yet: its order still counts as not invoiced."""
    found: dict[int, Decimal] = {}
    owner = sa.func.coalesce(Partner.parent_id, Partner.id)
    sign = sa.case((Invoice.kind == "refund", -1), else_=1)
    # what is owed less the customer's credit (payments not allocated to any invoice), in
    # one grouped query over both
    owed = sa.union_all(
        sa.select(Invoice.partner_id.label("partner_id"),
                  (Invoice.amount_residual * sign).label("amount"))
        .where(Invoice.state == "posted"),
        sa.select(Payment.partner_id, -Payment.unallocated).where(Payment.unallocated > 0),
    ).subquery()
    unpaid = (sa.select(owner, sa.func.sum(owed.c.amount))
              .join(Partner, Partner.id == owed.c.partner_id).group_by(owner))
    invoiced = (sa.select(sa.func.coalesce(sa.func.sum(Invoice.amount_total * sign), 0))
                .where(Invoice.order_id == Order.id, Invoice.state.in_(("posted", "paid")))
                .correlate(Order).scalar_subquery())
    left = Order.amount_total - invoiced
    uninvoiced = (sa.select(owner, sa.func.sum(sa.case((left > 0, left), else_=0)))
                  .join(Partner, Partner.id == Order.partner_id)
                  .where(Order.state.in_(("confirmed", "done"))).group_by(owner))
    if partner_ids is not None:
        unpaid = unpaid.where(owner.in_(partner_ids))
        uninvoiced = uninvoiced.where(owner.in_(partner_ids))
    for query in (unpaid, uninvoiced):
        for partner_id, amount in db.session.execute(query):
            found[partner_id] = found.get(partner_id, Decimal(0)) + Decimal(amount or 0)
    return found


def credit_of(partner_id: int, lock: bool = False) -> PartnerCredit | None:
    query = sa.select(PartnerCredit).where(PartnerCredit.partner_id == partner_id)
    if lock:  # serialises confirmations for one customer (PostgreSQL; SQLite has one writer)
        query = query.with_for_update()
    return db.session.execute(query).scalar()


def set_credit(partner_id: int, limit: Decimal | None, mode: str | None) -> PartnerCredit:
    credit = credit_of(partner_id) or PartnerCredit(partner_id=partner_id)
    credit.credit_limit = limit
    credit.mode = mode or credit.mode or "warn"
    db.session.add(credit)
    return credit


def on_confirming(order, override: str | None = None, **_kwargs):
    """`sale.order.confirming`: refuse (block) or warn when the order would take the
    customer past their limit. A sales manager's written override lets a block through;
    it is noted on the order's timeline."""
    customer = db.session.execute(sa.select(sa.func.coalesce(Partner.parent_id, Partner.id))
                                  .where(Partner.id == order.partner_id)).scalar()
    credit = credit_of(customer, lock=True)
    if credit is None or credit.credit_limit is None:
        return None
    exposure = exposures([customer]).get(customer, Decimal(0))
    after = exposure + order.amount_total
    if after <= credit.credit_limit:
        return None
    message = _("This order takes the customer to %(after)s against a credit limit of "
                "%(limit)s (%(exposure)s already used).", after=show(after),
                limit=show(credit.credit_limit), exposure=show(exposure))
    if credit.mode == "warn":
        return Warn(message)
    if override and has_request_context() and access.has_right("sales.override"):
        return Warn(message)  # sales notes the override's reason on the order
    return Refusal(message, "credit_limit_exceeded")


def holds() -> list[dict]:
    """Customers over or near their limit, the most used first."""
    rows = db.session.execute(sa.select(PartnerCredit, Partner.name).join(
        Partner, Partner.id == PartnerCredit.partner_id).where(
        PartnerCredit.credit_limit.is_not(None))).all()
    used = exposures([credit.partner_id for credit, _name in rows]) if rows else {}
    found = []
    for credit, name in rows:
        exposure = used.get(credit.partner_id, Decimal(0))
        share = exposure / credit.credit_limit if credit.credit_limit else Decimal(1)
        if share >= NEAR:
            found.append({"partner_id": credit.partner_id, "name": name,
                          "limit": credit.credit_limit, "mode": credit.mode,
                          "exposure": exposure, "share": share * 100,
                          "over": exposure > credit.credit_limit})
    return sorted(found, key=lambda r: -r["share"])
