"""Forms made from a model's columns, so a module declares which fields a form has rather
than writing a WTForms class for each model (it may still give its own class)."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from core.db import db

LOOKUP_LIMIT = 500  # choices offered for a reference; more is for search, not a select


def column_of(model, name: str):
    return getattr(model, name).property.columns[0]


def label_of(model, name: str) -> str:
    return column_of(model, name).info.get("label") or name.replace("_", " ").capitalize()


def _optional_int(value):
    if value in (None, "", "None", "0", 0):
        return None
    return int(value)


def reference_choices(column) -> list[tuple]:
    """(id, name) of the records a foreign key may point to, readable ones only."""
    from core import access
    from core.modules import get_registry

    fk = next(iter(column.foreign_keys))
    target = next((cls for cls in get_registry().models.values()
                   if getattr(cls, "__tablename__", None) == fk.column.table.name), None)
    if target is None:
        return []
    label = getattr(target, "name", target.id)
    if getattr(target, "__model__", None) and target.__model__ in get_registry().access_table():
        query = access.select_for(target, "r", target.id, label)
    else:
        query = sa.select(target.id, label)
    if hasattr(target, "active"):
        query = query.where(target.active.is_(True))
    rows = db.session.execute(query.order_by(label).limit(LOOKUP_LIMIT)).all()
    return [(row[0], str(row[1])) for row in rows]


def field_for(model, name: str):
    column = column_of(model, name)
    info, label = column.info, label_of(model, name)
    required = not column.nullable and column.default is None and column.server_default is None
    presence = [DataRequired()] if required else [Optional()]
    if column.foreign_keys:
        return SelectField(label, coerce=_optional_int, validate_choice=False,
                           validators=[DataRequired()] if required else [])
    if info.get("choices"):
        choices = [(k, v) for k, v in info["choices"].items()]
        if column.nullable:
            choices = [("", "—")] + choices
        return SelectField(label, choices=choices, validators=presence)
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return BooleanField(label)
    if isinstance(kind, sa.Numeric):
        return DecimalField(label, places=2, validators=presence + [
            NumberRange(min=Decimal("-1e13"), max=Decimal("1e13"))])
    if isinstance(kind, sa.Integer):
        return IntegerField(label, validators=presence + [NumberRange(-(2**31), 2**31 - 1)])
    if isinstance(kind, sa.DateTime):
        return DateTimeLocalField(label, format="%Y-%m-%dT%H:%M", validators=presence)
    if isinstance(kind, sa.Date):
        return DateField(label, validators=presence)
    validators = list(presence)
    if getattr(kind, "length", None):
        validators.append(Length(max=kind.length))
    if info.get("format") == "email":
        validators.append(Email(message=_l("Invalid email address.")))
    if isinstance(kind, sa.Text):
        return TextAreaField(label, validators=validators)
    return StringField(label, validators=validators)


def model_form(model, fields: list[str]) -> type[FlaskForm]:
    attrs = {name: field_for(model, name) for name in fields}
    return type(f"{model.__name__}Form", (FlaskForm,), attrs)


def prepare(form: FlaskForm, model) -> FlaskForm:
    """Fill the choices of reference fields (per request: they depend on the user)."""
    for name, field in form._fields.items():
        is_reference = isinstance(field, SelectField) and field.coerce is _optional_int
        if hasattr(model, name) and is_reference:
            column = column_of(model, name)
            field.choices = [(None, "—")] + reference_choices(column)
    return form


def save(form: FlaskForm, record) -> None:
    for name, field in form._fields.items():
        if name == "csrf_token" or not hasattr(type(record), name):
            continue
        value = field.data
        if isinstance(value, str):
            value = value.strip() or (None if column_of(type(record), name).nullable else "")
        setattr(record, name, value)
