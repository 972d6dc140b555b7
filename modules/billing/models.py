"""Billing records: payment terms, invoices (and credit notes) with lines and due dates,
payments and what each payment settles."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model, db
from core.documents import DocumentLine, DocumentTotals, Money
from core.rollups import Rollup
from core.workflow import ALL, Workflow

INVOICE_STATES = {"draft": _l("Draft"), "posted": _l("Posted"), "paid": _l("Paid"),
                  "cancelled": _l("Cancelled")}
INVOICE_KINDS = {"invoice": _l("Invoice"), "refund": _l("Credit note")}
METHODS = {"bank": _l("Bank transfer"), "cash": _l("Cash"), "card": _l("Card"),
           "other": _l("Other")}


class PaymentTerm(Model):
    """e.g. "30 days", or "50% now, 50% in 60 days": its lines give the due dates."""
    __model__ = "billing.payment_term"

    name: Mapped[str] = mapped_column(sa.String(128), unique=True,
                                      info={"label": _l("Name"), "translatable": True})
    # "percent@days" parts separated by commas, e.g. "50@0, 50@60"; one line "100@30"
    schedule: Mapped[str] = mapped_column(sa.String(200), default="100@0",
                                          info={"label": _l("Payment schedule")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})

    def __str__(self) -> str:
        return self.name


class PartnerTerms(db.Model):
    """A customer's payment term: billing's own table keyed by the partner (core's partner
    table stays core's)."""
    __tablename__ = "billing_partner_terms"

    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    payment_term_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("billing_payment_term.id", ondelete="SET NULL"), index=True)


class Invoice(DocumentTotals, Model):
    __model__ = "billing.invoice"
    __timeline__ = True
    __activities__ = True  # an Activities panel on its page (core.activities)
    # a posted invoice is a legal document: corrected by a credit note, never edited
    __workflow__ = Workflow(
        states=INVOICE_STATES,
        moves={"draft": ("posted", "cancelled"), "posted": ("paid", "cancelled")},
        locked={"posted": ALL, "paid": ALL, "cancelled": ALL}, aside=("cancelled",))
    __table_args__ = (sa.Index("ix_billing_invoice_open", "state", "partner_id", "date_due"),)
    # the number and the origin, by an index (core.search; migration billing_0004)
    __search__ = ("name", "origin")

    name: Mapped[str | None] = mapped_column(sa.String(32), unique=True,
                                             info={"label": _l("Number")})
    kind: Mapped[str] = mapped_column(sa.String(8), default="invoice", index=True,
                                      info={"label": _l("Type"), "choices": INVOICE_KINDS})
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Customer")})
    # the sales order it bills, when the sales module made it (a plain id: billing does
    # not depend on sales)
    order_id: Mapped[int | None] = mapped_column(index=True, info={
        "label": _l("Order"), "points_to": "sale.order"})  # its number on the timeline
    origin: Mapped[str | None] = mapped_column(sa.String(64), info={"label": _l("Source document")})
    refund_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("billing_invoice.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Credit note for")})
    payment_term_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("billing_payment_term.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Payment term")})
    date_invoice: Mapped[date] = mapped_column(default=date.today, index=True,
                                               info={"label": _l("Invoice date")})
    date_due: Mapped[date | None] = mapped_column(index=True, info={"label": _l("Due date")})
    state: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True,
                                       info={"label": _l("Status"), "choices": INVOICE_STATES})
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                                 info={"label": _l("Paid")})
    amount_residual: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), index=True,
                                                     info={"label": _l("Amount due")})
    reminded_on: Mapped[date | None] = mapped_column(info={"label": _l("Reminded on")})
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Notes")})

    def __str__(self) -> str:
        return self.name or str(_l("Draft invoice"))

    def delete_refusal(self) -> str | None:
        if self.state == "draft":
            return None
        return str(_l("A posted invoice keeps its number: cancel it or make a credit note."))


class InvoiceLine(DocumentLine, Model):
    __model__ = "billing.invoice.line"
    __table_args__ = (sa.Index("ix_billing_invoice_line_inv", "invoice_id", "sequence"),)

    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("billing_invoice.id", ondelete="CASCADE"))
    # what it bills, as plain ids: billing does not depend on the module that sells
    product_id: Mapped[int | None] = mapped_column(index=True)
    order_line_id: Mapped[int | None] = mapped_column(index=True)


class InvoiceDue(Model):
    """One due date of an invoice, from its payment term: how much falls due when."""
    __model__ = "billing.invoice.due"
    __table_args__ = (sa.Index("ix_billing_invoice_due_inv", "invoice_id", "date_due"),)

    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("billing_invoice.id", ondelete="CASCADE"))
    date_due: Mapped[date] = mapped_column(index=True, info={"label": _l("Due date")})
    amount: Mapped[Decimal] = mapped_column(Money, info={"label": _l("Amount")})


class Payment(Model):
    __model__ = "billing.payment"
    __timeline__ = True
    __search__ = ("reference",)  # by an index (core.search; migration billing_0004)

    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Customer")})
    date: Mapped[date] = mapped_column(default=date.today, index=True,
                                       info={"label": _l("Date")})
    amount: Mapped[Decimal] = mapped_column(Money, info={"label": _l("Amount"),
                                                         "min": Decimal("0.01")})
    method: Mapped[str] = mapped_column(sa.String(16), default="bank",
                                        info={"label": _l("Method"), "choices": METHODS})
    reference: Mapped[str | None] = mapped_column(sa.String(128),
                                                  info={"label": _l("Reference")})
    # indexed: the few payments with some left over (customers' credit) are read alone
    unallocated: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), index=True,
                                                 info={"label": _l("Not allocated")})

    def delete_refusal(self) -> str | None:
        if self.unallocated == self.amount:
            return None
        return str(_l("This payment settled invoices; record a correcting entry instead."))


class PaymentAllocation(Model):
    """The part of a payment that settles one invoice."""
    __model__ = "billing.payment.allocation"

    payment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("billing_payment.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("billing_invoice.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)


# -- what customers owe by due date (core.rollups): the receivables' ageing reads it -------
_EARLIER = sa.orm.aliased(InvoiceDue)
# what falls due up to this installment: payments settle the earliest installment first
_RUNNING = (sa.select(sa.func.sum(_EARLIER.amount))
            .where(_EARLIER.invoice_id == InvoiceDue.invoice_id, sa.or_(
                _EARLIER.date_due < InvoiceDue.date_due, sa.and_(
                    _EARLIER.date_due == InvoiceDue.date_due, _EARLIER.id <= InvoiceDue.id)))
            .scalar_subquery())
_PAID = sa.func.coalesce(Invoice.amount_paid, 0)


def _open(keys: dict) -> Rollup:
    """Posted invoices' installments still open, summed by `keys`."""
    return Rollup(
        source=Invoice, parts={InvoiceDue: InvoiceDue.invoice_id},
        joins=((InvoiceDue, InvoiceDue.invoice_id == Invoice.id),),
        counted=(Invoice.state, ("posted",)),
        where=(Invoice.kind == "invoice", Invoice.amount_residual > 0),
        keys={**keys, "date_due": InvoiceDue.date_due},
        measures={"amount": sa.func.sum(sa.case(
            (_RUNNING <= _PAID, 0), (_RUNNING - InvoiceDue.amount < _PAID, _RUNNING - _PAID),
            else_=InvoiceDue.amount), type_=Money)})


class OpenByDueDate(db.Model):
    """Posted invoices' installments still open, by customer and due date."""
    __rollup__ = _open({"partner_id": Invoice.partner_id})
    __rollup__.indexes = (("date_due",),)
    __table__ = __rollup__.table("billing_sum_open")


class OpenByDay(db.Model):
    """The same by due date alone: the ageing's totals over every customer, from a row a
    day."""
    __rollup__ = _open({})
    __table__ = __rollup__.table("billing_sum_open_day")


# -- counts the lists' groups read (core.ui.generic.grouping) ------------------------------
class InvoiceCounts(db.Model):
    """Invoices by state and kind: the invoice list's groups, for those who see them all."""
    __rollup__ = Rollup(source=Invoice, keys={"state": Invoice.state, "kind": Invoice.kind},
                        measures={"amount_total": sa.func.sum(Invoice.amount_total),
                                  "amount_residual": sa.func.sum(Invoice.amount_residual)})
    __table__ = __rollup__.table("billing_count_invoice")


class PaymentCounts(db.Model):
    """Payments by method: the payment list's groups."""
    __rollup__ = Rollup(source=Payment, keys={"method": Payment.method},
                        measures={"amount": sa.func.sum(Payment.amount),
                                  "unallocated": sa.func.sum(Payment.unallocated)})
    __table__ = __rollup__.table("billing_count_payment")
