"""API fields: what a resource shows and accepts, derived from model columns or declared
(computed fields, fields another module adds). Each field knows its JSON type, how to read
it for a page of records at once, and how to check and convert what a client sends."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from core import translatable


class Invalid(ValueError):
    """A value a client sent that does not fit the field; the message is for them."""


@dataclass
class Field:
    name: str
    # string integer boolean decimal number date datetime, ids (a list of ids), objects (a
    # list of nested objects whose fields are `extra["items"]`, e.g. an order's lines)
    type: str
    column: sa.orm.InstrumentedAttribute | None = None
    readable: bool = True
    writable: bool = False
    filterable: bool = False
    required: bool = False
    nullable: bool = True
    max_length: int | None = None
    choices: tuple[str, ...] | None = None
    references: str | None = None  # the model an id points to
    format: str | None = None  # email, ...
    description: str = ""
    places: int = 2  # decimals kept of a decimal (a quantity keeps 3)
    load: Callable | None = None  # (records) -> {id: value}, for fields without a column
    # (record, value) -> None, for writable such fields; runs once the record has its id
    # (extension tables)
    store: Callable | None = None
    module: str = "core"  # who adds the field (extensions vanish with their module)
    extra: dict = field(default_factory=dict)
    # kept per language (core.translatable): read, filtered and sorted in the API user's
    # language; `<name>_translations` (type "translations") holds the other languages
    translatable: bool = False
    # the named right changing it needs (a column's info["write_right"]); core.records
    # refuses a change by others with 403, naming the field
    write_right: str | None = None

    # -- reading -----------------------------------------------------------------------
    def read(self, record):
        """The field's value of a record: a translatable one in the API user's language,
        or in the default language when every language is asked for (`translations=1`)."""
        if self.type == "translations":
            return translatable.stored(record, self.extra["of"]) or None
        if self.translatable:
            return translatable.value(record, self.name, translatable.default_language()
                                      if every_language() else None)
        return getattr(record, self.name)

    def shown(self) -> bool:
        """Read this time: the other languages only when asked for."""
        return self.readable and (self.type != "translations" or every_language())

    def sql(self):
        """The column as filters and sorting see it: a translatable one in the API user's
        language."""
        if self.translatable and self.column is not None:
            return translatable.expression(self.column.class_, self.column.key)
        return self.column

    def dump(self, value):
        if value is None:
            return None
        if self.type == "decimal":
            return str(value)
        if self.type in ("date", "datetime"):
            return value.isoformat()
        return value

    # -- writing -----------------------------------------------------------------------
    def parse(self, value):
        """Convert a JSON value to what the column holds, or raise Invalid."""
        if value is None:
            if not self.nullable:
                raise Invalid(_l("This field cannot be empty."))
            return None
        parser = getattr(self, f"_parse_{self.type}")
        return parser(value)

    def parse_query(self, text: str):
        """Convert a query-string value (always text) for filtering."""
        if self.type in ("integer", "decimal", "number"):
            return self.parse(text if self.type != "integer" else _int_text(text))
        if self.type == "boolean":
            if text.lower() in ("true", "1", "yes"):
                return True
            if text.lower() in ("false", "0", "no"):
                return False
            raise Invalid(_l("Expected true or false."))
        if text == "":
            return None
        return self.parse(text)

    def _parse_string(self, value):
        if not isinstance(value, str):
            raise Invalid(_l("Expected text."))
        value = value.strip()
        if self.required and not value:
            raise Invalid(_l("This field cannot be empty."))
        if "\x00" in value:
            raise Invalid(_l("Text may not contain NUL characters."))
        if self.max_length and len(value) > self.max_length:
            raise Invalid(_l("At most %(n)s characters.", n=self.max_length))
        if self.choices and value not in self.choices:
            raise Invalid(_l("Must be one of: %(choices)s", choices=", ".join(self.choices)))
        if self.format == "email" and value and ("@" not in value or " " in value):
            raise Invalid(_l("Invalid email address."))
        return value or (None if self.nullable else value)

    def _parse_integer(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(_l("Expected a whole number."))
        if not -(2**63) < value < 2**63:
            raise Invalid(_l("The number is out of range."))
        return value

    def _parse_boolean(self, value):
        if not isinstance(value, bool):
            raise Invalid(_l("Expected true or false."))
        return value

    def _parse_decimal(self, value):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise Invalid(_l("Expected a decimal number, e.g. \"59.97\"."))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise Invalid(_l("Expected a decimal number, e.g. \"59.97\".")) from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
            raise Invalid(_l("The number is out of range."))
        return number.quantize(Decimal(1).scaleb(-self.places))

    _parse_number = _parse_decimal

    def _parse_translations(self, value):
        """{lang: text} of the other languages; null or "" removes a language's value."""
        offered = translatable.languages()
        if not isinstance(value, dict):
            raise Invalid(_l("Expected an object of texts by language."))
        parsed = {}
        for lang, text in value.items():
            if lang not in offered:
                raise Invalid(_l("Unknown language %(lang)s; one of: %(choices)s", lang=lang,
                                 choices=", ".join(offered)))
            try:
                parsed[lang] = None if text is None else self._parse_string(text)
            except Invalid as exc:
                raise Invalid(f"{lang}: {exc}") from None
        return parsed

    def _parse_objects(self, value):
        items: dict[str, Field] = self.extra["items"]
        if not isinstance(value, list) or len(value) > 1000:
            raise Invalid(_l("Expected a list of objects."))
        rows = []
        for number, obj in enumerate(value, start=1):
            if not isinstance(obj, dict):
                raise Invalid(_l("Expected a list of objects."))
            row = {}
            for key, raw in obj.items():
                sub = items.get(key)
                if sub is None or not sub.writable:
                    raise Invalid(_l("Item %(n)s: unknown field %(name)s.", n=number, name=key))
                try:
                    row[key] = sub.parse(raw)
                except Invalid as exc:
                    raise Invalid(f"{number}.{key}: {exc}") from None
            missing = [k for k, sub in items.items() if sub.required and k not in obj]
            if missing:
                raise Invalid(_l("Item %(n)s: %(name)s is required.", n=number,
                                 name=missing[0]))
            rows.append(row)
        return rows

    def _parse_ids(self, value):
        if not isinstance(value, list) or len(value) > 1000:
            raise Invalid(_l("Expected a list of ids."))
        return list(dict.fromkeys(self._parse_integer(v) for v in value))  # order kept

    def _parse_date(self, value):
        try:
            return date.fromisoformat(value) if isinstance(value, str) else _raise()
        except ValueError:
            raise Invalid(_l("Expected a date like 2026-01-31.")) from None

    def _parse_datetime(self, value):
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else _raise()
        except ValueError:
            raise Invalid(_l("Expected a date and time like 2026-01-31T09:30:00.")) from None

    # -- OpenAPI ------------------------------------------------------------------------
    def schema(self) -> dict:
        types = {"string": {"type": "string"}, "integer": {"type": "integer"},
                 "boolean": {"type": "boolean"},
                 "decimal": {"type": "string", "format": "decimal", "example": "59.97"},
                 "number": {"type": "string", "format": "decimal"},
                 "date": {"type": "string", "format": "date"},
                 "datetime": {"type": "string", "format": "date-time"},
                 "ids": {"type": "array", "items": {"type": "integer"}}}
        if self.type == "translations":
            text = {"type": "string", "nullable": True}
            if self.max_length:
                text["maxLength"] = self.max_length
            return {"type": "object", "nullable": True, "additionalProperties": False,
                    "properties": {lang: dict(text) for lang in translatable.languages()},
                    "description": str(self.description)}
        if self.type == "objects":
            schema = {"type": "array", "items": {"type": "object", "properties": {
                name: sub.schema() for name, sub in self.extra["items"].items()}}}
            if self.description:
                schema["description"] = str(self.description)
            return schema
        schema = dict(types[self.type])
        if self.nullable:
            schema["nullable"] = True
        if self.max_length:
            schema["maxLength"] = self.max_length
        if self.choices:
            schema["enum"] = list(self.choices) + ([None] if self.nullable else [])
        if self.format == "email":
            schema["format"] = "email"
        if not self.writable:
            schema["readOnly"] = True
        if self.references:
            schema["description"] = f"id of a {self.references}"
        elif self.description:
            schema["description"] = str(self.description)
        if self.writable and self.write_right:
            schema["x-write-right"] = self.write_right
            schema["description"] = (schema.get("description", "") + (
                f"; changing it needs the right {self.write_right} (else 403, code "
                "forbidden, naming the field)")).lstrip("; ")
        return schema


def _raise():
    raise ValueError


def every_language() -> bool:
    """The request asks for translatable fields in every language (`?translations=1`)."""
    return has_request_context() and request.args.get("translations", "").lower() in (
        "1", "true", "yes")


def translations_for(base: Field) -> Field:
    """The `<name>_translations` field beside a translatable one."""
    return Field(
        name=translatable.translations_name(base.name), type="translations",
        writable=base.writable, nullable=True, max_length=base.max_length,
        module=base.module, extra={"of": base.name},
        description=f"{base.name} in the other languages, by language code: read with "
                    "?translations=1 (then `" + base.name + "` is the default language's); "
                    "written merged, null removes a language")


def _int_text(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Invalid(_l("Expected a whole number.")) from None


TYPES = [
    (sa.Boolean, "boolean"), (sa.Integer, "integer"), (sa.Numeric, "decimal"),
    (sa.DateTime, "datetime"), (sa.Date, "date"), (sa.String, "string"), (sa.Text, "string"),
]


def from_column(cls, name: str, writable: bool, filterable: bool) -> Field:
    attr = getattr(cls, name)
    column = attr.property.columns[0]
    kind = next((t for base, t in TYPES if isinstance(column.type, base)), "string")
    info = column.info
    has_default = column.default is not None or column.server_default is not None
    choices = info.get("choices")
    return Field(
        name=name, type=kind, column=attr, writable=writable, filterable=filterable,
        nullable=bool(column.nullable),
        required=writable and not column.nullable and not has_default,
        max_length=getattr(column.type, "length", None) if kind == "string" else None,
        places=getattr(column.type, "scale", None) or 2,
        choices=tuple(choices) if choices else None,
        references=info.get("references") or _fk_model(column),
        format=info.get("format"), description=info.get("label", ""),
        translatable=bool(info.get("translatable")), write_right=info.get("write_right"),
    )


def _fk_model(column) -> str | None:
    for fk in column.foreign_keys:
        return fk.column.table.name
    return None
