"""CSV in and out: the export of what the filters select, and the import that previews every
row's errors before creating all rows or none. Large ones are background tasks (core.tasks:
`core.import`, `core.export`) that the user follows under "My background tasks": an import
of more than ERP_IMPORT_INLINE_ROWS rows is applied by a worker, with its progress shown,
and an export of more than ERP_EXPORT_INLINE_ROWS rows is written by a worker to a file the
user downloads from there. The preview files (instance/imports/) and the exported files
(instance/exports/) are removed when done with, and expire (core.tasks.cleanup)."""
from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import Forbidden

from core import tasks
from core.db import begin_writing, db
from core.errors import Refusal
from core.records import save

from .. import forms as model_forms
from .actions import VIEWS
from .keyset import _direction


class TransferMixin:
    def export_query(self):
        """What the filters select (not only this page), sorted as the list is, with the
        shown values of joined columns: (query, related)."""
        sort_name, descending = self.sort()
        sort_col = self.sql(sort_name)
        query, related = self.with_related(self.filtered_query())
        return query.order_by(_direction(sort_col, descending), self.model.id), related

    def csv_chunks(self, query, related, step=None):
        """The CSV text of the export, a line at a time; `step(n)` after each row."""
        columns = self.list_columns()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([self.label(c.name) for c in columns])
        yield "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read UTF-8
        rows = self.related_values(
            db.session.execute(query.execution_options(yield_per=1000)), related)
        for number, (record, values) in enumerate(rows, start=1):
            out.seek(0)
            out.truncate()
            writer.writerow([values.get(c.name) if c.related or c.computed
                             else _csv_value(self.value(record, c.name)) for c in columns])
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

    def save_rows(self, checked, step=None) -> None:
        """Create every checked row through the one save path; a refused row raises a
        Refusal naming it by its number (and a row outside the importer's rules,
        Forbidden). The caller commits, or rolls back: all rows or none."""
        for number, (row, _errors) in enumerate(checked, start=1):
            try:
                # a column left out or a cell left empty is not given: the field keeps
                # its default (a new contact is active, and its maker's)
                blank = [name for name, field_ in row._fields.items()
                         if not any(str(v).strip() for v in field_.raw_data or ())]
                save(self.model, model_forms.form_values(row, self.model, skip=blank))
            except Refusal as exc:
                raise Refusal(_("Row %(n)s: %(reason)s", n=number, reason=exc.message),
                              exc.code) from None
            if step is not None:
                step(number)

    def import_view(self):
        """Upload, preview with each row's errors, then import all rows or none."""
        folder = imports_dir()
        fields = [name for name, f in self.form_class(meta={"csrf": False})._fields.items()
                  if name != "csrf_token" and f.type != "TranslationsField"]  # one language
        form = FlaskForm()
        if request.method == "GET" or not form.validate_on_submit():
            return render_template("generic/import.html", v=self, fields=fields, preview=None)
        token = request.form.get("token", "")
        if token:  # the second step: import what was previewed
            path = folder / f"{uuid.UUID(token).hex}.json" if _is_uuid(token) else None
            if path is None or not path.is_file():
                flash(_("That import has expired; please upload the file again."), "danger")
                return redirect(self.url("import"))
            rows = json.loads(path.read_text())
            if len(rows) > current_app.config["ERP_IMPORT_INLINE_ROWS"]:
                task = tasks.enqueue(
                    "core.import", {"model": self.model_name, "views": self.name,
                                    "token": path.stem},
                    key=f"core.import:{path.stem}", total=len(rows),  # a second click: the same
                    subject=_("%(what)s: %(n)s rows", what=_(self.title), n=len(rows)))
                db.session.commit()
                return redirect(url_for("tasks.detail", task_id=task.id))
            checked = self.check_rows(rows)
            if any(errors for _row, errors in checked):
                flash(_("Nothing was imported: some rows have errors."), "danger")
                return render_template("generic/import.html", v=self, fields=fields,
                                       preview=checked, token=token), 422
            try:  # every row through the one save path; any refusal imports nothing
                self.save_rows(checked)
            except Forbidden:  # rows outside the importer's own rules
                db.session.rollback()
                flash(_("Nothing was imported: some rows would create records you may not "
                        "create."), "danger")
                return redirect(self.url("import"))
            except Refusal as exc:
                db.session.rollback()
                flash(_("Nothing was imported: %(reason)s", reason=exc.message), "danger")
                return redirect(self.url("import"))
            db.session.commit()
            path.unlink(missing_ok=True)
            flash(_("%(n)s records imported.", n=len(checked)), "success")
            return redirect(self.url("list"))
        upload = request.files.get("file")
        try:
            text = upload.read().decode("utf-8-sig") if upload else ""
            reader = csv.DictReader(io.StringIO(text))
            rows = [dict(r) for r in reader]
            headers = reader.fieldnames or []
        except (UnicodeDecodeError, csv.Error):
            rows, headers = [], []
        labels = {self.label(f).lower(): f for f in fields}
        mapped = {h: (h if h in fields else labels.get(h.strip().lower())) for h in headers}
        if not rows or not any(mapped.values()):
            flash(_("Upload a UTF-8 CSV file whose first line names the columns."), "danger")
            return render_template("generic/import.html", v=self, fields=fields,
                                   preview=None), 422
        rows = [{mapped[h]: (v or "") for h, v in row.items() if h in mapped and mapped[h]}
                for row in rows[:5000]]
        checked = self.check_rows(rows)
        folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        (folder / f"{token}.json").write_text(json.dumps(rows))
        status = 422 if any(errors for _row, errors in checked) else 200
        return render_template("generic/import.html", v=self, fields=fields, preview=checked,
                               token=token, headers=mapped), status

    def check_rows(self, rows: list[dict], step=None) -> list[tuple]:
        """Each row through the form's own validation: (form, {field: [errors]})."""
        checked = []
        for number, row in enumerate(rows, start=1):
            form = self.form_class(formdata=MultiDict(row), meta={"csrf": False})
            model_forms.prepare(form, self.model)
            for name, field_ in form._fields.items():  # lookups accept the name or the id
                if getattr(field_, "coerce", None) is model_forms._optional_int and row.get(name):
                    by_name = {label.lower(): key for key, label in field_.choices if key}
                    value = row[name].strip().lower()
                    if value in by_name:
                        field_.data = by_name[value]
                        field_.raw_data = [str(by_name[value])]
            form.validate()
            checked.append((form, {k: list(v) for k, v in form.errors.items()}))
            if step is not None:
                step(number)
        return checked


def imports_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def _views(model: str, name: str):
    """The generic views `name` of `model` (a task finds again the views that queued it)."""
    for views in VIEWS.get(model, ()):
        if views.name == name:
            return views
    raise LookupError(f"no views {name!r} of {model!r}")


def import_rows(model: str, views: str, token: str) -> tasks.Result:
    """The `core.import` task: check the previewed rows again, then create them all or
    none, reporting progress; the preview file is removed once the import is over."""
    view = _views(model, views)
    path = imports_dir() / f"{uuid.UUID(token).hex}.json"
    if not path.is_file():
        raise Refusal(_("That import has expired; please upload the file again."))
    rows = json.loads(path.read_text())
    total = len(rows)
    db.session.rollback()  # the checks only read: no write lock held meanwhile (SQLite)
    checked = view.check_rows(rows, step=lambda n: tasks.progress(n, total, _("Checking rows")))
    try:
        if any(errors for _row, errors in checked):
            raise Refusal(_("Nothing was imported: some rows have errors."), "invalid")
        db.session.rollback()
        begin_writing()
        try:
            view.save_rows(checked, step=lambda n: tasks.progress(n, total, _("Saving rows")))
        except Forbidden:  # rows outside the importer's own rules
            raise Refusal(_("Nothing was imported: some rows would create records you may "
                            "not create."), "forbidden") from None
        except Refusal as exc:
            raise Refusal(_("Nothing was imported: %(reason)s", reason=exc.message),
                          exc.code) from None
        db.session.commit()
    except Refusal:
        db.session.rollback()
        path.unlink(missing_ok=True)  # an answer, not an accident: it is not tried again
        raise
    path.unlink(missing_ok=True)
    return tasks.Result(_("%(n)s records imported.", n=total), view.url("list"))


def export_rows(model: str, views: str, query: str) -> tasks.Result:
    """The `core.export` task: the list's CSV export, filtered as it was asked for, written
    to a file under instance/exports/ that "My background tasks" serves to its user."""
    from core.tasks.views import exports_dir

    view = _views(model, views)
    running = tasks.current()
    folder = exports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"task-{running.id}.csv"
    partial = path.with_suffix(".part")
    with current_app.test_request_context("/", query_string=query):  # the list's filters
        rows, related = view.export_query()
        total = db.session.execute(sa.select(sa.func.count()).select_from(
            rows.order_by(None).subquery())).scalar()
        with partial.open("w", encoding="utf-8", newline="") as fh:
            for chunk in view.csv_chunks(rows, related,
                                         step=lambda n: tasks.progress(n, total)):
                fh.write(chunk)
        partial.replace(path)
        link = url_for("tasks.download", task_id=running.id)
    return tasks.Result(_("%(n)s rows exported.", n=total), link)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _csv_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else value
