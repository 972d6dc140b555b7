"""Where module state lives: one row per module ever enabled, and a counter every worker
reads per request to notice that the enabled set changed."""
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
    """Named counters; `modules` moves whenever any module changes state."""

    __tablename__ = "core_state"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
