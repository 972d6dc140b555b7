"""Deployment settings an administrator changes in the web UI (Settings → General): a small
key/value table, read once per request (or app context) and cached there.

Keys in use: `default_theme`, `default_locale`, `default_timezone`, `currency`, and the
company's details (`COMPANY_KEYS`). A key without a row
falls back to the caller's default (usually the matching `ERP_DEFAULT_*` configuration)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class Setting(db.Model):
    __tablename__ = "core_setting"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.Text)


def _all() -> dict[str, str | None]:
    """Every setting, loaded with one query the first time a request (or app context) asks."""
    cached = g.get("_erp_settings")
    if cached is None:
        try:
            rows = db.session.execute(sa.select(Setting.key, Setting.value)).all()
        except sa.exc.DatabaseError:  # not initialised yet: no settings
            db.session.rollback()
            rows = []
        cached = g._erp_settings = {key: value for key, value in rows}
    return cached


def get_setting(key: str, default: str | None = None) -> str | None:
    if not has_app_context():
        return default
    value = _all().get(key)
    return default if value is None or value == "" else value


def set_setting(key: str, value: str | None) -> None:
    """Store a setting (None or "" removes it, so the default applies again). The caller
    commits."""
    if value is None or value == "":
        db.session.execute(sa.delete(Setting).where(Setting.key == key))
    else:
        db.session.merge(Setting(key=key, value=value))
    _all()[key] = value or None


COMPANY_KEYS = ("company_name", "company_address", "company_tax_id", "company_phone",
                "company_email")


def company() -> dict[str, str]:
    """The deployment's own company, as printed on quotations and invoices."""
    return {key.removeprefix("company_"): get_setting(key, "") for key in COMPANY_KEYS}
