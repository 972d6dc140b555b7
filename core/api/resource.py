"""A resource: one model as the API shows it. Built from what a module declares with
`module.expose(Model, read=..., write=..., filter=...)`, the fields other enabled modules
add with `module.extend_resource(...)`, and the model's declared actions (core.actions).
Writes go through the one save path (core.records)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import records, translatable
from core.db import contains, db
from core.search import sort_key

from .fields import Field, Invalid, every_language, from_column, translations_for

# Reading and sorting these is always allowed; they are never written by clients.
SYSTEM = ("id", "created_at", "updated_at")
OPERATORS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__", "ne": "__ne__"}


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message", "details"?}}`."""

    def __init__(self, status: int, code: str, message, details: dict | None = None):
        super().__init__(str(message))
        self.status, self.code, self.message, self.details = status, code, message, details


PLAIN_TYPES = {"string", "integer", "boolean"}  # what Field.dump gives back as it is


@dataclass
class Resource:
    model: str
    cls: type
    module: str
    fields: dict[str, Field] = field(default_factory=dict)
    actions: dict = field(default_factory=dict)  # name -> core.actions.Action, enabled ones

    @classmethod
    def declare(cls, model_cls, module: str, read=(), write=(), filter=(),
                extra=()) -> Resource:
        resource = cls(model_cls.__model__, model_cls, module)
        for name in SYSTEM:
            resource.fields[name] = from_column(model_cls, name, False, True)
        for name in dict.fromkeys([*read, *write]):
            resource.fields[name] = from_column(model_cls, name, name in write, name in filter)
            if resource.fields[name].translatable:  # its other languages, beside it
                extra_field = translations_for(resource.fields[name])
                resource.fields[extra_field.name] = extra_field
        for f in extra:
            resource.fields[f.name] = f
        return resource

    @classmethod
    def served(cls, registry) -> dict[str, Resource]:
        """model -> resource as served now: models of enabled modules, with the fields and
        actions of enabled modules only; computed once per set of enabled modules."""
        def compute():
            found = {}
            for model, exposed in registry.exposed.items():
                if not registry.is_enabled(exposed.module):
                    continue
                resource = cls.declare(exposed.cls, exposed.module, exposed.read,
                                       exposed.write, exposed.filter, exposed.extra)
                for f in registry.resource_fields.get(model, ()):
                    resource.fields[f.name] = f
                resource.fields = {n: f for n, f in resource.fields.items()
                                   if registry.is_enabled(f.module)}
                resource.actions = registry.active_actions(model)
                found[model] = resource
            return found

        return registry._cached("resources", compute)

    @property
    def read_only(self) -> bool:
        """Exposed to read only (no field written, as a background task's record): the
        API answers writes 405 and its document offers none."""
        return not any(f.writable for f in self.fields.values())

    # -- reading -----------------------------------------------------------------------
    def dump_many(self, records: list) -> list[dict]:
        """Records as JSON objects; computed fields are loaded once for the whole list."""
        loaded = {name: f.load(records) for name, f in self.fields.items()
                  if f.readable and f.load is not None and records}
        shown = [(name, f) for name, f in self.fields.items() if f.shown()]  # once a list
        # a plain column's value is the loaded record's own, as JSON has it: read from the
        # instance's dict, not through the attribute and the field (a list of 50 records
        # reads over a thousand values)
        plain = {name for name, f in shown if f.load is None and not f.translatable
                 and f.column is not None and f.type in PLAIN_TYPES}
        items = []
        for record in records:
            held = record.__dict__
            items.append({
                name: (held[name] if name in held else getattr(record, name))
                if name in plain else f.dump(loaded[name].get(record.id) if f.load
                                             else f.read(record))
                for name, f in shown})
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
            column = f.sql()  # a translatable field in the API user's language
            try:
                if op == "in":
                    values = [v for v in (f.parse_query(t) for t in text.split(",") if t != "")
                              if v is not None]
                    query = query.where(column.in_(values))
                elif op == "contains" and f.type == "string":
                    query = query.where(contains(column, text))
                elif op in OPERATORS and f.type != "boolean":
                    value = f.parse_query(text)
                    if value is None:
                        raise Invalid(_l("A value is needed."))
                    query = query.where(getattr(column, OPERATORS[op])(value))
                elif op == "":
                    value = f.parse_query(text)
                    query = query.where(column.is_(None) if value is None else column == value)
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
            column = sort_key(f.sql())  # text in the API user's collation
            clauses.append(column.desc() if part.startswith("-") else column.asc())
        return query.order_by(*clauses, self.cls.id.asc())

    # -- writing -----------------------------------------------------------------------
    def parse(self, payload, creating: bool) -> dict:
        """Check every field of a JSON object: the values to write, or a 422 with the
        problems of all fields at once."""
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
        return values

    def write(self, payload, record=None):
        """Create (record None) or update a record from a JSON object, through the one save
        path; fields another module stores (extension tables) once the record has its id."""
        values = self.parse(payload, creating=record is None)
        # translatable fields: written in the API user's language, or with `translations=1`
        # the default language's value, and the others merged from `<name>_translations`
        values = translatable.prepared(self.cls, values, record, None if every_language()
                                       else translatable.current_language())
        stored = [(self.fields[n], v) for n, v in values.items() if self.fields[n].store]
        record = records.save(self.cls, {n: v for n, v in values.items()
                                         if not self.fields[n].store}, record)
        for f, value in stored:
            f.store(record, value)
        if stored:
            db.session.flush()
        return record

    def _check_reference(self, f: Field, value) -> None:
        if f.references is None or value is None:
            return
        table = db.metadata.tables.get(f.references)
        ids = value if isinstance(value, list) else [value]
        if table is None or ids and db.session.execute(sa.select(sa.func.count()).where(
                table.c.id.in_(ids))).scalar() != len(ids):
            raise Invalid(_l("No such record."))
