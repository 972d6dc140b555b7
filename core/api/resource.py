"""A resource: one model as the API shows it. Built from what a module declares with
`module.expose(Model, read=..., write=..., filter=..., actions=...)`, plus the fields other
enabled modules add with `module.extend_resource(...)`."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import contains, db

from .fields import Field, Invalid, from_column

# Reading and sorting these is always allowed; they are never written by clients.
SYSTEM = ("id", "created_at", "updated_at")
OPERATORS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__", "ne": "__ne__"}


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message", "details"?}}`."""

    def __init__(self, status: int, code: str, message, details: dict | None = None):
        super().__init__(str(message))
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass
class Action:
    name: str
    func: Callable  # (record, payload: dict) -> dict | record | None
    perm: str = "w"
    summary: str = ""
    module: str = "core"


@dataclass
class Resource:
    model: str
    cls: type
    module: str
    fields: dict[str, Field] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    # (record, values, creating) -> None, after the values are written: the owner's rules
    # for a whole record (numbering, nested lines, totals); may raise ApiError
    saving: Callable | None = None

    @classmethod
    def declare(cls, model_cls, module: str, read=(), write=(), filter=(), extra=(),
                actions=None, saving=None) -> Resource:
        resource = cls(model_cls.__model__, model_cls, module, saving=saving)
        for name in SYSTEM:
            resource.fields[name] = from_column(model_cls, name, False, True)
        for name in dict.fromkeys([*read, *write]):
            resource.fields[name] = from_column(model_cls, name, name in write, name in filter)
        for f in extra:
            resource.fields[f.name] = f
        for name, action in (actions or {}).items():
            resource.actions[name] = action if isinstance(action, Action) else Action(
                name, action, module=module)
        return resource

    def active(self, is_enabled: Callable[[str], bool]) -> Resource:
        """This resource as it is now: without fields and actions of disabled modules."""
        return Resource(
            self.model, self.cls, self.module,
            {n: f for n, f in self.fields.items() if is_enabled(f.module)},
            {n: a for n, a in self.actions.items() if is_enabled(a.module)},
            self.saving,
        )

    # -- reading -----------------------------------------------------------------------
    def dump_many(self, records: list) -> list[dict]:
        """Records as JSON objects; computed fields are loaded once for the whole list."""
        loaded = {name: f.load(records) for name, f in self.fields.items()
                  if f.readable and f.load is not None and records}
        items = []
        for record in records:
            item = {}
            for name, f in self.fields.items():
                if not f.readable:
                    continue
                value = loaded[name].get(record.id) if f.load else getattr(record, name)
                item[name] = f.dump(value)
            items.append(item)
        return items

    def dump(self, record) -> dict:
        return self.dump_many([record])[0]

    # -- listing -----------------------------------------------------------------------
    def filtered(self, query, params: dict[str, str]):
        """Apply `field=value`, `field__in=a,b`, `field__gte=...`, `field__contains=...`."""
        errors: dict[str, list[str]] = {}
        for key, text in params.items():
            name, _, op = key.partition("__")
            f = self.fields.get(name)
            if f is None or not f.filterable or f.column is None:
                errors[key] = [str(_l("Unknown filter."))]
                continue
            try:
                if op == "in":
                    values = [v for v in (f.parse_query(t) for t in text.split(",") if t != "")
                              if v is not None]
                    query = query.where(f.column.in_(values))
                elif op == "contains" and f.type == "string":
                    query = query.where(contains(f.column, text))
                elif op in OPERATORS and f.type != "boolean":
                    value = f.parse_query(text)
                    if value is None:
                        raise Invalid(_l("A value is needed."))
                    query = query.where(getattr(f.column, OPERATORS[op])(value))
                elif op == "":
                    value = f.parse_query(text)
                    query = query.where(f.column.is_(None) if value is None else f.column == value)
                else:
                    errors[key] = [str(_l("Unknown filter."))]
            except Invalid as exc:
                errors[key] = [str(exc)]
        if errors:
            raise ApiError(400, "invalid_parameter",
                           _l("Some query parameters are not valid."), errors)
        return query

    def ordered(self, query, order: str):
        clauses = []
        for part in [p.strip() for p in order.split(",") if p.strip()]:
            name = part.lstrip("-")
            f = self.fields.get(name)
            if f is None or f.column is None or not (f.filterable or name in SYSTEM):
                raise ApiError(400, "invalid_parameter", _l("Some query parameters are not valid."),
                               {"order": [str(_l("Cannot sort by %(name)s.", name=name))]})
            clauses.append(f.column.desc() if part.startswith("-") else f.column.asc())
        return query.order_by(*clauses, self.cls.id.asc())

    # -- writing -----------------------------------------------------------------------
    def apply(self, record, payload, creating: bool) -> list:
        """Check every field of a JSON object and write it to the record, or raise a 422
        with the problems of all fields at once. Returns the writes that wait for the
        record's id: the caller runs `finish(record, later)` after flushing."""
        if not isinstance(payload, dict):
            raise ApiError(422, "invalid", _l("Expected a JSON object."))
        errors: dict[str, list[str]] = {}
        values = {}
        for name, raw in payload.items():
            f = self.fields.get(name)
            if f is None:
                errors[name] = [str(_l("Unknown field."))]
            elif not f.writable:
                errors[name] = [str(_l("This field cannot be written."))]
            else:
                try:
                    values[name] = f.parse(raw)
                    self._check_reference(f, values[name])
                except Invalid as exc:
                    errors[name] = [str(exc)]
        if creating:
            for name, f in self.fields.items():
                if f.required and name not in payload and name not in errors:
                    errors[name] = [str(_l("This field is required."))]
        if errors:
            raise ApiError(422, "invalid", _l("Some values are not valid."), errors)
        later = []
        for name, value in values.items():
            f = self.fields[name]
            if f.store is not None and f.store_after_flush:
                later.append((f, value))
            elif f.store is not None:
                f.store(record, value)
            else:
                setattr(record, name, value)
        if self.saving is not None:
            self.saving(record, values, creating)
        return later

    @staticmethod
    def finish(record, later: list) -> None:
        for f, value in later:
            f.store(record, value)
        if later:
            db.session.flush()

    def _check_reference(self, f: Field, value) -> None:
        if f.references is None or value is None:
            return
        table = db.metadata.tables.get(f.references)
        ids = value if isinstance(value, list) else [value]
        if table is None or ids and db.session.execute(sa.select(sa.func.count()).where(
                table.c.id.in_(ids))).scalar() != len(ids):
            raise Invalid(_l("No such record."))
