"""Settings → General, for administrators: the deployment's default theme, language and
time zone, the currency amounts are shown in, and the company printed on documents. Stored
with `core.settings.set_setting`; users' own choices still win."""
from __future__ import annotations

from babel.numbers import get_currency_name
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from core import access
from core.auth.forms import TIMEZONES
from core.db import db
from core.i18n import LANGUAGE_NAMES
from core.settings import COMPANY_KEYS, get_setting, set_setting
from core.ui.forms import EmailAddress
from core.ui.themes import default_theme_name, theme_choices

bp = Blueprint("settings", __name__, url_prefix="/settings")

# The currencies of the markets we serve, and the majors they trade in (ISO 4217).
CURRENCIES = ["VND", "CNY", "USD", "EUR", "GBP", "JPY", "KRW", "SGD", "HKD", "TWD", "THB",
              "MYR", "IDR", "PHP", "INR", "AUD", "CAD", "CHF"]


class GeneralSettingsForm(FlaskForm):
    default_theme = SelectField(_l("Default theme"), choices=[], validate_choice=True)
    default_locale = SelectField(_l("Default language"), choices=[], validate_choice=True)
    default_timezone = SelectField(_l("Default time zone"), choices=[], validate_choice=True)
    currency = SelectField(_l("Currency"), choices=[], validate_choice=True)
    company_name = StringField(_l("Company name"), validators=[Length(max=200)])
    company_address = TextAreaField(_l("Address"), validators=[Length(max=500)])
    company_tax_id = StringField(_l("Tax ID"), validators=[Length(max=64)])
    company_phone = StringField(_l("Phone"), validators=[Length(max=64)])
    company_email = StringField(_l("Email"),
                                validators=[Optional(), EmailAddress(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_theme.choices = theme_choices()
        self.default_locale.choices = [("", _l("The browser's language"))] + [
            (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["ERP_LOCALES"]]
        self.default_timezone.choices = [(tz, tz) for tz in TIMEZONES]
        locale = get_locale()
        self.currency.choices = sorted(
            ((code, f"{get_currency_name(code, locale=locale)} ({code})") for code in
             dict.fromkeys(CURRENCIES + [current_app.config["ERP_CURRENCY"]])),
            key=lambda choice: choice[1])


@bp.route("/general", methods=["GET", "POST"])
@access.admin_required
def general():
    form = GeneralSettingsForm(data={
        "default_theme": default_theme_name(),
        "default_locale": get_setting("default_locale", ""),
        "default_timezone": get_setting("default_timezone",
                                        current_app.config["ERP_DEFAULT_TIMEZONE"]),
        "currency": get_setting("currency", current_app.config["ERP_CURRENCY"]),
        **{key: get_setting(key, "") for key in COMPANY_KEYS},
    })
    if form.validate_on_submit():
        set_setting("default_theme", form.default_theme.data)
        set_setting("default_locale", form.default_locale.data)
        set_setting("default_timezone", form.default_timezone.data)
        set_setting("currency", form.currency.data)
        for key in COMPANY_KEYS:
            set_setting(key, (form[key].data or "").strip())
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("settings.general"))
    status = 422 if request.method == "POST" else 200
    return render_template("settings/general.html", form=form,
                           fallback_locale=LANGUAGE_NAMES.get(
                               current_app.config["ERP_DEFAULT_LOCALE"],
                               current_app.config["ERP_DEFAULT_LOCALE"])), status
