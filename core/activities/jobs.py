"""Reminders before planned activities: in the inbox and by email, in the assignee's own
language and time zone, once per activity (a job that runs twice sends nothing twice)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime
from flask import current_app
from flask_babel import gettext

from core.auth.models import User
from core.db import db, utcnow
from core.mail import queue_mail
from core.notifications import in_language, notify

from .models import Activity

MAX_REMIND = timedelta(days=1)


def send_reminders() -> str:
    now = utcnow()
    due = db.session.execute(
        sa.select(Activity, User).join(User, User.id == Activity.assignee_id)
        .where(Activity.state == "planned", Activity.reminded_at.is_(None),
               Activity.due_at.is_not(None), Activity.due_at <= now + MAX_REMIND,
               Activity.due_at >= now - MAX_REMIND)
    ).all()
    sent = 0
    for activity, user in due:
        lead = timedelta(minutes=activity.remind_minutes or 0)
        if activity.due_at - lead > now:
            continue
        locale = user.lang or current_app.config["ERP_DEFAULT_LOCALE"]
        zone = ZoneInfo(user.tz or current_app.config["ERP_DEFAULT_TIMEZONE"])
        when = format_datetime(activity.due_at.replace(tzinfo=ZoneInfo("UTC")), "short",
                               tzinfo=zone, locale=locale)
        with in_language(user):
            subject = gettext("Reminder: %(subject)s at %(when)s", subject=activity.subject,
                              when=when)
            body = gettext("You have a planned activity: %(subject)s, %(when)s.",
                           subject=activity.subject, when=when)
        key = f"reminder:activity:{activity.id}"
        notify(user.id, subject, body, link=f"/activities/activities/{activity.id}", key=key)
        queue_mail(user.email, subject, body, key=key)
        activity.reminded_at = now
        sent += 1
    return f"{sent} reminders"
