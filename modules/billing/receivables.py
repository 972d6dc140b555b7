"""Receivables: what each invoice's installments still have open, the ageing by customer
in buckets of days past due (from the sums kept by customer and due date,
models.OpenByDueDate), a page of the customers who owe or hold a credit, and the daily
overdue reminders. Callers commit."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from core.db import db
from core.partners.models import Partner
from core.search import sort_key
from core.settings import get_setting
from core.ui.formats import money as show_money

from .models import Invoice, InvoiceDue, OpenByDay, OpenByDueDate, Payment
from .services import credits, customers_of

BUCKETS = ("not_due", "1_30", "31_60", "61_90", "over_90")


def installments(invoice: Invoice) -> list[dict]:
    """The invoice's due dates with what is still open of each: payments settle the
    earliest installment first, as in `ageing`."""
    paid = invoice.amount_paid or Decimal(0)
    rows = []
    for due in db.session.execute(sa.select(InvoiceDue).where(
            InvoiceDue.invoice_id == invoice.id).order_by(InvoiceDue.date_due, InvoiceDue.id)
    ).scalars():
        settled = min(paid, due.amount)
        paid -= settled
        rows.append({"date_due": due.date_due, "amount": due.amount,
                     "open": due.amount - settled if invoice.state == "posted" else Decimal(0)})
    return rows


def ageing(today: date | None = None, partner_id: int | None = None,
           salesperson_id: int | None = None, partner_ids: list[int] | None = None
           ) -> list[dict]:
    """Open amounts per customer in buckets by days past due: not due, 1-30, 31-60, 61-90,
    90+, from what each installment still has open (payments settle the earliest first),
    kept by customer and due date (models.OpenByDueDate). One query."""
    table = OpenByDueDate.__table__
    query = (sa.select(table.c.partner_id, Partner.name, *_buckets(table, today))
             .join(Partner, Partner.id == table.c.partner_id)
             .where(*_whose(table, partner_id, salesperson_id),
                    *([table.c.partner_id.in_(partner_ids)] if partner_ids is not None else []))
             .group_by(table.c.partner_id, Partner.name).order_by(Partner.name))
    rows = []
    for row in db.session.execute(query):
        values = {name: Decimal(getattr(row, name)) for name in BUCKETS}
        rows.append({"partner_id": row.partner_id, "partner": row.name, **values,
                     "total": sum(values.values(), Decimal(0))})
    return rows


def ageing_totals(today: date | None = None, salesperson_id: int | None = None) -> dict:
    """The buckets of `ageing` summed over every customer (a salesperson's: theirs), in
    one row."""
    table = (OpenByDueDate if salesperson_id else OpenByDay).__table__
    row = db.session.execute(sa.select(*_buckets(table, today)).select_from(table).where(
        *_whose(table, None, salesperson_id))).one()
    values = {name: Decimal(getattr(row, name)) for name in BUCKETS}
    return {**values, "total": sum(values.values(), Decimal(0))}


def _buckets(table, today: date | None) -> list:
    today, due = today or date.today(), table.c.date_due
    ago = {days: today - timedelta(days=days) for days in (30, 60, 90)}
    # by dates, not days between: no date function per row
    bucket = {
        "not_due": due >= today, "1_30": sa.and_(due < today, due >= ago[30]),
        "31_60": sa.and_(due < ago[30], due >= ago[60]),
        "61_90": sa.and_(due < ago[60], due >= ago[90]), "over_90": due < ago[90]}
    return [sa.func.coalesce(sa.func.sum(sa.case((cond, table.c.amount), else_=0)), 0)
            .label(name) for name, cond in bucket.items()]


def _whose(table, partner_id: int | None, salesperson_id: int | None) -> list:
    found = [table.c.amount != 0]
    if partner_id:
        found.append(table.c.partner_id == partner_id)
    if salesperson_id:
        found.append(table.c.partner_id.in_(customers_of(salesperson_id)))
    return found


def receivables(today: date | None = None, salesperson_id: int | None = None,
                partner_ids: list[int] | None = None) -> list[dict]:
    """The ageing rows with each customer's credit (unallocated payments) and the net
    balance (total - credit); a customer with only a credit has a row of their own. Every
    such customer, or those of `partner_ids` (a page of them: `receivable_customers`)."""
    rows = ageing(today, salesperson_id=salesperson_id, partner_ids=partner_ids)
    credit = credits(partner_ids, salesperson_id=salesperson_id)
    seen = {row["partner_id"] for row in rows}
    only_credit = set(credit) - seen
    names = dict(db.session.execute(sa.select(Partner.id, Partner.name).where(
        Partner.id.in_(only_credit))).all()) if only_credit else {}
    rows += [{"partner_id": pid, "partner": name, **dict.fromkeys(BUCKETS, Decimal(0)),
              "total": Decimal(0)} for pid, name in names.items()]
    for row in rows:
        row["credit"] = credit.get(row["partner_id"], Decimal(0))
        row["net"] = row["total"] - row["credit"]
    return sorted(rows, key=lambda r: (r["partner"], r["partner_id"]))


def receivable_count(salesperson_id: int | None = None) -> int:
    """How many customers owe or hold a credit: those who owe (one walk of the sums'
    index), and those who only hold a credit (the few payments with some left)."""
    table = OpenByDueDate.__table__
    owing = sa.select(sa.func.count(sa.distinct(table.c.partner_id))).where(
        *_whose(table, None, salesperson_id))
    holding = sa.select(sa.func.count(sa.distinct(Payment.partner_id))).where(
        Payment.unallocated > 0, ~_owes(Payment.partner_id))
    if salesperson_id:
        holding = holding.where(Payment.partner_id.in_(customers_of(salesperson_id)))
    return sum(db.session.execute(sa.select(owing.scalar_subquery(),
                                            holding.scalar_subquery())).one())


def receivable_customers(start: int, size: int,
                         salesperson_id: int | None = None) -> list[int]:
    """The ids of `size` customers who owe or hold a credit, from `start` in the order of
    their names (the reader's, as lists sort): a page of `receivables`, found by walking
    the names' index and asking each customer's sums, whatever their number."""
    holds = sa.select(Payment.id).where(Payment.partner_id == Partner.id,
                                        Payment.unallocated > 0).limit(1).offset(0).exists()
    query = sa.select(Partner.id).where(sa.or_(_owes(Partner.id), holds))
    if salesperson_id:
        query = query.where(Partner.id.in_(customers_of(salesperson_id)))
    return db.session.execute(query.order_by(sort_key(Partner.name), Partner.id)
                              .offset(start).limit(size)).scalars().all()


def _owes(partner_id):
    """The customer `partner_id` owes something: one probe of the sums' index (LIMIT with
    an OFFSET, which PostgreSQL keeps: it then asks per customer walked instead of
    hashing every customer who owes first)."""
    table = OpenByDueDate.__table__
    return sa.select(table.c.partner_id).where(
        table.c.partner_id == partner_id, *_whose(table, None, None)).limit(1).offset(
        0).exists()


def receivables_totals(today: date | None = None,
                       salesperson_id: int | None = None) -> dict:
    """The columns of `receivables` summed over every customer."""
    totals = ageing_totals(today, salesperson_id)
    totals["credit"] = sum(credits(salesperson_id=salesperson_id).values(), Decimal(0))
    totals["net"] = totals["total"] - totals["credit"]
    return totals


def remind_overdue(today: date | None = None) -> str:
    """Daily: tell each customer's salesperson (inbox and mail) about invoices past due,
    once a week per invoice."""
    from flask import current_app

    from core.auth.models import User
    from core.mail import queue_mail
    from core.notifications import in_language, notify

    today = today or date.today()
    every = int(get_setting("billing.remind_days", "7"))
    rows = db.session.execute(
        sa.select(Invoice, Partner.name, User).join(Partner, Partner.id == Invoice.partner_id)
        .join(User, User.id == Partner.salesperson_id)
        .where(Invoice.state == "posted", Invoice.kind == "invoice",
               Invoice.amount_residual > 0, Invoice.date_due < today,
               sa.or_(Invoice.reminded_on.is_(None),
                      Invoice.reminded_on <= today - timedelta(days=every)))
        .order_by(Invoice.date_due).limit(1000)).all()
    for invoice, partner_name, user in rows:
        with in_language(user):
            subject = _("Overdue: %(number)s of %(customer)s", number=invoice.name,
                        customer=partner_name)
            body = _("%(amount)s is %(days)s days overdue on invoice %(number)s.",
                     amount=show_money(invoice.amount_residual),
                     days=(today - invoice.date_due).days,
                     number=invoice.name)
        key = f"overdue:{invoice.id}:{today.isoformat()}"
        notify(user.id, subject, body, link=f"/billing/invoices/{invoice.id}", key=key)
        if user.email:
            queue_mail(user.email, subject, body, key=key)
        invoice.reminded_on = today
    current_app.logger.info("overdue reminders: %s", len(rows))
    return f"{len(rows)} overdue reminders"


