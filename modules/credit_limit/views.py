"""Credit limit pages and panels: the partner page's credit panel, the credit holds list
and its widget, and the partner API fields."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup

from core import access, numbers
from core.db import db
from core.partners.models import Partner
from core.ui.paging import paged

from . import services
from .models import MODES, PartnerCredit

bp = Blueprint("credit_limit", __name__, url_prefix="/credit", template_folder="templates")


def partner_panel(partner) -> Markup:
    if partner.parent_id or not access.can("partner.credit", "r"):
        return Markup("")  # a contact buys on their company's credit
    credit = services.credit_of(partner.id)
    exposure = services.exposures([partner.id]).get(partner.id, Decimal(0))
    return Markup(render_template(
        "credit_limit/_panel.html", partner=partner, credit=credit, exposure=exposure,
        modes=MODES, can_set=access.can("partner.credit", "w"),
        share=(exposure / credit.credit_limit * 100) if credit and credit.credit_limit
        else None))


@bp.route("/partners/<int:partner_id>", methods=["POST"])
@access.requires("partner.credit", "w")
def set_credit(partner_id):
    if not FlaskForm().validate_on_submit():
        abort(400)
    partner = access.get_for(Partner, partner_id)
    text = (request.form.get("credit_limit") or "").strip()
    mode = request.form.get("mode")
    try:  # as the user writes amounts (core.numbers)
        limit = numbers.parse_amount(text) if text else None
        if limit is not None and not 0 <= limit < 10**13:
            raise ValueError(text)
    except ValueError as exc:
        flash(str(exc) if isinstance(exc, numbers.NumberError) else
              _("The credit limit must be an amount of zero or more."), "danger")
        return redirect(url_for("partners.partners_edit", record_id=partner.id))
    if mode not in MODES:
        flash(_("Choose warn or block."), "danger")
        return redirect(url_for("partners.partners_edit", record_id=partner.id))
    services.set_credit(partner.id, limit, mode)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("partners.partners_edit", record_id=partner.id))


HOLDS_PAGE = 100


@bp.route("/holds")
@access.requires("partner.credit", "r")
def holds():
    """A page of the customers near or over their limit (thousands may be)."""
    rows, pager = paged(services.holds(), HOLDS_PAGE, "credit_limit.holds")
    return render_template("credit_limit/holds.html", rows=rows, pager=pager, modes=MODES)


def holds_widget(user) -> Markup:
    if not access.can("partner.credit", "r"):
        return Markup("")
    rows = services.holds()
    return Markup(render_template("credit_limit/_widget.html", rows=rows[:5],
                                  over=sum(1 for r in rows if r["over"]), count=len(rows)))


# -- the partner resource's credit fields (one query per page of partners) ----------------
def _credits(partners) -> dict[int, PartnerCredit]:
    import sqlalchemy as sa

    ids = [p.id for p in partners]
    return {c.partner_id: c for c in db.session.execute(
        sa.select(PartnerCredit).where(PartnerCredit.partner_id.in_(ids))).scalars()}


def limits(partners) -> dict[int, Decimal | None]:
    found = _credits(partners)
    return {p.id: found[p.id].credit_limit if p.id in found else None for p in partners}


def modes(partners) -> dict[int, str]:
    found = _credits(partners)
    return {p.id: found[p.id].mode if p.id in found else "warn" for p in partners}


def exposure_of(partners) -> dict[int, Decimal]:
    used = services.exposures([p.id for p in partners])
    return {p.id: used.get(p.id, Decimal(0)) for p in partners}


def _may_set_credit() -> None:
    """Writing a partner is not enough: credit is set by those the module lets."""
    from flask_babel import lazy_gettext

    from core.api import ApiError

    if not access.can("partner.credit", "w"):
        raise ApiError(403, "forbidden", lazy_gettext("You may not change credit limits."))


def store_limit(partner, value) -> None:
    from flask_babel import lazy_gettext

    from core.api import ApiError

    _may_set_credit()
    if value is not None and value < 0:
        raise ApiError(422, "invalid", lazy_gettext("Some values are not valid."),
                       {"credit_limit": [str(lazy_gettext(
                           "The credit limit must be an amount of zero or more."))]})
    current = services.credit_of(partner.id)
    services.set_credit(partner.id, value, current.mode if current else "warn")


def store_mode(partner, value) -> None:
    _may_set_credit()
    current = services.credit_of(partner.id)
    services.set_credit(partner.id, current.credit_limit if current else None, value)
