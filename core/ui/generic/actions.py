"""A model's declared actions (core.actions) and workflow (core.workflow) on its pages: the
status bar and buttons above a record, the route the buttons post to, and the bulk actions
of the list. Nothing here knows a module: every button comes from a declaration."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.routing import BuildError

from core import access, actions
from core.db import db
from core.errors import Refusal
from core.modules import get_registry
from core.security import safe_target
from core.workflow import workflow_of

# model name -> the generic views serving it (a model may have several, e.g. leads and
# opportunities), so an action's result opens on the right page
VIEWS: dict[str, list] = {}


def record_url(record, fallback: str) -> str:
    """The page of `record`: the views of its model whose selection holds it."""
    candidates = VIEWS.get(getattr(record, "__model__", ""), [])
    for views in candidates:
        if views.where is None or len(candidates) == 1 or db.session.execute(
                sa.select(views.model.id).where(views.model.id == record.id, views.where())
        ).first() is not None:
            return views.record_page(record.id)
    return fallback


class ActionsMixin:
    def declared_actions(self) -> dict:
        return get_registry().active_actions(self.model_name)

    def action_bar(self, record) -> Markup:
        """The status bar and the buttons of the actions this user may take on this record
        now; an action with inputs opens a small form under its button."""
        offered = [a for a in self.declared_actions().values() if a.offered(record)]
        flow = workflow_of(self.model)
        inputs = {a.name: [p for p in a.params if not p.right or access.has_right(p.right)]
                  for a in offered}
        return Markup(render_template(
            "generic/_actions.html", v=self, record=record, offered=offered, inputs=inputs,
            bar=flow.bar(record) if flow else [],
            choices={a.name: {p.name: p.choices(record) for p in a.params if p.choices}
                     for a in offered}))

    def record_page(self, record_id) -> str:
        """The record's page: the generic form, or the module's own page under the same
        endpoint (forms=False); the list when there is none."""
        try:
            return self.url("edit", record_id=record_id)
        except BuildError:
            return self.url("list")

    def bulk_actions(self) -> list:
        """Actions offered for several chosen records at once (without inputs)."""
        return [a for a in self.declared_actions().values()
                if a.bulk and not a.params and not a.confirm and a.allowed()]

    def action_view(self, record_id, action):
        spec = self.declared_actions().get(action)
        if spec is None:
            abort(404)
        back = self.record_page(record_id)
        try:
            done = actions.run(self.model, spec, record_id, request.form)
            message = spec.message(done.record)
            db.session.commit()
        except Refusal as exc:
            db.session.rollback()
            for text in exc.fields.values() or [exc.message]:
                flash(str(text), "danger")
            return redirect(safe_target(request.form.get("next"), back)), 303
        flash(message, "success")
        for warning in done.warnings:
            flash(warning.message, "warning")
        return redirect(safe_target(request.form.get("next"), record_url(done.record, back)))

    def run_bulk(self, action: str, ids: list[int]) -> None:
        """One declared action on each chosen record, each in a savepoint: those it applies
        to are done, the others are reported, and a refusal undoes only its own record."""
        spec = self.declared_actions()[action]
        done, refused = 0, []
        for record_id in ids:
            try:
                with db.session.begin_nested():
                    actions.run(self.model, spec, record_id, {})
                done += 1
            except Refusal as exc:
                refused.append(exc.message)
        db.session.commit()
        if done:
            flash(_("%(action)s: done for %(n)s records.", action=spec.label, n=done),
                  "success")
        if refused:
            flash(_("%(action)s: refused for %(n)s records (%(reason)s).", action=spec.label,
                    n=len(refused), reason=refused[0]), "warning")
