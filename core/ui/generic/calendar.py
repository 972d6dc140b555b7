"""The calendar: a model's records by their date, a month or a week at a time."""
from __future__ import annotations

import calendar as calendar_module
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import render_template, request

from core import limits
from core.db import db

from .. import forms as model_forms


class CalendarMixin:
    def calendar_view(self):
        mode = "week" if request.args.get("mode") == "week" else "month"
        today = date.today()
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
        is_datetime = isinstance(model_forms.column_of(self.model, self.calendar.date).type,
                                 sa.DateTime)
        low = datetime.combine(start, datetime.min.time()) if is_datetime else start
        high = datetime.combine(end + timedelta(days=1), datetime.min.time()) \
            if is_datetime else end + timedelta(days=1)
        records = db.session.execute(self.filtered_query().where(column >= low, column < high)
                                     .order_by(column).limit(2000)).scalars().all()
        by_day: dict = {}
        for record in records:
            value = getattr(record, self.calendar.date)
            by_day.setdefault(value.date() if is_datetime else value, []).append(record)
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        weeks = [days[i:i + 7] for i in range(0, len(days), 7)]
        return render_template("generic/calendar.html", v=self, weeks=weeks, by_day=by_day,
                               mode=mode, anchor=anchor, today=today, prev_day=prev_day,
                               next_day=next_day, is_datetime=is_datetime)
