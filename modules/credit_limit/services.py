"""Credit exposure and the check on confirming an order.

Exposure of a customer (a company with its contacts) = unpaid posted invoices (less open
credit notes and less the customer's credit: payments not allocated to invoices) +
confirmed orders not yet invoiced; confirming adds the order at hand. Each part is summed
by customer as the documents change (models.*ByCustomer)."""
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

from .models import OwedByCustomer, PartnerCredit, PrepaidByCustomer, UninvoicedByCustomer

NEAR = Decimal("0.9")  # "near the limit" on the holds list: 90% used


def exposures(partner_ids: list[int]) -> dict[int, Decimal]:
    """customer id -> exposure, for the given customers, in one query over the sums kept
    of its parts (models.*ByCustomer), whatever the number of invoices and orders. A draft
    invoice is not a receivable yet: its order still counts as not invoiced."""
    if not partner_ids:
        return {}
    found = db.session.execute(sa.select(_exposed(partner_ids))).all()
    return {partner_id: Decimal(amount or 0) for partner_id, amount in found}


def _exposed(customers) -> sa.Subquery:
    """(customer, exposure) of `customers` (ids, or a SELECT of them) that have any: their
    rows and their contacts' in each sum, found by the indexes."""
    # (partner, whose exposure it counts to): the customers, and their contacts, who buy
    # on their company's credit (a contact's own exposure is its company's); each found
    # by an index (an OR of the two read every partner)
    members = sa.union_all(
        sa.select(Partner.id, Partner.id.label("owner")).where(
            Partner.id.in_(customers), Partner.parent_id.is_(None)),
        sa.select(Partner.id, Partner.parent_id).where(
            Partner.parent_id.is_not(None), Partner.parent_id.in_(customers))).cte("members")
    parts = sa.union_all(*(
        sa.select(members.c.owner, table.c.amount).join(
            members, members.c.id == table.c.partner_id)
        for table in (OwedByCustomer.__table__, PrepaidByCustomer.__table__,
                      UninvoicedByCustomer.__table__))).subquery()
    return (sa.select(parts.c.owner.label("customer"),
                      sa.func.sum(parts.c.amount).label("exposure"))
            .group_by(parts.c.owner).subquery())


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
    """Customers over or near their limit, the most used first: one query, the limits
    against the sums of exposure."""
    limited = sa.select(PartnerCredit.partner_id).where(PartnerCredit.credit_limit.is_not(None))
    exposed = _exposed(limited)
    rows = db.session.execute(
        sa.select(PartnerCredit.partner_id, Partner.name, PartnerCredit.credit_limit,
                  PartnerCredit.mode, exposed.c.exposure)
        .join(exposed, exposed.c.customer == PartnerCredit.partner_id)
        .join(Partner, Partner.id == PartnerCredit.partner_id)
        .where(exposed.c.exposure >= PartnerCredit.credit_limit * NEAR,
               exposed.c.exposure > 0)).all()
    found = []
    for partner_id, name, limit, mode, exposure in rows:
        exposure = Decimal(exposure)
        found.append({"partner_id": partner_id, "name": name, "limit": limit, "mode": mode,
                      "exposure": exposure,
                      "share": exposure / limit * 100 if limit else Decimal(100),
                      "over": exposure > limit})
    return sorted(found, key=lambda r: -r["share"])
