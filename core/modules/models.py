"""Where module state lives: one row per module ever enabled, and counters every worker
reads per request (one statement for all) to notice that the enabled set, or the settings,
changed since it cached them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow

STATES = ("available", "enabled", "disabled", "uninstalled")
INSTALLED = ("enabled", "disabled")  # tables exist and hold data


class ModuleRecord(db.Model):
    __tablename__ = "core_module"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="available")
    installed_version: Mapped[str | None] = mapped_column(sa.String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StateCounter(db.Model):
    """Named counters: `modules` moves whenever any module changes state, `settings`
    whenever a setting is written."""

    __tablename__ = "core_state"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


COUNTERS = ("modules", "settings")


def read_counters() -> dict[str, int] | None:
    """Every counter, in one statement (None before `init` made the table). A request
    reads them once (core.modules' before_request; an API request with its token) and
    keeps them in `g`."""
    try:
        found = dict(db.session.execute(sa.select(StateCounter.key, StateCounter.value)).all())
    except sa.exc.DatabaseError:  # not initialised yet
        db.session.rollback()
        found = None
    return keep_counters(found)


def keep_counters(found: dict | None) -> dict | None:
    """Keep `found` as the request's counters (a missing row reads 0)."""
    from flask import g

    if found is not None:
        found = {key: value or 0 for key, value in found.items()}
    g._erp_counters = found
    return found


def request_counters() -> dict[str, int] | None:
    """The counters this request read, else read now (a command, a job)."""
    from flask import g

    if "_erp_counters" in g:
        return g._erp_counters
    return read_counters()


def bump_counter(key: str, conn=None) -> None:
    """Move counter `key` on, in the caller's transaction: other processes reload what
    they cached under it once it commits."""
    conn = conn if conn is not None else db.session
    moved = conn.execute(sa.update(StateCounter).where(StateCounter.key == key)
                         .values(value=StateCounter.value + 1)).rowcount
    if not moved:
        conn.execute(sa.insert(StateCounter).values(key=key, value=1))
