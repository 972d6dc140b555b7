"""The board: a model's records as cards in a column per stage, and moving a card between
stages."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _

from core import access, records
from core.db import db
from core.workflow import workflow_of

from .. import forms as model_forms


class BoardMixin:
    def stages(self) -> list[tuple]:
        if self.board.stages:
            return list(self.board.stages())
        return list((self.choices(self.board.field) or {}).items())

    def movable(self) -> bool:
        """Cards may be moved: the user may write, and the board's field is not the
        workflow's state, which only its actions move (with their rights and checks),
        unless the module gives its own rule (Board.move)."""
        flow = workflow_of(self.model)
        return access.can(self.model_name, "w") and (self.board.move is not None or (
            (flow is None or flow.field != self.board.field)
            and access.may_write_field(self.model, self.board.field)))

    def board_view(self):
        b = self.board
        column = getattr(self.model, b.field)
        base = self.filtered_query()
        total = getattr(self.model, b.total) if b.total else None
        stats = {row[0]: row[1:] for row in db.session.execute(base.with_only_columns(
            column, sa.func.count(self.model.id),
            sa.func.coalesce(sa.func.sum(total), 0) if total is not None else sa.literal(0),
        ).group_by(column)).all()}
        # the first cards of every stage in one statement: each stage's own ORDER BY ...
        # LIMIT (an index walk), joined by UNION ALL; a window over all rows would sort them
        stages = self.stages()
        # id descending too, so an index on (stage, updated_at) gives the order unsorted
        newest = (self.model.updated_at.desc(), self.model.id.desc())
        parts = [sa.select(base.where(column == value).order_by(*newest)
                           .limit(b.per_column).subquery()) for value, _label in stages]
        cards: dict = {}
        if parts:
            union = sa.union_all(*parts).subquery()
            alias = sa.orm.aliased(self.model, union)
            for card in db.session.execute(sa.select(alias).order_by(
                    union.c.updated_at.desc(), union.c.id.desc())).scalars():
                cards.setdefault(str(getattr(card, b.field)), []).append(card)
        shown = [card for found in cards.values() for card in found]
        columns = [{"value": value, "label": str(label), "cards": cards.get(str(value), []),
                    "count": stats.get(value, (0, 0))[0], "total": stats.get(value, (0, 0))[1]}
                   for value, label in stages]
        return render_template("generic/board.html", v=self, columns=columns,
                               labels=self.reference_labels(shown, b.details),
                               can_write=self.movable())

    def reference_labels(self, records, names) -> dict[str, dict]:
        """For the references among `names`: id -> display name of the records shown, one
        query per reference (not the first few hundred of the whole table)."""
        labels: dict[str, dict] = {}
        for name in names:
            column = model_forms.column_of(self.model, name)
            if not column.foreign_keys:
                continue
            labels[name] = model_forms.reference_names(
                column, {getattr(r, name) for r in records} - {None})
        return labels

    def move_view(self, record_id):
        record = access.get_for(self.model, record_id, "w", lock=True)
        if self.board.move is None and not access.may_write_field(self.model, self.board.field):
            abort(403)  # a field only holders of a right change (an owner's)
        if not self.movable():
            abort(409)
        stage = request.form.get("stage", "")
        valid = {str(value): value for value, _label in self.stages()}
        if stage not in valid:
            if request.headers.get("X-Requested-With") == "fetch":
                return {"error": _("Unknown stage.")}, 422
            flash(_("Unknown stage."), "danger")
            return redirect(self.url("board"))
        if self.board.move:  # the module's own rule; the record rules hold after it too
            self.board.move(record, valid[stage])
            db.session.flush()
            if not records.reachable(record, "w"):
                abort(403)
        else:  # the one save path: state locks, field rights, saving hooks, record rules
            records.save(self.model, {self.board.field: valid[stage]}, record)
        db.session.commit()
        if request.headers.get("X-Requested-With") == "fetch":
            return {"id": record.id, "stage": stage}
        return redirect(self.url("board", **request.args))
