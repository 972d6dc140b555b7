"""WTForms' own messages ("This field is required.") in the reader's language.

WTForms ships catalogs for some languages only (none for Vietnamese), so its messages are
looked up in our catalogs first, where these markers put them, then in WTForms' own."""
from __future__ import annotations

from flask_babel import get_domain
from flask_babel import lazy_gettext as _l
from flask_wtf.i18n import translations as wtforms_translations

# the messages of the validators and fields our forms use, for extraction only
MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Not a valid choice."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Invalid value, must be one of: %(values)s."),
)


class Translations:
    """What WTForms asks to translate its messages: our catalogs, then WTForms'."""

    def gettext(self, string):
        found = get_domain().get_translations().ugettext(string)
        return found if found != string else wtforms_translations.gettext(string)

    def ngettext(self, singular, plural, n):
        found = get_domain().get_translations().ungettext(singular, plural, n)
        if found not in (singular, plural):
            return found
        return wtforms_translations.ngettext(singular, plural, n)


translations = Translations()


def init_app(app) -> None:
    """Every FlaskForm asks `Meta.get_translations`; Flask-WTF answers with WTForms' own
    catalogs only, so it is pointed here, once, for all forms of the app."""
    from flask_wtf import FlaskForm

    def get_translations(self, form):
        return translations

    FlaskForm.Meta.get_translations = get_translations
