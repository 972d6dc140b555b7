"""What the sales module serves in the JSON API: products, leads (with their actions) and
orders with nested lines."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import access
from core.api import ApiError, Field
from core.db import db
from core.sequences import next_number

from . import services
from .models import Lead, Order, OrderLine, Product

PRODUCT_FIELDS = ["name", "code", "category", "unit", "list_price", "cost", "tax_rate",
                  "active"]
LEAD_FIELDS = ["name", "type", "status", "contact_name", "company_name", "email", "phone",
               "city", "country", "partner_id", "source_id", "campaign_id", "user_id",
               "team_id", "stage_id", "probability", "expected_revenue", "expected_close",
               "priority", "notes"]
ORDER_WRITE = ["partner_id", "user_id", "team_id", "lead_id", "campaign_id", "date_order",
               "validity_date", "note"]
LINE_ITEMS = {
    "product_id": Field("product_id", "integer", writable=True, references="product"),
    "description": Field("description", "string", writable=True, max_length=400),
    "quantity": Field("quantity", "decimal", writable=True, nullable=False, places=3),
    "price_unit": Field("price_unit", "decimal", writable=True),
    "discount": Field("discount", "decimal", writable=True),
    "tax_rate": Field("tax_rate", "decimal", writable=True),
    "amount_untaxed": Field("amount_untaxed", "decimal"),
    "amount_tax": Field("amount_tax", "decimal"),
}


def expose(module) -> None:
    module.expose(Product, read=PRODUCT_FIELDS, write=PRODUCT_FIELDS,
                  filter=["name", "code", "category", "active"])
    module.expose(
        Lead, read=[*LEAD_FIELDS, "outcome", "lost_reason_id", "closed_at"],
        write=LEAD_FIELDS,
        filter=["type", "status", "outcome", "user_id", "team_id", "stage_id", "partner_id",
                "source_id", "campaign_id", "expected_close"],
        actions={"claim": _action(lambda lead, p: services.claim(lead, current_user)),
                 "release": _action(lambda lead, p: services.release(lead)),
                 "convert": _action(lambda lead, p: services.convert(
                     lead, _int(p, "partner_id"))),
                 "won": _action(lambda lead, p: services.mark_won(lead)),
                 "lost": _action(lambda lead, p: services.mark_lost(
                     lead, _int(p, "lost_reason_id")))},
        saving=_saving_lead)
    module.expose(
        Order, read=["name", *ORDER_WRITE, "state", "pricelist_id", "confirmed_at",
                     "amount_untaxed", "amount_tax", "amount_total"],
        write=ORDER_WRITE,
        filter=["name", "partner_id", "user_id", "team_id", "state", "date_order",
                "amount_total"],
        extra=[Field("lines", "objects", writable=True, load=_lines, store=_stash_lines,
                     extra={"items": LINE_ITEMS},
                     description="the order's lines; writing them replaces all lines")],
        actions={"confirm": _action(lambda order, p: services.confirm(
                     order, override=_override(p))),
                 "cancel": _action(lambda order, p: services.cancel(order)),
                 "send": _action(lambda order, p: services.mark_sent(order)),
                 "done": _action(lambda order, p: services.mark_done(order))},
        saving=_saving_order)


def _action(func):
    """A service call as an API action: business refusals become 409 with their code."""
    def run(record, payload):
        try:
            func(record, payload if isinstance(payload, dict) else {})
        except services.SalesError as exc:
            db.session.rollback()
            status = 422 if exc.code == "invalid" else 409
            raise ApiError(status, exc.code, exc.message) from None
        return record

    run.__doc__ = func.__doc__
    return run


def _int(payload, key):
    value = payload.get(key) if isinstance(payload, dict) else None
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ApiError(422, "invalid", _l("Some values are not valid."),
                       {key: [str(_l("Expected a whole number."))]})
    return value


def _text(payload, key):
    value = payload.get(key) if isinstance(payload, dict) else None
    if value is not None and not isinstance(value, str):
        raise ApiError(422, "invalid", _l("Some values are not valid."),
                       {key: [str(_l("Expected text."))]})
    return value or None


def _override(payload):
    """A manager's written reason to confirm past a refusal; others may not give one."""
    reason = _text(payload, "override")
    if reason and not access.has_right("sales.override"):
        raise ApiError(403, "forbidden", _l("Only a sales manager may override a refusal."))
    return reason


def _saving_lead(lead, values, creating) -> None:
    may_assign = access.has_right("sales.assign")
    if creating and "user_id" not in values:
        # a salesperson's new lead is theirs; one from a manager's or an integration's token
        # is routed by the assignment rules (or waits in the pool)
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
            services.check_assignment(before, lead.user_id,
                                      current_user.id, may_assign)
        except services.SalesError as exc:
            raise ApiError(422, exc.code, _l("Some values are not valid."),
                           {"user_id": [exc.message]}) from None
    if creating and lead.type == "opportunity" and lead.stage_id is None:
        first = services.first_stage(lead.team_id)
        lead.stage_id = first.id if first else None


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


def _stash_lines(order, lines) -> None:
    order._new_lines = lines  # applied by _saving_order once the customer is known


def _saving_order(order, values, creating) -> None:
    lines = getattr(order, "_new_lines", None)
    try:
        if creating:
            if not order.partner_id:
                raise ApiError(422, "invalid", _l("Some values are not valid."),
                               {"partner_id": [str(_l("This field is required."))]})
            order.state = "draft"
            order.user_id = order.user_id or current_user.id
            order.date_order = order.date_order or date.today()
            order.validity_date = order.validity_date or order.date_order + timedelta(days=30)
            order.name = next_number("SO", order.date_order.year)
            services.set_lines(order, lines or [])
        elif order.state not in ("draft", "sent"):
            raise services.SalesError(str(_l("Only quotations can be changed.")),
                                      "invalid_state")
        elif lines is not None:
            services.set_lines(order, lines)
    except services.SalesError as exc:
        raise ApiError(422 if exc.code == "invalid" else 409, exc.code, exc.message) from None
