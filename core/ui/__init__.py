"""The shell around every page: menus, the home page, template helpers."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user

from core import access, numbers
from core.documents import number_format
from core.i18n import LANGUAGE_NAMES, select_locale
from core.notifications import unread_count
from core.settings import company
from core.taxes.models import tax_key

from . import forms, themes, views
from .formats import money, percent
from .menus import menu_tree


def init_app(app, registry) -> None:
    app.register_blueprint(views.bp)
    themes.init_app(app)
    app.add_template_filter(money)
    app.add_template_filter(percent)
    app.add_template_filter(tax_key, "taxkey")
    app.add_template_global(number_format)
    app.add_template_filter(numbers.amount_shown, "amount_input")
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
