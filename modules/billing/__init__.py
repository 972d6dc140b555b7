"""Billing: invoices (by hand, or from confirmed sales orders when sales is enabled), credit
notes, payments against one or several invoices, payment terms and receivables."""
from core.translatable import N_


def register(module) -> None:
    import sqlalchemy as sa
    from flask_babel import lazy_gettext as _l

    from core.partners.models import Partner

    from . import actions, api, views
    from .models import Invoice

    module.blueprint(views.bp)
    # everyone reads the invoices of the customers they look after; clerks see all
    module.record_rule("billing.invoice", "core.user", lambda user: Invoice.partner_id.in_(
        sa.select(Partner.id).where(Partner.salesperson_id == user.id)))
    module.slot("partner.form.side", views.partner_panel)
    module.slot("sale.order.form.side", views.order_panel)
    module.slot("billing.invoice.form.actions", views.invoice_links)
    module.connect("sale.order.confirmed", views.on_order_confirmed)
    module.connect("sale.order.cancelling", views.on_order_cancelling)
    module.connect("sale.order.cancelled", views.on_order_cancelled)
    module.widget("billing.receivables", _l("Receivables"), views.receivables_widget,
                  sequence=30)
    api.expose(module)
    actions.declare(module)
    module.on_enable(_defaults)


# (the last name holds a bare "%", which the catalogs refuse: it stays as written)
TERMS = [(N_("Immediate"), "100@0"), (N_("15 days"), "100@15"), (N_("30 days"), "100@30"),
         ("50% now, 50% in 60 days", "50@0, 50@60")]


def _defaults(connection) -> None:
    from pathlib import Path

    import sqlalchemy as sa

    from core.translatable import default_row

    from .models import PaymentTerm

    catalogs = Path(__file__).parent / "translations"
    if not connection.execute(sa.select(sa.func.count(PaymentTerm.id))).scalar():
        connection.execute(sa.insert(PaymentTerm), [
            {**default_row("name", name, catalogs), "schedule": schedule, "active": True}
            for name, schedule in TERMS])
