"""Themes (discovery, their CSS, each user's choice, the deployment's default, template
overrides) and Settings → General (default theme, language and time zone)."""
from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.settings import Setting, get_setting, set_setting

from ..conftest import init_db, login, make_app

THEMES = Path(__file__).resolve().parents[2] / "themes"


def html_theme(response) -> tuple[str, str | None]:
    """(data-bs-theme of <html>, the theme stylesheet's URL) of a page."""
    mode = re.search(r'<html[^>]* data-bs-theme="([^"]+)"', response.text).group(1)
    css = re.search(r'href="(/themes/[^"]+/theme\.css)"', response.text)
    return mode, css.group(1) if css else None


def user(app, login_name) -> User:
    with app.app_context():
        return db.session.execute(sa.select(User).where(User.login == login_name)).scalar()


def settings(app) -> dict:
    with app.app_context():
        return {s.key: s.value for s in db.session.execute(sa.select(Setting)).scalars()}


# -- discovery -----------------------------------------------------------------------------
def test_the_shipped_themes_are_discovered(app):
    themes = app.extensions["erp.themes"]
    assert {"light", "dark", "ocean"} <= set(themes)
    assert themes["light"].mode == "light" and themes["dark"].mode == "dark"
    assert all(t.has_css for t in themes.values())
    assert app.extensions["erp.theme_errors"] == []


@pytest.fixture
def themes_dir(tmp_path):
    """light and dark as shipped, one theme that overrides core's home page, and broken
    ones."""
    root = tmp_path / "themes"
    for name in ("light", "dark"):
        shutil.copytree(THEMES / name, root / name)
    custom = root / "custom"
    (custom / "templates" / "core").mkdir(parents=True)
    (custom / "static").mkdir()
    (custom / "theme.toml").write_text('name = "custom"\ntitle = "Custom"\nmode = "dark"\n')
    (custom / "static" / "theme.css").write_text(":root { --app-accent: #f0f; }\n")
    (custom / "templates" / "core" / "home.html").write_text(
        '{% extends "base.html" %}{% block content %}'
        '<h1 class="custom-home">{{ _("Custom home") }}</h1>{% endblock %}\n')
    broken = {
        "bad_toml": 'name = "bad_toml"\ntitle = \n',
        "no_mode": 'name = "no_mode"\ntitle = "No mode"\n',
        "sepia": 'name = "sepia"\ntitle = "Sepia"\nmode = "sepia"\n',
        "elsewhere": 'name = "other"\ntitle = "Elsewhere"\nmode = "light"\n',
        "extra": 'name = "extra"\ntitle = "Extra"\nmode = "light"\nscript = "x.js"\n',
    }
    for name, text in broken.items():
        (root / name).mkdir()
        (root / name / "theme.toml").write_text(text)
    (root / "empty").mkdir()
    return root


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_broken_themes_are_skipped_with_an_error_each(db_url, themes_dir):
    records = _Records()
    logger = logging.getLogger("core.ui.themes")
    logger.addHandler(records)
    try:
        app = make_app(db_url, ERP_THEMES_DIR=str(themes_dir))
    finally:
        logger.removeHandler(records)
    assert sorted(app.extensions["erp.themes"]) == ["custom", "dark", "light"]
    errors = {Path(e.path).parent.name: e.message for e in app.extensions["erp.theme_errors"]}
    assert sorted(errors) == ["bad_toml", "elsewhere", "empty", "extra", "no_mode", "sepia"]
    assert "not valid TOML" in errors["bad_toml"]
    assert errors["no_mode"] == "missing key 'mode'"
    assert "sepia" in errors["sepia"] and "differs from the folder" in errors["elsewhere"]
    assert errors["extra"] == "unknown key 'script'" and errors["empty"] == "file not found"
    assert len(records.messages) == 6
    assert all("theme.toml" in m for m in records.messages)


# -- serving and choosing ------------------------------------------------------------------
def test_the_theme_css_is_served_to_anyone(app):
    client = app.test_client()
    response = client.get("/themes/dark/theme.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "--app-sidebar-bg" in response.text
    assert client.get("/themes/dark/nothing.css").status_code == 404
    assert client.get("/themes/nope/theme.css").status_code == 404
    assert client.get("/themes/dark/../theme.toml").status_code == 404
    assert client.get("/themes/dark/%2e%2e/theme.toml").status_code == 404


def test_the_login_page_has_the_default_theme(app):
    assert html_theme(app.test_client().get("/login")) == ("light", "/themes/light/theme.css")


def test_a_user_picks_a_theme_from_the_user_menu(app, clerk_client, admin_client):
    page = clerk_client.get("/")
    assert html_theme(page) == ("light", "/themes/light/theme.css")
    for name in ("light", "dark", "ocean"):
        assert f'data-theme="{name}"' in page.text
    response = clerk_client.post("/theme/dark", headers={"Referer": "http://localhost/profile"})
    assert response.status_code == 302 and response.location.endswith("/profile")
    assert user(app, "clerk").theme == "dark"
    page = clerk_client.get("/")
    assert html_theme(page) == ("dark", "/themes/dark/theme.css")
    assert re.search(r'class="dropdown-item app-theme-item active"[^>]*data-theme="dark"',
                     page.text)
    # only the chooser's pages change
    assert html_theme(admin_client.get("/")) == ("light", "/themes/light/theme.css")
    assert clerk_client.post("/theme/nope").status_code == 404
    assert user(app, "clerk").theme == "dark"
    assert app.test_client().post("/theme/dark").status_code == 302  # to sign in first


def test_the_profile_page_shows_and_saves_the_theme(app, clerk_client):
    page = clerk_client.get("/profile")
    assert 'name="prefs-theme"' in page.text
    prefs = {"action": "prefs", "prefs-name": "Clerk", "prefs-lang": "", "prefs-tz": ""}
    clerk_client.post("/profile", data=prefs | {"prefs-theme": "ocean"})
    assert user(app, "clerk").theme == "ocean"
    assert html_theme(clerk_client.get("/")) == ("light", "/themes/ocean/theme.css")
    bad = clerk_client.post("/profile", data=prefs | {"prefs-theme": "nope"})
    assert bad.status_code == 422 and user(app, "clerk").theme == "ocean"
    clerk_client.post("/profile", data=prefs | {"prefs-theme": ""})  # back to the default
    assert user(app, "clerk").theme is None
    clerk_client.post("/profile", data=prefs)  # not posted: left as it is
    assert user(app, "clerk").theme is None


# -- Settings → General --------------------------------------------------------------------
GENERAL = "/settings/general"
VALID = {"default_theme": "ocean", "default_locale": "", "default_timezone": "Asia/Ho_Chi_Minh",
         "currency": "USD"}


def test_the_settings_page_is_for_administrators(app, clerk_client, admin_client):
    assert app.test_client().get(GENERAL).status_code == 302
    assert clerk_client.get(GENERAL).status_code == 403
    assert clerk_client.post(GENERAL, data=VALID).status_code == 403
    assert settings(app) == {}
    page = admin_client.get(GENERAL)
    assert page.status_code == 200
    assert 'data-menu="core.general"' in page.text
    assert b'data-menu="core.general"' not in clerk_client.get("/").data


def test_the_settings_page_saves(app, admin_client):
    response = admin_client.post(GENERAL, data=VALID | {"default_locale": "vi"},
                                 follow_redirects=True)
    assert response.status_code == 200
    assert settings(app) == {"default_theme": "ocean", "default_locale": "vi",
                             "default_timezone": "Asia/Ho_Chi_Minh", "currency": "USD"}
    assert 'class="alert alert-success' in response.text
    page = admin_client.get(GENERAL)
    assert re.search(r'<option selected value="ocean">|<option value="ocean" selected>',
                     page.text)
    # "the browser's language" removes the language setting again
    admin_client.post(GENERAL, data=VALID)
    assert "default_locale" not in settings(app)


@pytest.mark.parametrize("field, value", [
    ("default_theme", "nope"), ("default_locale", "fr"), ("default_timezone", "Mars/Olympus"),
    ("currency", "XYZ"),
])
def test_bad_settings_are_refused_beside_their_field(app, admin_client, field, value):
    admin_client.post(GENERAL, data=VALID)
    response = admin_client.post(GENERAL, data=VALID | {"default_theme": "dark", field: value})
    assert response.status_code == 422
    assert re.search(rf'field-{field}">.*?class="invalid-feedback">', response.text, re.S)
    assert settings(app)["default_theme"] == "ocean"  # nothing changed
    assert settings(app)["default_timezone"] == "Asia/Ho_Chi_Minh"


def test_the_default_theme_applies_to_users_without_a_choice(app, admin_client, clerk_client):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == "admin").values(theme="dark"))
        db.session.commit()
    admin_client.post(GENERAL, data=VALID)
    assert html_theme(clerk_client.get("/")) == ("light", "/themes/ocean/theme.css")
    assert html_theme(app.test_client().get("/login")) == ("light", "/themes/ocean/theme.css")
    assert html_theme(admin_client.get("/")) == ("dark", "/themes/dark/theme.css")  # own choice
    admin_client.post(GENERAL, data=VALID | {"default_theme": "dark"})
    assert html_theme(clerk_client.get("/")) == ("dark", "/themes/dark/theme.css")


def test_the_default_language_and_time_zone_apply_to_users_without_theirs(
        app, admin_client, clerk_client):
    assert 'lang="en"' in clerk_client.get("/").text
    admin_client.post(GENERAL, data=VALID | {"default_locale": "zh_CN",
                                             "default_timezone": "Asia/Shanghai"})
    page = clerk_client.get("/")
    assert '<html lang="zh-CN"' in page.text and "退出登录" in page.text
    assert '<html lang="zh-CN"' in app.test_client().get("/login").text
    # a user's own language still wins
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == "clerk").values(lang="vi"))
        db.session.commit()
    assert '<html lang="vi"' in clerk_client.get("/").text
    from core.i18n import select_locale, select_timezone

    with app.test_request_context("/"):
        assert (select_locale(), select_timezone()) == ("zh_CN", "Asia/Shanghai")
    with app.app_context():  # jobs and the CLI too
        assert (select_locale(), select_timezone()) == ("zh_CN", "Asia/Shanghai")


def test_without_settings_the_configuration_decides(db_url):
    app = make_app(db_url, ERP_DEFAULT_LOCALE="vi", ERP_DEFAULT_TIMEZONE="Asia/Bangkok",
                   ERP_DEFAULT_THEME="dark")
    init_db(app)
    from core.i18n import select_locale, select_timezone

    with app.test_request_context("/"):
        assert (select_locale(), select_timezone()) == ("vi", "Asia/Bangkok")
    assert html_theme(app.test_client().get("/login")) == ("dark", "/themes/dark/theme.css")
    with app.app_context():
        set_setting("default_timezone", "Asia/Tokyo")
        db.session.commit()
        assert get_setting("default_timezone") == "Asia/Tokyo"
    with app.test_request_context("/"):
        assert select_timezone() == "Asia/Tokyo"


# -- template overrides --------------------------------------------------------------------
def test_the_default_themes_templates_override_cores_from_start_up(db_url, themes_dir):
    app = make_app(db_url, ERP_THEMES_DIR=str(themes_dir))
    init_db(app)
    admin = login(app.test_client())
    assert "custom-home" not in admin.get("/").text
    admin.post(GENERAL, data=VALID | {"default_theme": "custom"})
    page = admin.get("/")
    assert html_theme(page) == ("dark", "/themes/custom/theme.css")  # colours: at once
    assert "custom-home" not in page.text  # templates: from the next start
    restarted = make_app(db_url, ERP_THEMES_DIR=str(themes_dir))
    admin = login(restarted.test_client())
    assert "Custom home" in admin.get("/").text
    assert "login-card" in restarted.test_client().get("/login").text  # others unchanged
    # a user's own theme does not bring its templates
    admin.post("/theme/light")
    assert "Custom home" in admin.get("/").text
    assert html_theme(admin.get("/")) == ("light", "/themes/light/theme.css")


def test_amounts_show_in_the_currency_the_administrator_chose(app, admin_client):
    from flask_babel import force_locale

    from core.ui import money

    with app.test_request_context():
        assert money(1234.5) == "$1,234.50"  # ERP_CURRENCY until a choice is made
    page = admin_client.get(GENERAL).text
    assert "Vietnamese Dong (VND)" in page and "Chinese Yuan (CNY)" in page
    admin_client.post(GENERAL, data=VALID | {"currency": "VND"})
    with app.test_request_context():
        with force_locale("vi"):
            assert money(1234567) == "1.234.567\xa0₫"  # no decimals: the đồng has none
        with force_locale("zh_CN"):
            assert money(1234567) == "₫1,234,567"


def test_the_company_details_are_kept_and_checked(app, admin_client):
    company = {"company_name": "Công ty TNHH Hoa Sen", "company_address": "12 Tràng Tiền\nHà Nội",
               "company_tax_id": "0101234567", "company_phone": "+84 24 3825 1234",
               "company_email": "not an address"}
    response = admin_client.post(GENERAL, data=VALID | company)
    assert response.status_code == 422 and "company_name" not in settings(app)
    admin_client.post(GENERAL, data=VALID | company | {"company_email": "info@hoasen.vn"})
    assert settings(app)["company_address"] == "12 Tràng Tiền\nHà Nội"
    with app.test_request_context():
        from core.settings import company as details

        assert details()["tax_id"] == "0101234567" and details()["email"] == "info@hoasen.vn"
