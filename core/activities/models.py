"""Activities: calls, meetings, tasks and emails, planned or logged, against a contact or any
record."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

KINDS = {"call": _l("Call"), "meeting": _l("Meeting"), "task": _l("Task"), "email": _l("Email")}
STATES = {"planned": _l("Planned"), "done": _l("Done"), "cancelled": _l("Cancelled")}


class Activity(Model):
    __model__ = "activity"
    __timeline__ = True

    subject: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Subject")})
    kind: Mapped[str] = mapped_column(sa.String(16), default="call", index=True,
                                      info={"label": _l("Type"), "choices": KINDS})
    state: Mapped[str] = mapped_column(sa.String(16), default="planned", index=True,
                                       info={"label": _l("Status"), "choices": STATES})
    partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Contact")})
    assignee_id: Mapped[int | None] = mapped_column(  # one's own, unless one may assign
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Assigned to"), "write_right": "core.assign"})
    due_at: Mapped[datetime | None] = mapped_column(index=True, info={"label": _l("When")})
    duration_minutes: Mapped[int | None] = mapped_column(
        info={"label": _l("Minutes"), "min": 0, "max": 525_600})  # a year at most
    # the reminder job looks a day ahead (jobs.MAX_REMIND)
    remind_minutes: Mapped[int | None] = mapped_column(
        default=15, info={"label": _l("Remind me (minutes before)"), "min": 0, "max": 1440})
    reminded_at: Mapped[datetime | None] = mapped_column(info={"label": _l("Reminded")})
    res_model: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    res_id: Mapped[int | None] = mapped_column(index=True)
    outcome: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Outcome")})

    def __str__(self) -> str:
        return self.subject
