"""What the sales module serves in the JSON API (products, leads, orders with nested lines),
and the rules every save of a lead or an order follows, from a page, an import or the API
(core.records)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import access
from core.api import Field
from core.db import db
from core.documents import KINDS, LINE_LIMITS, MAX_LINES
from core.errors import Refusal
from core.limits import FILLED_PATTERN

from . import services
from .models import Lead, Order, OrderLine, Product

PRODUCT_FIELDS = ["name", "code", "category", "unit", "list_price", "cost", "tax_rate",
                  "active", "description"]
LEAD_FIELDS = ["name", "type", "status", "contact_name", "company_name", "email", "phone",
               "city", "country", "partner_id", "source_id", "campaign_id", "user_id",
               "team_id", "stage_id", "probability", "expected_revenue", "expected_close",
               "priority", "notes"]
ORDER_WRITE = ["partner_id", "user_id", "team_id", "lead_id", "campaign_id", "date_order",
               "validity_date", "note"]
LINE_ITEMS = {
    "display_type": Field("display_type", "string", writable=True, choices=tuple(KINDS),
                          description="line (the default), section or note"),
    "product_id": Field("product_id", "integer", writable=True, references="product"),
    "description": Field("description", "string", writable=True, max_length=400),
    "quantity": Field("quantity", "decimal", writable=True, nullable=False, places=3,
                      minimum=LINE_LIMITS["quantity"][0], maximum=LINE_LIMITS["quantity"][1]),
    **{name: Field(name, "decimal", writable=True, minimum=LINE_LIMITS[name][0],
                   maximum=LINE_LIMITS[name][1]) for name in ("price_unit", "discount",
                                                              "tax_rate")},
    "amount_untaxed": Field("amount_untaxed", "decimal"),
    "amount_tax": Field("amount_tax", "decimal"),
}


# a line names its product (which gives its description) or has a description of its own
LINE_RULE = {"anyOf": [
    {"required": ["product_id"], "properties": {
        "product_id": {"type": "integer"}, "display_type": {"enum": ["line", None]}}},
    {"required": ["description"], "properties": {
        "description": {"type": "string", "pattern": FILLED_PATTERN}}}]}


def expose(module) -> None:
    module.expose(Product, read=PRODUCT_FIELDS, write=PRODUCT_FIELDS,
                  filter=["name", "code", "category", "active"])
    module.expose(
        Lead, read=[*LEAD_FIELDS, "outcome", "lost_reason_id", "closed_at"],
        write=LEAD_FIELDS,
        filter=["type", "status", "outcome", "user_id", "team_id", "stage_id", "partner_id",
                "source_id", "campaign_id", "expected_close"])
    module.expose(
        Order, read=["name", *ORDER_WRITE, "state", "pricelist_id", "confirmed_at",
                     "amount_untaxed", "amount_tax", "amount_total"],
        write=ORDER_WRITE,
        filter=["name", "partner_id", "user_id", "team_id", "state", "date_order",
                "amount_total"],
        extra=[Field("lines", "objects", writable=True, load=_lines,
                     extra={"items": LINE_ITEMS, "max_items": MAX_LINES,
                            "item_rule": LINE_RULE},
                     description="the order's lines; writing them replaces all lines")])
    module.saving(Lead, saving_lead)
    module.saving(Order, saving_order)


def saving_lead(lead, values, creating) -> None:
    """Who holds a lead, however it is saved: a salesperson's new lead is theirs, one from
    a manager or an integration is routed by the assignment rules (or waits in the pool);
    a salesperson may take a lead for themselves (within their limit), not give it away."""
    may_assign = access.has_right("sales.assign")
    if creating and "user_id" not in values:
        if may_assign:
            services.assign(lead)
        else:
            lead.user_id = current_user.id
            values = {**values, "user_id": lead.user_id}  # checked below, as if sent
    if "user_id" in values:
        history = sa.inspect(lead).attrs.user_id.history
        before = (history.deleted[0] if history.deleted else None) if history.has_changes() \
            else lead.user_id
        try:
            services.check_assignment(before, lead.user_id, current_user.id, may_assign)
        except Refusal as exc:
            raise Refusal(exc.message, exc.code, {"user_id": exc.message}, 422) from None
    if creating and lead.type == "opportunity" and lead.stage_id is None:
        first = services.first_stage(lead.team_id)
        lead.stage_id, lead.probability = (first.id, first.probability) if first \
            else (None, lead.probability)


def _lines(orders) -> dict[int, list[dict]]:
    """Every line of a page of orders, in one query."""
    ids = [o.id for o in orders]
    found: dict[int, list[dict]] = {i: [] for i in ids}
    rows = db.session.execute(sa.select(OrderLine).where(OrderLine.order_id.in_(ids))
                              .order_by(OrderLine.order_id, OrderLine.sequence)).scalars()
    for line in rows:
        found[line.order_id].append({name: f.dump(getattr(line, name))
                                     for name, f in LINE_ITEMS.items()} | {"id": line.id})
    return found


def saving_order(order, values, creating) -> None:
    """A new quotation's number, dates and team (services.new_order), then its lines,
    priced from the customer's price list."""
    if creating:
        if not order.partner_id:
            raise Refusal(_l("Some values are not valid."), "invalid",
                          {"partner_id": _l("This field is required.")})
        services.new_order(order, current_user.id)
        services.set_lines(order, values.get("lines") or [])
    elif values.get("lines") is not None:
        services.set_lines(order, values["lines"])
