"""The form that creates or edits one record. It saves through the one save path
(core.records), so defaults, saving hooks, state locks and record rules hold as they do for
an import or the API; a refusal shows beside its fields and nothing is saved."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from core import access, records
from core.db import db
from core.errors import Refusal
from core.workflow import workflow_of

from .. import forms as model_forms


class FormMixin:
    def locked(self, record) -> set[str]:
        """The form's fields the record's state makes read-only."""
        flow = workflow_of(self.model)
        if flow is None or record is None:
            return set()
        return set(flow.locked_fields(record, self.fields))

    def restricted(self) -> set[str]:
        """The form's fields that need a named right the user does not hold (a column's
        `info={"write_right": ...}`): shown read-only."""
        return {name for name in self.fields if hasattr(self.model, name)
                and not access.may_write_field(self.model, name)}

    def form_view(self, record_id=None):
        record = access.get_for(self.model, record_id) if record_id else None
        locked = self.locked(record)
        restricted = self.restricted() - locked
        can_write = access.can(self.model_name, "w" if record else "c") and not (
            self.fields and locked | restricted >= set(self.fields))
        data, prefill = None, {}
        start = {**records.defaults(self.model), **(self.defaults() if self.defaults else {})} \
            if record is None else {}
        if record is None and request.method == "GET":
            data = dict(start)
            prefill = {k: v for k, v in request.args.items()
                       if (k in self.fields and k not in restricted) or k in self.hidden}
        form = self.form_class(obj=record, data=data)
        for name, value in prefill.items():  # read as if typed (a calendar's date and time);
            form[name].process(MultiDict([(name, value)]))  # one that does not parse: ignored
            if form[name].process_errors:
                form[name].process(None, start.get(name))
                form[name].raw_data = None  # else the text that did not parse is shown
        form = model_forms.prepare(form, self.model)
        # a browser never posts a disabled field: one posted anyway is a write, which the
        # save path refuses when it changes what the state locks or what needs a right
        read_only = locked | restricted
        forged = {name: value for name, value in model_forms.form_values(
            form, self.model).items() if name in read_only and name in request.form} \
            if request.method == "POST" and read_only else {}
        flow = workflow_of(self.model)
        for name in read_only:  # shown as stored (or not at all), never taken from the request
            if name in locked and flow.hides(record, name):
                del form[name]
                continue
            shown = getattr(record, name) if record is not None else start.get(name)
            form[name].process(None, shown)
            form[name].validators = ()
            form[name].render_kw = {**(form[name].render_kw or {}), "disabled": True}
            choices = getattr(form[name], "choices", None)
            if isinstance(shown, int) and choices and all(c[0] != shown for c in choices):
                target = model_forms.reference_target(model_forms.column_of(self.model, name))
                if target is not None:  # the stored one is beyond the first page: name it
                    form[name].choices = [("", "—"), *model_forms.choices_of(target, shown)]
        # a new record keeps what the read-only fields show (an owner defaulting to its
        # creator); the save path checks those values like any other
        kept = {name: value for name, value in model_forms.form_values(form, self.model).items()
                if name in restricted and name not in forged} \
            if request.method == "POST" and record is None and restricted else {}
        status = 200
        if request.method == "POST":
            if record is not None:
                record = access.get_for(self.model, record_id, "w", lock=True)
            warnings = []
            if form.validate_on_submit() and self.warn and not request.form.get("confirmed"):
                warnings = self.warn(form, record)
            if warnings:
                return self._render(form, record, can_write, warnings=warnings), 409
            if form.validate_on_submit():
                try:
                    saved = records.save(self.model, {**model_forms.form_values(
                        form, self.model, skip=read_only), **kept, **forged}, record)
                    db.session.commit()
                except Refusal as exc:
                    db.session.rollback()
                    status = exc.status
                    for name, message in exc.fields.items():
                        if name in form:
                            form[name].errors = [*form[name].errors, str(message)]
                    if not any(name in form for name in exc.fields):
                        flash(exc.message, "danger")
                except sa.exc.IntegrityError:
                    db.session.rollback()
                    flash(_("This conflicts with another record (a duplicate?)."), "danger")
                    status = 409
                else:
                    flash(_("Saved."), "success")
                    return redirect(self.url("edit", record_id=saved.id))
            else:
                status = 422
            if record is not None:  # read again: a rolled-back save leaves it expired
                record = access.get_for(self.model, record_id)
        return self._render(form, record, can_write), status

    def _render(self, form, record, can_write, warnings=()):
        return render_template(
            "generic/form.html", v=self, form=form, record=record, can_write=can_write,
            warnings=warnings,
            can_delete=record is not None and access.can(self.model_name, "d"))
