"""CSV export, one implementation for every generic list: what the filters select, the
list's columns (labels as headers) and then `id`, in a form the import (transfer.py) reads
back: references by their shown name, tags as names joined by "; ", booleans 1/0, dates
ISO, text in the reader's language; a text cell that a spreadsheet would take for a formula
(=, +, -, @, tab, CR) or that starts with a quote is written after a single quote, which
the import strips again. An export of more than ERP_EXPORT_INLINE_ROWS rows is a
background task (core.tasks: `core.export`) writing a file (instance/exports/, expiring)
that the user downloads from "My background tasks"."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Response, current_app, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _

from core import tasks
from core.db import db

from .csvfiles import _csv_value, _neutral
from .keyset import _direction


class ExportMixin:
    def export_query(self):
        """What the filters select (not only this page), sorted as the list is, with the
        shown values of joined columns: (query, related)."""
        sort_name, descending = self.sort()
        sort_col = self.sql(sort_name)
        query, related = self.with_related(self.filtered_query())
        return query.order_by(_direction(sort_col, descending), self.model.id), related

    def csv_chunks(self, query, related, step=None):
        """The CSV text of the export, a line at a time; `step(n)` after each row. The
        list's columns, then `id` (which the import reads to update the record)."""
        columns = self.list_columns()
        with_id = all(c.name != "id" for c in columns)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_neutral(self.label(c.name)) for c in columns]
                        + (["id"] if with_id else []))
        yield "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read UTF-8
        rows = self.related_values(
            db.session.execute(query.execution_options(yield_per=1000)), related)
        for number, (record, values) in enumerate(rows, start=1):
            out.seek(0)
            out.truncate()
            writer.writerow([_neutral(_csv_value(self.column_value(record, values, c)))
                             for c in columns] + ([record.id] if with_id else []))
            yield out.getvalue()
            if step is not None:
                step(number)

    def export_view(self):
        """Everything the filters select, as CSV: streamed, or, past
        ERP_EXPORT_INLINE_ROWS rows, written to a file by a background task."""
        query, related = self.export_query()
        limit = current_app.config["ERP_EXPORT_INLINE_ROWS"]
        counted = db.session.execute(sa.select(sa.func.count()).select_from(
            query.order_by(None).limit(limit + 1).subquery())).scalar()
        if counted > limit:
            task = tasks.enqueue("core.export", {
                "model": self.model_name, "views": self.name,
                "query": urlencode(request.args.to_dict(flat=False), doseq=True)},
                subject=_(self.title))
            db.session.commit()
            return redirect(url_for("tasks.detail", task_id=task.id))
        headers = {"Content-Disposition": f'attachment; filename="{self.name}.csv"'}
        return Response(stream_with_context(self.csv_chunks(query, related)),
                        mimetype="text/csv", headers=headers)
