"""The CSV transfer's background tasks (core.tasks: `core.import`, `core.export`): a large
import or export runs in a worker, which finds again the generic views that queued it."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from core import tasks
from core.db import begin_writing, db
from core.errors import Refusal

from .actions import VIEWS
from .csvfiles import done_with, preview_path, write_rejected


def _views(model: str, name: str):
    """The generic views `name` of `model` (a task finds again the views that queued it)."""
    for views in VIEWS.get(model, ()):
        if views.name == name:
            return views
    raise LookupError(f"no views {name!r} of {model!r}")


def import_rows(model: str, views: str, token: str, mode: str = "all") -> tasks.Result:
    """The `core.import` task: import the previewed rows (all or none, or the valid
    ones), reporting progress; the preview file is removed once the import is over."""
    view = _views(model, views)
    path = preview_path(token)
    if path is None or not path.is_file():
        raise Refusal(_("That import has expired; please upload the file again."))
    table = json.loads(path.read_text())
    total = len(table["rows"])
    db.session.rollback()  # the checks only read: no write lock held meanwhile (SQLite)

    def writing():
        db.session.rollback()
        begin_writing()

    try:
        try:
            outcome = view.run_import(
                table, mode, step=lambda n, what: tasks.progress(n, total, what),
                before_saving=writing)
        except Forbidden:  # rows outside the importer's own rules
            raise Refusal(_("Nothing was imported: some rows would create records you may "
                            "not create."), "forbidden") from None
        db.session.commit()
    except Refusal:
        db.session.rollback()
        done_with(path.stem)  # an answer, not an accident: it is not tried again
        raise
    done_with(path.stem)
    write_rejected(table, outcome.rejected, path.stem)
    link = view.url("import", rejected=path.stem) if outcome.rejected else view.url("list")
    return tasks.Result(outcome.message(), link)


def check_upload(model: str, views: str, token: str) -> tasks.Result:
    """The `core.import_check` task: check every row of a large file, reporting progress;
    its link opens the preview, from which the user imports."""
    view = _views(model, views)
    table, bad = view.check_file(token, step=lambda n, what: tasks.progress(
        n, None, what))
    total = len(table["rows"])
    message = _("%(n)s rows checked: %(bad)s with errors.", n=total, bad=bad) if bad \
        else _("%(n)s rows are ready to import.", n=total)
    return tasks.Result(message, view.url("import", token=token))


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
