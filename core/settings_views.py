"""Settings → General: the deployment's default theme, language and time zone, for
administrators. Stored with `core.settings.set_setting`; users' own choices still win."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from core import access
from core.auth.forms import TIMEZONES
from core.db import db
from core.i18n import LANGUAGE_NAMES
from core.settings import get_setting, set_setting
from core.ui.themes import default_theme_name, theme_choices

bp = Blueprint("settings", __name__, url_prefix="/settings")


class GeneralSettingsForm(FlaskForm):
    default_theme = SelectField(_l("Default theme"), choices=[], validate_choice=True)
    default_locale = SelectField(_l("Default language"), choices=[], validate_choice=True)
    default_timezone = SelectField(_l("Default time zone"), choices=[], validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_theme.choices = theme_choices()
        self.default_locale.choices = [("", _l("The browser's language"))] + [
            (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["ERP_LOCALES"]]
        self.default_timezone.choices = [(tz, tz) for tz in TIMEZONES]


@bp.route("/general", methods=["GET", "POST"])
@access.admin_required
def general():
    form = GeneralSettingsForm(data={
        "default_theme": default_theme_name(),
        "default_locale": get_setting("default_locale", ""),
        "default_timezone": get_setting("default_timezone",
                                        current_app.config["ERP_DEFAULT_TIMEZONE"]),
    })
    if form.validate_on_submit():
        set_setting("default_theme", form.default_theme.data)
        set_setting("default_locale", form.default_locale.data)
        set_setting("default_timezone", form.default_timezone.data)
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("settings.general"))
    status = 422 if request.method == "POST" else 200
    return render_template("settings/general.html", form=form,
                           fallback_locale=LANGUAGE_NAMES.get(
                               current_app.config["ERP_DEFAULT_LOCALE"],
                               current_app.config["ERP_DEFAULT_LOCALE"])), status
