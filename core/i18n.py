"""Languages: the locale comes from the user's saved preference, then the language picked in
this session, then the deployment's default language set in Settings → General, then the
browser's Accept-Language, then `ERP_DEFAULT_LOCALE`. Time zones: the user's, then the
deployment's (Settings → General), then `ERP_DEFAULT_TIMEZONE`."""
from __future__ import annotations

from babel import support
from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale
from flask_login import current_user

from core.config import PROJECT_ROOT
from core.settings import get_setting

babel = Babel()

LANGUAGE_NAMES = {"en": "English", "vi": "Tiếng Việt", "zh_CN": "简体中文"}


def _deployment_locale() -> str | None:
    """The default language an administrator set, if any (None: the browser decides)."""
    chosen = get_setting("default_locale")
    return chosen if chosen in current_app.config["ERP_LOCALES"] else None


def select_locale() -> str:
    locales = current_app.config["ERP_LOCALES"]
    if not has_request_context():  # CLI and jobs: the deployment's language
        return _deployment_locale() or current_app.config["ERP_DEFAULT_LOCALE"]
    if getattr(current_user, "is_authenticated", False) and current_user.lang in locales:
        return current_user.lang
    if session.get("lang") in locales:
        return session["lang"]
    chosen = _deployment_locale()
    if chosen:
        return chosen
    best = request.accept_languages.best_match(
        locales + [loc.replace("_", "-") for loc in locales]
    )
    if best:
        return best.replace("-", "_")
    return current_app.config["ERP_DEFAULT_LOCALE"]


def select_timezone() -> str:
    deployment = get_setting("default_timezone", current_app.config["ERP_DEFAULT_TIMEZONE"])
    if not has_request_context():
        return deployment
    if getattr(current_user, "is_authenticated", False) and current_user.tz:
        return current_user.tz
    return deployment


class CatalogDomain(Domain):
    """Loads catalogs by the code we offer (`zh_CN`): Flask-Babel asks by `str(Locale)`,
    which Babel spells `zh_Hans_CN`, and so would never find the Chinese catalog."""

    def get_translations(self):
        # kept for the request where Flask-Babel keeps it (force_locale clears and restores
        # it): a page asks for it once per string, nearly 200 times
        babel_ctx = getattr(g, "_flask_babel", None) if g else None
        found = getattr(babel_ctx, "babel_translations", None)
        if found is not None:
            return found
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        folders = tuple(self.translation_directories)
        key = (str(locale), folders)
        if key not in self.cache:
            code = "_".join(p for p in (locale.language, locale.territory) if p)
            translations = support.Translations()
            for folder in folders:
                catalog = support.Translations.load(folder, [code, str(locale)], self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            self.cache[key] = translations
        babel_ctx = getattr(g, "_flask_babel", None) if g else None  # made by get_locale
        if babel_ctx is not None:
            babel_ctx.babel_translations = self.cache[key]
        return self.cache[key]


def init_app(app, registry) -> None:
    # Core's catalog first, then each module's: Flask-Babel merges them in order. Disabled
    # modules' catalogs stay loaded; their strings are simply never asked for.
    folders = [str(PROJECT_ROOT / "translations")] + [
        str(m.translations_dir) for m in registry.manifests.values() if m.translations_dir.is_dir()
    ]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(folders)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["ERP_DEFAULT_LOCALE"])
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    babel.domain_instance = CatalogDomain()
    from core import form_messages
    from core.translatable import translated

    form_messages.init_app(app)

    # a translatable field in the reader's language: {{ term|translated }}
    app.add_template_filter(translated, "translated")
    # a country's name in the reader's language from its code: {{ partner.country|country }}
    app.add_template_filter(country_name, "country")


def country_name(code: str | None) -> str:
    from core.choices import COUNTRIES

    return COUNTRIES.get(code, code) if code else ""
