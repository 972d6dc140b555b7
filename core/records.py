"""One save path. A form, a CSV import and the API create and update records through
`save()`, so the same steps hold whichever way a record comes in:

1. a new record starts from the model's defaults;
2. fields the record's state locks are refused (core.workflow);
3. the values are written, then the saving hooks of enabled modules run (numbering,
   lines, totals, the owner's rules; a hook refuses with core.errors.Refusal);
4. the record is flushed and must still be within the user's record rules (a write may
   not move a record out of reach, e.g. hand an order to another salesperson);
5. the timeline records the change (core.timeline's flush hook).
Callers commit, so a refusal anywhere rolls the whole operation back."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from core import access
from core.db import db
from core.modules import get_registry
from core.workflow import check_locked


def defaults(model_cls) -> dict:
    """The values a new record starts with: its columns' Python-side defaults."""
    found = {}
    for attr in sa.inspect(model_cls).column_attrs:
        column = attr.columns[0]
        default = column.default
        if attr.key in ("id", "created_at", "updated_at") or default is None:
            continue
        if default.is_scalar:
            found[attr.key] = default.arg
        elif default.is_callable:
            found[attr.key] = default.arg(None)
    return found


def changed(record, values: dict) -> list[str]:
    """The names in `values` whose value differs from the record's."""
    names = []
    mapper = sa.inspect(type(record))
    for name, value in values.items():
        if name not in mapper.column_attrs and not _settable(type(record), name, value):
            names.append(name)  # for the hooks (an order's lines): counts as a change
            continue
        current = getattr(record, name)
        if isinstance(current, list):  # a many-to-many: compare the records' ids
            current = sorted(getattr(r, "id", r) for r in current)
            value = sorted(getattr(v, "id", v) for v in value or [])
        if current != value:
            names.append(name)
    return names


def _settable(model_cls, name: str, value) -> bool:
    """A column, or a relationship given as its records (a form's tags); other names (an
    order's "lines" as dicts) are for the saving hooks."""
    mapper = sa.inspect(model_cls)
    if name in mapper.column_attrs:
        return True
    relation = mapper.relationships.get(name)
    return relation is not None and relation.secondary is not None and isinstance(
        value, list | tuple) and all(
        isinstance(v, relation.mapper.class_) for v in value)


def save(model_cls, values: dict, record=None):
    """Create (record None) or update `record` with `values`; returns the record, flushed.
    Names in `values` that are not columns (e.g. an order's "lines") are for the hooks."""
    creating = record is None
    if creating:
        access.require(model_cls.__model__, "c")
        record = model_cls()
        for name, value in defaults(model_cls).items():
            setattr(record, name, value)
        if hasattr(record, "created_by_id") and current_user.is_authenticated:
            record.created_by_id = current_user.id
    else:
        access.require(model_cls.__model__, "w")
        check_locked(record, changed(record, values))
    for name, value in values.items():
        if _settable(model_cls, name, value):
            setattr(record, name, value)
    for hook in get_registry().saving_hooks(model_cls.__model__):
        hook(record, values, creating)
    if creating:
        db.session.add(record)
    db.session.flush()
    perm = "c" if creating else "w"
    reachable = access.select_for(model_cls, perm, model_cls.id).where(
        model_cls.id == record.id)
    if db.session.execute(reachable).first() is None:  # outside the writer's own rules
        abort(403)
    return record
