"""Sales pages: generic views for the records, plus what a salesperson does all day — the
lead pool, claiming, converting, the pipeline, quotations with lines, confirming — and the
forecast and analysis pages."""
from __future__ import annotations

import contextlib
import json
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from core import access, numbers, translatable
from core.db import db
from core.documents import Editor, posted_rows
from core.partners.models import Partner
from core.settings import get_setting, set_setting
from core.taxes.models import tax_choices
from core.ui import formats
from core.ui.forms import LOOKUP_LIMIT, choices_of, id_value
from core.ui.generic import Board, Calendar, Column, ModelViews, Report, team_filter

from . import analysis, grades, services
from .models import (
    AssignmentRule,
    Campaign,
    Lead,
    LeadCounts,
    LeadSource,
    LostReason,
    Order,
    OrderCounts,
    OrderLine,
    PipelineCounts,
    Pricelist,
    PricelistItem,
    Product,
    Stage,
)

bp = Blueprint("sales", __name__, url_prefix="/sales", template_folder="templates")


# -- configuration records ----------------------------------------------------------------
products = ModelViews(
    Product, "products", _l("Products"),
    columns=["name", "code", "category", "unit", "list_price", "cost", "tax_rate"],
    fields=["name", "code", "category", "unit", "list_price", "cost", "tax_rate", "active",
            "description"],
    search=("name", "code", "category"), filters=("unit", "active"),
    group_by=("category", "unit"), order="name")
pricelists = ModelViews(
    Pricelist, "pricelists", _l("Price lists"),
    columns=["name", Column("partner_id", related="name"), "grade", "date_from", "date_to",
             "active"],
    fields=["name", "partner_id", "grade", "date_from", "date_to", "active"],
    search=("name",), filters=("grade", "active"), order="name")
pricelist_items = ModelViews(
    PricelistItem, "price_rules", _l("Price rules"),
    columns=[Column("pricelist_id", related="name"), Column("product_id", related="name"),
             "min_quantity", "fixed_price", "discount"],
    fields=["pricelist_id", "product_id", "min_quantity", "fixed_price", "discount"],
    filters=("pricelist_id", "product_id"), order="id", record_title="id")
stages = ModelViews(
    Stage, "stages", _l("Pipeline stages"),
    columns=["name", "sequence", "probability", "is_won", "is_lost",
             Column("team_id", related="name")],
    fields=["name", "sequence", "probability", "is_won", "is_lost", "team_id", "active"],
    order="sequence")
sources = ModelViews(LeadSource, "sources", _l("Lead sources"), columns=["name", "active"],
                     fields=["name", "active"], order="name")
lost_reasons = ModelViews(LostReason, "lost_reasons", _l("Lost reasons"),
                          columns=["name", "active"], fields=["name", "active"], order="name")
assignment = ModelViews(
    AssignmentRule, "assignment", _l("Assignment rules"),
    columns=["sequence", Column("source_id", related="name"), "country",
             Column("team_id", related="name"), Column("user_id", related="name"), "active"],
    fields=["sequence", "source_id", "country", "team_id", "user_id", "active"],
    order="sequence", record_title="id")
campaigns = ModelViews(
    Campaign, "campaigns", _l("Campaigns"),
    columns=["name", "channel", "date_start", "date_end", Column("cost", total=True)],
    fields=["name", "channel", "cost", "date_start", "date_end", "active"],
    search=("name",), filters=("channel", "active"), group_by=("channel",),
    order="-date_start", report=Report(groups=("channel",), measures=("cost",)))


# -- leads and opportunities ---------------------------------------------------------------
LEAD_FIELDS = ["name", "contact_name", "company_name", "email", "phone", "city", "country",
               "source_id", "campaign_id", "status", "user_id", "team_id", "priority",
               "expected_revenue", "notes"]
OPPORTUNITY_FIELDS = ["name", "partner_id", "stage_id", "probability", "expected_revenue",
                      "expected_close", "priority", "user_id", "team_id", "source_id",
                      "campaign_id", "lost_reason_id", "notes"]


def _stage_choices():
    return [(s.id, translatable.value(s, "name")) for s in services.stages_for(None)]


def _closing_stages():
    """Won and Lost fold into drop zones; a drop there is the Won or Lost action (Lost asks
    for the reason)."""
    return {s.id: "won" if s.is_won else "lost" for s in services.stages_for(None)
            if s.is_won or s.is_lost}


def _move(lead, stage_id):
    stage = db.session.get(Stage, stage_id)
    services.move(lead, stage)


leads = ModelViews(
    Lead, "leads", _l("Leads"),
    columns=[Column("name", link=True), "company_name", "contact_name",
             Column("source_id", related="name"), "status",
             Column("user_id", related="name"), "created_at"],
    fields=LEAD_FIELDS,
    search=("name", "company_name", "contact_name", "email", "phone"),
    filters=("status", "source_id", "campaign_id", "user_id", team_filter(Lead.user_id)),
    group_by=("status", "source_id", "campaign_id", "user_id"), order="-created_at",
    report=Report(groups=("status", "source_id", "campaign_id", "user_id")),
    where=lambda: Lead.type == "lead", counts=LeadCounts,
    defaults=lambda: {"user_id": current_user.id},
)
opportunities = ModelViews(
    Lead, "opportunities", _l("Pipeline"),
    columns=[Column("name", link=True), Column("partner_id", related="name"),
             Column("stage_id", related="name"), Column("expected_revenue", total=True),
             "probability", "expected_close", Column("user_id", related="name"), "outcome"],
    fields=OPPORTUNITY_FIELDS,
    search=("name",),
    filters=("outcome", "stage_id", "user_id", team_filter(Lead.user_id), "priority"),
    group_by=("stage_id", "user_id", "team_id", "outcome"), order="-expected_revenue",
    board=Board("stage_id", details=("partner_id", "expected_revenue", "expected_close",
                                     "priority", "next_activity", "user_id"),
                total="expected_revenue", stages=_stage_choices, move=_move, per_column=20,
                folded=_closing_stages, create=("name", "partner_id", "expected_revenue")),
    calendar=Calendar("expected_close", who="user_id"),
    report=Report(groups=("stage_id", "user_id", "team_id", "outcome"),
                  measures=("expected_revenue",)),
    where=lambda: Lead.type == "opportunity", counts=PipelineCounts,
    defaults=lambda: {"user_id": current_user.id, "type": "opportunity"},
)


# -- orders --------------------------------------------------------------------------------
orders = ModelViews(
    Order, "orders", _l("Quotations and orders"),
    columns=[Column("name", link=True), Column("partner_id", related="name"), "date_order",
             Column("user_id", related="name"), "state",
             Column("amount_total", total=True)],
    search=("name",), filters=("state", "user_id", team_filter(Order.user_id)),
    group_by=("state", "user_id", "partner_id"), order="-date_order",
    report=Report(groups=("state", "user_id", "team_id"),
                  measures=("amount_untaxed", "amount_total")),
    counts=OrderCounts, forms=False, importable=False)

for views_ in (products, pricelists, pricelist_items, stages, sources, lost_reasons,
               assignment, campaigns, leads, opportunities, orders):
    views_.register(bp)


def _posted() -> bool:
    if not FlaskForm().validate_on_submit():
        abort(400)
    return True


# -- a lead's or an opportunity's page ---------------------------------------------------
def lead_actions(lead) -> Markup:
    """Beside the declared actions (sales.actions): the outcome, and logging an activity."""
    return Markup(render_template("sales/_lead_actions.html", lead=lead))


def order_links(order) -> Markup:
    return Markup(render_template("sales/_order_links.html", order=order))


def lead_side(lead) -> Markup:
    """The lead's quotations (its activities: core's Activities panel)."""
    quotes = db.session.execute(access.select_for(Order).where(
        Order.lead_id == lead.id).order_by(Order.id.desc()).limit(20)).scalars().all() \
        if access.can("sale.order", "r") else []
    return Markup(render_template("sales/_lead_side.html", lead=lead, quotes=quotes))


@bp.route("/campaigns/results")
@access.requires("sale.campaign", "r")
def campaign_results():
    """Each campaign's cost against the leads it brought and the revenue it won."""
    found = db.session.execute(access.select_for(Campaign).order_by(
        Campaign.date_start.desc().nulls_last(), Campaign.id.desc()).limit(200)).scalars().all()
    results = analysis.campaign_results([c.id for c in found])
    return render_template("sales/campaign_results.html", campaigns=found, results=results,
                           v=campaigns)


@bp.route("/pool")
@access.requires("sale.lead", "r")
def pool():
    """Unassigned open leads anyone may claim, oldest first, with how many I hold."""
    query = access.select_for(Lead).where(Lead.user_id.is_(None), Lead.outcome == "open")
    source = request.args.get("source", type=id_value)
    if source:
        query = query.where(Lead.source_id == source)
    waiting = db.session.execute(query.order_by(Lead.created_at, Lead.id).limit(200)
                                 ).scalars().all()
    sources = dict(choices_of(LeadSource))
    return render_template("sales/pool.html", leads=waiting, sources=sources,
                           held=services.held_by(current_user.id),
                           limit=services.lead_limit(), idle_days=services.pool_idle_days())


# -- orders: the quotation editor, printing and states ----------------------------------------
EDITOR = Editor(OrderLine, "order_id", products="product",
                price_endpoint="sales.product_price")


def _order_form(order, lines, errors=None, status=200):
    chosen = order.partner_id if order else request.values.get("partner_id", type=id_value)
    # the first page of products by name, as "[code] name", and those on the lines
    used = {_get(line, "product_id") for line in lines} - {None}
    products_ = [(p.id, str(p)) for p in db.session.execute(
        access.select_for(Product).where(sa.or_(Product.active.is_(True), Product.id.in_(used)))
        .order_by(Product.name).limit(LOOKUP_LIMIT)).scalars()]
    missing = used - {p for p, _name in products_}
    if missing:
        products_ += [(p.id, str(p)) for p in db.session.execute(access.select_for(Product).where(
            Product.id.in_(missing))).scalars()]
    return render_template(
        "sales/order_form.html", order=order, lines=lines, errors=errors or [],
        partners=choices_of(Partner, chosen), chosen=chosen, editor=EDITOR,
        products=products_, product_names=dict(products_),
        taxes=tax_choices(_get(line, "tax_rate") for line in lines
                          if not isinstance(line, dict)),
        editable=order is None or not Order.__workflow__.locks(order, "lines"),
        can_write=access.can("sale.order", "w"), v=orders), status


def _get(line, name):
    return line.get(name) if isinstance(line, dict) else getattr(line, name)


@bp.route("/orders/new", methods=["GET", "POST"], endpoint="orders_new")
@access.requires("sale.order", "c")
def order_new():
    if request.method == "GET":
        return _order_form(None, [])
    _posted()
    partner_id = request.form.get("partner_id", type=id_value)
    if partner_id is None or db.session.execute(access.select_for(Partner).where(
            Partner.id == partner_id)).first() is None:
        return _order_form(None, posted_rows(request.form, EDITOR)[0], [_("Choose a customer.")],
                           422)
    return _save_order(None, {"partner_id": partner_id})


@bp.route("/orders/<int:record_id>", methods=["GET", "POST"], endpoint="orders_edit")
@access.requires("sale.order", "r")
def order_edit(record_id):
    order = access.get_for(Order, record_id)
    if request.method == "GET":
        return _order_form(order, EDITOR.stored(order))
    access.require("sale.order", "w")
    _posted()
    return _save_order(access.get_for(Order, record_id, "w", lock=True), {})


def _save_order(order, values):
    """The quotation editor's lines and note; a refusal shows above the lines and keeps
    what was typed."""
    saved, order, rows, errors = EDITOR.save(Order, order, values)
    if saved is None:
        return _order_form(order, rows, errors, 422)
    flash(_("Quotation %(name)s saved.", name=saved.name) if order is None else _("Saved."),
          "success")
    return redirect(url_for("sales.orders_edit", record_id=saved.id))


@bp.route("/orders/<int:record_id>/print")
@access.requires("sale.order", "r")
def order_print(record_id):
    order = access.get_for(Order, record_id)
    lines = EDITOR.stored(order)
    partner = db.session.get(Partner, order.partner_id)
    lang = translatable.document_language(partner)  # printed in the customer's language
    with translatable.in_language(lang):
        return render_template("sales/order_print.html", order=order, lines=lines,
                               partner=partner, current_locale=lang,
                               printed=translatable.printed_lines(lines, lang))


@bp.route("/price")
@access.requires("product", "r")
def product_price():
    """The price the price list gives a customer for a quantity (the quotation editor asks
    when a product or quantity changes)."""
    product = access.get_for(Product, request.args.get("product_id", ""))
    partner_id = request.args.get("partner_id", type=id_value)
    partner = db.session.get(Partner, partner_id) if partner_id else None
    try:
        quantity = Decimal(request.args.get("quantity") or "1")
    except InvalidOperation:
        quantity = Decimal(1)
    price, discount, _list = services.price_for(product, partner, quantity)
    return {"price_unit": str(price), "discount": str(discount), "tax_rate":
            str(product.tax_rate), "description": product.name}


# -- forecast and analysis ----------------------------------------------------------------
def _date_arg(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _named_months(rows, by):
    """Rows grouped by month name it as the reader does ("Nov 2026", not "2026-11")."""
    return [{**r, "key": formats.month(r["key"])} for r in rows] if by == "month" else rows


@bp.route("/forecast")
@access.requires("sale.lead", "r")
def forecast():
    by = request.args.get("by") if request.args.get("by") in analysis.FORECAST_BY else "month"
    rows = _named_months(analysis.forecast(by), by)
    chart = {"type": "bar", "labels": [str(r["key"] or "—") for r in rows], "datasets": [
        {"label": _("Expected revenue"), "data": [float(r["expected"]) for r in rows]},
        {"label": _("Weighted"), "data": [float(r["weighted"]) for r in rows]}]}
    return render_template("sales/forecast.html", rows=rows, by=by, chart_json=json.dumps(chart),
                           total_expected=sum((r["expected"] for r in rows), Decimal(0)),
                           total_weighted=sum((r["weighted"] for r in rows), Decimal(0)))


@bp.route("/analysis", endpoint="analysis")
@access.requires("sale.order", "r")
def analysis_view():
    by = request.args.get("by") if request.args.get("by") in analysis.analysis_keys() \
        else "customer"
    result = analysis.sales_analysis(by, _date_arg("from"), _date_arg("to"))
    result["rows"] = _named_months(result["rows"], by)
    chart = {"type": "bar", "labels": [str(r["key"] or "—") for r in result["rows"][:20]],
             "datasets": [{"label": _("Revenue"),
                           "data": [float(r["revenue"]) for r in result["rows"][:20]]},
                          {"label": _("Margin"),
                           "data": [float(r["margin"]) for r in result["rows"][:20]]}]}
    return render_template("sales/analysis.html", result=result, by=by,
                           chart_json=json.dumps(chart))


@bp.route("/price-analysis")
@access.requires_right("sales.see_all")
def price_analysis():
    result = analysis.price_analysis(_date_arg("from"), _date_arg("to"))
    return render_template("sales/price_analysis.html", result=result)


# -- settings -----------------------------------------------------------------------------
SETTINGS = [
    ("sales.pool_idle_days", _l("Days without activity before a lead returns to the pool"),
     14, 1, 365),
    ("sales.lead_limit", _l("Most open leads one salesperson may hold"), 50, 1, 10000),
    ("sales.grade_days", _l("Grading period (days)"), 365, 1, 3650),
    ("sales.grade_a",
     _l("Grade A: the top customers making up this many percent of the total"), 80, 1, 100),
    ("sales.grade_b",
     _l("Grade B: the next ones, up to this many percent of the total"), 95, 1, 100),
]


@bp.route("/settings", methods=["GET", "POST"])
@access.requires("sale.stage", "w")
def settings():
    errors: dict[str, str] = {}
    values = {key: request.form.get(key, "").strip() if request.method == "POST"
              else get_setting(key, str(default))
              for key, _label, default, _low, _high in SETTINGS}
    basis = request.form.get("sales.grade_basis") if request.method == "POST" else \
        get_setting("sales.grade_basis", "revenue")
    if request.method == "POST":
        _posted()
        for key, _label, _default, low, high in SETTINGS:
            with contextlib.suppress(ValueError):  # as the user writes it: vi "1.000"
                values[key] = str(numbers.parse_whole(values[key]))
            if not (values[key].isascii() and values[key].isdigit()) or not (
                    low <= int(values[key]) <= high):
                errors[key] = _("Enter a whole number from %(low)s to %(high)s.", low=low,
                                high=high)
        if basis not in ("revenue", "margin"):
            errors["sales.grade_basis"] = _("Choose revenue or margin.")
        if not errors and int(values["sales.grade_a"]) > int(values["sales.grade_b"]):
            errors["sales.grade_b"] = _("Grade B's share must be at least grade A's.")
        if not errors:
            for key, value in values.items():
                set_setting(key, value)
            set_setting("sales.grade_basis", basis)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("sales.settings"))
    return render_template("sales/settings.html", settings=SETTINGS, values=values,
                           basis=basis, errors=errors,
                           config=[stages, sources, lost_reasons, assignment, pricelists,
                                   pricelist_items]), 422 if errors else 200


# -- slots and widgets --------------------------------------------------------------------
def partner_panel(partner) -> Markup:
    """The customer's quotations, orders and open opportunities on their page."""
    if not access.can("sale.order", "r"):
        return Markup("")
    ids = [partner.id]
    if partner.is_company:
        ids += db.session.execute(sa.select(Partner.id).where(
            Partner.parent_id == partner.id)).scalars().all()
    orders_ = db.session.execute(access.select_for(Order).where(
        Order.partner_id.in_(ids)).order_by(Order.date_order.desc(), Order.id.desc()).limit(10)
    ).scalars().all()
    totals = db.session.execute(access.select_for(Order).with_only_columns(
        sa.func.count(Order.id), sa.func.coalesce(sa.func.sum(Order.amount_untaxed), 0)
    ).where(Order.partner_id.in_(ids), Order.state.in_(analysis.SOLD))).one()
    deals = db.session.execute(access.select_for(Lead).where(
        Lead.partner_id.in_(ids), Lead.type == "opportunity", Lead.outcome == "open"
    ).order_by(Lead.expected_close).limit(10)).scalars().all()
    return Markup(render_template("sales/_partner_panel.html", partner=partner,
                                  grade=grades.grade_of(partner.id), orders=orders_,
                                  totals=totals, deals=deals))


def pipeline_widget(user) -> Markup:
    if not access.can("sale.lead", "r"):
        return Markup("")
    return Markup(render_template("sales/_widget_pipeline.html",
                                  rows=analysis.my_pipeline(user.id)))


def won_widget(user) -> Markup:
    if not access.can("sale.order", "r"):
        return Markup("")
    mine = analysis.won_this_month(user.id)
    everyone = analysis.won_this_month(None) if access.has_right("sales.see_all") else None
    return Markup(render_template("sales/_widget_won.html", mine=mine, everyone=everyone))


def forecast_widget(user) -> Markup:
    if not access.can("sale.lead", "r"):
        return Markup("")
    rows = analysis.forecast("month")
    chart = {"type": "bar", "labels": [r["key"] for r in rows], "datasets": [
        {"label": _("Weighted"), "data": [float(r["weighted"]) for r in rows]}]}
    return Markup(render_template("sales/_widget_forecast.html", rows=rows, chart=chart))
