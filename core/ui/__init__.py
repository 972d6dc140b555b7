"""The shell around every page: menus, the home page, template helpers."""
from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_percent
from flask import current_app
from flask_babel import format_currency, get_locale
from flask_login import current_user

from core import access
from core.documents import number_format
from core.i18n import LANGUAGE_NAMES, select_locale
from core.notifications import unread_count
from core.settings import company, get_setting
from core.taxes.models import tax_key

from . import forms, themes, views
from .menus import menu_tree


def money(value, currency: str | None = None) -> str:
    """An amount in the viewer's locale: `1,234.50 US$`, `1.234,50 US$`, `US$1,234.50`."""
    if value is None:
        return ""
    return format_currency(value, currency or get_setting(
        "currency", current_app.config["ERP_CURRENCY"]))


def percent(value) -> str:
    """A rate kept as 0..100 (a tax, a discount) in the reader's or the printed document's
    locale: `10%`, `12,5%`, `12,5 %`."""
    if value is None or value == "":
        return ""
    return format_percent((Decimal(str(value)) / 100).normalize(), locale=get_locale(),
                          decimal_quantization=False)


def init_app(app, registry) -> None:
    app.register_blueprint(views.bp)
    themes.init_app(app)
    app.add_template_filter(money)
    app.add_template_filter(percent)
    app.add_template_filter(tax_key, "taxkey")
    app.add_template_global(number_format)
    app.add_template_global(forms.lookup_attrs)
    app.add_template_global(company)

    @app.context_processor
    def _shell():
        def menus():
            if not current_user.is_authenticated:
                return []
            return menu_tree(registry.active_manifests(), access.effective_groups(current_user),
                             current_user.is_admin)

        return {
            "menus": menus,
            "slot": registry.render_slot,
            "access_can": access.can,
            "has_right": access.has_right,
            "unread_count": lambda: unread_count(current_user.id),
            "languages": [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["ERP_LOCALES"]],
            "current_locale": select_locale(),
            "theme": themes.current_theme(),
            "themes": list(current_app.extensions["erp.themes"].values()),
        }
