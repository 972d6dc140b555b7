"""Deployment settings an administrator changes in the web UI (Settings → General): a small
key/value table, cached per process and read again only when the `settings` counter (or
`modules`, which a restore moves) has moved since (core.modules.models): no query per
request for them.

Keys in use: `default_theme`, `default_locale`, `default_timezone`, `currency`, and the
company's details (`COMPANY_KEYS`). A key without a row
falls back to the caller's default (usually the matching `ERP_DEFAULT_*` configuration)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class Setting(db.Model):
    __tablename__ = "core_setting"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.Text)


def _all() -> dict[str, str | None]:
    """Every setting: the request's own copy (what it writes shows at once), made from the
    process's cache while the counters have not moved."""
    cached = g.get("_erp_settings")
    if cached is None:
        from core.modules.models import request_counters

        counters = request_counters()
        version = None if counters is None else (counters.get("settings", 0),
                                                 counters.get("modules", 0))
        shared = current_app.extensions.setdefault("erp.settings", {})
        if version is None or shared.get("version") != version:
            try:
                rows = db.session.execute(sa.select(Setting.key, Setting.value)).all()
            except sa.exc.DatabaseError:  # not initialised yet: no settings
                db.session.rollback()
                rows = []
            shared.update(version=version, values={key: value for key, value in rows})
        cached = g._erp_settings = dict(shared["values"])
    return cached


def get_setting(key: str, default: str | None = None) -> str | None:
    if not has_app_context():
        return default
    value = _all().get(key)
    return default if value is None or value == "" else value


def set_setting(key: str, value: str | None) -> None:
    """Store a setting (None or "" removes it, so the default applies again). The caller
    commits."""
    from core.modules.models import bump_counter

    if value is None or value == "":
        db.session.execute(sa.delete(Setting).where(Setting.key == key))
    else:
        db.session.merge(Setting(key=key, value=value))
    bump_counter("settings")  # every process reads them again once this commits
    _all()[key] = value or None


COMPANY_KEYS = ("company_name", "company_address", "company_tax_id", "company_phone",
                "company_email")


def company() -> dict[str, str]:
    """The deployment's own company, as printed on quotations and invoices."""
    return {key.removeprefix("company_"): get_setting(key, "") for key in COMPANY_KEYS}
