"""One save path. A form, a CSV import and the API create and update records through
`save()`, so the same steps hold whichever way a record comes in:

1. a new record starts from the model's defaults; a record being changed must be within
   the writer's record rules as it is (else 404, as if it were not there);
2. fields the record's state locks are refused (core.workflow), and so are fields whose
   column needs a named right the writer does not hold (`info={"write_right": ...}`:
   403, naming each field) unless the value stays as it is, or, on a new record, is the
   default or the writer themselves (an owner field); values that do not fit their
   columns (core.limits: ranges, dates, text) are refused (422), and so are values that
   another record holds in a unique column (409), each naming its field;
3. the values are written, then the saving hooks of enabled modules run (numbering,
   lines, totals, the owner's rules; a hook refuses with core.errors.Refusal);
4. the record is flushed and must still be within the user's record rules (a write may
   not move a record out of reach, e.g. hand an order to another salesperson);
5. the timeline records the change (core.timeline's flush hook).
Callers commit, so a refusal anywhere rolls the whole operation back."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from core import access, limits
from core.auth.models import User
from core.db import db
from core.errors import Refusal
from core.modules import get_registry
from core.workflow import check_locked


def defaults(model_cls) -> dict:
    """The values a new record starts with: its columns' Python-side defaults, and the
    `info={"default": callable}` of a field whose default a writer may clear (an owner
    defaulting to its maker; a column default would fill an explicit None too)."""
    found = {}
    for attr in sa.inspect(model_cls).column_attrs:
        column = attr.columns[0]
        default = column.default
        if callable(column.info.get("default")):
            found[attr.key] = column.info["default"]()
            continue
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
        if not reachable(record, "w"):  # a record the writer may not change as it is
            abort(404)
        check_locked(record, changed(record, values))
    check_field_rights(record, values, creating)
    check_values(model_cls, values, record if not creating else None)
    for name, value in values.items():
        if _settable(model_cls, name, value):
            setattr(record, name, value)
    for hook in get_registry().saving_hooks(model_cls.__model__):
        hook(record, values, creating)
    if creating:
        db.session.add(record)
    db.session.flush()
    if not reachable(record, "c" if creating else "w"):  # outside the writer's own rules
        abort(403)
    return record


def reachable(record, perm: str = "w") -> bool:
    """Whether `record` (flushed) is within the current user's record rules for `perm`.
    Paths that change records without `save` (actions, a board's own move rule) check it
    after the change too."""
    model_cls = type(record)
    query = access.select_for(model_cls, perm, model_cls.id).where(model_cls.id == record.id)
    return db.session.execute(query).first() is not None


def check_field_rights(record, values: dict, creating: bool) -> None:
    """Refuse (403, naming each field) values for fields that need a named right the writer
    lacks (`access.field_right`). Not a change, so allowed: the value the field already has
    (forms post every field), and on a new record the default or the writer themselves in
    a field pointing at users (an owner defaulting to its creator)."""
    model_cls = type(record)
    refused = []
    for name, value in values.items():
        if access.may_write_field(model_cls, name) or not changed(record, {name: value}):
            continue
        if creating and value == current_user.id and _points_at_users(model_cls, name):
            continue
        refused.append(name)
    if refused:
        mapper = sa.inspect(model_cls)
        labels = [str(mapper.column_attrs[n].columns[0].info.get("label", n))
                  if n in mapper.column_attrs else n for n in refused]
        message = _("Changing this field needs a right you do not hold.")
        raise Refusal(_("You may not change %(fields)s: that needs a right you do not hold.",
                        fields=", ".join(labels)), "forbidden",
                      {name: message for name in refused}, 403)


def _points_at_users(model_cls, name: str) -> bool:
    attr = sa.inspect(model_cls).column_attrs.get(name)
    return attr is not None and any(fk.column.table is User.__table__
                                    for fk in attr.columns[0].foreign_keys)


def _outside_choices(model_cls, values: dict, record=None) -> dict:
    """{name: message} of references, newly set, to a record their column's choices_where
    excludes (a person chosen as the company someone works at)."""
    from core.ui.forms import choices_where, reference_target

    mapper = sa.inspect(model_cls)
    found = {}
    for name, value in values.items():
        attr = mapper.column_attrs.get(name)
        if attr is None or value is None or not attr.columns[0].info.get("choices_where") \
                or record is not None and getattr(record, name) == value:
            continue
        column = attr.columns[0]
        target = reference_target(column)
        if target is None or not isinstance(value, int):
            continue
        query = sa.select(target.id).where(target.id == value, *choices_where(target, column))
        if db.session.execute(query).first() is None:
            found[name] = str(column.info.get("choices_refused") or _("Not a valid choice."))
    return found


def check_values(model_cls, values: dict, record=None) -> None:
    """Refuse values that do not fit their columns (422), then values of unique columns
    that another record holds already (409), naming each field."""
    problems = limits.problems(model_cls, values) | _outside_choices(model_cls, values, record)
    if problems:
        raise Refusal(_("Some values are not valid."), "invalid", problems)
    mapper = sa.inspect(model_cls)
    taken = {}
    for name, value in values.items():
        attr = mapper.column_attrs.get(name)
        if attr is None or value is None or not attr.columns[0].unique:
            continue
        query = sa.select(model_cls.id).where(attr.columns[0] == value)
        if record is not None:
            query = query.where(model_cls.id != record.id)
        if db.session.execute(query.limit(1)).first() is not None:
            taken[name] = _("This conflicts with another record (a duplicate?).")
    if taken:
        raise Refusal(_("This conflicts with another record (a duplicate?)."), "conflict",
                      taken)
