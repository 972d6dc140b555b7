"""Partner pages: the generic views, plus duplicate warnings, the 360° side panel and
merging."""
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup

from core import access, limits
from core.db import db
from core.modules import get_registry
from core.ui.forms import choices_of
from core.ui.generic import Column, Filter, ModelViews, Report

from .duplicates import likely_duplicates, merge
from .models import Partner, PartnerTag
from .privacy import anonymise, export_person

bp = Blueprint("partners", __name__, url_prefix="/contacts")


def warn_duplicates(form, record) -> list:
    found = likely_duplicates(form.name.data, form.email.data, form.phone.data,
                              exclude=record.id if record else None)
    if not found:
        return []
    links = Markup(", ").join(
        Markup('<a href="{}">{}</a>').format(url_for("partners.partners_edit", record_id=p.id),
                                            p.name) for p in found)
    return [Markup(_("This looks like a contact you already have: %(links)s", links=links))]


partners = ModelViews(
    Partner, "partners", _l("Contacts"),
    columns=[Column("name", link=True), Column("parent_id", related="name"), "email", "phone",
             "city", "kind", Column("salesperson_id", related="name")],
    fields=["name", "is_company", "parent_id", "kind", "email", "phone", "mobile", "website",
            "street", "city", "zip", "country", "tax_id", "industry", "source",
            "salesperson_id", "tags", "lang", "marketing_consent", "opt_out", "active",
            "notes"],
    search=("name", "email", "phone", "city"),
    filters=("kind", Filter("tag", _l("Tag"), lambda: dict(choices_of(PartnerTag)),
                            lambda value: Partner.tags.any(PartnerTag.id == _id(value))),
             "is_company", "active"),
    group_by=("kind", "city", "country", "is_company"),
    order="name",
    report=Report(groups=("kind", "city", "country", "industry", "source")),
    warn=warn_duplicates,
)
partners.register(bp)

tags = ModelViews(PartnerTag, "tags", _l("Tags"), columns=["name", "color", "active"],
                  fields=["name", "color", "active"], search=("name",), order="name")
tags.register(bp)


def _id(value) -> int:
    return limits.parse_id(value) or -1


def side_panel(partner) -> Markup:
    """The 360° view's core part: a company's people, and likely duplicates to merge."""
    people = db.session.execute(access.select_for(Partner).where(
        Partner.parent_id == partner.id, Partner.active.is_(True)).order_by(Partner.name)
    ).scalars().all() if partner.is_company else []
    duplicates = likely_duplicates(partner.name, partner.email, partner.phone,
                                   exclude=partner.id) if access.can("partner", "d") else []
    return Markup(render_template("partners/_side.html", partner=partner, people=people,
                                  duplicates=duplicates,
                                  can_privacy=access.can("partner", "d")))


@bp.route("/partners/<int:record_id>/privacy.json")
@access.requires("partner", "d")
def privacy_export(record_id):
    """Everything held about this contact, for a person's request to see their data."""
    partner = access.get_for(Partner, record_id, "d")
    body = json.dumps(export_person(partner, get_registry()), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="contact-{partner.id}.json"'})


@bp.route("/partners/<int:record_id>/anonymise", methods=["POST"])
@access.requires("partner", "d")
def anonymise_view(record_id):
    partner = access.get_for(Partner, record_id, "d")
    if not FlaskForm().validate_on_submit():
        abort(400)
    anonymise(partner, get_registry())
    db.session.commit()
    flash(_("The contact's personal data was removed; linked business records are kept."),
          "success")
    return redirect(url_for("partners.partners_edit", record_id=partner.id))


@bp.route("/partners/<int:record_id>/merge", methods=["GET", "POST"])
@access.requires("partner", "d")
def merge_view(record_id):
    """Merge this partner into another: everything linked to it moves there."""
    source = access.get_for(Partner, record_id, "d")
    candidates = likely_duplicates(source.name, source.email, source.phone, exclude=source.id)
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        target_id = limits.parse_id(request.form.get("target_other")
                                    or request.form.get("target", "")) or 0
        if target_id == source.id:
            abort(404)
        target = access.get_for(Partner, target_id, "w")
        moved = merge(source, target, get_registry())
        db.session.commit()
        flash(_("%(source)s was merged into %(target)s (%(n)s linked records moved).",
                source=source.name, target=target.name, n=sum(moved.values())), "success")
        return redirect(url_for("partners.partners_edit", record_id=target.id))
    return render_template("partners/merge.html", source=source, candidates=candidates,
                           form=form)
