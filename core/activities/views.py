"""Activity pages (generic views), "my activities", and the contact page's panel."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from core import access
from core.db import db, utcnow
from core.ui.generic import Board, Calendar, Column, ModelViews, Report, team_filter

from . import on_records
from .models import Activity

bp = Blueprint("activities", __name__, url_prefix="/activities")

activities = ModelViews(
    Activity, "activities", _l("Activities"),
    columns=[Column("subject", link=True), "kind", Column("partner_id", related="name"),
             Column("assignee_id", related="name"), "due_at", "state"],
    fields=["subject", "kind", "state", "partner_id", "assignee_id", "due_at",
            "duration_minutes", "remind_minutes", "outcome"],
    hidden=("res_model", "res_id"),
    search=("subject", "outcome"),
    filters=("kind", "state", "assignee_id", team_filter(Activity.assignee_id)),
    group_by=("kind", "state", "assignee_id"), order="-due_at", record_title="subject",
    board=Board("state", title="subject", details=("kind", "due_at")),
    calendar=Calendar("due_at", title="subject", who="assignee_id",
                      duration="duration_minutes"),
    report=Report(groups=("kind", "state", "assignee_id")),
    defaults=lambda: {"assignee_id": current_user.id, "due_at": _next_hour()},
)
activities.register(bp)


def _next_hour() -> datetime:
    """The next whole hour of the user's clock, in UTC as stored (a half-hour zone's too)."""
    local = (datetime.now(get_timezone()) + timedelta(hours=1)).replace(
        minute=0, second=0, microsecond=0)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def my_buckets(user_id: int) -> dict[str, list]:
    """The user's planned activities: overdue, today (in their time zone) and later."""
    zone = get_timezone()
    now_local = datetime.now(zone)
    start = now_local.replace(hour=0, minute=0, second=0, microsecond=0)
    to_utc = lambda d: d.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)  # noqa: E731
    today_start, today_end = to_utc(start), to_utc(start + timedelta(days=1))
    rows = db.session.execute(access.select_for(Activity).where(
        Activity.assignee_id == user_id, Activity.state == "planned"
    ).order_by(Activity.due_at.is_(None), Activity.due_at).limit(300)).scalars().all()
    now = utcnow()
    buckets: dict[str, list] = {"overdue": [], "today": [], "planned": []}
    for a in rows:
        if a.due_at is not None and a.due_at < now:
            buckets["overdue"].append(a)
        elif a.due_at is not None and today_start <= a.due_at < today_end:
            buckets["today"].append(a)
        else:
            buckets["planned"].append(a)
    return buckets


@bp.route("/<int:activity_id>/done", methods=["POST"])
@access.requires("activity", "w")
def done(activity_id):
    return on_records.mark_done(activity_id)


@bp.route("/mine")
@access.requires("activity", "r")
def mine():
    buckets = my_buckets(current_user.id)
    return render_template("activities/mine.html", buckets=buckets, v=activities,
                           about=on_records.abouts(a for b in buckets.values() for a in b))


def my_widget(user) -> Markup:
    if not access.can("activity", "r"):
        return Markup("")
    buckets = my_buckets(user.id)
    return Markup(render_template("activities/_widget.html", buckets=buckets))


def about_card(activity) -> Markup:
    """On an activity's page: the record it is about, with a link."""
    found = on_records.about(activity)
    if found is None:
        return Markup("")
    return Markup(render_template("activities/_about.html", label=found[0], url=found[1]))
