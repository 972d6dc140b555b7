"""Partner pages, declared with the generic views."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.ui.generic import Column, ModelViews, Report

from .models import Partner

bp = Blueprint("partners", __name__, url_prefix="/contacts")

partners = ModelViews(
    Partner, "partners", _l("Contacts"),
    columns=[Column("name", link=True), Column("parent_id", related="name"), "email", "phone",
             "city", "kind", Column("salesperson_id", related="name")],
    fields=["name", "is_company", "parent_id", "kind", "email", "phone", "mobile", "website",
            "street", "city", "zip", "country", "tax_id", "industry", "source",
            "salesperson_id", "lang", "active", "notes"],
    search=("name", "email", "phone", "city"),
    filters=("kind", "is_company", "active"),
    group_by=("kind", "city", "country", "is_company"),
    order="name",
    report=Report(groups=("kind", "city", "country", "industry", "source")),
)
partners.register(bp)
