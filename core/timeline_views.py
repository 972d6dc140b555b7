"""Timeline routes (notes, attachments) and the `timeline(record)` template helper."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    render_template,
    send_file,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import FileField, TextAreaField
from wtforms.validators import DataRequired, Length

from core import access, timeline, translatable
from core.db import db
from core.modules import get_registry
from core.security import redirect_back
from core.ui import formats, forms

bp = Blueprint("timeline", __name__, url_prefix="/timeline")


class NoteForm(FlaskForm):
    body = TextAreaField(validators=[DataRequired(), Length(max=10000)])


class AttachmentForm(FlaskForm):
    file = FileField(validators=[DataRequired()])


def _model(name: str):

    registry = get_registry()
    cls = registry.models.get(name)
    if cls is None or not getattr(cls, "__timeline__", False):
        abort(404)
    if not registry.is_enabled(registry.table_owner(cls.__tablename__) or "core"):
        abort(404)
    return cls



@bp.route("/<model>/<int:record_id>/note", methods=["POST"])
@access.on_record("r")
def add_note(model, record_id):
    record = access.get_for(_model(model), record_id, "r")
    form = NoteForm()
    if form.validate_on_submit():
        timeline.add_note(record, form.body.data.strip())
        db.session.commit()
        flash(_("Note added."), "success")
    else:
        flash(_("Write something before adding a note."), "danger")
    return redirect_back()


@bp.route("/<model>/<int:record_id>/attachment", methods=["POST"])
@access.on_record("w")
def add_attachment(model, record_id):
    record = access.get_for(_model(model), record_id, "w")
    form = AttachmentForm()
    limit = current_app.config["ERP_ATTACHMENT_MAX_BYTES"]
    upload = form.file.data
    if not form.validate_on_submit() or not getattr(upload, "filename", ""):
        flash(_("Choose a file to attach."), "danger")
        return redirect_back()
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size > limit:
        flash(_("The file is larger than %(size)s MB.", size=limit // (1024 * 1024)), "danger")
        return redirect_back()
    timeline.add_attachment(record, upload)
    db.session.commit()
    flash(_("File attached."), "success")
    return redirect_back()


@bp.route("/attachment/<int:entry_id>")
@access.signed_in
def download(entry_id):
    entry = db.session.get(timeline.TimelineEntry, entry_id)
    if entry is None or entry.kind != "attachment":
        abort(404)
    access.get_for(_model(entry.model), entry.record_id, "r")  # 404 unless readable
    path = timeline.attachments_dir() / entry.file_path
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=entry.file_type, as_attachment=True,
                     download_name=entry.file_name)


def render_timeline(record) -> Markup:
    """The timeline panel of a record's page: its history (with that of the records that
    extend it, `__timeline_of__`), a note form and an upload."""
    model = type(record)
    # the history of an extension only for those who may read it (a credit limit)
    entries = [e for e in timeline.entries(record)
               if e.model == record.__model__ or access.can(e.model, "r")]
    registry = get_registry()
    described = {}  # model name -> (columns, labels, names of referenced records)
    for name in {model.__model__} | {e.model for e in entries}:
        cls = model if name == model.__model__ else registry.models.get(name)
        if cls is None:
            continue
        columns = {c.key: c.columns[0] for c in sa.inspect(cls).column_attrs}
        labels = {key: column.info.get("label") for key, column in columns.items()}
        labels.update({f"action:{n}": a.label
                       for n, a in registry.actions.get(name, {}).items()})
        described[name] = (columns, labels, _reference_names(
            columns, [e for e in entries if e.model == name]))

    def label(entry, key):
        found = described.get(entry.model, ({}, {}, {}))[1].get(key)
        return found or key.removeprefix("action:").replace("_", " ")

    def show(entry, key, value):
        """A recorded value as the form shows it: choice labels, names of referenced
        records, yes and no."""
        columns, _labels, names = described.get(entry.model, ({}, {}, {}))
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, dict) and key in columns and columns[key].info.get(
                "translations_of"):
            return translatable.shown(value)
        if value in names.get(key, ()):
            return names[key][value]
        choices = columns[key].info.get("choices") if key in columns else None
        if choices and value in choices:
            return choices[value]
        return formats.shown(columns[key], value) if key in columns else value

    return Markup(render_template(
        "core/_timeline.html", record=record, entries=entries,
        label=label, show=show, note_form=NoteForm(), attachment_form=AttachmentForm(),
        can_write=access.can(record.__model__, "w"),
    ))


def _reference_names(columns: dict, entries) -> dict[str, dict]:
    """column -> {id: name} for the records the entries' changes point to (a salesperson,
    a company): one query per such column, whatever the number of entries."""
    names: dict[str, dict] = {}
    for key, column in columns.items():
        table = _referenced_table(column)
        if table is not None:
            names[key] = forms.table_names(table, {
                value for entry in entries for value in (entry.changes or {}).get(key) or ()
                if isinstance(value, int) and not isinstance(value, bool)})
    return names


def _referenced_table(column):
    """The table a column points to: its foreign key's, or, for a plain id kept across
    modules that do not depend on each other (an invoice's order), the model its info
    names under "points_to" when that model's module is enabled (not "references", which
    the API reads as a table that must exist)."""
    if column.foreign_keys:
        return next(iter(column.foreign_keys)).column.table
    target = column.info.get("points_to")
    if not target:
        return None
    registry = get_registry()
    cls = registry.models.get(target)
    if cls is None or not registry.is_enabled(registry.table_owner(cls.__tablename__) or "core"):
        return None
    return cls.__table__
