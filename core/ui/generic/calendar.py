"""The calendar: a model's records by their date, a month or a week at a time. A week of a
datetime calendar is an hour grid in the user's time zone (stored datetimes are naive UTC);
an item is dragged to another slot (reschedule) and an empty slot opens a New form."""
from __future__ import annotations

import calendar as calendar_module
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import jsonify, redirect, render_template, request
from flask_babel import format_time, to_user_timezone, to_utc
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from core import access, limits, records
from core.db import db, utcnow
from core.errors import Refusal

from .. import forms as model_forms

DEFAULT_MINUTES = 60  # an item without a duration fills an hour of the grid
MIN_MINUTES = 20  # and a short one stays tall enough to read
MONTH_ITEMS = 4  # a day of the month shows this many items, then "+N more"
WEEK_ITEMS = 40  # a day of the week
SCANNED = 50_000  # the dates read for one view, at most


def _local_now() -> datetime:
    return to_user_timezone(utcnow()).replace(tzinfo=None)


def lay_out(items: list[dict]) -> None:
    """Give overlapping items of one day lanes side by side: each item gets `lane` and
    `lanes` (the lanes of its cluster of overlapping items)."""
    cluster: list[dict] = []
    ends: list[int] = []  # per lane, the minute its last item ends
    cluster_end = -1

    def close():
        for item in cluster:
            item["lanes"] = len(ends)

    for item in sorted(items, key=lambda i: (i["start"], -i["length"])):
        if item["start"] >= cluster_end and cluster:
            close()
            cluster, ends = [], []
        end = item["start"] + max(item["length"], MIN_MINUTES)
        lane = next((n for n, e in enumerate(ends) if e <= item["start"]), len(ends))
        if lane == len(ends):
            ends.append(end)
        else:
            ends[lane] = end
        item["lane"] = lane
        cluster.append(item)
        cluster_end = max(cluster_end, end)
    close()


class CalendarMixin:
    def calendar_is_datetime(self) -> bool:
        return isinstance(model_forms.column_of(self.model, self.calendar.date).type,
                          sa.DateTime)

    def calendar_view(self):
        mode = "week" if request.args.get("mode") == "week" else "month"
        is_datetime = self.calendar_is_datetime()
        today = _local_now().date() if is_datetime else date.today()
        try:
            anchor = date.fromisoformat(request.args.get("day", ""))
        except ValueError:
            anchor = today
        if limits.date_problem(anchor) is not None:  # weeks around it must be dates too
            anchor = today
        if mode == "month":
            first = anchor.replace(day=1)
            start = first - timedelta(days=first.weekday())
            last = first.replace(day=calendar_module.monthrange(first.year, first.month)[1])
            end = last + timedelta(days=6 - last.weekday())
            prev_day = (first - timedelta(days=1)).replace(day=1)
            next_day = last + timedelta(days=1)
        else:
            start = anchor - timedelta(days=anchor.weekday())
            end = start + timedelta(days=6)
            prev_day, next_day = start - timedelta(days=7), start + timedelta(days=7)
        column = getattr(self.model, self.calendar.date)
        if is_datetime:  # the user's local days, as UTC bounds
            low = to_utc(datetime.combine(start, time.min))
            high = to_utc(datetime.combine(end + timedelta(days=1), time.min))
        else:
            low, high = start, end + timedelta(days=1)
        # the dates of everything in view (an index range), then the records of the first
        # few a day: a day with more shows how many more, as a link to its week
        shown_a_day = MONTH_ITEMS if mode == "month" else WEEK_ITEMS
        stamps = db.session.execute(self.filtered_query().with_only_columns(
            self.model.id, column).where(column >= low, column < high)
            .order_by(column, self.model.id).limit(SCANNED)).all()
        chosen, more = {}, {}
        for record_id, value in stamps:
            local = to_user_timezone(value).replace(tzinfo=None) if is_datetime else value
            day = local.date() if is_datetime else local
            if len(chosen.setdefault(day, [])) < shown_a_day:
                chosen[day].append(record_id)
            else:
                more[day] = more.get(day, 0) + 1
        wanted = [i for ids in chosen.values() for i in ids]
        found = db.session.execute(self.filtered_query().where(
            self.model.id.in_(wanted)).order_by(column, self.model.id)).scalars().all() \
            if wanted else []
        by_day: dict = {}
        for record in found:
            value = getattr(record, self.calendar.date)
            local = to_user_timezone(value).replace(tzinfo=None) if is_datetime else value
            minutes = getattr(record, self.calendar.duration, None) \
                if self.calendar.duration else None
            by_day.setdefault(local.date() if is_datetime else local, []).append({
                "record": record, "local": local,
                "start": local.hour * 60 + local.minute if is_datetime else 0,
                "length": min(minutes or DEFAULT_MINUTES, 24 * 60),
                "value": value.isoformat()})
        for items in by_day.values():
            lay_out(items)
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        weeks = [days[i:i + 7] for i in range(0, len(days), 7)]
        movable = access.can(self.model_name, "w") and access.may_write_field(
            self.model, self.calendar.date)
        creatable = self.forms and access.can(self.model_name, "c") \
            and self.calendar.date in self.fields
        return render_template("generic/calendar.html", v=self, weeks=weeks, by_day=by_day,
                               more=more,
                               mode=mode, anchor=anchor, today=today, prev_day=prev_day,
                               next_day=next_day, is_datetime=is_datetime, movable=movable,
                               creatable=creatable, hours=[
                                   (h, format_time(time(h), "short", rebase=False))
                                   for h in range(24)])

    def new_at_url(self, day: date, hour: int | None = None) -> str:
        """The New form with the calendar's date prefilled (the user's local time)."""
        value = day.isoformat() if hour is None or not self.calendar_is_datetime() \
            else f"{day.isoformat()}T{hour:02d}:00"
        return self.url("new", **{self.calendar.date: value})

    def reschedule_view(self, record_id):
        """Move an item to another day or time: `start` is the new local date or datetime
        (a date alone keeps a datetime's time of day), `expected` the stored value the
        mover saw: if it changed meanwhile (another move won), 409."""
        def refuse(message, status=422):
            db.session.rollback()
            return jsonify({"error": {"code": "invalid" if status == 422 else "conflict",
                                      "message": message}}), status

        name, is_datetime = self.calendar.date, self.calendar_is_datetime()
        text = request.form.get("start", "")
        try:
            moved = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            return refuse(_("Not a valid date."))
        if limits.date_problem(moved) is not None:
            return refuse(_("Not a valid date."))
        try:
            record = access.get_for(self.model, record_id, "w", lock=True)
        except HTTPException as exc:  # not found, or beyond the user's rules
            return refuse(_("You cannot change this record."), exc.code)
        current = getattr(record, name)
        if (current.isoformat() if current is not None else "") != request.form.get(
                "expected", ""):
            return refuse(_("This record was changed meanwhile: reload the page."), 409)
        if is_datetime:
            if not isinstance(moved, datetime):  # a day: keep the local time of day
                kept = to_user_timezone(current).time() if current else time(9)
                moved = datetime.combine(moved, kept)
            value = to_utc(moved)
        else:
            value = moved.date() if isinstance(moved, datetime) else moved
        try:
            records.save(self.model, {name: value}, record)
            db.session.commit()
        except Refusal as exc:
            return refuse(exc.message, exc.status)
        if request.headers.get("X-Requested-With") != "fetch":
            return redirect(self.url("calendar", mode="week", day=moved.isoformat()[:10]))
        return {"id": record.id, "value": value.isoformat()}
