"""Credit limits: a limit and a mode (warn or block) per customer, live exposure from
billing and sales, the check when an order is confirmed, and a credit holds list. Extends
another module's record (partner) and behaviour (confirming an order) without touching
them: its own table, a signal handler, a slot and fields added to the `partner` resource."""


def register(module) -> None:
    from flask_babel import lazy_gettext as _l

    from core.api import Field

    from . import services, views
    from .models import MODES

    module.blueprint(views.bp)
    module.connect("sale.order.confirming", services.on_confirming)
    module.slot("partner.form.side", views.partner_panel)
    module.widget("credit_limit.holds", _l("Credit holds"), views.holds_widget, sequence=40)
    module.extend_resource("partner", fields=[
        Field("credit_limit", "decimal", writable=True, load=views.limits,
              store=views.store_limit, minimum=0,
              description="credit limit (empty: none)"),
        Field("credit_mode", "string", writable=True, nullable=False, choices=tuple(MODES),
              load=views.modes, store=views.store_mode,
              description="warn or block when an order would pass the limit"),
        Field("credit_exposure", "decimal", load=views.exposure_of,
              description="unpaid invoices less the customer's credit (unallocated "
                          "payments) + confirmed orders not yet invoiced"),
    ])
