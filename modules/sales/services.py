"""The sales service layer: prices, totals, order states, lead assignment, the pool and
conversion. Pages, the API, jobs and benchmarks all go through here, so a rule lives in
one place. Functions change the session and leave the commit to the caller, so that a
refusal anywhere rolls the whole operation back."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from core.auth.models import TeamMember, User
from core.db import db, insert_rows, utcnow
from core.modules import get_registry
from core.money import line_amounts, money, totals
from core.partners.duplicates import likely_duplicates
from core.partners.models import Partner
from core.sequences import next_number
from core.settings import get_setting
from core.timeline import add_note

from .models import AssignmentRule, Lead, Order, OrderLine, Pricelist, PricelistItem, Product, Stage

HUNDRED = Decimal(100)
# what a line may hold, so that amounts fit Numeric(16, 2) with room for the order's sum
LIMIT_QUANTITY = Decimal(10) ** 9
LIMIT_PRICE = Decimal(10) ** 12
LIMIT_AMOUNT = Decimal(10) ** 13


class SalesError(Exception):
    """A business rule refused the operation; the message is for the user (translated)."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message, self.code = message, code


# -- settings ----------------------------------------------------------------------------
def pool_idle_days() -> int:
    return int(get_setting("sales.pool_idle_days", "14"))


def lead_limit() -> int:
    return int(get_setting("sales.lead_limit", "50"))


# -- prices ------------------------------------------------------------------------------
def price_rules(partner: Partner | None, product_ids, on: date | None = None) -> list:
    """The valid price list rules that may apply to `partner` buying any of `product_ids`,
    most specific first (the customer's own list before their grade's, a product's rule
    before an all-products one, the highest quantity break first): one query for a whole
    quotation."""
    if partner is None:
        return []
    return db.session.execute(_PRICE_RULES, {
        "partner_id": partner.id, "grade": partner.grade, "on": on or date.today(),
        "product_ids": list(product_ids)}).scalars().all()


# Built once: composing a statement costs more than running it, and pricing reads rows of
# a few columns, not whole records.
_CUSTOMER = sa.select(Partner.id, Partner.grade).where(Partner.id == sa.bindparam("id"))
_PRODUCTS = (sa.select(Product.id, Product.name, Product.list_price, Product.cost,
                       Product.tax_rate)
             .where(Product.id.in_(sa.bindparam("ids", expanding=True))))
# A customer without a grade compares NULL and matches no grade's list.
_ON = sa.bindparam("on", type_=sa.Date)
_PRICE_RULES = (
    sa.select(PricelistItem)
    .join(Pricelist, Pricelist.id == PricelistItem.pricelist_id)
    .where(sa.or_(Pricelist.partner_id == sa.bindparam("partner_id"),
                  sa.and_(Pricelist.partner_id.is_(None),
                          Pricelist.grade == sa.bindparam("grade"))),
           Pricelist.active.is_(True),
           sa.or_(Pricelist.date_from.is_(None), Pricelist.date_from <= _ON),
           sa.or_(Pricelist.date_to.is_(None), Pricelist.date_to >= _ON),
           sa.or_(PricelistItem.product_id.in_(sa.bindparam("product_ids", expanding=True)),
                  PricelistItem.product_id.is_(None)))
    .order_by(Pricelist.partner_id.is_(None), PricelistItem.product_id.is_(None),
              PricelistItem.min_quantity.desc(), PricelistItem.id))


def pick_price(rules: list, product: Product,
               quantity: Decimal) -> tuple[Decimal, Decimal, int | None]:
    """(unit price, discount %, price list id): the first of `rules` (see price_rules) that
    covers this product and quantity, else the list price."""
    for item in rules:
        if item.product_id in (None, product.id) and item.min_quantity <= quantity:
            if item.fixed_price is not None:
                return item.fixed_price, Decimal(0), item.pricelist_id
            return product.list_price, item.discount or Decimal(0), item.pricelist_id
    return product.list_price, Decimal(0), None


def price_for(product: Product, partner: Partner | None, quantity: Decimal,
              on: date | None = None) -> tuple[Decimal, Decimal, int | None]:
    return pick_price(price_rules(partner, [product.id], on), product, quantity)


# -- orders ------------------------------------------------------------------------------
def compute_line(line: OrderLine) -> None:
    line.amount_untaxed, line.amount_tax = line_amounts(line.quantity, line.price_unit,
                                                        line.discount, line.tax_rate)


def set_lines(order: Order, lines: list[dict]) -> None:
    """Replace the order's lines with `lines` ({product_id, description, quantity,
    price_unit?, discount?, tax_rate?}), pricing what is not given from the price list,
    and recompute the totals. Only quotations may change."""
    if order.state not in ("draft", "sent"):
        raise SalesError(_("Only quotations can be changed; this order is %(state)s.",
                           state=_state_label(order.state)), "invalid_state")
    customer = db.session.execute(_CUSTOMER, {"id": order.partner_id}).first()
    if customer is None:
        raise SalesError(_("Choose a customer."), "invalid")
    ids = {line.get("product_id") for line in lines if line.get("product_id")}
    products = {p.id: p for p in db.session.execute(_PRODUCTS, {"ids": list(ids)})} \
        if ids else {}
    rules = price_rules(customer, products, order.date_order) if products else []
    built = []
    for number, values in enumerate(lines, start=1):
        product = products.get(values.get("product_id"))
        if values.get("product_id") and product is None:
            raise SalesError(_("Line %(n)s: no such product.", n=number), "invalid")
        quantity = Decimal(values.get("quantity") if values.get("quantity") is not None else 1)
        if not quantity.is_finite() or quantity <= 0:
            raise SalesError(_("Line %(n)s: the quantity must be more than zero.", n=number),
                             "invalid")
        if quantity >= LIMIT_QUANTITY:
            raise SalesError(_("Line %(n)s: the amount is too large.", n=number), "invalid")
        line = OrderLine(sequence=number * 10, product_id=product.id if product else None,
                         quantity=quantity, description=(values.get("description") or
                                                          (product.name if product else "")))
        if not line.description:
            raise SalesError(_("Line %(n)s: choose a product or write a description.",
                               n=number), "invalid")
        if product is not None:
            price, discount, pricelist_id = pick_price(rules, product, quantity)
            if pricelist_id and not order.pricelist_id:
                order.pricelist_id = pricelist_id
            line.cost, line.tax_rate = product.cost, product.tax_rate
        else:
            price, discount = Decimal(0), Decimal(0)
        raw_price = values.get("price_unit")
        if raw_price is not None and not (Decimal(raw_price).is_finite()
                                          and 0 <= Decimal(raw_price) < LIMIT_PRICE):
            raise SalesError(_("Line %(n)s: the unit price must be at least zero and less "
                               "than %(limit)s.", n=number, limit=LIMIT_PRICE), "invalid")
        line.price_unit = money(raw_price) if raw_price is not None else price
        line.discount = Decimal(values["discount"]) if values.get("discount") is not None \
            else discount
        if values.get("tax_rate") is not None:
            line.tax_rate = Decimal(values["tax_rate"])
            if not line.tax_rate.is_finite() or not 0 <= line.tax_rate <= 100:
                raise SalesError(_("Line %(n)s: the tax rate must be between 0 and 100.",
                                   n=number), "invalid")
        if not line.discount.is_finite() or not (0 <= line.discount <= 100):
            raise SalesError(_("Line %(n)s: the discount must be between 0 and 100%%.",
                               n=number), "invalid")
        if not 0 <= line.price_unit < LIMIT_PRICE:
            raise SalesError(_("Line %(n)s: the unit price must be at least zero and less "
                               "than %(limit)s.", n=number, limit=LIMIT_PRICE), "invalid")
        compute_line(line)
        if line.amount_untaxed >= LIMIT_AMOUNT:
            raise SalesError(_("Line %(n)s: the amount is too large.", n=number), "invalid")
        built.append(line)
    order.amount_untaxed, order.amount_tax, order.amount_total = totals(built)
    if order.id is None:
        db.session.add(order)
        db.session.flush()
    else:  # replace the stored lines without loading them
        db.session.execute(sa.delete(OrderLine).where(OrderLine.order_id == order.id))
    for line in built:
        line.order_id = order.id
    insert_rows(built)


def create_order(partner_id: int, lines: list[dict], user_id: int | None = None,
                 **values) -> Order:
    order = Order(partner_id=partner_id, user_id=user_id, state="draft", **values)
    order.date_order = order.date_order or date.today()
    order.validity_date = order.validity_date or order.date_order + timedelta(days=30)
    order.name = next_number("SO", order.date_order.year)
    if user_id and order.team_id is None:
        order.team_id = _team_of(user_id)
    set_lines(order, lines)  # checks the customer, stores the order, then its lines
    return order


def mark_sent(order: Order) -> None:
    if order.state != "draft":
        raise SalesError(_("Only a draft quotation can be marked as sent."), "invalid_state")
    order.state = "sent"


def confirm(order: Order, override: str | None = None) -> list[str]:
    """Quotation -> sales order. Modules may refuse (`sale.order.confirming` handlers return
    a reason) or warn (they return {"warning": text}); `override` is a manager's written
    reason to go past a refusal, which handlers receive and may accept. Returns warnings."""
    if order.state not in ("draft", "sent"):
        raise SalesError(_("Only a quotation can be confirmed; this order is %(state)s.",
                           state=_state_label(order.state)), "invalid_state")
    lines = db.session.execute(sa.select(sa.func.count(OrderLine.id)).where(
        OrderLine.order_id == order.id)).scalar()
    if not lines:
        raise SalesError(_("Add at least one line before confirming."), "invalid")
    registry = get_registry()
    warnings = []
    for answer in registry.send("sale.order.confirming", order, override=override):
        if isinstance(answer, dict) and answer.get("warning"):
            warnings.append(str(answer["warning"]))
        elif answer:
            raise SalesError(str(answer.get("reason") if isinstance(answer, dict) else answer),
                             answer.get("code", "refused") if isinstance(answer, dict)
                             else "refused")
    order.state, order.confirmed_at = "confirmed", utcnow()
    for warning in warnings:
        add_note(order, warning)
    if override:
        add_note(order, _("Confirmed with a manager's override: %(reason)s", reason=override))
    partner = db.session.get(Partner, order.partner_id)
    if partner.kind == "prospect":
        partner.kind = "customer"
    if order.lead_id:
        lead = db.session.get(Lead, order.lead_id)
        if lead is not None and lead.outcome == "open":
            mark_won(lead)
    registry.send("sale.order.confirmed", order)
    return warnings


def mark_done(order: Order) -> None:
    if order.state != "confirmed":
        raise SalesError(_("Only a confirmed order can be closed."), "invalid_state")
    order.state = "done"


def cancel(order: Order) -> None:
    if order.state in ("done", "cancelled"):
        raise SalesError(_("This order is %(state)s and cannot be cancelled.",
                           state=_state_label(order.state)), "invalid_state")
    for answer in get_registry().send("sale.order.cancelling", order):
        if answer:
            raise SalesError(str(answer), "refused")
    order.state = "cancelled"
    get_registry().send("sale.order.cancelled", order)


def back_to_draft(order: Order) -> None:
    if order.state != "cancelled":
        raise SalesError(_("Only a cancelled order can be set back to quotation."),
                         "invalid_state")
    order.state = "draft"


def _state_label(state: str) -> str:
    from .models import ORDER_STATES

    return str(ORDER_STATES.get(state, state))


def _team_of(user_id: int) -> int | None:
    return db.session.execute(_TEAM_OF, {"user_id": user_id}).scalar()


_TEAM_OF = (sa.select(TeamMember.team_id).where(TeamMember.user_id == sa.bindparam("user_id"))
            .order_by(TeamMember.team_id).limit(1))


# -- leads -------------------------------------------------------------------------------
def held_by(user_id: int) -> int:
    """Open leads and opportunities the salesperson holds (the pool limit counts these)."""
    return db.session.execute(sa.select(sa.func.count(Lead.id)).where(
        Lead.user_id == user_id, Lead.outcome == "open")).scalar()


def assign(lead: Lead) -> None:
    """Route a new lead by the first matching rule: to its salesperson, or round-robin
    within its team (the member whose last assignment is oldest, under their limit).
    Leads no rule matches wait in the pool."""
    rules = db.session.execute(sa.select(AssignmentRule).where(
        AssignmentRule.active.is_(True)).order_by(AssignmentRule.sequence,
                                                   AssignmentRule.id)).scalars()
    for rule in rules:
        if rule.source_id and rule.source_id != lead.source_id:
            continue
        if rule.country and (lead.country or "").upper() != rule.country.upper():
            continue
        lead.team_id = rule.team_id or lead.team_id
        user_id = rule.user_id or _next_in_team(rule.team_id)
        if user_id:
            lead.user_id, lead.last_touched_at = user_id, utcnow()
        return


def _next_in_team(team_id: int | None) -> int | None:
    if team_id is None:
        return None
    last = sa.select(sa.func.max(Lead.created_at)).where(
        Lead.user_id == User.id).correlate(User).scalar_subquery()
    held = sa.select(sa.func.count(Lead.id)).where(
        Lead.user_id == User.id, Lead.outcome == "open").correlate(User).scalar_subquery()
    query = (sa.select(User.id).join(TeamMember, TeamMember.user_id == User.id)
             .where(TeamMember.team_id == team_id, User.active.is_(True), held < lead_limit())
             .order_by(last.asc().nulls_first(), User.id).limit(1))
    return db.session.execute(query).scalar()


def check_assignment(before: int | None, after: int | None, user_id: int,
                     manager: bool) -> None:
    """Who may set a lead's salesperson by editing it: a manager anyone; a salesperson only
    themselves, and taking a lead from the pool counts against their limit (as a claim)."""
    if manager or after == before:
        return
    if after != user_id:
        raise SalesError(_("Only a sales manager may give a lead to someone else."),
                         "forbidden")
    if held_by(user_id) >= lead_limit():
        raise SalesError(_("You already hold %(n)s open leads, the most allowed. Close or "
                           "release some first.", n=lead_limit()), "limit_reached")


def claim(lead: Lead, user: User) -> None:
    """Take a lead from the pool, within the per-person limit."""
    if lead.user_id is not None:
        raise SalesError(_("Someone else already holds this lead."), "already_claimed")
    if lead.outcome != "open":
        raise SalesError(_("This lead is closed."), "invalid_state")
    limit = lead_limit()
    if held_by(user.id) >= limit:
        raise SalesError(_("You already hold %(n)s open leads, the most allowed. Close or "
                           "release some first.", n=limit), "limit_reached")
    # a conditional update: of two people claiming at once, one wins
    won = db.session.execute(sa.update(Lead).where(Lead.id == lead.id, Lead.user_id.is_(None))
                             .values(user_id=user.id, last_touched_at=utcnow(),
                                     team_id=sa.func.coalesce(Lead.team_id, _team_of(user.id))))
    if won.rowcount != 1:
        raise SalesError(_("Someone else already holds this lead."), "already_claimed")
    db.session.refresh(lead)


def release(lead: Lead) -> None:
    lead.user_id = None
    add_note(lead, _("Released to the lead pool."))


def disqualify(lead: Lead) -> None:
    lead.status, lead.outcome, lead.closed_at = "disqualified", "lost", utcnow()


def touched(lead: Lead) -> None:
    lead.last_touched_at = utcnow()


def reclaim_idle_leads() -> str:
    """Daily: leads whose salesperson did nothing with them (no activity logged or
    updated, no change) for the configured days go back to the pool. Opportunities stay
    with their owner: the pipeline and its stages follow them."""
    from core.activities.models import Activity

    days = pool_idle_days()
    cutoff = utcnow() - timedelta(days=days)
    recent_activity = sa.select(Activity.id).where(
        Activity.res_model == "sale.lead", Activity.res_id == Lead.id,
        Activity.updated_at >= cutoff).exists()
    idle = (sa.select(Lead.id).where(
        Lead.user_id.is_not(None), Lead.outcome == "open", Lead.type == "lead",
        sa.func.coalesce(Lead.last_touched_at, Lead.created_at) < cutoff, ~recent_activity))
    ids = db.session.execute(idle).scalars().all()
    for start in range(0, len(ids), 500):
        db.session.execute(sa.update(Lead).where(Lead.id.in_(ids[start:start + 500]))
                           .values(user_id=None))
    return f"{len(ids)} leads back in the pool"


def convert(lead: Lead, partner_id: int | None = None, create_partner: bool = True,
            link_duplicate: bool = True) -> Lead:
    """Lead -> opportunity: link it to an existing customer (`partner_id`), or to the likely
    duplicate of its company (unless `link_duplicate` is off), or create the company and its
    contact."""
    if lead.type == "opportunity":
        raise SalesError(_("This is already an opportunity."), "invalid_state")
    if partner_id is None and create_partner:
        company_name = lead.company_name or lead.contact_name or lead.name
        found = likely_duplicates(company_name, lead.email, lead.phone) if link_duplicate \
            else []
        if found:
            partner = found[0]
        else:
            # the company keeps the lead's email only when there is no separate contact
            partner = Partner(name=company_name, is_company=bool(lead.company_name),
                              email=None if lead.company_name and lead.contact_name
                              else lead.email,
                              phone=lead.phone, city=lead.city, country=lead.country,
                              kind="prospect", salesperson_id=lead.user_id)
            db.session.add(partner)
            db.session.flush()
            if lead.company_name and lead.contact_name:
                db.session.add(Partner(name=lead.contact_name, parent_id=partner.id,
                                       email=lead.email, phone=lead.phone, kind="prospect",
                                       city=lead.city, country=lead.country))
        partner_id = partner.id
    elif partner_id is not None and db.session.get(Partner, partner_id) is None:
        raise SalesError(_("No such customer."), "invalid")
    lead.partner_id = partner_id
    lead.type, lead.status = "opportunity", "converted"
    first = first_stage(lead.team_id)
    if first is not None:
        lead.stage_id, lead.probability = first.id, first.probability
    touched(lead)
    return lead


def stages_for(team_id: int | None) -> list[Stage]:
    """The team's own stages when it has some, else the shared ones."""
    query = sa.select(Stage).where(Stage.active.is_(True)).order_by(Stage.sequence, Stage.id)
    own = db.session.execute(query.where(Stage.team_id == team_id)).scalars().all() \
        if team_id else []
    return own or db.session.execute(query.where(Stage.team_id.is_(None))).scalars().all()


def first_stage(team_id: int | None) -> Stage | None:
    stages = [s for s in stages_for(team_id) if not s.is_won and not s.is_lost]
    return stages[0] if stages else None


def move(lead: Lead, stage: Stage) -> None:
    lead.stage_id, lead.probability = stage.id, stage.probability
    if stage.is_won:
        mark_won(lead, stage)
    elif stage.is_lost:
        mark_lost(lead, None, stage)
    else:
        lead.outcome, lead.closed_at = "open", None
    touched(lead)


def mark_won(lead: Lead, stage: Stage | None = None) -> None:
    if lead.type != "opportunity":
        convert(lead)
    stage = stage or next((s for s in stages_for(lead.team_id) if s.is_won), None)
    lead.outcome, lead.probability, lead.closed_at = "won", HUNDRED, utcnow()
    if stage is not None:
        lead.stage_id = stage.id
    touched(lead)


def mark_lost(lead: Lead, reason_id: int | None, stage: Stage | None = None) -> None:
    stage = stage or next((s for s in stages_for(lead.team_id) if s.is_lost), None)
    lead.outcome, lead.probability, lead.closed_at = "lost", Decimal(0), utcnow()
    lead.lost_reason_id = reason_id or lead.lost_reason_id
    if stage is not None:
        lead.stage_id = stage.id
    touched(lead)


def reopen(lead: Lead) -> None:
    first = first_stage(lead.team_id)
    lead.outcome, lead.closed_at, lead.lost_reason_id = "open", None, None
    if first is not None:
        lead.stage_id, lead.probability = first.id, first.probability
    touched(lead)


def new_order_for(lead: Lead, user_id: int) -> Order:
    """A quotation from an opportunity, for its customer."""
    if lead.partner_id is None:
        raise SalesError(_("Convert the lead (or choose its customer) before quoting."),
                         "invalid_state")
    return create_order(lead.partner_id, [], user_id=lead.user_id or user_id,
                        lead_id=lead.id, campaign_id=lead.campaign_id, team_id=lead.team_id)
