"""Forms for signing in, the profile and user administration."""
from __future__ import annotations

from zoneinfo import available_timezones

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from core.auth.models import LOGIN_PATTERN, PASSWORD_MIN
from core.i18n import LANGUAGE_NAMES
from core.ui.forms import EmailAddress

TIMEZONES = sorted(available_timezones())


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def language_choices():
    return [("", _l("Deployment default"))] + [
        (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["ERP_LOCALES"]]


def timezone_choices():
    return [("", _l("Deployment default"))] + [(tz, tz) for tz in TIMEZONES]


def theme_choices():
    from core.ui.themes import theme_choices as installed

    return [("", _l("Deployment default"))] + installed()


class LoginForm(FlaskForm):
    login = StringField(_l("Login"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


class PreferencesForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=128)])
    email = StringField(_l("Email"), validators=[Optional(), EmailAddress(), Length(max=254)])
    lang = SelectField(_l("Language"), choices=[], validate_choice=True)
    tz = SelectField(_l("Time zone"), choices=[], validate_choice=True)
    theme = SelectField(_l("Theme"), choices=[], validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lang.choices = language_choices()
        self.tz.choices = timezone_choices()
        if self.theme is not None:
            self.theme.choices = theme_choices()
            if not self.theme.raw_data and self.theme.data not in dict(self.theme.choices):
                self.theme.data = ""  # none stored (or no longer installed) and none posted


class NewPasswordMixin:
    password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=PASSWORD_MIN, message=_l("At least 8 characters."))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("Login or email"), validators=[DataRequired(), Length(max=254)])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=128)])


class UserForm(PreferencesForm):
    theme = None  # each user picks their own look; administrators do not
    login = StringField(_l("Login"), validators=[
        DataRequired(), Length(max=64),
        Regexp(LOGIN_PATTERN, message=_l("Letters, digits and . @ + - _ only."))])
    manager_id = SelectField(_l("Manager"), coerce=int, choices=[], validate_choice=True)
    active = BooleanField(_l("Active"), default=True)
    groups = MultiCheckboxField(_l("Groups"), choices=[])
    teams = MultiCheckboxField(_l("Teams"), coerce=int, choices=[])


class NewUserForm(NewPasswordMixin, UserForm):
    pass


class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=128)])
    leader_id = SelectField(_l("Leader"), coerce=int, choices=[], validate_choice=True)
    members = MultiCheckboxField(_l("Members"), coerce=int, choices=[])
