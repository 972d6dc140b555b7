"""Billing rules: invoices from lines or from a confirmed order, posting with gapless
numbers and due dates from the payment term, credit notes, payments settling one or
several invoices, the customer's credit. Receivables and their ageing: receivables.py.
Callers commit (see modules/sales/services)."""
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

from .models import (
    INVOICE_STATES,
    Invoice,
    InvoiceDue,
    InvoiceLine,
    PartnerTerms,
    Payment,
    PaymentAllocation,
    PaymentTerm,
)

HUNDRED = Decimal(100)


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
        left = left.where(Payment.partner_id.in_(customers_of(salesperson_id)))
    left = left.cte("left_over").prefix_with("MATERIALIZED")
    query = sa.select(left.c.partner_id, sa.func.sum(left.c.unallocated)).group_by(
        left.c.partner_id)
    return {partner_id: Decimal(amount) for partner_id, amount in db.session.execute(query)}


def customers_of(user_id: int) -> sa.Select:
    """The ids of the customers `user_id` looks after."""
    return sa.select(Partner.id).where(Partner.salesperson_id == user_id)


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


def state_label(state: str) -> str:
    return str(INVOICE_STATES.get(state, state))
