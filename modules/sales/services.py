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
from core.documents import build_lines, document_totals
from core.errors import Refusal, Warn
from core.modules import get_registry
from core.partners.duplicates import likely_duplicates
from core.partners.models import Partner
from core.sequences import next_number
from core.settings import get_setting
from core.timeline import add_note, log_update

from . import grades
from .models import AssignmentRule, Lead, Order, OrderLine, Pricelist, PricelistItem, Product, Stage

HUNDRED = Decimal(100)


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
        "partner_id": partner.id, "on": on or date.today(),
        "product_ids": list(product_ids)}).scalars().all()


# Built once: composing a statement costs more than running it, and pricing reads rows of
# a few columns, not whole records.
_CUSTOMER = sa.select(Partner.id).where(Partner.id == sa.bindparam("id"))
_PRODUCTS = (sa.select(Product.id, Product.name, Product.list_price, Product.cost,
                       Product.tax_rate)
             .where(Product.id.in_(sa.bindparam("ids", expanding=True))))
# The customer's grade is sales' (grades.py); one without a grade compares NULL and matches
# no grade's list.
_ON = sa.bindparam("on", type_=sa.Date)
_PRICE_RULES = (
    sa.select(PricelistItem)
    .join(Pricelist, Pricelist.id == PricelistItem.pricelist_id)
    .where(sa.or_(Pricelist.partner_id == sa.bindparam("partner_id"),
                  sa.and_(Pricelist.partner_id.is_(None),
                          Pricelist.grade == grades.grade_of_bound("partner_id"))),
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
def set_lines(order: Order, lines: list[dict]) -> None:
    """Replace the order's lines with `lines` (core.documents rows; a product line may give
    only its product and quantity), pricing what is not given from the customer's price
    list, and recompute the totals. Only quotations may change."""
    if order.state not in ("draft", "sent"):
        raise Refusal(_("Only quotations can be changed; this order is %(state)s.",
                        state=Order.__workflow__.label(order.state)), "invalid_state")
    customer = db.session.execute(_CUSTOMER, {"id": order.partner_id}).first()
    if customer is None:
        raise Refusal(_("Choose a customer."), "invalid")
    ids = {line.get("product_id") for line in lines if line.get("product_id")}
    products = {p.id: p for p in db.session.execute(_PRODUCTS, {"ids": list(ids)})} \
        if ids else {}
    rules = price_rules(customer, products, order.date_order) if products else []

    def priced(number, row):
        """A product line's name, price, discount, tax and cost from the product and the
        price list, where the row does not give its own."""
        if not row.get("product_id"):
            return {**row, "product_id": None}
        product = products.get(row["product_id"])
        if product is None:
            raise Refusal(_("Line %(n)s: no such product.", n=number), "invalid")
        quantity = row.get("quantity") if row.get("quantity") is not None else Decimal(1)
        try:
            price, discount, pricelist_id = pick_price(rules, product, Decimal(quantity))
        except ArithmeticError:
            price, discount, pricelist_id = product.list_price, Decimal(0), None
        if pricelist_id and not order.pricelist_id:
            order.pricelist_id = pricelist_id
        given = {k: v for k, v in row.items() if v is not None and v != ""}
        return {"description": product.name, "price_unit": price, "discount": discount,
                "tax_rate": product.tax_rate, **given, "cost": product.cost}

    built = build_lines(OrderLine, lines, priced)
    order.amount_untaxed, order.amount_tax, order.amount_total = document_totals(built)
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
    order = Order(partner_id=partner_id, user_id=user_id, **values)
    new_order(order)
    set_lines(order, lines)  # checks the customer, stores the order, then its lines
    return order


def new_order(order: Order, user_id: int | None = None) -> None:
    """What a new quotation starts with, however it is made (page, API, opportunity, job):
    its number, dates, salesperson and their team."""
    order.state = "draft"
    order.user_id = order.user_id or user_id
    order.date_order = order.date_order or date.today()
    order.validity_date = order.validity_date or order.date_order + timedelta(days=30)
    order.name = next_number("SO", order.date_order.year)
    if order.user_id and order.team_id is None:
        order.team_id = _team_of(order.user_id)


def mark_sent(order: Order) -> None:
    Order.__workflow__.move(order, "sent")


def confirm(order: Order, override: str | None = None) -> list[Warn]:
    """Quotation -> sales order. Modules may refuse (`sale.order.confirming` handlers return
    a core.errors.Refusal) or warn (they return a Warn); `override` is a manager's written
    reason to go past a refusal, which handlers receive and may accept. Returns warnings."""
    Order.__workflow__.check(order, "confirmed")
    lines = db.session.execute(sa.select(sa.func.count(OrderLine.id)).where(
        OrderLine.order_id == order.id)).scalar()
    if not lines:
        raise Refusal(_("Add at least one line before confirming."), "invalid")
    registry = get_registry()
    answers = registry.send("sale.order.confirming", order, override=override)
    refusal = next((a for a in answers if isinstance(a, Refusal)), None)
    if refusal is not None:
        raise refusal
    warnings = [a for a in answers if isinstance(a, Warn)]
    order.state, order.confirmed_at = "confirmed", utcnow()
    for warning in warnings:
        add_note(order, warning.message)
    if override:
        add_note(order, _("Confirmed with a manager's override: %(reason)s", reason=override))
    partner = db.session.get(Partner, order.partner_id)
    if partner.kind == "prospect":
        partner.kind = "customer"
    if order.lead_id:  # its deal is won, unless someone closed it meanwhile (locked: read now)
        lead = db.session.get(Lead, order.lead_id, with_for_update=True,
                              populate_existing=True)
        if lead is not None and lead.outcome == "open":
            mark_won(lead)
    registry.send("sale.order.confirmed", order)
    return warnings


def mark_done(order: Order) -> None:
    Order.__workflow__.move(order, "done")


def cancel(order: Order) -> None:
    """Modules may refuse (`sale.order.cancelling` handlers return a Refusal, e.g. billing
    while the order has posted invoices)."""
    Order.__workflow__.check(order, "cancelled")
    for answer in get_registry().send("sale.order.cancelling", order):
        if isinstance(answer, Refusal):
            raise answer
    order.state = "cancelled"
    get_registry().send("sale.order.cancelled", order)


def back_to_draft(order: Order) -> None:
    Order.__workflow__.move(order, "draft")


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
        raise Refusal(_("Only a sales manager may give a lead to someone else."),
                         "forbidden")
    if held_by(user_id) >= lead_limit():
        raise Refusal(_("You already hold %(n)s open leads, the most allowed. Close or "
                           "release some first.", n=lead_limit()), "limit_reached")


def claim(lead: Lead, user: User) -> None:
    """Take a lead from the pool, within the per-person limit."""
    if lead.user_id is not None:
        raise Refusal(_("Someone else already holds this lead."), "already_claimed")
    if lead.outcome != "open":
        raise Refusal(_("This lead is closed."), "invalid_state")
    limit = lead_limit()
    if held_by(user.id) >= limit:
        raise Refusal(_("You already hold %(n)s open leads, the most allowed. Close or "
                           "release some first.", n=limit), "limit_reached")
    # a conditional update: of two people claiming at once, one wins
    old = {"user_id": lead.user_id, "team_id": lead.team_id}
    won = db.session.execute(sa.update(Lead).where(Lead.id == lead.id, Lead.user_id.is_(None))
                             .values(user_id=user.id, last_touched_at=utcnow(),
                                     team_id=sa.func.coalesce(Lead.team_id, _team_of(user.id))))
    if won.rowcount != 1:
        raise Refusal(_("Someone else already holds this lead."), "already_claimed")
    db.session.refresh(lead)
    log_update(lead, old)  # the UPDATE went past the session's change log


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
    conditions = (Lead.user_id.is_not(None), Lead.outcome == "open", Lead.type == "lead",
                  sa.func.coalesce(Lead.last_touched_at, Lead.created_at) < cutoff,
                  ~recent_activity)
    ids = db.session.execute(sa.select(Lead.id).where(*conditions)).scalars().all()
    reclaimed = 0
    for start in range(0, len(ids), 500):
        # the conditions again: a lead its owner worked on since the query above stays theirs
        reclaimed += db.session.execute(
            sa.update(Lead).where(Lead.id.in_(ids[start:start + 500]), *conditions)
            .values(user_id=None)).rowcount
    return f"{reclaimed} leads back in the pool"


def convert(lead: Lead, partner_id: int | None = None, create_partner: bool = True,
            link_duplicate: bool = True) -> Lead:
    """Lead -> opportunity: link it to an existing customer (`partner_id`), or to the likely
    duplicate of its company (unless `link_duplicate` is off), or create the company and its
    contact."""
    if lead.type == "opportunity":
        raise Refusal(_("This is already an opportunity."), "invalid_state")
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
        raise Refusal(_("No such customer."), "invalid")
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
        raise Refusal(_("Convert the lead (or choose its customer) before quoting."),
                         "invalid_state")
    return create_order(lead.partner_id, [], user_id=lead.user_id or user_id,
                        lead_id=lead.id, campaign_id=lead.campaign_id, team_id=lead.team_id)
