"""What users do to invoices, declared once (core.actions): posting, cancelling and
crediting, each a button, a bulk action where it makes sense, and an API action; and
invoicing a confirmed sales order."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.actions import Action

from . import services
from .models import Invoice

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
    module.actions("sale.order", *ORDER_ACTIONS)
