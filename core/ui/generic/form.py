"""The form that creates or edits one record, with the owner's warnings and rules."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from core import access
from core.db import db

from .. import forms as model_forms


class FormMixin:
    def form_view(self, record_id=None):
        record = access.get_for(self.model, record_id) if record_id else None
        can_write = access.can(self.model_name, "w" if record else "c")
        data = None
        if record is None and request.method == "GET":
            data = dict(self.defaults() if self.defaults else {})
            data.update({k: v for k, v in request.args.items()
                         if k in self.fields or k in self.hidden})
        form = model_forms.prepare(self.form_class(obj=record, data=data), self.model)
        status = 200
        if request.method == "POST":
            if record is not None:
                record = access.get_for(self.model, record_id, "w")
            warnings = []
            if form.validate_on_submit() and self.warn and not request.form.get("confirmed"):
                warnings = self.warn(form, record)
            if warnings:
                return render_template(
                    "generic/form.html", v=self, form=form, record=record, can_write=can_write,
                    warnings=warnings,
                    can_delete=record is not None and access.can(self.model_name, "d")), 409
            valid = form.validate_on_submit()
            for name, message in (self.validate(form, record) if valid and self.validate
                                  else {}).items():
                form[name].errors = [*form[name].errors, message]
                valid = False
            if valid:
                target = record or self.model()
                model_forms.save(form, target)
                if record is None and hasattr(target, "created_by_id"):
                    target.created_by_id = current_user.id
                db.session.add(target)
                try:
                    db.session.flush()
                    if record is None and db.session.execute(
                            access.select_for(self.model, "c").where(
                                self.model.id == target.id)).first() is None:
                        db.session.rollback()
                        abort(403)
                    db.session.commit()
                except sa.exc.IntegrityError:
                    db.session.rollback()
                    flash(_("This conflicts with another record (a duplicate?)."), "danger")
                    status = 409
                else:
                    flash(_("Saved."), "success")
                    return redirect(self.url("edit", record_id=target.id))
            else:
                status = 422
        return render_template(
            "generic/form.html", v=self, form=form, record=record, can_write=can_write,
            can_delete=record is not None and access.can(self.model_name, "d")), status
