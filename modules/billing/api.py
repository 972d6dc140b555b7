"""What billing serves in the JSON API: invoices with nested lines (actions post, cancel,
credit_note) and payments that settle invoices."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.api import Field
from core.db import db
from core.documents import KINDS, LINE_LIMITS, MAX_LINES
from core.errors import Refusal

from . import services
from .models import Invoice, InvoiceLine, Payment, PaymentAllocation, PaymentTerm

INVOICE_READ = ["name", "kind", "partner_id", "order_id", "origin", "refund_of_id",
                "payment_term_id", "date_invoice", "date_due", "state", "amount_untaxed",
                "amount_tax", "amount_total", "amount_paid", "amount_residual", "note"]
LINE_ITEMS = {
    "display_type": Field("display_type", "string", writable=True, choices=tuple(KINDS),
                          description="line (the default), section or note"),
    "description": Field("description", "string", writable=True, required=True,
                         nullable=False, max_length=400),
    "quantity": Field("quantity", "decimal", writable=True, places=3,
                      minimum=LINE_LIMITS["quantity"][0], maximum=LINE_LIMITS["quantity"][1]),
    **{name: Field(name, "decimal", writable=True, minimum=LINE_LIMITS[name][0],
                   maximum=LINE_LIMITS[name][1]) for name in ("price_unit", "discount",
                                                              "tax_rate")},
    "product_id": Field("product_id", "integer", writable=True, minimum=1),
    "order_line_id": Field("order_line_id", "integer", writable=True, minimum=1,
                           description="the sales order line it bills"),
    "amount_untaxed": Field("amount_untaxed", "decimal"),
    "amount_tax": Field("amount_tax", "decimal"),
}


def expose(module) -> None:
    module.expose(
        Invoice, read=INVOICE_READ, write=["partner_id", "date_invoice", "note"],
        filter=["name", "kind", "partner_id", "order_id", "state", "date_invoice",
                "date_due", "amount_residual"],
        extra=[Field("lines", "objects", writable=True, load=_lines,
                     extra={"items": LINE_ITEMS, "max_items": MAX_LINES},
                     description="the invoice's lines; writing them replaces all lines")])
    module.expose(
        Payment, read=["partner_id", "date", "amount", "method", "reference", "unallocated"],
        write=["partner_id", "date", "amount", "method", "reference"],
        filter=["partner_id", "date", "method"],
        extra=[Field("invoice_ids", "ids", writable=True, load=_allocated,
                     references="billing_invoice",
                     description="invoices to settle, in order (default: oldest due first)"),
               Field("allocated", "decimal", load=_allocated_amount,
                     description="the part of the amount that settles invoices; the rest "
                                 "(unallocated) is the customer's credit")])
    module.saving(Invoice, saving_invoice)
    module.saving(Payment, saving_payment)
    module.saving(PaymentTerm, saving_term)


def _lines(invoices) -> dict[int, list[dict]]:
    ids = [i.id for i in invoices]
    found: dict[int, list[dict]] = {i: [] for i in ids}
    for line in db.session.execute(sa.select(InvoiceLine).where(
            InvoiceLine.invoice_id.in_(ids)).order_by(InvoiceLine.invoice_id,
                                                      InvoiceLine.sequence)).scalars():
        found[line.invoice_id].append({name: f.dump(getattr(line, name))
                                       for name, f in LINE_ITEMS.items()} | {"id": line.id})
    return found


def saving_invoice(invoice, values, creating) -> None:
    """A new invoice starts as a draft with the customer's payment term; its lines are
    replaced whole while it is a draft (core.workflow locks it once posted)."""
    if creating:
        if not invoice.partner_id:
            raise Refusal(_l("Some values are not valid."), "invalid",
                          {"partner_id": _l("This field is required.")})
        invoice.state, invoice.kind = "draft", invoice.kind or "invoice"
        invoice.date_invoice = invoice.date_invoice or date.today()
        term = services.term_of(invoice.partner_id)
        invoice.payment_term_id = term.id if term else None
        db.session.add(invoice)
        db.session.flush()
        services.set_lines(invoice, values.get("lines") or [])
    elif values.get("lines") is not None:
        services.set_lines(invoice, values["lines"])


def _allocated(payments) -> dict[int, list[int]]:
    ids = [p.id for p in payments]
    found: dict[int, list[int]] = {i: [] for i in ids}
    for payment_id, invoice_id in db.session.execute(
            sa.select(PaymentAllocation.payment_id, PaymentAllocation.invoice_id)
            .where(PaymentAllocation.payment_id.in_(ids)).order_by(PaymentAllocation.id)):
        found[payment_id].append(invoice_id)
    return found


def _allocated_amount(payments) -> dict[int, object]:
    return {p.id: p.amount - p.unallocated for p in payments}


def saving_payment(payment, values, creating) -> None:
    """A payment is recorded once, settling invoices by the one rule (services); it is not
    edited afterwards (a wrong one is deleted by a billing manager and entered again)."""
    if not creating:
        raise Refusal(_l("A recorded payment cannot be changed."), "invalid_state")
    missing = [name for name in ("partner_id", "amount") if getattr(payment, name) is None]
    if missing:
        raise Refusal(_l("Some values are not valid."), "invalid",
                      {name: _l("This field is required.") for name in missing})
    services.record_payment(payment, values.get("invoice_ids"))


def saving_term(term, values, creating) -> None:
    services.parse_schedule(term.schedule)  # refuses a schedule that does not add up
