"""Billing rules: invoices from lines or from a confirmed order, posting with gapless
numbers and due dates from the payment term, credit notes, payments settling one or
several invoices, and receivables with ageing. Callers commit (see modules/sales/services)."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from core.db import db, insert_rows
from core.documents import build_lines, document_totals
from core.errors import Refusal
from core.money import money
from core.partners.models import Partner
from core.sequences import next_number
from core.settings import get_setting
from core.ui.formats import money as show_money

from .models import (
    INVOICE_STATES,
    Invoice,
    InvoiceDue,
    InvoiceLine,
    OpenByDueDate,
    PartnerTerms,
    Payment,
    PaymentAllocation,
    PaymentTerm,
)

HUNDRED = Decimal(100)
BUCKETS = ("not_due", "1_30", "31_60", "61_90", "over_90")


# -- payment terms -----------------------------------------------------------------------
MAX_TERM_DAYS = 3650  # ten years: an invoice's due dates stay dates


def parse_schedule(text: str) -> list[tuple[Decimal, int]]:
    """"50@0, 50@60" -> [(50, 0), (50, 60)]; the percentages must add up to 100 and each
    part fall due within MAX_TERM_DAYS ("100@9999999" would have no date to fall on)."""
    parts = []
    for chunk in (text or "").split(","):
        found = re.fullmatch(r"\s*([0-9]{1,3}(?:\.[0-9]{1,2})?)\s*(?:@\s*([0-9]{0,7})\s*)?",
                             chunk)
        if found is None:
            message = _("Write the schedule as percent@days, e.g. 50@0, 50@60.")
            raise Refusal(message, "invalid", {"schedule": message})
        parts.append((Decimal(found.group(1)), int(found.group(2) or 0)))
    if any(days > MAX_TERM_DAYS for _p, days in parts):
        message = _("A payment term falls due within %(n)s days.", n=MAX_TERM_DAYS)
        raise Refusal(message, "invalid", {"schedule": message})
    if not parts or sum(p for p, _d in parts) != HUNDRED or any(p <= 0 for p, _d in parts):
        message = _("The schedule's percentages must be positive and add up to 100.")
        raise Refusal(message, "invalid", {"schedule": message})
    return parts


def term_of(partner_id: int) -> PaymentTerm | None:
    return db.session.execute(sa.select(PaymentTerm).join(
        PartnerTerms, PartnerTerms.payment_term_id == PaymentTerm.id).where(
        PartnerTerms.partner_id == partner_id)).scalar()


def set_term(partner_id: int, term_id: int | None) -> None:
    row = db.session.get(PartnerTerms, partner_id) or PartnerTerms(partner_id=partner_id)
    row.payment_term_id = term_id
    db.session.add(row)


def due_dates(total: Decimal, start: date, term: PaymentTerm | None) -> list[tuple[date, Decimal]]:
    """The installments of `total`; the last takes the rounding remainder."""
    schedule = parse_schedule(term.schedule) if term else [(HUNDRED, 0)]
    dues, left = [], total
    for i, (percent, days) in enumerate(schedule):
        amount = left if i == len(schedule) - 1 else money(total * percent / HUNDRED)
        dues.append((start + timedelta(days=days), amount))
        left -= amount
    return dues


# -- invoices ----------------------------------------------------------------------------
def create_invoice(partner_id: int, lines: list[dict], kind: str = "invoice",
                   order_id: int | None = None, origin: str | None = None,
                   refund_of_id: int | None = None, date_invoice: date | None = None) -> Invoice:
    if db.session.get(Partner, partner_id) is None:
        raise Refusal(_("Choose a customer."), "invalid")
    invoice = Invoice(partner_id=partner_id, kind=kind, order_id=order_id, origin=origin,
                      refund_of_id=refund_of_id, state="draft",
                      date_invoice=date_invoice or date.today())
    term = term_of(partner_id)
    invoice.payment_term_id = term.id if term else None
    db.session.add(invoice)
    db.session.flush()
    set_lines(invoice, lines)
    return invoice


def set_lines(invoice: Invoice, lines: list[dict]) -> None:
    if invoice.state != "draft":
        raise Refusal(_("Only a draft invoice can be changed."), "invalid_state")
    built = build_lines(InvoiceLine, lines)
    db.session.execute(sa.delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    for line in built:
        line.invoice_id = invoice.id
    insert_rows(built)
    invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total = document_totals(built)
    invoice.amount_residual = invoice.amount_total


def invoiced_quantities(order_line_ids: list[int]) -> dict[int, Decimal]:
    """Quantity already on invoices (less credit notes) per order line, cancelled ones aside."""
    if not order_line_ids:
        return {}
    sign = sa.case((Invoice.kind == "refund", -1), else_=1)
    rows = db.session.execute(
        sa.select(InvoiceLine.order_line_id, sa.func.sum(InvoiceLine.quantity * sign))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.order_line_id.in_(order_line_ids), Invoice.state != "cancelled")
        .group_by(InvoiceLine.order_line_id)).all()
    return {line_id: Decimal(qty or 0) for line_id, qty in rows}


def invoice_from_order(order, remaining: bool = True) -> Invoice:
    """A draft invoice for a confirmed order: all its lines, or what is not yet invoiced.
    `order` is the sales module's record; billing reads it through `invoice_lines()`."""
    if order.state not in ("confirmed", "done"):
        raise Refusal(_("Only a confirmed order can be invoiced."), "invalid_state")
    lines = order.invoice_lines()
    if remaining:
        done = invoiced_quantities([line["order_line_id"] for line in lines])
        for line in lines:
            line["quantity"] = line["quantity"] - done.get(line["order_line_id"], Decimal(0))
        lines = [line for line in lines if line["quantity"] > 0]
    if not lines:
        raise Refusal(_("Everything on this order is invoiced already."), "nothing_to_do")
    return create_invoice(order.partner_id, lines, order_id=order.id, origin=order.name)


def post(invoice: Invoice) -> None:
    """Draft -> posted: its number (gapless per year), due dates from the payment term."""
    Invoice.__workflow__.check(invoice, "posted")
    if invoice.amount_total <= 0:
        raise Refusal(_("An invoice needs lines with an amount before posting."),
                           "invalid")
    prefix = "RINV" if invoice.kind == "refund" else "INV"
    invoice.name = next_number(prefix, invoice.date_invoice.year)
    invoice.state = "posted"
    term = db.session.get(PaymentTerm, invoice.payment_term_id) \
        if invoice.payment_term_id else None
    dues = due_dates(invoice.amount_total, invoice.date_invoice, term)
    db.session.add_all([InvoiceDue(invoice_id=invoice.id, date_due=d, amount=a)
                        for d, a in dues])
    invoice.date_due = dues[0][0]
    if invoice.kind == "refund" and invoice.refund_of_id:
        # the credit settles what is still due on the invoice; the rest (what the customer
        # paid already) stays open on the credit note, owed back to them
        original = db.session.execute(  # locked: a payment may be settling it right now
            sa.select(Invoice).where(Invoice.id == invoice.refund_of_id).with_for_update()
            .execution_options(populate_existing=True)).scalar()
        if original is not None and original.state == "posted":
            applied = min(invoice.amount_total, original.amount_residual)
            _settle(original, applied)
            _settle(invoice, applied)


def cancel(invoice: Invoice) -> None:
    Invoice.__workflow__.check(invoice, "cancelled")
    if invoice.amount_paid > 0:
        raise Refusal(_("This invoice has payments; make a credit note instead."),
                           "invalid_state")
    invoice.state, invoice.amount_residual = "cancelled", Decimal(0)


def credit_note(invoice: Invoice) -> Invoice:
    """A draft credit note with the invoice's lines (edit it for a partial credit)."""
    if invoice.kind != "invoice" or invoice.state not in ("posted", "paid"):
        raise Refusal(_("Only a posted invoice can be credited."), "invalid_state")
    lines = [{"display_type": line.display_type, "description": line.description,
              "product_id": line.product_id,
              "order_line_id": line.order_line_id, "quantity": line.quantity,
              "price_unit": line.price_unit, "discount": line.discount,
              "tax_rate": line.tax_rate}
             for line in db.session.execute(sa.select(InvoiceLine).where(
                 InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.sequence)).scalars()]
    return create_invoice(invoice.partner_id, lines, kind="refund", order_id=invoice.order_id,
                          origin=invoice.name, refund_of_id=invoice.id)


def _settle(invoice: Invoice, amount: Decimal) -> None:
    """Count `amount` as paid; the invoice's due date moves to its first installment not
    yet covered (what the overdue reminders and the lists go by)."""
    invoice.amount_paid += amount
    invoice.amount_residual = invoice.amount_total - invoice.amount_paid
    if invoice.amount_residual <= 0:
        invoice.state = "paid"
        return
    if invoice.state == "paid":  # a payment taken back (unreconcile): it is due again
        invoice.state = "posted"
    running = Decimal(0)
    for due in db.session.execute(sa.select(InvoiceDue).where(
            InvoiceDue.invoice_id == invoice.id).order_by(InvoiceDue.date_due,
                                                          InvoiceDue.id)).scalars():
        running += due.amount
        if running > invoice.amount_paid:
            invoice.date_due = due.date_due
            break


# -- payments ----------------------------------------------------------------------------
def register_payment(partner_id: int, amount: Decimal, invoice_ids: list[int] | None = None,
                     on: date | None = None, method: str = "bank",
                     reference: str | None = None) -> Payment:
    payment = Payment(partner_id=partner_id, amount=amount, date=on or date.today(),
                      method=method, reference=reference)
    record_payment(payment, invoice_ids)
    return payment


def record_payment(payment: Payment, invoice_ids: list[int] | None = None) -> None:
    """Record `payment` and settle the named invoices in that order (or the customer's
    open invoices, oldest due first); a part payment leaves the rest due, an overpayment
    stays on the payment as not allocated. The invoices are locked while settling."""
    payment.amount = money(payment.amount or 0)
    if payment.amount <= 0:
        raise Refusal(_("The amount must be more than zero."), "invalid")
    query = sa.select(Invoice).where(
        Invoice.partner_id == payment.partner_id, Invoice.kind == "invoice",
        Invoice.state == "posted", Invoice.amount_residual > 0)
    if invoice_ids:
        found = {i.id: i for i in db.session.execute(
            query.where(Invoice.id.in_(invoice_ids)).with_for_update(),
            execution_options={"populate_existing": True}).scalars()}
        if len(found) != len(set(invoice_ids)):
            raise Refusal(_("Some of these invoices are not open invoices of this "
                                 "customer."), "invalid")
        invoices = [found[i] for i in dict.fromkeys(invoice_ids)]
    else:
        invoices = db.session.execute(query.order_by(
            Invoice.date_due, Invoice.id).with_for_update(),
            execution_options={"populate_existing": True}).scalars().all()
    payment.date = payment.date or date.today()
    db.session.add(payment)
    db.session.flush()
    left = payment.amount
    for invoice in invoices:
        if left <= 0:
            break
        part = min(left, invoice.amount_residual)
        db.session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id,
                                         amount=part))
        _settle(invoice, part)
        left -= part
    payment.unallocated = left


# -- the customer's credit: what payments left unallocated ------------------------------
def credits(partner_ids: list[int] | None = None,
            salesperson_id: int | None = None) -> dict[int, Decimal]:
    """customer id -> the unallocated amount of their payments (their credit), for the
    given customers (None: all that have one). One grouped query."""
    # the few payments with something left over, by their index, summed after: left to
    # itself, SQLite reads every payment in customer order to group them
    left = sa.select(Payment.partner_id, Payment.unallocated).where(Payment.unallocated > 0)
    if partner_ids is not None:
        left = left.where(Payment.partner_id.in_(partner_ids))
    if salesperson_id:
        left = left.where(Payment.partner_id.in_(_salespersons(salesperson_id)))
    left = left.cte("left_over").prefix_with("MATERIALIZED")
    query = sa.select(left.c.partner_id, sa.func.sum(left.c.unallocated)).group_by(
        left.c.partner_id)
    return {partner_id: Decimal(amount) for partner_id, amount in db.session.execute(query)}


def credit_of(partner_id: int) -> Decimal:
    return credits([partner_id]).get(partner_id, Decimal(0))


def _timeline(rows: list[dict]) -> None:
    """The other side of a reconciliation on each record it touched: a change entry."""
    from core.timeline import TimelineEntry, acting_user_id

    user_id = acting_user_id()
    db.session.add_all([TimelineEntry(kind="update", user_id=user_id, **row) for row in rows])


def apply_credit(invoice: Invoice) -> None:
    """Settle what is due on a posted invoice from the customer's credit, the oldest
    unallocated payments first. The payments are locked and read afresh, so two requests
    applying the same credit at once never allocate more than there is. The invoice is
    locked by the caller (core.actions.run)."""
    if invoice.kind != "invoice" or invoice.state != "posted" or invoice.amount_residual <= 0:
        raise Refusal(_("Only a posted invoice with an amount due takes a credit."),
                      "invalid_state")
    payments = db.session.execute(
        sa.select(Payment).where(Payment.partner_id == invoice.partner_id,
                                 Payment.unallocated > 0)
        .order_by(Payment.date, Payment.id).with_for_update(),
        execution_options={"populate_existing": True}).scalars().all()
    if not payments:
        raise Refusal(_("This customer has no credit to apply."), "nothing_to_do")
    entries, before = [], invoice.amount_residual
    for payment in payments:
        if invoice.amount_residual <= 0:
            break
        part = min(payment.unallocated, invoice.amount_residual)
        db.session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id,
                                         amount=part))
        entries.append({"model": Payment.__model__, "record_id": payment.id, "changes": {
            "unallocated": [str(payment.unallocated), str(payment.unallocated - part)],
            "invoice": [None, invoice.name]}})
        payment.unallocated -= part
        _settle(invoice, part)
    entries.append({"model": Invoice.__model__, "record_id": invoice.id, "changes": {
        "amount_residual": [str(before), str(invoice.amount_residual)]}})
    _timeline(entries)


def unreconcile(payment: Payment) -> None:
    """Take a payment off the invoices it settled: they are due again (a paid one is
    posted again) and the whole amount is the customer's credit. The payment is locked by
    the caller; its invoices are locked and read afresh here."""
    allocations = db.session.execute(
        sa.select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id)
        .order_by(PaymentAllocation.id)).scalars().all()
    if not allocations:
        raise Refusal(_("This payment settles no invoice."), "nothing_to_do")
    invoices = {i.id: i for i in db.session.execute(
        sa.select(Invoice).where(Invoice.id.in_({a.invoice_id for a in allocations}))
        .order_by(Invoice.id).with_for_update(),
        execution_options={"populate_existing": True}).scalars()}
    entries = []
    for allocation in allocations:
        invoice = invoices[allocation.invoice_id]
        before = (invoice.amount_residual, invoice.state)
        _settle(invoice, -allocation.amount)
        entries.append({"model": Invoice.__model__, "record_id": invoice.id, "changes": {
            "amount_residual": [str(before[0]), str(invoice.amount_residual)],
            **({"state": [before[1], invoice.state]} if before[1] != invoice.state else {})}})
    entries.append({"model": Payment.__model__, "record_id": payment.id, "changes": {
        "unallocated": [str(payment.unallocated), str(payment.amount)]}})
    db.session.execute(sa.delete(PaymentAllocation).where(
        PaymentAllocation.payment_id == payment.id))
    payment.unallocated = payment.amount
    _timeline(entries)


# -- receivables -------------------------------------------------------------------------
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
    """The buckets of `ageing` summed over every customer, in one row."""
    table = OpenByDueDate.__table__
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
        found.append(table.c.partner_id.in_(_salespersons(salesperson_id)))
    return found


def _salespersons(user_id: int) -> sa.Select:
    """The ids of the customers `user_id` looks after."""
    return sa.select(Partner.id).where(Partner.salesperson_id == user_id)


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
    """How many customers owe or hold a credit."""
    return db.session.execute(sa.select(sa.func.count()).select_from(
        _receivable(salesperson_id))).scalar()


def receivable_customers(start: int, size: int,
                         salesperson_id: int | None = None) -> list[int]:
    """The ids of `size` customers who owe or hold a credit, from `start` in the order of
    their names: a page of `receivables`, found in SQL whatever their number."""
    customers = _receivable(salesperson_id)
    return db.session.execute(sa.select(Partner.id).where(
        Partner.id.in_(sa.select(customers.c.partner_id))).order_by(Partner.name, Partner.id)
        .offset(start).limit(size)).scalars().all()


def _receivable(salesperson_id: int | None) -> sa.Subquery:
    table = OpenByDueDate.__table__
    holding = sa.select(Payment.partner_id).where(Payment.unallocated > 0)
    if salesperson_id:
        holding = holding.where(Payment.partner_id.in_(_salespersons(salesperson_id)))
    return sa.union(sa.select(table.c.partner_id).where(
        *_whose(table, None, salesperson_id)), holding).subquery()


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


def state_label(state: str) -> str:
    return str(INVOICE_STATES.get(state, state))
