"""What a board's cards show beside their fields (owner, priority, next activity), and the
quick-create form of a column: a new record in that stage through the one save path."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, request
from flask_babel import gettext as _

from core import access, records
from core.db import db, utcnow
from core.errors import Refusal

from .. import forms as model_forms

ICONS = {"call": "telephone", "meeting": "people", "task": "check2-square",
         "email": "envelope"}


def detail_kinds(v) -> dict[str, tuple]:
    """How each declared detail shows: ("user",) initials and name, ("stars", n) a
    priority, ("activity",) the next planned activity, ("value",) its formatted value."""
    kinds = {}
    for name in v.board.details:
        if name == "next_activity":
            kinds[name] = ("activity",)
            continue
        column = model_forms.column_of(v.model, name)
        if any(fk.column.table.name == "core_user" for fk in column.foreign_keys):
            kinds[name] = ("user",)
        elif column.info.get("widget") == "priority":
            kinds[name] = ("stars", max(column.info["choices"]))
        else:
            kinds[name] = ("value",)
    return kinds


def next_activities(v, shown) -> dict[int, tuple]:
    """Record id -> (its earliest planned activity, overdue), for all cards in one query."""
    from core.activities.models import Activity

    ids = [card.id for card in shown]
    if not ids or not access.can("activity", "r"):
        return {}
    rank = sa.func.row_number().over(
        partition_by=Activity.res_id,
        order_by=(Activity.due_at.is_(None), Activity.due_at, Activity.id)).label("rank")
    inner = access.select_for(Activity).where(
        Activity.res_model == v.model_name, Activity.res_id.in_(ids),
        Activity.state == "planned").add_columns(rank).subquery()
    first = sa.orm.aliased(Activity, inner)
    now = utcnow()
    return {a.res_id: (a, a.due_at is not None and a.due_at < now)
            for a in db.session.execute(sa.select(first).where(inner.c.rank == 1)).scalars()}


def card_details(v, shown) -> dict:
    """What every card of a board shares, worked out once (a board shows a hundred): the
    kinds of its details, their next activities, the URLs of a card's page and of its
    move around its id, and the form token."""
    from flask_wtf.csrf import generate_csrf

    kinds = detail_kinds(v)
    return {"kinds": kinds, "icons": ICONS,
            "next": next_activities(v, shown) if "next_activity" in kinds else {},
            "edit": v.url_around_id("edit"), "move": v.url_around_id("move"),
            "csrf": generate_csrf()}


def initials(name: str) -> str:
    return "".join(word[0] for word in str(name).split()[:2]).upper()


# -- quick-create ---------------------------------------------------------------------
def quick_form(v):
    """The column's "+" form, or None when the board offers none to this user."""
    if not v.board.create or not access.can(v.model_name, "c"):
        return None
    return model_forms.prepare(model_forms.model_form(v.model, list(v.board.create))(), v.model)


def open_stages(v) -> dict:
    folded = v.folded()
    return {str(value): value for value, _label in v.stages() if str(value) not in folded}


def quick_create(v):
    """A new record in the posted stage from the column's form: the view's defaults, the
    form's fields, the stage (and the module's move rule), saved by core.records.save."""
    form = quick_form(v)
    if form is None:
        abort(404)
    fetched = request.headers.get("X-Requested-With") == "fetch"
    stage = request.form.get("stage", "")
    valid = open_stages(v)
    errors: dict = {}
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        errors = {name: str(found[0]) for name, found in form.errors.items()}
    elif stage not in valid:
        errors = {"stage": _("Unknown stage.")}
    else:
        try:
            record = records.save(v.model, {
                **(v.defaults() if v.defaults else {}),
                **model_forms.form_values(form, v.model), v.board.field: valid[stage]})
            if v.board.move:  # what the module does on entering a stage (its probability)
                v.board.move(record, valid[stage])
                db.session.flush()
            db.session.commit()
        except Refusal as exc:
            db.session.rollback()
            errors = {k: str(m) for k, m in exc.fields.items()} or {"": exc.message}
    if errors:
        if fetched:
            return {"error": _("Some values are not valid."), "fields": errors}, 422
        return v.board_view(quick=(stage, form, errors)), 422
    if fetched:
        return {"id": record.id, "card": render_template(
            "generic/_board_card.html", v=v, card=record, can_write=v.movable(),
            labels=v.reference_labels([record], v.board.details),
            cards=card_details(v, [record]),
            moves=moves_of(v.stages(), v.folded(), stage))}
    return redirect(v.url("board"))


def moves_of(stages, folded, stage) -> tuple:
    """The open stages before and after `stage` ((value, label, the arrow's title) or
    None): a card's arrows, the same for every card of a column."""
    shown = [(value, str(label), _("Move to %(stage)s", stage=label))
             for value, label in stages if str(value) not in folded]
    at = [str(value) for value, *_rest in shown].index(str(stage))
    return (shown[at - 1] if at else None, shown[at + 1] if at + 1 < len(shown) else None)
