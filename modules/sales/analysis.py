"""Sales figures, each one SQL aggregate whatever the number of orders: the weighted
forecast, sales analysis (revenue, margin, orders), price analysis, and customer grading.
Every query starts from core.access.select_for, so a salesperson's figures are their own
and a manager's are everyone's."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from core import access, rollups
from core.auth.models import Team, User
from core.db import db
from core.documents import LINE
from core.partners.models import Partner
from core.rollups import month_of
from core.settings import get_setting
from core.translatable import expression as translated

from .models import (
    SOLD,
    ForecastByMonth,
    Lead,
    Order,
    OrderLine,
    PartnerGrade,
    PipelineCounts,
    Product,
    SalesByCustomer,
    SalesByCustomerEver,
    SalesByMonth,
    SalesByProduct,
)

HUNDRED = Decimal(100)


# -- forecast ----------------------------------------------------------------------------
FORECAST_BY = {"month": None, "user": User.name, "team": Team.name}


def forecast(by: str = "month", start: date | None = None, months: int = 6) -> list[dict]:
    """Open opportunities closing in the coming months: expected revenue, and weighted by
    probability, per month, salesperson or team (from the sums, models.ForecastByMonth)."""
    start = (start or date.today()).replace(day=1)
    end = (start + timedelta(days=32 * months)).replace(day=1)
    table = ForecastByMonth.__table__
    key = {"month": table.c.month, "user": sa.func.coalesce(User.name, ""),
           "team": sa.func.coalesce(Team.name, "")}[by]
    query = sa.select(key.label("key"), sa.func.sum(table.c.rows), sa.func.coalesce(
        sa.func.sum(table.c.expected), 0), sa.func.coalesce(sa.func.sum(table.c.weighted), 0))
    if by == "user":
        query = query.outerjoin(User, User.id == table.c.user_id)
    elif by == "team":
        query = query.outerjoin(Team, Team.id == table.c.team_id)
    query = query.select_from(table).where(
        *rollups.readable(ForecastByMonth), table.c.month >= start.strftime("%Y-%m"),
        table.c.month < end.strftime("%Y-%m")).group_by(key).order_by(key)
    return [{"key": row[0], "count": row[1], "expected": Decimal(row[2]),
             "weighted": Decimal(row[3]).quantize(Decimal("0.01"))}
            for row in db.session.execute(query)]


# -- sales analysis ----------------------------------------------------------------------
def analysis_keys():
    return {
        "customer": (Partner.name, "customer"),
        "product": (sa.func.coalesce(translated(Product, "name"), OrderLine.description),
                    "product"),
        "salesperson": (sa.func.coalesce(User.name, ""), "salesperson"),
        "team": (sa.func.coalesce(Team.name, ""), "team"),
        "month": (month_of(Order.date_order), "month"),
    }


def sales_analysis(by: str = "customer", date_from: date | None = None,
                   date_to: date | None = None, limit: int = 100) -> dict:
    """Revenue (untaxed), cost, margin and order count of confirmed orders, grouped: from
    the sums kept of them (models.SalesBy*) for whole months, else from the orders."""
    by = by if by in analysis_keys() else "customer"
    try:
        found = _summed(by, date_from, date_to, limit)
    except rollups.NotSummed:
        found = _from_orders(by, date_from, date_to, limit)
    rows = []
    for key, revenue, cost, orders in found:
        revenue_, cost_ = Decimal(revenue or 0), Decimal(cost or 0).quantize(Decimal("0.01"))
        rows.append({"key": key, "revenue": revenue_, "cost": cost_,
                     "margin": revenue_ - cost_, "orders": int(orders or 0),
                     "margin_pct": (revenue_ - cost_) / revenue_ * HUNDRED if revenue_ else None})
    totals = {k: sum((r[k] for r in rows), Decimal(0)) for k in ("revenue", "cost", "margin")}
    return {"rows": rows, "totals": totals}


def _months(table, date_from: date | None, date_to: date | None) -> list:
    """The period as conditions on a rollup's month, when it is made of whole months."""
    if (date_from and date_from.day != 1) or (date_to and (date_to + timedelta(1)).day != 1):
        raise rollups.NotSummed("a period of part of a month")
    return [*([table.c.month >= f"{date_from:%Y-%m}"] if date_from else ()),
            *([table.c.month <= f"{date_to:%Y-%m}"] if date_to else ())]


def _summed(by: str, date_from, date_to, limit: int) -> list[tuple]:
    """(name, revenue, cost, orders) of the top `limit` groups, from the sums: the groups
    first, then the names of those shown."""
    cls = {"customer": SalesByCustomer, "product": SalesByProduct}.get(by, SalesByMonth)
    if by == "customer" and not date_from and not date_to and _all_readable(
            SalesByCustomerEver):  # everyone's, all time: one row a customer
        cls = SalesByCustomerEver
    table = cls.__table__
    ids = {"customer": ("partner_id",), "product": ("product_id", "label"),
           "salesperson": ("user_id",), "team": ("team_id",), "month": ("month",)}[by]
    # a row a group already (all its keys grouped by): read as it is, down its index
    whole = set(ids) == set(cls.__rollup__.keys)
    revenue = table.c.revenue if whole else sa.func.sum(table.c.revenue)
    groups = (sa.select(*(table.c[i] for i in ids), revenue.label("revenue"),
                        *((table.c.cost, table.c.orders) if whole else (
                            sa.func.sum(table.c.cost).label("cost"),
                            sa.func.sum(table.c.orders).label("orders"))))
              .where(*rollups.readable(cls), *(_months(table, date_from, date_to)
                                               if "month" in table.c else ()))
              .group_by(*(() if whole else (table.c[i] for i in ids)))
              .order_by(table.c.month if by == "month" else revenue.desc()).limit(limit)
              ).subquery()
    sums = (groups.c.revenue, groups.c.cost, groups.c.orders)
    if by == "month":
        query = sa.select(groups.c.month, *sums)
    elif by == "customer":
        query = sa.select(Partner.name, *sums).join(Partner, Partner.id == groups.c.partner_id)
    elif by == "product":
        query = sa.select(sa.func.coalesce(translated(Product, "name"), sa.func.nullif(
            groups.c.label, "")), *sums).outerjoin(Product, Product.id == groups.c.product_id)
    else:
        named = User if by == "salesperson" else Team
        query = sa.select(sa.func.coalesce(named.name, ""), *sums).outerjoin(
            named, named.id == groups.c[ids[0]])
    query = query.select_from(groups).order_by(
        groups.c.month if by == "month" else groups.c.revenue.desc())
    return [tuple(row) for row in db.session.execute(query)]


def _all_readable(cls) -> bool:
    """The user reads every row `cls` sums (no record rule narrows them)."""
    try:
        return not rollups.readable(cls)
    except rollups.NotSummed:
        return False


def _from_orders(by: str, date_from, date_to, limit: int) -> list[tuple]:
    """The same figures summed from the orders themselves (a period of part of a month,
    or a record rule the sums cannot answer)."""
    key, _name = analysis_keys()[by]
    revenue = sa.func.coalesce(sa.func.sum(OrderLine.amount_untaxed), 0)
    cost = sa.func.coalesce(sa.func.sum(OrderLine.cost * OrderLine.quantity), 0)
    query = (access.select_for(Order).with_only_columns(
        key.label("key"), revenue.label("revenue"), cost.label("cost"),
        sa.func.count(sa.distinct(Order.id)).label("orders")).select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Partner, Partner.id == Order.partner_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .outerjoin(User, User.id == Order.user_id).outerjoin(Team, Team.id == Order.team_id)
        .where(Order.state.in_(SOLD), OrderLine.display_type == LINE))
    if date_from:
        query = query.where(Order.date_order >= date_from)
    if date_to:
        query = query.where(Order.date_order <= date_to)
    # a customer by id, as the sums keep them: two of the same name stay two rows
    groups = (Partner.id, key) if by == "customer" else (key,)
    query = query.group_by(*groups).order_by(
        key if by == "month" else revenue.desc()).limit(limit)
    return [tuple(row) for row in db.session.execute(query)]


def price_analysis(date_from: date | None = None, date_to: date | None = None,
                   limit: int = 200) -> dict:
    """Each product's share of sales and of margin, its average price against its list
    price (how much discounting costs), over confirmed orders."""
    try:
        found = _prices_summed(date_from, date_to, limit)
    except rollups.NotSummed:
        found = _prices_from_orders(date_from, date_to, limit)
    total_revenue = sum((Decimal(r[2]) for r in found), Decimal(0))
    total_margin = sum((Decimal(r[2]) - Decimal(r[3]) for r in found), Decimal(0))
    rows = []
    for name, list_price, rev, cst, qty in found:
        rev, margin, qty = Decimal(rev), Decimal(rev) - Decimal(cst), Decimal(qty)
        average = (rev / qty).quantize(Decimal("0.01")) if qty else Decimal(0)
        rows.append({
            "product": name, "revenue": rev, "margin": margin.quantize(Decimal("0.01")),
            "quantity": qty, "list_price": list_price, "average_price": average,
            "revenue_share": rev / total_revenue * HUNDRED if total_revenue else Decimal(0),
            "margin_share": margin / total_margin * HUNDRED if total_margin else Decimal(0),
            "discounting": (list_price - average) / list_price * HUNDRED
            if list_price else Decimal(0)})
    return {"rows": rows, "revenue": total_revenue, "margin": total_margin}


def _prices_summed(date_from, date_to, limit: int) -> list[tuple]:
    table = SalesByProduct.__table__
    revenue = sa.func.sum(table.c.revenue)
    groups = (sa.select(table.c.product_id, revenue.label("revenue"),
                        sa.func.sum(table.c.cost).label("cost"),
                        sa.func.sum(table.c.quantity).label("quantity"))
              .where(table.c.product_id != 0, *rollups.readable(SalesByProduct),
                     *_months(table, date_from, date_to))
              .group_by(table.c.product_id).order_by(revenue.desc()).limit(limit)).subquery()
    return [tuple(row) for row in db.session.execute(
        sa.select(translated(Product, "name"), Product.list_price, groups.c.revenue,
                  groups.c.cost, groups.c.quantity).select_from(groups)
        .join(Product, Product.id == groups.c.product_id).order_by(groups.c.revenue.desc()))]


def _prices_from_orders(date_from, date_to, limit: int) -> list[tuple]:
    revenue = sa.func.sum(OrderLine.amount_untaxed)
    query = (access.select_for(Order).with_only_columns(
        translated(Product, "name"), Product.list_price, revenue,
        sa.func.sum(OrderLine.cost * OrderLine.quantity), sa.func.sum(OrderLine.quantity))
        .select_from(Order).join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(Order.state.in_(SOLD), OrderLine.display_type == LINE))
    if date_from:
        query = query.where(Order.date_order >= date_from)
    if date_to:
        query = query.where(Order.date_order <= date_to)
    return [tuple(row) for row in db.session.execute(
        query.group_by(Product.id, Product.list_price).order_by(revenue.desc()).limit(limit))]


# -- customer grading --------------------------------------------------------------------
def grading_settings() -> tuple[str, int, int, int]:
    """(basis: revenue | margin, period in days, A share %, B share %)."""
    return (get_setting("sales.grade_basis", "revenue"),
            int(get_setting("sales.grade_days", "365")),
            int(get_setting("sales.grade_a", "80")), int(get_setting("sales.grade_b", "95")))


def grade_customers(today: date | None = None) -> str:
    """ABC grading: customers sorted by their contribution over the period; those making
    the first A% of it are A, up to B% are B, the rest with sales C. Customers with no
    sales in the period lose their grade. Computed for everyone (a job, not a user)."""
    basis, days, share_a, share_b = grading_settings()
    since = (today or date.today()) - timedelta(days=days)
    value = OrderLine.amount_untaxed if basis == "revenue" else \
        OrderLine.amount_untaxed - OrderLine.cost * OrderLine.quantity
    contribution = sa.func.sum(value)
    rows = db.session.execute(
        sa.select(Order.partner_id, contribution)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.state.in_(SOLD), Order.date_order >= since)
        .group_by(Order.partner_id).order_by(contribution.desc(), Order.partner_id)).all()
    total = sum((Decimal(r[1]) for r in rows if r[1] and r[1] > 0), Decimal(0))
    grades: dict[str, list[int]] = {"A": [], "B": [], "C": []}
    running = Decimal(0)
    for partner_id, amount in rows:
        amount = Decimal(amount or 0)
        share_before = running / total * HUNDRED if total else HUNDRED
        grade = "A" if share_before < share_a and amount > 0 else \
            "B" if share_before < share_b and amount > 0 else "C"
        running += max(amount, Decimal(0))
        grades[grade].append(partner_id)
    # the grades are made whole again: customers who bought nothing in the period lose theirs
    db.session.execute(sa.delete(PartnerGrade))
    graded = [{"partner_id": pid, "grade": grade} for grade, ids in grades.items()
              for pid in ids]
    for start in range(0, len(graded), 5000):
        db.session.execute(sa.insert(PartnerGrade), graded[start:start + 5000])
    return ", ".join(f"{g}: {len(ids)}" for g, ids in grades.items())


# -- campaigns ---------------------------------------------------------------------------
def campaign_results(campaign_ids: list[int]) -> dict[int, dict]:
    """Leads, won opportunities and revenue of confirmed orders per campaign, in two
    queries for the whole page."""
    results = {i: {"leads": 0, "won": 0, "revenue": Decimal(0)} for i in campaign_ids}
    if not campaign_ids:
        return results
    for cid, leads, won in db.session.execute(
            sa.select(Lead.campaign_id, sa.func.count(Lead.id),
                      sa.func.sum(sa.case((Lead.outcome == "won", 1), else_=0)))
            .where(Lead.campaign_id.in_(campaign_ids)).group_by(Lead.campaign_id)):
        results[cid].update(leads=leads, won=int(won or 0))
    for cid, revenue in db.session.execute(
            sa.select(Order.campaign_id, sa.func.sum(Order.amount_untaxed))
            .where(Order.campaign_id.in_(campaign_ids), Order.state.in_(SOLD))
            .group_by(Order.campaign_id)):
        results[cid]["revenue"] = Decimal(revenue or 0)
    return results


# -- dashboard figures -------------------------------------------------------------------
def my_pipeline(user_id: int) -> list[dict]:
    """The user's open opportunities by stage (from the counts, models.PipelineCounts)."""
    from .models import Stage

    table = PipelineCounts.__table__
    rows = db.session.execute(
        sa.select(translated(Stage, "name"), sa.func.sum(table.c.rows), sa.func.coalesce(
            sa.func.sum(table.c.expected_revenue), 0))
        .join(Stage, Stage.id == table.c.stage_id)
        .where(table.c.user_id == user_id, table.c.type == "opportunity",
               table.c.outcome == "open")
        .group_by(Stage.id, Stage.sequence).order_by(Stage.sequence)).all()
    return [{"stage": r[0], "count": r[1], "amount": Decimal(r[2])} for r in rows]


def won_this_month(user_id: int | None, today: date | None = None) -> dict:
    first = (today or date.today()).replace(day=1)
    query = sa.select(sa.func.count(Order.id), sa.func.coalesce(
        sa.func.sum(Order.amount_untaxed), 0)).where(Order.state.in_(SOLD),
                                                     Order.date_order >= first)
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    count, amount = db.session.execute(query).one()
    return {"count": count, "amount": Decimal(amount)}
