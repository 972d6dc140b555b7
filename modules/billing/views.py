"""Billing pages: invoices with their lines, posting, credit notes and payments, the payment
list, receivables with ageing, payment terms, and the panels on a customer's page and on a
sales order."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

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
from core.errors import Refusal
from core.limits import parse_id
from core.partners.models import Partner
from core.settings import get_setting
from core.taxes.models import tax_choices
from core.ui import money as show_money
from core.ui.forms import choices_of, id_value
from core.ui.generic import Column, ModelViews, Report
from core.ui.paging import page_of

from . import receivables as owed  # the view below is named receivables
from . import services
from .models import (
    METHODS,
    Invoice,
    InvoiceCounts,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    PaymentCounts,
    PaymentTerm,
)

bp = Blueprint("billing", __name__, url_prefix="/billing", template_folder="templates")

invoices = ModelViews(
    Invoice, "invoices", _l("Invoices"),
    columns=[Column("name", link=True), "kind", Column("partner_id", related="name"),
             "date_invoice", "date_due", "state", Column("amount_total", total=True),
             Column("amount_residual", total=True)],
    search=("name", "origin"), filters=("state", "kind"),
    group_by=("state", "kind", "partner_id"), order="-date_invoice",
    report=Report(groups=("state", "kind", "partner_id"),
                  measures=("amount_total", "amount_residual")),
    counts=InvoiceCounts, record_title="name", forms=False, importable=False)
payments = ModelViews(
    Payment, "payments", _l("Payments"),
    columns=[Column("date", link=True), Column("partner_id", related="name"), "method",
             "reference", Column("amount", total=True), Column("unallocated", total=True)],
    search=("reference",), filters=("method",), group_by=("method", "partner_id"),
    order="-date", counts=PaymentCounts, record_title="reference", forms=False, importable=False)
terms = ModelViews(
    PaymentTerm, "terms", _l("Payment terms"), columns=["name", "schedule", "active"],
    fields=["name", "schedule", "active"], order="name")
for views_ in (invoices, payments, terms):
    views_.register(bp)


def _posted() -> None:
    if not FlaskForm().validate_on_submit():
        abort(400)


def _decimal(text: str | None, default=None):
    """An amount as the user writes it, with no more decimals than the currency has
    (core.numbers.parse_amount: NumberError says what to type), or `default`."""
    text = (text or "").strip()
    return numbers.parse_amount(text) if text else default


# the order line an invoice line bills travels with it, so "invoice what is left" stays right
EDITOR = Editor(InvoiceLine, "invoice_id", hidden=("order_line_id",))


# -- invoices ----------------------------------------------------------------------------
def _invoice_page(invoice, lines, errors=(), status=200):
    dues = owed.installments(invoice) if invoice else []
    allocations = db.session.execute(
        sa.select(PaymentAllocation, Payment).join(Payment, Payment.id ==
                                                   PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == invoice.id).order_by(Payment.date)).all() \
        if invoice else []
    partner = db.session.get(Partner, invoice.partner_id) if invoice else None
    return render_template(
        "billing/invoice_form.html", invoice=invoice, lines=lines, errors=list(errors),
        partners=choices_of(Partner, request.form.get("partner_id", type=id_value))
        if invoice is None else [], partner=partner, dues=dues,
        allocations=allocations, methods=METHODS, v=invoices, today=date.today(),
        editor=EDITOR, taxes=tax_choices(line.tax_rate for line in lines
                                         if not isinstance(line, dict)),
        editable=invoice is None or not Invoice.__workflow__.locks(invoice, "lines"),
        can_write=access.can("billing.invoice", "w"),
        can_pay=access.can("billing.payment", "c"),
        credit=services.credit_of(invoice.partner_id)
        if invoice and invoice.state == "posted" and access.can("billing.payment", "r")
        else Decimal(0)), status


@bp.route("/invoices/new", methods=["GET", "POST"], endpoint="invoices_new")
@access.requires("billing.invoice", "c")
def invoice_new():
    if request.method == "GET":
        return _invoice_page(None, [])
    _posted()
    partner_id = request.form.get("partner_id", type=id_value)
    if partner_id is None or db.session.execute(access.select_for(Partner).where(
            Partner.id == partner_id)).first() is None:
        return _invoice_page(None, posted_rows(request.form, EDITOR)[0],
                             [_("Choose a customer.")], 422)
    return _save_invoice(None, {"partner_id": partner_id})


@bp.route("/invoices/<int:record_id>", methods=["GET", "POST"], endpoint="invoices_edit")
@access.requires("billing.invoice", "r")
def invoice_edit(record_id):
    invoice = access.get_for(Invoice, record_id)
    if request.method == "GET":
        return _invoice_page(invoice, EDITOR.stored(invoice))
    access.require("billing.invoice", "w")
    _posted()
    return _save_invoice(access.get_for(Invoice, record_id, "w", lock=True), {})


def _save_invoice(invoice, values):
    saved, invoice, rows, errors = EDITOR.save(Invoice, invoice, values)
    if saved is None:
        return _invoice_page(invoice, rows, errors, 422)
    flash(_("Saved."), "success")
    return redirect(url_for("billing.invoices_edit", record_id=saved.id))


@bp.route("/invoices/<int:record_id>/pay", methods=["POST"])
@access.requires("billing.payment", "c")
def invoice_pay(record_id):
    _posted()
    invoice = access.get_for(Invoice, record_id)
    try:
        amount = _decimal(request.form.get("amount"))
        on = date.fromisoformat(request.form.get("date") or date.today().isoformat())
    except ValueError as exc:
        message = str(exc) if isinstance(exc, numbers.NumberError) else None
        flash(message or _("Enter an amount and a date."), "danger")
        return redirect(url_for("billing.invoices_edit", record_id=invoice.id))
    method = request.form.get("method") if request.form.get("method") in METHODS else "bank"
    try:
        payment = services.register_payment(invoice.partner_id, amount or Decimal(0),
                                            [invoice.id], on=on, method=method,
                                            reference=request.form.get("reference") or None)
        payment.created_by_id = current_user.id
        db.session.commit()
    except Refusal as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        _recorded(payment)
    return redirect(url_for("billing.invoices_edit", record_id=invoice.id))


def _recorded(payment) -> None:
    """The flash after recording a payment: its amount, and what is kept as the customer's
    credit when it paid more than it settled (in the user's locale and currency)."""
    flash(_("Payment of %(amount)s recorded.", amount=show_money(payment.amount)), "success")
    if payment.unallocated > 0:
        flash(_("%(amount)s will be kept as the customer's credit.",
                amount=show_money(payment.unallocated)), "info")


@bp.route("/invoices/<int:record_id>/print")
@access.requires("billing.invoice", "r")
def invoice_print(record_id):
    invoice = access.get_for(Invoice, record_id)
    lines = EDITOR.stored(invoice)
    dues = owed.installments(invoice)
    partner = db.session.get(Partner, invoice.partner_id)
    lang = translatable.document_language(partner)  # printed in the customer's language
    term = db.session.get(PaymentTerm, invoice.payment_term_id) \
        if invoice.payment_term_id else None
    with translatable.in_language(lang):
        return render_template(
            "billing/invoice_print.html", invoice=invoice, lines=lines, dues=dues,
            partner=partner, current_locale=lang, printed=translatable.printed_lines(
                lines, lang), term=translatable.value(term, "name", lang) if term else None)


def invoice_links(invoice) -> Markup:
    """Beside the declared actions: what kind of document it is, and printing it."""
    return Markup(render_template("billing/_invoice_links.html", invoice=invoice, v=invoices))


# -- payments ----------------------------------------------------------------------------
@bp.route("/payments/new", methods=["GET", "POST"], endpoint="payments_new")
@access.requires("billing.payment", "c")
def payment_new():
    """A customer's payment, settling their open invoices oldest first (or those ticked)."""
    errors: dict[str, str] = {}
    partner_id = request.values.get("partner_id", type=id_value)
    open_invoices = db.session.execute(access.select_for(Invoice).where(
        Invoice.partner_id == partner_id, Invoice.kind == "invoice", Invoice.state == "posted",
        Invoice.amount_residual > 0).order_by(Invoice.date_due)).scalars().all() \
        if partner_id else []
    if request.method == "POST":
        _posted()
        try:
            amount = _decimal(request.form.get("amount"))
            if amount is None or amount <= 0:
                errors["amount"] = _("Enter an amount above zero.")
        except numbers.NumberError as exc:
            errors["amount"] = str(exc)
        if partner_id is None:
            errors["partner_id"] = _("Choose a customer.")
        if not errors:
            chosen = [i for i in map(parse_id, request.form.getlist("invoice_ids")) if i]
            method = request.form.get("method") if request.form.get("method") in METHODS \
                else "bank"
            try:
                payment = services.register_payment(
                    partner_id, amount, chosen or None, method=method,
                    reference=request.form.get("reference") or None)
                payment.created_by_id = current_user.id
                db.session.commit()
            except Refusal as exc:
                db.session.rollback()
                errors["invoice_ids"] = exc.message
            else:
                _recorded(payment)
                return redirect(url_for("billing.payments_list"))
    return render_template("billing/payment_form.html",
                           partners=choices_of(Partner, partner_id),
                           partner_id=partner_id, open_invoices=open_invoices,
                           open_total=sum((i.amount_residual for i in open_invoices),
                                          Decimal(0)),
                           credit=services.credit_of(partner_id) if partner_id else Decimal(0),
                           methods=METHODS, errors=errors), 422 if errors else 200


@bp.route("/payments/<int:record_id>", endpoint="payments_edit")
@access.requires("billing.payment", "r")
def payment_view(record_id):
    """A recorded payment and the invoices it settled (payments are not edited)."""
    payment = access.get_for(Payment, record_id)
    settled = db.session.execute(
        sa.select(PaymentAllocation, Invoice).join(Invoice, Invoice.id ==
                                                   PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id == payment.id).order_by(PaymentAllocation.id)).all()
    return render_template("billing/payment.html", payment=payment, settled=settled,
                           partner=db.session.get(Partner, payment.partner_id),
                           methods=METHODS, v=payments)


# -- receivables -------------------------------------------------------------------------
RECEIVABLES_PAGE = 100  # customers a page of receivables shows
@bp.route("/receivables")
@access.requires("billing.invoice", "r")
def receivables():
    """The ageing of every customer who owes or holds a credit, a page of them at a time
    (rendering every one of 50,000 customers took most of a minute), with the totals of
    them all: the page's customers are found in SQL, then their rows."""
    mine = None if access.can("billing.invoice", "w") else current_user.id
    start, pager = page_of(owed.receivable_count(mine), RECEIVABLES_PAGE,
                           "billing.receivables")
    ids = owed.receivable_customers(start, RECEIVABLES_PAGE, mine)
    return render_template(
        "billing/receivables.html", rows=owed.receivables(salesperson_id=mine,
                                                              partner_ids=ids),
        totals=owed.receivables_totals(salesperson_id=mine), pager=pager)


# -- slots, signals and the widget -------------------------------------------------------
def partner_panel(partner) -> Markup:
    if not access.can("billing.invoice", "r"):
        return Markup("")
    open_ = db.session.execute(access.select_for(Invoice).where(
        Invoice.partner_id == partner.id, Invoice.state == "posted",
        Invoice.kind == "invoice").order_by(Invoice.date_due).limit(10)).scalars().all()
    due = sum((i.amount_residual for i in open_), Decimal(0))
    term = services.term_of(partner.id)
    credit = services.credit_of(partner.id) if access.can("billing.payment", "r") \
        else Decimal(0)
    can_set = access.can("billing.invoice", "w") and access.can("billing.payment_term", "r")
    return Markup(render_template(
        "billing/_partner_panel.html", partner=partner, invoices=open_, due=due, term=term,
        credit=credit,
        terms=choices_of(PaymentTerm) if can_set else [], can_set=can_set,
        today=date.today()))


@bp.route("/partners/<int:partner_id>/term", methods=["POST"])
@access.requires("billing.invoice", "w")
def set_partner_term(partner_id):
    _posted()
    partner = access.get_for(Partner, partner_id)
    term_id = request.form.get("payment_term_id", type=id_value)
    if term_id is not None and db.session.get(PaymentTerm, term_id) is None:
        abort(404)
    services.set_term(partner.id, term_id)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("partners.partners_edit", record_id=partner.id))


def order_panel(order) -> Markup:
    """On a sales order: its invoices (the action "invoice" makes one of what is left)."""
    if not access.can("billing.invoice", "r"):
        return Markup("")
    found = db.session.execute(access.select_for(Invoice).where(
        Invoice.order_id == order.id).order_by(Invoice.id)).scalars().all()
    return Markup(render_template("billing/_order_panel.html", order=order, invoices=found))


def on_order_confirmed(order, **_kwargs) -> None:
    """A confirmed order gets its draft invoice at once, unless the setting says to invoice
    by hand (then the order page's button does it)."""
    if get_setting("billing.invoice_on_confirm", "1") == "1":
        try:
            services.invoice_from_order(order)
        except Refusal as exc:
            if exc.code != "nothing_to_do":  # confirmed again after a cancel: billed already
                raise


def on_order_cancelling(order, **_kwargs):
    """An order whose invoices are posted is not cancelled: credit them first. Its invoices
    are locked and read afresh, so a post under way finishes first and is seen here, and
    one that comes after finds its draft cancelled."""
    invoices = db.session.execute(
        sa.select(Invoice).where(Invoice.order_id == order.id).with_for_update()
        .execution_options(populate_existing=True)).scalars().all()
    posted = [i for i in invoices if i.kind == "invoice" and i.state in ("posted", "paid")]
    return Refusal(_("This order has posted invoices; make credit notes for them first."),
                   "has_invoices") if posted else None


def on_order_cancelled(order, **_kwargs) -> None:
    """Its draft invoices go with it."""
    for invoice in db.session.execute(sa.select(Invoice).where(
            Invoice.order_id == order.id, Invoice.state == "draft")).scalars():
        services.cancel(invoice)


def receivables_widget(user) -> Markup:
    if not access.can("billing.invoice", "r"):
        return Markup("")
    totals = owed.ageing_totals(salesperson_id=None if access.can("billing.invoice", "w")
                                    else user.id)
    return Markup(render_template("billing/_widget.html", total=totals["total"],
                                  overdue=totals["total"] - totals["not_due"]))
