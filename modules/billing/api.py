"""What billing serves in the JSON API: invoices with nested lines (actions post, cancel,
credit_note) and payments that settle invoices."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.api import ApiError, Field
from core.db import db

from . import services
from .models import Invoice, InvoiceLine, Payment, PaymentAllocation

INVOICE_READ = ["name", "kind", "partner_id", "order_id", "origin", "refund_of_id",
                "payment_term_id", "date_invoice", "date_due", "state", "amount_untaxed",
                "amount_tax", "amount_total", "amount_paid", "amount_residual", "note"]
LINE_ITEMS = {
    "description": Field("description", "string", writable=True, required=True,
                         max_length=400),
    "quantity": Field("quantity", "decimal", writable=True, places=3),
    "price_unit": Field("price_unit", "decimal", writable=True),
    "discount": Field("discount", "decimal", writable=True),
    "tax_rate": Field("tax_rate", "decimal", writable=True),
    "product_id": Field("product_id", "integer", writable=True),
    "order_line_id": Field("order_line_id", "integer", writable=True,
                           description="the sales order line it bills"),
    "amount_untaxed": Field("amount_untaxed", "decimal"),
    "amount_tax": Field("amount_tax", "decimal"),
}


def expose(module) -> None:
    module.expose(
        Invoice, read=INVOICE_READ, write=["partner_id", "date_invoice", "note"],
        filter=["name", "kind", "partner_id", "order_id", "state", "date_invoice",
                "date_due", "amount_residual"],
        extra=[Field("lines", "objects", writable=True, load=_lines, store=_stash,
                     extra={"items": LINE_ITEMS},
                     description="the invoice's lines; writing them replaces all lines")],
        actions={"post": _action(services.post), "cancel": _action(services.cancel),
                 "credit_note": _action(services.credit_note)},
        saving=_saving_invoice)
    module.expose(
        Payment, read=["partner_id", "date", "amount", "method", "reference", "unallocated"],
        write=["partner_id", "date", "amount", "method", "reference"],
        filter=["partner_id", "date", "method"],
        extra=[Field("invoice_ids", "ids", writable=True, load=_allocated, store=_stash_ids,
                     references="billing_invoice",
                     description="invoices to settle, in order (default: oldest due first)")],
        saving=_saving_payment)


def _action(func):
    def run(record, _payload):
        try:
            result = func(record)
        except services.BillingError as exc:
            db.session.rollback()
            raise ApiError(422 if exc.code == "invalid" else 409, exc.code,
                           exc.message) from None
        return result if isinstance(result, Invoice) else record

    return run


def _lines(invoices) -> dict[int, list[dict]]:
    ids = [i.id for i in invoices]
    found: dict[int, list[dict]] = {i: [] for i in ids}
    for line in db.session.execute(sa.select(InvoiceLine).where(
            InvoiceLine.invoice_id.in_(ids)).order_by(InvoiceLine.invoice_id,
                                                      InvoiceLine.sequence)).scalars():
        found[line.invoice_id].append({name: f.dump(getattr(line, name))
                                       for name, f in LINE_ITEMS.items()} | {"id": line.id})
    return found


def _stash(record, value) -> None:
    record._new_lines = value


def _saving_invoice(invoice, values, creating) -> None:
    lines = getattr(invoice, "_new_lines", None)
    try:
        if creating:
            if not invoice.partner_id:
                raise ApiError(422, "invalid", _l("Some values are not valid."),
                               {"partner_id": [str(_l("This field is required."))]})
            invoice.state, invoice.kind = "draft", "invoice"
            invoice.date_invoice = invoice.date_invoice or date.today()
            term = services.term_of(invoice.partner_id)
            invoice.payment_term_id = term.id if term else None
            db.session.add(invoice)
            db.session.flush()
            services.set_lines(invoice, lines or [])
        elif invoice.state != "draft":
            raise services.BillingError(str(_l("Only a draft invoice can be changed.")),
                                        "invalid_state")
        elif lines is not None:
            services.set_lines(invoice, lines)
    except services.BillingError as exc:
        raise ApiError(422 if exc.code == "invalid" else 409, exc.code, exc.message) from None


def _allocated(payments) -> dict[int, list[int]]:
    ids = [p.id for p in payments]
    found: dict[int, list[int]] = {i: [] for i in ids}
    for payment_id, invoice_id in db.session.execute(
            sa.select(PaymentAllocation.payment_id, PaymentAllocation.invoice_id)
            .where(PaymentAllocation.payment_id.in_(ids)).order_by(PaymentAllocation.id)):
        found[payment_id].append(invoice_id)
    return found


def _stash_ids(record, value) -> None:
    record._invoice_ids = value


def _saving_payment(payment, values, creating) -> None:
    """A payment is recorded once, through the same rule as the pages; it is not edited
    afterwards (a wrong one is deleted by a billing manager and entered again)."""
    if not creating:
        raise ApiError(409, "invalid_state", _l("A recorded payment cannot be changed."))
    if not payment.partner_id or payment.amount is None:
        raise ApiError(422, "invalid", _l("Some values are not valid."), {
            name: [str(_l("This field is required."))]
            for name in ("partner_id", "amount") if getattr(payment, name) is None})
    try:
        services.record_payment(payment, getattr(payment, "_invoice_ids", None))
    except services.BillingError as exc:
        raise ApiError(422 if exc.code == "invalid" else 409, exc.code, exc.message) from None
