"""The shell around every page: menus, the home page, template helpers."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user

from core.i18n import LANGUAGE_NAMES, select_locale

from . import views
from .menus import menu_tree


def init_app(app, registry) -> None:
    app.register_blueprint(views.bp)

    @app.context_processor
    def _shell():
        def menus():
            if not current_user.is_authenticated:
                return []
            return menu_tree(registry.active_manifests(), current_user.group_ids,
                             current_user.is_admin)

        return {
            "menus": menus,
            "slot": registry.render_slot,
            "languages": [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["ERP_LOCALES"]],
            "current_locale": select_locale(),
        }
