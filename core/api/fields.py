"""API fields: what a resource shows and accepts, derived from model columns or declared
(computed fields, fields another module adds). Each field knows its JSON type, how to read
it for a page of records at once, and how to check and convert what a client sends."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from core import limits, translatable


class Invalid(ValueError):
    """A value a client sent that does not fit the field; the message is for them."""


SPACES = " \t\n\r"  # trimmed from text (what FILLED_PATTERN allows around it)
MAX_ITEMS = 1000  # of a list of ids or objects
INT_PATTERN = "^-?[0-9]{1,20}$"
DECIMAL_TEXT = "-?[0-9]{1,40}(\\.[0-9]{1,40})?"  # the shape; each field's pattern is narrower
# true or false in a query string, as people and libraries write them (True, yes, 1)
BOOL_PATTERN = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|1|0)$"


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
    # the lowest and highest number taken; None: what the column (else the type) holds
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
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
        if self.type == "datetime":  # stored in UTC: RFC 3339 with its offset
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return value.isoformat() + "Z"
        if self.type == "date":
            return value.isoformat()
        return value

    # -- writing -----------------------------------------------------------------------
    def parse(self, value):
        """Convert a JSON value to what the column holds, or raise Invalid."""
        if value is None:
            if not self.nullable or self.type in ("ids", "objects"):
                raise Invalid(_l("This field cannot be empty."))
            return None
        parser = getattr(self, f"_parse_{self.type}")
        return parser(value)

    def parse_query(self, text: str):
        """Convert a query-string value (always text) for filtering: what `query_schema`
        describes."""
        if self.type == "integer":
            return self.parse(_int_text(text))
        if self.type in ("decimal", "number"):
            return self.parse(text)
        if self.type == "boolean":
            return parse_bool(text)
        if text == "":
            return None
        if self.type == "string":  # any text may be looked for (no format, not trimmed)
            problem = limits.text_problem(text, self.max_length)
            if problem is not None:
                raise Invalid(problem)
            if self.choices and text not in self.choices:
                raise Invalid(_l("Must be one of: %(choices)s",
                                 choices=", ".join(map(str, self.choices))))
            return text
        return self.parse(text)

    def _parse_string(self, value):
        if not isinstance(value, str):
            raise Invalid(_l("Expected text."))
        problem = limits.text_problem(value, self.max_length)
        if problem is not None:
            raise Invalid(problem)
        if self.choices:
            if value not in self.choices:
                raise Invalid(_l("Must be one of: %(choices)s",
                                 choices=", ".join(map(str, self.choices))))
            return value
        value = value.strip(SPACES)
        if self.required and not value:
            raise Invalid(_l("This field cannot be empty."))
        if self.format == "email" and not re.fullmatch(limits.EMAIL_PATTERN, value):
            raise Invalid(_l("Invalid email address."))
        return value or (None if self.nullable else value)

    def bounds(self) -> tuple:
        """(lowest, highest) a number field takes: declared, else its type's (whole
        numbers of 32 bits, ids from 1; decimals of 16 digits)."""
        if self.type == "integer":
            low, high = limits.INT32
            if self.references or self.name == "id":
                low = 1
        else:
            top = Decimal(10) ** (16 - self.places) - Decimal(1).scaleb(-self.places)
            low, high = -top, top
        return (low if self.minimum is None else self.minimum,
                high if self.maximum is None else self.maximum)

    def _in_range(self, value):
        low, high = self.bounds()
        problem = limits.number_problem(value, low, high)
        if problem is not None:
            raise Invalid(problem)
        return value

    def _parse_integer(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(_l("Expected a whole number."))
        if self.choices and value not in self.choices:
            raise Invalid(_l("Must be one of: %(choices)s",
                             choices=", ".join(map(str, self.choices))))
        return self._in_range(value)

    def _parse_boolean(self, value):
        if not isinstance(value, bool):
            raise Invalid(_l("Expected true or false."))
        return value

    def _parse_decimal(self, value):
        """Text as the pattern of `schema` says (e.g. "59.97", at most `places`
        decimals), or a JSON number (rounded to `places`)."""
        if isinstance(value, bool) or not isinstance(value, str | int | float) or (
                isinstance(value, str) and not re.fullmatch(DECIMAL_TEXT, value)):
            raise Invalid(_l("Expected a decimal number, e.g. \"59.97\"."))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise Invalid(_l("Expected a decimal number, e.g. \"59.97\".")) from None
        if not number.is_finite():
            raise Invalid(_l("The number is out of range."))
        low, high = self.bounds()
        if not low - 1 < number < high + 1:  # before rounding a number of any size
            raise Invalid(limits.number_problem(number, low, high))
        if isinstance(value, str) and not re.fullmatch(self.decimal_pattern(), value):
            number = number.quantize(Decimal(1).scaleb(-self.places))  # the range's message
            self._in_range(number)  # first, else: too many decimals
            raise Invalid(_l("Expected a decimal number, e.g. \"59.97\"."))
        return self._in_range(number.quantize(Decimal(1).scaleb(-self.places)))

    def decimal_pattern(self) -> str:
        return limits.decimal_pattern(*self.bounds(), self.places)

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
        if not isinstance(value, list) or len(value) > self.extra.get("max_items", MAX_ITEMS):
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
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise Invalid(_l("Expected a list of ids."))
        item = Field(self.name, "integer", references=self.references or "id")
        return list(dict.fromkeys(item._parse_integer(v) for v in value))  # order kept

    def _parse_date(self, value):
        """A date of the years the app computes with (core.limits)."""
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and re.fullmatch(
                "[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else None
        except ValueError:
            day = None
        if day is None:
            raise Invalid(_l("Expected a date like 2026-01-31."))
        if not re.fullmatch(limits.DATE_PATTERN, value):
            raise Invalid(limits.date_problem(day))
        return day

    def _parse_datetime(self, value):
        """RFC 3339 (an offset, or none for UTC), kept in UTC as the database does."""
        if not isinstance(value, str) or not re.fullmatch(limits.DATETIME_PATTERN, value):
            year = re.match("[0-9]{4}", value) if isinstance(value, str) else None
            if year and not limits.YEAR_MIN <= int(year.group()) <= limits.YEAR_MAX:
                raise Invalid(limits.date_problem(date(max(int(year.group()), 1), 1, 1)))
            raise Invalid(_l("Expected a date and time like 2026-01-31T09:30:00Z."))
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(_l("Expected a date and time like 2026-01-31T09:30:00Z.")) from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment

    # -- OpenAPI ------------------------------------------------------------------------
    def schema(self, input: bool = False) -> dict:
        """The field's JSON Schema; `input`: as a request body takes it, with the limits
        that `parse` enforces (patterns, ranges, lengths), so that a value the document
        allows is never refused for its form."""
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
            if input:
                text["pattern"] = limits.TEXT_PATTERN
            return {"type": "object", "nullable": True, "additionalProperties": False,
                    "properties": {lang: dict(text) for lang in translatable.languages()},
                    "description": str(self.description)}
        if self.type == "objects":
            items = self.extra["items"]
            item = {"type": "object", "properties": {
                name: sub.schema(input) for name, sub in items.items()}}
            if input:
                item["additionalProperties"] = False
                required = [name for name, sub in items.items() if sub.required]
                if required:
                    item["required"] = required
                item.update(self.extra.get("item_rule", {}))  # e.g. one of two fields
            schema = {"type": "array", "items": item}
            if input:
                schema["maxItems"] = self.extra.get("max_items", MAX_ITEMS)
            if self.description:
                schema["description"] = str(self.description)
            return schema
        schema = dict(types[self.type])
        if self.nullable and self.type != "ids":
            schema["nullable"] = True
        if self.max_length:
            schema["maxLength"] = self.max_length
        if self.choices:
            schema["enum"] = list(self.choices) + ([None] if self.nullable else [])
        if input:
            schema = self._input_limits(schema)
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

    def _input_limits(self, schema: dict) -> dict:
        if self.type == "string" and self.format == "email":
            # an address (something@something) or nothing, which clears it: the pattern the
            # API checks, not JSON Schema's "email" format, which answers and older
            # addresses need not meet
            schema["pattern"] = limits.EMAIL_PATTERN
        elif self.type == "string" and not self.choices:
            schema["pattern"] = limits.FILLED_PATTERN if self.required else \
                limits.TEXT_PATTERN
            if self.required:
                schema["minLength"] = 1
        elif self.type == "integer" and not self.choices:
            schema["minimum"], schema["maximum"] = self.bounds()
        elif self.type == "ids":
            low, high = Field(self.name, "integer", references="id").bounds()
            schema["items"] = {"type": "integer", "minimum": low, "maximum": high}
            schema["maxItems"] = MAX_ITEMS
        elif self.type in ("decimal", "number"):
            low, high = self.bounds()
            text = {"type": "string", "pattern": self.decimal_pattern(), "example": "59.97"}
            number = {"type": "number", "minimum": _json_number(low),
                      "maximum": _json_number(high)}
            schema = {"anyOf": [text, number], **({"nullable": True} if self.nullable else {})}
        elif self.type == "date":
            schema["pattern"] = limits.DATE_PATTERN
        elif self.type == "datetime":
            schema["pattern"] = limits.DATETIME_PATTERN
        return schema

    def query_schema(self) -> dict:
        """The schema of `?name=value` (filtering): what `parse_query` takes."""
        if self.type == "integer":
            low, high = self.bounds()
            return {"type": "integer", "minimum": low, "maximum": high}
        if self.type == "boolean":
            return {"type": "string", "pattern": BOOL_PATTERN}
        if self.type in ("decimal", "number"):
            return {"type": "string", "pattern": self.decimal_pattern()}
        if self.type in ("date", "datetime"):
            pattern = limits.DATE_PATTERN if self.type == "date" else limits.DATETIME_PATTERN
            return {"type": "string", "pattern": pattern.replace("^", "^$|^", 1)}
        schema = {"type": "string"}
        if self.choices:
            schema["enum"] = ["", *self.choices]
        else:
            schema["pattern"] = limits.TEXT_PATTERN
            if self.max_length:
                schema["maxLength"] = self.max_length
        return schema


def _json_number(value):
    return int(value) if value == int(value) else float(value)


def every_language() -> bool:
    """The request asks for translatable fields in every language (`?translations=1`)."""
    return has_request_context() and request.args.get("translations", "").lower() in (
        "1", "true", "yes")


def parse_bool(text: str) -> bool:
    """A query string's true or false: what BOOL_PATTERN allows."""
    if not re.fullmatch(BOOL_PATTERN, text):
        raise Invalid(_l("Expected true or false."))
    return text.lower() in ("true", "1", "yes")


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
    if not re.fullmatch(INT_PATTERN, text):
        raise Invalid(_l("Expected a whole number."))
    return int(text)


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
    low = high = None
    if kind == "integer":
        low, high = limits.int_range(column)
    elif kind == "decimal":
        low, high, _places = limits.decimal_range(column)
    return Field(
        name=name, type=kind, column=attr, writable=writable, filterable=filterable,
        nullable=bool(column.nullable),
        required=writable and not column.nullable and not has_default,
        max_length=getattr(column.type, "length", None) if kind == "string" else None,
        places=getattr(column.type, "scale", None) or 2, minimum=low, maximum=high,
        choices=tuple(choices) if choices else None,
        references=info.get("references") or _fk_model(column),
        format=info.get("format"), description=info.get("label", ""),
        translatable=bool(info.get("translatable")), write_right=info.get("write_right"),
    )


def _fk_model(column) -> str | None:
    for fk in column.foreign_keys:
        return fk.column.table.name
    return None
