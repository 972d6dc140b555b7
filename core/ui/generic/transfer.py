"""CSV in and out: the export of what the filters select, and the import that previews every
row's errors before creating all rows or none."""
from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime
from pathlib import Path

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import Forbidden

from core.db import db
from core.errors import Refusal
from core.records import save

from .. import forms as model_forms
from .keyset import _direction


class TransferMixin:
    def export_view(self):
        """Everything the filters select (not only this page), as CSV."""
        sort_name, descending = self.sort()
        sort_col = self.sql(sort_name)
        query, related = self.with_related(self.filtered_query())
        query = query.order_by(_direction(sort_col, descending), self.model.id)
        columns = self.list_columns()

        def rows():
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow([self.label(c.name) for c in columns])
            yield "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read UTF-8
            for record, values in self.related_values(
                    db.session.execute(query.execution_options(yield_per=1000)), related):
                out.seek(0)
                out.truncate()
                writer.writerow([values.get(c.name) if c.related or c.computed
                                 else _csv_value(self.value(record, c.name)) for c in columns])
                yield out.getvalue()

        headers = {"Content-Disposition": f'attachment; filename="{self.name}.csv"'}
        return Response(stream_with_context(rows()), mimetype="text/csv", headers=headers)

    def import_view(self):
        """Upload, preview with each row's errors, then import all rows or none."""
        folder = Path(current_app.instance_path) / "imports"
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
            checked = self.check_rows(rows)
            if any(errors for _row, errors in checked):
                flash(_("Nothing was imported: some rows have errors."), "danger")
                return render_template("generic/import.html", v=self, fields=fields,
                                       preview=checked, token=token), 422
            try:  # every row through the one save path; any refusal imports nothing
                for number, (row, _errors) in enumerate(checked, start=1):
                    try:
                        save(self.model, model_forms.form_values(row, self.model))
                    except Refusal as exc:
                        raise Refusal(_("Row %(n)s: %(reason)s", n=number,
                                        reason=exc.message), exc.code) from None
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

    def check_rows(self, rows: list[dict]) -> list[tuple]:
        """Each row through the form's own validation: (form, {field: [errors]})."""
        checked = []
        for row in rows:
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
        return checked


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
