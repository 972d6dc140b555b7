"""Sales records: products and price lists, leads and opportunities (one model, two
stages of the same deal), campaigns, and quotations/orders with their lines."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.choices import COUNTRIES
from core.db import Model, db
from core.documents import LINE, PERCENT, DocumentLine, DocumentTotals, Money, Percent, Quantity
from core.rollups import Rollup, month_of
from core.workflow import ALL, Workflow

UNITS = {"unit": _l("Unit"), "hour": _l("Hour"), "day": _l("Day"), "kg": _l("kg"),
         "box": _l("Box"), "month": _l("Month")}
CHANNELS = {"email": _l("Email"), "event": _l("Event"), "ads": _l("Advertising"),
            "social": _l("Social media"), "phone": _l("Telephone"), "other": _l("Other")}
LEAD_TYPES = {"lead": _l("Lead"), "opportunity": _l("Opportunity")}
LEAD_STATUSES = {"new": _l("New"), "contacted": _l("Contacted"), "qualified": _l("Qualified"),
                 "converted": _l("Converted"), "disqualified": _l("Disqualified")}
PRIORITIES = {0: _l("Normal"), 1: _l("Good"), 2: _l("Very good"), 3: _l("Excellent")}
OUTCOMES = {"open": _l("Open"), "won": _l("Won"), "lost": _l("Lost")}
ORDER_STATES = {"draft": _l("Quotation"), "sent": _l("Quotation sent"),
                "confirmed": _l("Sales order"), "done": _l("Done"),
                "cancelled": _l("Cancelled")}
GRADE_LEVELS = {"A": "A", "B": "B", "C": "C"}
SOLD = ("confirmed", "done")  # the orders sales figures count


class Product(Model):
    __model__ = "product"
    __timeline__ = True

    name: Mapped[str] = mapped_column(sa.String(200), index=True,
                                      info={"label": _l("Name"), "translatable": True})
    code: Mapped[str | None] = mapped_column(sa.String(64), unique=True,
                                             info={"label": _l("Internal reference")})
    category: Mapped[str | None] = mapped_column(sa.String(128), index=True,
                                                 info={"label": _l("Category")})
    unit: Mapped[str] = mapped_column(sa.String(16), default="unit",
                                      info={"label": _l("Unit"), "choices": UNITS})
    list_price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                                info={"label": _l("Sales price"), "min": 0})
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                          info={"label": _l("Cost"), "min": 0})
    tax_rate: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0),
                                              info={"label": _l("Tax rate"), **PERCENT})
    active: Mapped[bool] = mapped_column(default=True, index=True, info={"label": _l("Active")})
    # what quotations print under the product's name, in the customer's language
    description: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": _l("Description"), "translatable": True})

    def __str__(self) -> str:
        return f"[{self.code}] {self.name}" if self.code else self.name


class Pricelist(Model):
    """Prices for one customer or for every customer of a grade, within dates."""
    __model__ = "sale.pricelist"

    name: Mapped[str] = mapped_column(sa.String(128), info={"label": _l("Name")})
    partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Customer")})
    grade: Mapped[str | None] = mapped_column(
        sa.String(1), index=True, info={"label": _l("Customer grade"), "choices": GRADE_LEVELS})
    date_from: Mapped[date | None] = mapped_column(info={"label": _l("Valid from")})
    date_to: Mapped[date | None] = mapped_column(info={"label": _l("Valid until")})
    active: Mapped[bool] = mapped_column(default=True, index=True, info={"label": _l("Active")})


class PartnerGrade(db.Model):
    """A customer's ABC grade: sales' extension of core's partner, a row per graded
    partner, written only by the grading job (analysis.grade_customers). Price lists by
    grade, the contacts list and the partner's API resource read it (grades.py)."""
    __tablename__ = "sale_partner_grade"

    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    grade: Mapped[str] = mapped_column(
        sa.String(1), index=True, info={"label": _l("Customer grade"), "choices": GRADE_LEVELS})


class PricelistItem(Model):
    """One rule: for a product (or every product) from a quantity on, a fixed price or a
    discount off the list price."""
    __model__ = "sale.pricelist.item"

    pricelist_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sale_pricelist.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Price list")})
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("product.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Product")})
    min_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0),
                                                  info={"label": _l("From quantity"), "min": 0})
    fixed_price: Mapped[Decimal | None] = mapped_column(Money, info={"label": _l("Price"),
                                                                     "min": 0})
    discount: Mapped[Decimal | None] = mapped_column(Percent, info={"label": _l("Discount"),
                                                                    **PERCENT})


class LeadSource(Model):
    __model__ = "sale.source"

    name: Mapped[str] = mapped_column(sa.String(128), unique=True,
                                      info={"label": _l("Name"), "translatable": True})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})


class LostReason(Model):
    __model__ = "sale.lost_reason"

    name: Mapped[str] = mapped_column(sa.String(128), unique=True,
                                      info={"label": _l("Name"), "translatable": True})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})


class Stage(Model):
    """A pipeline stage; a team may have its own (team empty = every team's)."""
    __model__ = "sale.stage"
    __order__ = ("sequence",)  # pickers list the stages as the pipeline runs

    name: Mapped[str] = mapped_column(sa.String(128),
                                      info={"label": _l("Name"), "translatable": True})
    sequence: Mapped[int] = mapped_column(default=10, index=True,
                                          info={"label": _l("Sequence")})
    probability: Mapped[Decimal] = mapped_column(Percent, default=Decimal(10),
                                                 info={"label": _l("Probability"), **PERCENT})
    is_won: Mapped[bool] = mapped_column(default=False, info={"label": _l("Won stage")})
    is_lost: Mapped[bool] = mapped_column(default=False, info={"label": _l("Lost stage")})
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_team.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Team")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})


class Campaign(Model):
    __model__ = "sale.campaign"
    __timeline__ = True

    name: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Name")})
    channel: Mapped[str] = mapped_column(sa.String(16), default="email", index=True,
                                         info={"label": _l("Channel"), "choices": CHANNELS})
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                          info={"label": _l("Cost"), "min": 0})
    date_start: Mapped[date | None] = mapped_column(info={"label": _l("Start")})
    date_end: Mapped[date | None] = mapped_column(info={"label": _l("End")})
    active: Mapped[bool] = mapped_column(default=True, index=True, info={"label": _l("Active")})


class AssignmentRule(Model):
    """New leads matching the source and/or country go to the team, round-robin among its
    members (or to one salesperson when given)."""
    __model__ = "sale.assignment"

    sequence: Mapped[int] = mapped_column(default=10, info={"label": _l("Sequence")})
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sale_source.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Source")})
    country: Mapped[str | None] = mapped_column(
        sa.String(2), info={"label": _l("Country"), "choices": COUNTRIES})
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_team.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Team")})
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Salesperson")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})


class Lead(Model):
    """A lead (someone who may buy) and, once qualified, the opportunity (a deal in the
    pipeline): the same record, so its history and activities stay in one place."""
    __model__ = "sale.lead"
    __timeline__ = True
    __activities__ = True  # an Activities panel on its page (core.activities)
    # the board reads each stage's newest cards, the forecast open deals by closing date,
    # the nightly pool job held leads by last touch
    __table_args__ = (sa.Index("ix_sale_lead_board", "type", "stage_id", "updated_at", "id"),
                      sa.Index("ix_sale_lead_forecast", "type", "outcome", "expected_close",
                               "expected_revenue", "probability"),
                      sa.Index("ix_sale_lead_pool", "type", "user_id", "last_touched_at"),
                      # the opportunity list's order: the first page without a sort
                      sa.Index("ix_sale_lead_revenue", "type", "expected_revenue", "id"))
    # what the lead list searches, by an index (core.search; migration sales_0005)
    __search__ = ("name", "company_name", "contact_name", "email", "phone")

    name: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Subject")})
    type: Mapped[str] = mapped_column(sa.String(16), default="lead",
                                      info={"label": _l("Type"), "choices": LEAD_TYPES})
    status: Mapped[str] = mapped_column(sa.String(16), default="new", index=True,
                                        info={"label": _l("Status"), "choices": LEAD_STATUSES})
    contact_name: Mapped[str | None] = mapped_column(sa.String(200),
                                                     info={"label": _l("Contact name")})
    company_name: Mapped[str | None] = mapped_column(sa.String(200),
                                                     info={"label": _l("Company name")})
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True,
                                              info={"label": _l("Email"), "format": "email"})
    phone: Mapped[str | None] = mapped_column(sa.String(64), info={"label": _l("Phone")})
    city: Mapped[str | None] = mapped_column(sa.String(128), info={"label": _l("City")})
    country: Mapped[str | None] = mapped_column(
        sa.String(2), index=True, info={"label": _l("Country"), "choices": COUNTRIES})
    partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Customer")})
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sale_source.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Source")})
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sale_campaign.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Campaign")})
    # a salesperson takes a lead from the pool or keeps it (the claim rules: api.saving_lead)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Salesperson")})
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_team.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Team"), "write_right": "sales.assign"})
    stage_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sale_stage.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Stage")})
    outcome: Mapped[str] = mapped_column(sa.String(8), default="open", index=True,
                                         info={"label": _l("Outcome"), "choices": OUTCOMES})
    probability: Mapped[Decimal] = mapped_column(Percent, default=Decimal(10),
                                                 info={"label": _l("Probability"), **PERCENT})
    expected_revenue: Mapped[Decimal] = mapped_column(
        Money, default=Decimal(0), info={"label": _l("Expected revenue"), "min": 0})
    expected_close: Mapped[date | None] = mapped_column(
        index=True, info={"label": _l("Expected closing")})
    priority: Mapped[int] = mapped_column(default=0,
                                          info={"label": _l("Priority"), "choices": PRIORITIES,
                                                "widget": "priority"})
    lost_reason_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sale_lost_reason.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Lost reason")})
    closed_at: Mapped[datetime | None] = mapped_column(index=True,
                                                       info={"label": _l("Closed on")})
    # when the salesperson last did something with it (an activity, a stage move): the
    # pool takes back leads left untouched for longer than the setting allows
    last_touched_at: Mapped[datetime | None] = mapped_column(info={"label": _l("Last touched")})
    notes: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Notes")})

    def __str__(self) -> str:
        return self.name


class Order(DocumentTotals, Model):
    """A quotation until confirmed, then a sales order."""
    __model__ = "sale.order"
    __timeline__ = True
    __activities__ = True  # an Activities panel on its page (core.activities)
    # a confirmed order is what the customer agreed to: nothing on it changes after, by
    # any path; cancelling and setting it back to quotation is the way to amend it
    __workflow__ = Workflow(
        states=ORDER_STATES,
        moves={"draft": ("sent", "confirmed", "cancelled"), "sent": ("confirmed", "cancelled"),
               "confirmed": ("done", "cancelled"), "cancelled": ("draft",)},
        locked={"confirmed": ALL, "done": ALL, "cancelled": ALL}, aside=("cancelled",))
    __table_args__ = (sa.Index("ix_sale_order_state_date", "state", "date_order"),)
    __search__ = ("name",)  # the number, by an index (core.search; migration sales_0005)

    name: Mapped[str] = mapped_column(sa.String(32), unique=True, info={"label": _l("Number")})
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Customer")})
    # whose order it is (the salespeople's record rule): a new one is its creator's
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Salesperson"), "write_right": "sales.assign"})
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_team.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Team"), "write_right": "sales.assign"})
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sale_lead.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Opportunity")})
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sale_campaign.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Campaign")})
    pricelist_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sale_pricelist.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Price list")})
    date_order: Mapped[date] = mapped_column(default=date.today, index=True,
                                             info={"label": _l("Order date")})
    validity_date: Mapped[date | None] = mapped_column(info={"label": _l("Valid until")})
    state: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True,
                                       info={"label": _l("Status"), "choices": ORDER_STATES})
    confirmed_at: Mapped[datetime | None] = mapped_column(info={"label": _l("Confirmed on")})
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Terms and notes")})

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.sequence",
        lazy="raise")

    def __str__(self) -> str:
        return self.name

    def delete_refusal(self) -> str | None:
        if self.state in ("draft", "cancelled"):
            return None
        return str(_l("A confirmed order is not deleted: cancel it."))

    def invoice_lines(self) -> list[dict]:
        """What there is to bill, for a module that invoices (billing does not import
        sales: it receives the order with `sale.order.confirmed` and reads this)."""
        from core.db import db

        rows = db.session.execute(sa.select(OrderLine).where(OrderLine.order_id == self.id)
                                  .order_by(OrderLine.sequence)).scalars()
        return [{"order_line_id": line.id, "product_id": line.product_id,
                 "display_type": line.display_type,
                 "description": line.description, "quantity": line.quantity,
                 "price_unit": line.price_unit, "discount": line.discount,
                 "tax_rate": line.tax_rate} for line in rows]


class OrderLine(DocumentLine, Model):
    __model__ = "sale.order.line"
    __table_args__ = (sa.Index("ix_sale_order_line_order_seq", "order_id", "sequence"),)

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("sale_order.id", ondelete="CASCADE"),
                                          info={"label": _l("Order")})
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("product.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Product")})
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                          info={"label": _l("Unit cost")})

    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise")


# -- sums of sold orders (core.rollups): what the analysis pages and widgets read ----------
def _sold(keys: dict, salespeople: bool = True, **measures) -> Rollup:
    """Sold orders' lines summed by `keys`, and by salesperson and team, which the
    salespeople's record rule reads (without them: sums only those who see every order
    may read)."""
    if salespeople:
        keys = {**keys, "user_id": Order.user_id, "team_id": Order.team_id}
    return Rollup(
        source=Order, parts={OrderLine: OrderLine.order_id},
        joins=((OrderLine, OrderLine.order_id == Order.id),),
        counted=(Order.state, SOLD), where=(OrderLine.display_type == LINE,), keys=keys,
        measures={"revenue": sa.func.sum(OrderLine.amount_untaxed),
                  "cost": sa.func.sum(OrderLine.cost * OrderLine.quantity, type_=Money),
                  # an order has one month, customer, salesperson and team: its count adds up
                  "orders": sa.func.count(sa.distinct(Order.id)), **measures})


class SalesByMonth(db.Model):
    """By month, salesperson and team: a few hundred rows whatever the orders."""
    __rollup__ = _sold({"month": month_of(Order.date_order)})
    __table__ = __rollup__.table("sale_sum_month")


class SalesByCustomer(db.Model):
    """By customer and month; the index sums a customer's months without the table."""
    __rollup__ = _sold({"partner_id": Order.partner_id, "month": month_of(Order.date_order)})
    __rollup__.indexes = (("partner_id", "revenue", "cost", "orders", "month"),)
    __table__ = __rollup__.table("sale_sum_customer")


class SalesByCustomerEver(db.Model):
    """By customer alone, all time: the analysis of everyone's sales by customer, its top
    customers read from the revenue's index (every month and salesperson would be summed
    on each request)."""
    __rollup__ = _sold({"partner_id": Order.partner_id}, salespeople=False)
    __rollup__.indexes = (("revenue",),)
    __table__ = __rollup__.table("sale_sum_customer_ever")


class SalesByProduct(db.Model):
    """By product (a line without one: by its description) and month."""
    __rollup__ = _sold({"product_id": OrderLine.product_id, "label": sa.case(
        (OrderLine.product_id.is_(None), sa.func.substr(OrderLine.description, 1, 64)),
        else_=""), "month": month_of(Order.date_order)},
        quantity=sa.func.sum(OrderLine.quantity))
    __table__ = __rollup__.table("sale_sum_product")


# -- counts the lists' groups read (core.ui.generic.grouping) ------------------------------
class OrderCounts(db.Model):
    """Orders by state, salesperson and team: the order list grouped or filtered by them."""
    __rollup__ = Rollup(source=Order, keys={
        "state": Order.state, "user_id": Order.user_id, "team_id": Order.team_id},
        measures={"amount_total": sa.func.sum(Order.amount_total)})
    __table__ = __rollup__.table("sale_count_order")


class LeadCounts(db.Model):
    """Leads by status, source, salesperson and team: the lead list's groups."""
    __rollup__ = Rollup(source=Lead, keys={
        "type": Lead.type, "status": Lead.status, "source_id": Lead.source_id,
        "user_id": Lead.user_id, "team_id": Lead.team_id}, measures={})
    __table__ = __rollup__.table("sale_count_lead")


class PipelineCounts(db.Model):
    """Opportunities by stage, outcome, salesperson and team: the pipeline's groups and
    its board's columns."""
    __rollup__ = Rollup(source=Lead, keys={
        "type": Lead.type, "stage_id": Lead.stage_id, "outcome": Lead.outcome,
        "user_id": Lead.user_id, "team_id": Lead.team_id},
        measures={"expected_revenue": sa.func.sum(Lead.expected_revenue)})
    __table__ = __rollup__.table("sale_count_pipeline")


class ForecastByMonth(db.Model):
    """Open opportunities by closing month, salesperson and team: the forecast and its
    widget. The weighted revenue keeps six places, so that rounding comes once, when read."""
    __rollup__ = Rollup(source=Lead, where=(Lead.type == "opportunity", Lead.outcome == "open"),
                        keys={"month": month_of(Lead.expected_close), "user_id": Lead.user_id,
                              "team_id": Lead.team_id},
                        measures={"expected": sa.func.sum(Lead.expected_revenue),
                                  "weighted": sa.func.sum(
                                      Lead.expected_revenue * Lead.probability / 100,
                                      type_=sa.Numeric(20, 6))})
    __table__ = __rollup__.table("sale_sum_forecast")
