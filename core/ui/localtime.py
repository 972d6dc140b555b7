"""A datetime field in the user's time zone: the database keeps naive UTC (as flask_babel's
filters assume when they show it), the form shows and reads the user's local time."""
from __future__ import annotations

from datetime import datetime

from flask_babel import to_user_timezone, to_utc
from wtforms import DateTimeLocalField


class LocalDateTimeField(DateTimeLocalField):
    """`data` is naive UTC, like the column; only what the input shows and what it is typed
    as are local (a calendar's slot, "tomorrow at 14:00")."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            return to_user_timezone(self.data).strftime(self.format[0])
        return ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, datetime):
            self.data = to_utc(self.data)
