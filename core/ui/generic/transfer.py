"""CSV import, one implementation for every generic list (export.py writes what it reads).

Upload, map the columns (offered when a header names no field), preview every
row's errors, then import all rows or none, or only the valid rows (the rejected ones are
a CSV to download, with the reason in an extra column). A row with an `id` updates that
record, through the one save path like a form (import_rows.py: how rows are checked and
saved). References are matched by name, code or id
(case-insensitive; a name several records carry is the row's error). Every row is
processed, in batches; the result counts the records created, updated and rejected.

A large one is a background task (core.tasks: `core.import`) that the user follows under
"My background tasks": an import of more than ERP_IMPORT_INLINE_ROWS rows is applied by a
worker, with its progress shown. The preview files (instance/imports/) are removed when
done with, and expire (core.tasks.cleanup)."""
from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.exceptions import Forbidden

from core import tasks
from core.db import db
from core.errors import Refusal

from .csvfiles import (
    _unquote,
    checked_path,
    done_with,
    imports_dir,
    preview_path,
    rejected_path,
    write_rejected,
)
from .import_rows import ImportRows


class ImportMixin(ImportRows):
    """The import of a generic list's records: its page."""

    # -- import: the page ------------------------------------------------------------------
    def import_view(self):
        """Upload, map the columns, preview each row's errors, then import all rows or
        none, or the valid rows only; `?rejected=<token>`: the rejected rows as CSV."""
        fields = self.import_fields()
        page = {"v": self, "fields": fields, "preview": None, "mapping": None}
        if request.method == "GET" and request.args.get("token"):
            return self._checked_page(page, request.args["token"])
        if request.method == "GET" and request.args.get("rejected"):
            path = rejected_path(request.args["rejected"])
            if path is None or not path.is_file():
                abort(404)
            return send_file(path, mimetype="text/csv", as_attachment=True,
                             download_name=f"{self.name}-rejected.csv")
        form = FlaskForm()
        if request.method == "GET" or not form.validate_on_submit():
            return render_template("generic/import.html", **page)
        token = request.form.get("token", "")
        if token:
            path = preview_path(token)
            if path is None or not path.is_file():
                flash(_("That import has expired; please upload the file again."), "danger")
                return redirect(self.url("import"))
            table = json.loads(path.read_text())
            if request.form.get("step") == "map":  # the columns mapped by hand
                allowed = set(fields) | {"id"}
                table["mapping"] = {
                    str(i): (request.form.get(f"map-{i}") if request.form.get(
                        f"map-{i}") in allowed else "") for i in range(len(table["headers"]))}
                path.write_text(json.dumps(table))
                return self._preview(page, table, path.stem)
            return self._import(table, path)
        upload = request.files.get("file")
        try:
            text = upload.read().decode("utf-8-sig") if upload else ""
            lines = list(csv.reader(io.StringIO(text)))
        except (UnicodeDecodeError, csv.Error):
            lines = []
        headers = [_unquote(h).strip() for h in lines[0]] if lines else []
        rows = [r for r in lines[1:] if any(c.strip() for c in r)]
        if not rows or not headers:
            flash(_("Upload a UTF-8 CSV file whose first line names the columns."), "danger")
            return render_template("generic/import.html", **page), 422
        mapping, unknown = self.auto_mapping(headers, fields)
        table = {"headers": headers, "rows": rows, "mapping": mapping}
        folder = imports_dir()
        folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        (folder / f"{token}.json").write_text(json.dumps(table))
        if unknown or not any(mapping.values()):  # ask which field each column fills
            return render_template("generic/import.html", **{
                **page, "mapping": table, "token": token, "unknown": unknown})
        return self._preview(page, table, token)

    def _preview(self, page: dict, table: dict, token: str):
        """Every row checked, then the preview; a file of more than ERP_IMPORT_INLINE_ROWS
        rows is checked by a background task whose progress the user follows, and whose
        link comes back here (`?token=`) to the same preview."""
        total = len(table["rows"])
        if total > current_app.config["ERP_IMPORT_INLINE_ROWS"]:
            task = tasks.enqueue(
                "core.import_check", {"model": self.model_name, "views": self.name,
                                      "token": token},
                key=f"core.import_check:{token}", total=total,
                subject=_("%(what)s: %(n)s rows", what=_(self.title), n=total))
            db.session.commit()
            return redirect(url_for("tasks.detail", task_id=task.id))
        shown, rejected = self.preview_rows(table)
        write_rejected(table, rejected, token)
        return self._preview_page(page, table, token, shown, len(rejected))

    def check_file(self, token: str, step=None) -> tuple[dict, int]:
        """Check every row of a preview file (a background task's work): the preview is
        kept beside it for the user, and the rejected rows as a CSV; (table, errors)."""
        path = preview_path(token)
        if path is None or not path.is_file():
            raise Refusal(_("That import has expired; please upload the file again."))
        table = json.loads(path.read_text())
        shown, rejected = self.preview_rows(table, step)
        write_rejected(table, rejected, token)
        shown = [(number, cells, {name: [str(m) for m in messages]
                                  for name, messages in errors.items()})
                 for number, cells, errors in shown]
        checked_path(token).write_text(json.dumps({"shown": shown, "bad": len(rejected)}))
        return table, len(rejected)

    def _checked_page(self, page: dict, token: str):
        """The preview a background check left (`?token=`), for the user who uploaded."""
        path, checked = preview_path(token), checked_path(token)
        if path is None or checked is None or not path.is_file() or not checked.is_file():
            flash(_("That import has expired; please upload the file again."), "danger")
            return redirect(self.url("import"))
        found = json.loads(checked.read_text())
        html, _status = self._preview_page(page, json.loads(path.read_text()), token,
                                           [tuple(row) for row in found["shown"]],
                                           found["bad"])
        return html, 200  # a page opened from a link: its errors are its content

    def _preview_page(self, page: dict, table: dict, token: str, shown: list, bad: int):
        columns = []
        for target in table["mapping"].values():
            if target and target not in columns:
                columns.append(target)
        return render_template("generic/import.html", **{
            **page, "preview": shown, "columns": columns, "token": token,
            "total": len(table["rows"]), "bad": bad,
            "rejected_url": self.url("import", rejected=token) if bad else None}), \
            422 if bad else 200

    def _import(self, table: dict, path: Path):
        mode = "valid" if request.form.get("mode") == "valid" else "all"
        total = len(table["rows"])
        if total > current_app.config["ERP_IMPORT_INLINE_ROWS"]:
            task = tasks.enqueue(
                "core.import", {"model": self.model_name, "views": self.name,
                                "token": path.stem, "mode": mode},
                key=f"core.import:{path.stem}", total=total,  # a second click: the same
                subject=_("%(what)s: %(n)s rows", what=_(self.title), n=total))
            db.session.commit()
            return redirect(url_for("tasks.detail", task_id=task.id))
        try:
            outcome = self.run_import(table, mode)
        except Forbidden:  # rows outside the importer's own rules
            db.session.rollback()
            flash(_("Nothing was imported: some rows would create records you may not "
                    "create."), "danger")
            return redirect(self.url("import"))
        except Refusal as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(self.url("import"))
        db.session.commit()
        done_with(path.stem)
        write_rejected(table, outcome.rejected, path.stem)
        flash(outcome.message(), "success" if not outcome.rejected else "warning")
        if outcome.rejected:
            return render_template("generic/import.html", v=self, fields=self.import_fields(),
                                   preview=None, mapping=None,
                                   rejected_url=self.url("import", rejected=path.stem))
        return redirect(self.url("list"))
