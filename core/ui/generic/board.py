"""The board: a model's records as cards in a column per stage, and moving a card between
stages."""
from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _

from core import access, actions, records
from core.db import db
from core.errors import Refusal
from core.workflow import workflow_of

from .. import forms as model_forms
from .board_cards import card_details, moves_of, quick_create, quick_form


class BoardMixin:
    def stages(self) -> list[tuple]:
        """The board's columns, (value, label): read once per request (the board, its
        cards' arrows and its drop targets all ask)."""
        return self.per_request("stages", self.board.field, lambda: list(
            self.board.stages()) if self.board.stages else list(
            (self.choices(self.board.field) or {}).items()))

    def folded(self) -> dict:
        """Closing stages -> the action a drop there runs (None: a plain move); read once
        per request, as the stages are."""
        return self.per_request("folded", self.board.field, lambda: {str(k): v for k, v in (
            self.board.folded() if self.board.folded else {}).items()})

    def drop_actions(self) -> dict:
        """Stage -> the declared action a drop there runs, its inputs all required (the
        board asks for them: a deal dropped on Lost says why)."""
        declared = self.declared_actions()
        return {stage: replace(declared[name], params=tuple(
            replace(p, required=True) for p in declared[name].params))
            for stage, name in self.folded().items() if name in declared}

    def movable(self) -> bool:
        """Cards may be moved: the user may write, and the board's field is not the
        workflow's state, which only its actions move (with their rights and checks),
        unless the module gives its own rule (Board.move)."""
        flow = workflow_of(self.model)
        return access.can(self.model_name, "w") and (self.board.move is not None or (
            (flow is None or flow.field != self.board.field)
            and access.may_write_field(self.model, self.board.field)))

    def quick_view(self):
        return quick_create(self)

    def board_view(self, quick=None):
        """The board; `quick` (stage, form, errors): a quick-create refused, shown again in
        its column."""
        b = self.board
        column = getattr(self.model, b.field)
        base = self.filtered_query()
        totals = [b.total] if b.total else []
        # each column's count and total: from the declared counts where they answer
        figures = self._summed_groups(base, b.field, totals)
        if figures is None:
            figures = db.session.execute(base.with_only_columns(
                column, *self._figures(totals)).group_by(column)).all()
        stats = {row[0]: (*row[1:], 0)[:2] for row in figures}
        # the first cards of every open stage in one statement: each stage's own ORDER BY
        # ... LIMIT (an index walk), joined by UNION ALL; a window over all rows would sort
        # them; a folded (closing) stage shows its count only
        stages, folded = self.stages(), self.folded()
        # id descending too, so an index on (stage, updated_at) gives the order unsorted
        newest = (self.model.updated_at.desc(), self.model.id.desc())
        parts = [sa.select(base.where(column == value).order_by(*newest)
                           .limit(b.per_column).subquery())
                 for value, _label in stages if str(value) not in folded]
        cards: dict = {}
        if parts:
            union = sa.union_all(*parts).subquery()
            alias = sa.orm.aliased(self.model, union)
            for card in db.session.execute(sa.select(alias).order_by(
                    union.c.updated_at.desc(), union.c.id.desc())).scalars():
                cards.setdefault(str(getattr(card, b.field)), []).append(card)
        shown = [card for found in cards.values() for card in found]
        columns = [{"value": value, "label": str(label), "cards": cards.get(str(value), []),
                    "count": stats.get(value, (0, 0))[0], "total": stats.get(value, (0, 0))[1],
                    "folded": str(value) in folded,
                    "moves": () if str(value) in folded else moves_of(stages, folded, value)}
                   for value, label in stages]
        stage, form, errors = quick or (request.args.get("quick"), quick_form(self), {})
        drops = self.drop_actions() if self.movable() else {}
        return render_template(
            "generic/board.html", v=self, columns=columns, can_write=self.movable(),
            labels=self.reference_labels(shown, b.details), cards=card_details(self, shown),
            drops=drops, drop_choices={stage: {p.name: p.choices(None) for p in a.params
                                               if p.choices} for stage, a in drops.items()},
            quick=form, quick_stage=str(stage or ""), quick_errors=errors)

    def reference_labels(self, records, names) -> dict[str, dict]:
        """For the references among `names`: id -> display name of the records shown, one
        query per reference (not the first few hundred of the whole table)."""
        labels: dict[str, dict] = {}
        for name in names:
            if not hasattr(self.model, name):  # "next_activity": not a column
                continue
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
        action = self.drop_actions().get(stage)
        if action is not None:  # a closing stage: the action, its rules and inputs
            return self.drop_with(action, record, stage)
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

    def drop_with(self, action, record, stage):
        """A card dropped on a closing stage: the declared action, which locks the row and
        checks the record may still take it (of two racing drops one wins, 409)."""
        fetched = request.headers.get("X-Requested-With") == "fetch"
        try:
            actions.run(self.model, action, record.id, request.form)
            db.session.commit()
        except Refusal as exc:
            db.session.rollback()
            if fetched:
                return {"error": exc.message, "fields": {k: str(v) for k, v in
                                                         exc.fields.items()}}, exc.status
            for text in exc.fields.values() or [exc.message]:
                flash(str(text), "danger")
            return redirect(self.url("board")), 303
        if fetched:
            return {"id": record.id, "stage": stage}
        flash(action.message(record), "success")
        return redirect(self.url("board", **request.args))

