"""The row that follows a background task from queued to done or failed: what runs, for
whom, how far it got and what came of it. The queue's own message carries only its id."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow

STATES = {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"),
          "failed": _l("Failed")}
OPEN = ("queued", "running")


class Task(db.Model):
    __tablename__ = "core_task"
    __model__ = "core.task"  # read through the API as /api/v1/core.task
    __table_args__ = (sa.Index("ix_core_task_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), index=True)  # "<module>.<name>"
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"))  # who queued it (None: a job)
    # the same key queued again while the first is not failed is the first (runs once)
    key: Mapped[str | None] = mapped_column(sa.String(191), unique=True)
    args: Mapped[dict | None] = mapped_column(sa.JSON)  # the function's keyword arguments
    subject: Mapped[str | None] = mapped_column(sa.String(255))  # what it works on
    state: Mapped[str] = mapped_column(sa.String(16), default="queued", index=True)
    done: Mapped[int] = mapped_column(default=0)  # progress: done of total
    total: Mapped[int | None]
    message: Mapped[str | None] = mapped_column(sa.Text)  # its result, or the last error
    link: Mapped[str | None] = mapped_column(sa.String(512))  # where its result is
    attempts: Mapped[int] = mapped_column(default=0)
    run_at: Mapped[datetime | None]  # a retry waits until then
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def state_label(self) -> str:
        return str(STATES.get(self.state, self.state))

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))

    def delete_refusal(self) -> str | None:
        return str(_l("Background tasks are kept as a record; finished ones are deleted "
                      "after a while."))
