"""What users do to invoices, declared once (core.actions): posting, cancelling and
crediting, each a button, a bulk action where it makes sense, and an API action; and
invoicing a confirmed sales order."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.actions import Action
from core.ui import money as show_money

from . import services
from .models import Invoice, Payment

INVOICE_ACTIONS = (
    Action("post", _l("Post"), services.post, icon="send-check", style="success",
           states=("draft",), summary="Number it, set its due dates: it becomes a receivable",
           done=lambda invoice: _l("Invoice %(number)s is posted.", number=invoice.name)),
    Action("cancel", _l("Cancel"), services.cancel, icon="x-circle", style="outline-danger",
           states=("draft", "posted"), confirm=_l("Cancel this invoice?"), done=_l("Cancelled.")),
    Action("credit_note", _l("Credit note"), services.credit_note, icon="arrow-return-left",
           states=("posted", "paid"), bulk=False, when=lambda invoice: invoice.kind == "invoice",
           done=_l("A draft credit note was made; check it and post it."),
           summary="A draft credit note with the invoice's lines"),
    # the customer's credit (unallocated payments, oldest first) settles what is due
    Action("apply_credit", _l("Apply credit"), services.apply_credit, icon="wallet2",
           states=("posted",), bulk=False, also=(("billing.payment", "r"),),
           when=lambda invoice: invoice.kind == "invoice" and invoice.amount_residual > 0,
           show=lambda invoice: services.credit_of(invoice.partner_id) > 0,
           done=lambda invoice: _l("Credit applied: %(amount)s is still due.",
                                   amount=show_money(invoice.amount_residual)),
           summary="Settle what is due from the customer's credit (unallocated payments, "
                   "oldest first)"),
)

PAYMENT_ACTIONS = (
    Action("unreconcile", _l("Unreconcile"), services.unreconcile, icon="arrow-counterclockwise",
           style="outline-danger", bulk=False, also=(("billing.invoice", "w"),),
           when=lambda payment: payment.unallocated < payment.amount,
           confirm=_l("Take this payment off the invoices it settled? They become due again "
                      "and the amount is kept as the customer's credit."),
           done=lambda payment: _l("%(amount)s is kept as the customer's credit.",
                                   amount=show_money(payment.unallocated)),
           summary="Take the payment off the invoices it settled: they are due again and "
                   "its whole amount becomes the customer's credit"),
)


# on a sales order (billing does not import sales: the action names its model)
ORDER_ACTIONS = (
    Action("invoice", _l("Invoice what is left"), services.invoice_from_order, icon="receipt",
           perm="r", also=(("billing.invoice", "c"),), states=("confirmed", "done"),
           done=_l("Draft invoice made."),
           summary="A draft invoice of what the order has not billed yet"),
)


def declare(module) -> None:
    module.actions(Invoice, *INVOICE_ACTIONS)
    module.actions(Payment, *PAYMENT_ACTIONS)
    module.actions("sale.order", *ORDER_ACTIONS)
