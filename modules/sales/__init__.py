"""Sales: products and price lists, leads and the shared lead pool, opportunities and the
pipeline, quotations and orders, campaigns, forecast, analysis and customer grading."""
from core.translatable import N_


def register(module) -> None:
    import sqlalchemy as sa
    from flask_babel import lazy_gettext as _l

    from core import access

    from . import actions, api, grades, views
    from .models import Lead, Order, OrderLine

    module.blueprint(views.bp)
    # a salesperson sees their own leads and the pool's; their own orders. Managers have no
    # rule: they see everyone's.
    module.record_rule("sale.lead", "sales.user",
                       lambda user: sa.or_(Lead.user_id == user.id, Lead.user_id.is_(None)))
    module.record_rule("sale.order", "sales.user", access.own(Order.user_id))
    module.record_rule("sale.order.line", "sales.user", lambda user: OrderLine.order_id.in_(
        sa.select(Order.id).where(Order.user_id == user.id)))
    module.slot("partner.form.side", views.partner_panel)
    module.slot("sale.lead.form.actions", views.lead_actions)
    module.slot("sale.lead.form.side", views.lead_side)
    module.slot("sale.order.form.actions", views.order_links)
    module.widget("sales.my_pipeline", _l("My pipeline"), views.pipeline_widget, sequence=20)
    module.widget("sales.won_this_month", _l("Won this month"), views.won_widget, sequence=21)
    module.widget("sales.forecast", _l("Forecast"), views.forecast_widget, sequence=22)
    api.expose(module)
    actions.declare(module)
    grades.register(module)  # the customer grade on partners' pages and API
    # benchmarks: imported by the runner only (they use bench/'s toolkit)
    module.bench("seed", f"{__name__}.bench_seed:bench_seed")
    module.bench("run", f"{__name__}.bench:bench_run")
    module.on_enable(_defaults)


# A pipeline, sources and lost reasons to start from (the manager renames or adds); only
# into empty tables, so enabling again after a disable keeps what the team set up.
STAGES = [(N_("New"), 10, 10, False, False), (N_("Qualified"), 20, 30, False, False),
          (N_("Proposal"), 30, 60, False, False), (N_("Negotiation"), 40, 80, False, False),
          (N_("Won"), 90, 100, True, False), (N_("Lost"), 100, 0, False, True)]
SOURCES = [N_("Website"), N_("Referral"), N_("Trade fair"), N_("Cold call"),
           N_("Email campaign"), N_("Social media")]
LOST_REASONS = [N_("Too expensive"), N_("Chose a competitor"), N_("No budget"),
                N_("No answer"), N_("Not a fit")]


def _defaults(connection) -> None:
    from pathlib import Path

    import sqlalchemy as sa

    from core.translatable import default_row

    from .models import LeadSource, LostReason, Stage

    catalogs = Path(__file__).parent / "translations"

    def named(text):  # the name in the default language, the others' translations
        return default_row("name", text, catalogs)

    if not connection.execute(sa.select(sa.func.count(Stage.id))).scalar():
        connection.execute(sa.insert(Stage), [
            {**named(n), "sequence": seq, "probability": p, "is_won": won, "is_lost": lost,
             "active": True} for n, seq, p, won, lost in STAGES])
    if not connection.execute(sa.select(sa.func.count(LeadSource.id))).scalar():
        connection.execute(sa.insert(LeadSource),
                           [{**named(n), "active": True} for n in SOURCES])
    if not connection.execute(sa.select(sa.func.count(LostReason.id))).scalar():
        connection.execute(sa.insert(LostReason),
                           [{**named(n), "active": True} for n in LOST_REASONS])
