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
Callers commit, so a refusal anywhere rolls the whole operation back. `save_many` takes the
same steps for a batch (a CSV import), reading the database once per batch."""
from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden, HTTPException

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
    return {name: make() if call else make for name, make, call in _default_makers(model_cls)}


@functools.cache
def _default_makers(model_cls) -> tuple:
    """(field, value or callable, whether to call it) of `defaults`, read from the mapper
    once per model (a batch of thousands of new records asks for each)."""
    found = []
    for attr in sa.inspect(model_cls).column_attrs:
        column = attr.columns[0]
        default = column.default
        if callable(column.info.get("default")):
            found.append((attr.key, column.info["default"], True))
        elif attr.key in ("id", "created_at", "updated_at") or default is None:
            continue
        elif default.is_scalar:
            found.append((attr.key, default.arg, False))
        elif default.is_callable:
            found.append((attr.key, functools.partial(default.arg, None), True))
    return tuple(found)


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


class Refused(Exception):
    """Some entries of a `save_many` batch were refused: {index: the Refusal or
    HTTPException that entry alone would have raised}."""

    def __init__(self, failures: dict[int, Exception]):
        super().__init__(failures)
        self.failures = failures


def save(model_cls, values: dict, record=None):
    """Create (record None) or update `record` with `values`; returns the record, flushed.
    Names in `values` that are not columns (e.g. an order's "lines") are for the hooks."""
    try:
        return save_many(model_cls, [(values, record)])[0]
    except Refused as refused:
        raise refused.failures[0] from None


def save_many(model_cls, entries: list[tuple[dict, object]]) -> list:
    """`save` for a batch of (values, record or None): the same steps, with the checks
    that read the database made once for the batch (a CSV import of 100,000 rows), one
    flush, and the records returned in order. Raises Refused, naming each refused entry:
    before the flush when a check or a saving hook refuses (a hook may have changed the
    records in memory), after it when the record rules do; either way the caller rolls
    the batch back (a savepoint, or the whole transaction)."""
    creating = [record is None for _values, record in entries]
    if any(creating):
        access.require(model_cls.__model__, "c")
    if not all(creating):
        access.require(model_cls.__model__, "w")
    failures: dict[int, Exception] = {}
    rights: dict[str, bool] = {}
    existing = [record for _values, record in entries if record is not None]
    writable = _reachable_ids(model_cls, existing, "w")
    records = []
    for index, (values, record) in enumerate(entries):
        try:
            if record is None:
                record = model_cls()
                for name, value in defaults(model_cls).items():
                    setattr(record, name, value)
                if hasattr(record, "created_by_id") and current_user.is_authenticated:
                    record.created_by_id = current_user.id
            else:
                if record.id not in writable:  # one the writer may not change as it is
                    abort(404)
                check_locked(record, changed(record, values))
            check_field_rights(record, values, record.id is None, rights)
            problems = limits.problems(model_cls, values)
            if problems:
                raise Refusal(_("Some values are not valid."), "invalid", problems)
        except (Refusal, HTTPException) as exc:
            failures[index] = exc
        records.append(record)
    failures.update(_batch_conflicts(model_cls, entries, records, failures))
    if failures:
        raise Refused(failures)
    hooks = get_registry().saving_hooks(model_cls.__model__)
    for index, ((values, _record), record) in enumerate(zip(entries, records, strict=True)):
        for name, value in values.items():
            if _settable(model_cls, name, value):
                setattr(record, name, value)
        try:
            for hook in hooks:
                hook(record, values, creating[index])
        except Refusal as exc:
            failures[index] = exc
    if failures:
        raise Refused(failures)
    db.session.add_all(record for record, new in zip(records, creating, strict=True) if new)
    db.session.flush()
    within = _reachable_ids(model_cls, [r for r, new in zip(records, creating, strict=True)
                                        if new], "c") | _reachable_ids(model_cls, existing, "w")
    for index, record in enumerate(records):
        if index not in failures and record.id not in within:  # outside the writer's rules
            failures[index] = Forbidden()
    if failures:
        raise Refused(failures)
    return records


def reachable(record, perm: str = "w") -> bool:
    """Whether `record` (flushed) is within the current user's record rules for `perm`.
    Paths that change records without `save` (actions, a board's own move rule) check it
    after the change too."""
    return bool(_reachable_ids(type(record), [record], perm))


def _reachable_ids(model_cls, records: list, perm: str) -> set:
    """The ids of `records` (flushed) within the current user's record rules for `perm`,
    in one query."""
    ids = [record.id for record in records]
    if not ids:
        return set()
    query = access.select_for(model_cls, perm, model_cls.id).where(model_cls.id.in_(ids))
    return set(db.session.execute(query).scalars())


def check_field_rights(record, values: dict, creating: bool, rights: dict | None = None) -> None:
    """Refuse (403, naming each field) values for fields that need a named right the writer
    lacks (`access.field_right`). Not a change, so allowed: the value the field already has
    (forms post every field), and on a new record the default or the writer themselves in
    a field pointing at users (an owner defaulting to its creator)."""
    model_cls = type(record)
    refused = []
    rights = {} if rights is None else rights  # name -> may write, kept for a batch
    for name, value in values.items():
        if name not in rights:
            rights[name] = access.may_write_field(model_cls, name)
        if rights[name] or not changed(record, {name: value}):
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


def _batch_conflicts(model_cls, entries, records, skip) -> dict[int, Exception]:
    """{index: Refusal} of the entries (those not in `skip`) that point at a record their
    column's choices_where excludes (422), else whose value another record holds in a
    unique column (409), naming each field: one query per column for the batch."""
    from core.ui.forms import choices_where, reference_target

    invalid: dict[int, dict] = {}
    taken: dict[int, dict] = {}
    for attr in sa.inspect(model_cls).column_attrs:
        column, name = attr.columns[0], attr.key
        given = {index: values[name] for index, (values, _record) in enumerate(entries)
                 if index not in skip and values.get(name) is not None}
        target = reference_target(column) if column.info.get("choices_where") else None
        newly = {i: v for i, v in given.items() if isinstance(v, int) and (
            entries[i][1] is None or getattr(entries[i][1], name) != v)}
        if target is not None and newly:
            allowed = set()
            for chunk in _chunks(sorted(set(newly.values()))):
                allowed.update(db.session.execute(sa.select(target.id).where(
                    target.id.in_(chunk), *choices_where(target, column))).scalars())
            for index, value in newly.items():
                if value not in allowed:
                    invalid.setdefault(index, {})[name] = str(
                        column.info.get("choices_refused") or _("Not a valid choice."))
        if column.unique and given:
            holders: dict = {}
            for chunk in _chunks(sorted(set(given.values()), key=str)):
                for ident, value in db.session.execute(
                        sa.select(model_cls.id, column).where(column.in_(chunk))):
                    holders.setdefault(value, set()).add(ident)
            for index, value in given.items():
                others = holders.get(value, set()) - {records[index].id}
                if others:
                    taken.setdefault(index, {})[name] = _(
                        "This conflicts with another record (a duplicate?).")
                holders.setdefault(value, set()).add(records[index].id or -1 - index)
    refusals: dict[int, Exception] = {
        index: Refusal(_("Some values are not valid."), "invalid", problems)
        for index, problems in invalid.items()}
    for index, problems in taken.items():
        refusals.setdefault(index, Refusal(
            _("This conflicts with another record (a duplicate?)."), "conflict", problems))
    return refusals


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]
