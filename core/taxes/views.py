"""The tax list under Settings."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.ui.generic import ModelViews

from .models import Tax

bp = Blueprint("taxes", __name__, url_prefix="/settings")

taxes = ModelViews(Tax, "taxes", _l("Taxes"), columns=["name", "rate", "sequence", "active"],
                   fields=["name", "rate", "sequence", "active"], order="sequence",
                   filters=("active",))
taxes.register(bp)
