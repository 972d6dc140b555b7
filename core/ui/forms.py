"""Forms made from a model's columns, so a module declares which fields a form has rather
than writing a WTForms class for each model (it may still give its own class)."""
from __future__ import annotations

import sqlalchemy as sa
import wtforms
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from core import limits, translatable
from core.db import contains, db
from core.numbers import NumberField, WholeNumberField, is_money
from core.search import sort_key
from core.ui.localtime import LocalDateTimeField

LOOKUP_LIMIT = 100  # choices offered for a reference; more is for its search box (views.js)
LOOKUP_FROM = 30  # fixed choices (countries) from which a select gets a search box


def column_of(model, name: str):
    return getattr(model, name).property.columns[0]


def relation_of(model, name: str):
    """The many-to-many relationship called `name` (e.g. a partner's tags), or None."""
    prop = getattr(model, name).property
    return prop if isinstance(prop, sa.orm.RelationshipProperty) else None


# the columns every business table has (core.db.Model), labelled once for all of them
COMMON_LABELS = {"created_at": _l("Created on"), "updated_at": _l("Last updated"),
                 "created_by_id": _l("Created by")}


def label_of(model, name: str) -> str:
    relation = relation_of(model, name)
    info = relation.info if relation is not None else column_of(model, name).info
    return info.get("label") or COMMON_LABELS.get(name) or name.replace("_", " ").capitalize()


def id_value(text) -> int:
    """A record id from a request (`request.args.get("x", type=id_value)`): ids beyond
    what the database holds give None, like text does, never an overflow."""
    value = limits.parse_id(text)
    if value is None:
        raise ValueError(text)
    return value


def _optional_whole(value):
    """A number chosen in a select of fixed choices ("": none)."""
    return None if value in (None, "") else int(value)


def _optional_int(value):
    """A reference's id as a select posts it ("" or "0": none); ValueError (the field's
    error) for anything an id column cannot hold."""
    if value in (None, "", "None", "0", 0):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return id_value(value)


def reference_target(column):
    """The model a foreign key column points to, if a module registered it."""
    from core.modules import get_registry

    return get_registry().table_models.get(next(iter(column.foreign_keys)).column.table.name)


def reference_names(column, ids) -> dict:
    """id -> display name of the records a foreign key column points to, for the given
    ids only, in one query (the name column in the reader's language, else the id)."""
    return table_names(next(iter(column.foreign_keys)).column.table, ids)


def table_names(table, ids) -> dict:
    """id -> display name of a table's records, for the given ids only, in one query."""
    if not ids:
        return {}
    name = translatable.expression(table, "name") if "name" in table.c else table.c.id
    return dict(db.session.execute(
        sa.select(table.c.id, name).where(table.c.id.in_(ids))).all())


def reference_choices(column, chosen: int | None = None) -> list[tuple]:
    """(id, name) of the records a foreign key may point to, readable ones only."""
    target = reference_target(column)
    return [] if target is None else choices_of(target, chosen)


def choices_where(target, column) -> list:
    """The conditions a reference column's `info={"choices_where": {field: value}}` puts on
    the records it may point to (a person's company: `{"is_company": True}`), which
    pickers, their search and the save path (core.records) all apply."""
    return [getattr(target, name) == value
            for name, value in (column.info.get("choices_where") or {}).items()]


def choices_of(target, chosen: int | None = None, where=()) -> list[tuple]:
    """(id, name) of a model's active records the user may read (and meeting `where`): the
    first LOOKUP_LIMIT by name, and `chosen` when it is beyond them (picked by searching,
    see `lookup`)."""
    query, label = _readable(target)
    query = query.where(*where)
    choices = [(row[0], str(row[1])) for row in db.session.execute(
        query.order_by(*picker_order(target), sort_key(label)).limit(LOOKUP_LIMIT))]
    if chosen and all(chosen != choice[0] for choice in choices):
        row = db.session.execute(query.where(target.id == chosen)).first()
        if row is not None:
            choices.insert(0, (row[0], str(row[1])))
    return choices


def picker_order(target) -> list:
    """A model's own order for its pickers (`__order__ = ("sequence",)`: stages as the
    pipeline runs), before the name."""
    return [getattr(target, name) for name in getattr(target, "__order__", ())]


def lookup(target, text: str, limit: int = 20, where=()) -> list[tuple]:
    """(id, name) of the readable active records whose name holds `text` (and meeting
    `where`): what a picker's search box offers when the list cannot hold every record."""
    query, label = _readable(target)
    return [(row[0], str(row[1])) for row in db.session.execute(
        query.where(contains(label, text), *where).order_by(sort_key(label)).limit(limit))]


def name_of(target):
    """A model's records' names in the reader's language (their ids when they have none):
    what pickers and a list's groups show, search and sort by."""
    return translatable.expression(target, "name") if hasattr(target, "name") else target.id


def _readable(target):
    from core import access
    from core.modules import get_registry

    label = name_of(target)
    if getattr(target, "__model__", None) and target.__model__ in get_registry().access_table():
        query = access.select_for(target, "r", target.id, label)
    else:
        query = sa.select(target.id, label)
    if hasattr(target, "active"):
        query = query.where(target.active.is_(True))
    return query, label


def lookup_kw(model: str, field: str | None = None) -> dict:
    """Attributes that give a reference <select> a search box (views.js) asking
    `/lookup/<model>`, for when its list cannot hold every record; `field`
    ("partner.parent_id") narrows the search as that column's choices_where does.
    `model` "" gives a select of fixed choices (countries) a box filtering its own list."""
    url = url_for("home.lookup", model=model, field=field) if model else ""
    return {"data-lookup": url, "data-lookup-placeholder": _("Type to search")}


def lookup_attrs(model: str) -> Markup:
    """lookup_kw as HTML, for templates that write their own <select>."""
    return Markup("").join(Markup(' {}="{}"').format(k, v) for k, v in lookup_kw(model).items())


def multiselect_kw() -> dict:
    """Attributes that make a <select multiple> a searchable list of chips
    (static/js/multiselect.js); without script it stays a plain multiple select."""
    return {"data-multiselect": "", "data-multiselect-placeholder": _("Type to search"),
            "data-multiselect-remove": _("Remove %(name)s")}


class Select(widgets.Select):
    """WTForms' select, writing a plain option (no attributes of its own) directly: a
    contact's page has some 400 options (countries, people), and building each through
    html_params cost more than the rest of the form."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = escape(str(choice.value))  # as html_params writes it (True as "True")
        label = escape(choice.label or choice.value)
        return Markup(f'<option selected value="{value}">{label}</option>' if choice.selected
                      else f'<option value="{value}">{label}</option>')


class SelectField(wtforms.SelectField):
    widget = Select()


class ManyField(SelectMultipleField):
    """Several records of another model (a many-to-many): the form holds their ids."""

    widget = Select(multiple=True)

    def process_data(self, value):
        self.data = [getattr(v, "id", v) for v in value or []]


class TranslationsField(Field):
    """The other languages' values of a translatable field (core.translatable), edited
    beside it: an input per language, posted as `<name>-<lang>`; its data is
    {lang: text} of those filled in, what the model's `<field>_translations` stores."""

    def __init__(self, label=None, validators=None, translations_of: str = "",
                 text: bool = False, max_length: int | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.translations_of, self.text, self.max_length = translations_of, text, max_length
        self.entries = []

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors, self.raw_data = [], []
        stored = data if isinstance(data, dict) else {}
        self.object_data = stored
        kind = TextAreaField if self.text else StringField
        limit = [Length(max=self.max_length)] if self.max_length else []
        self.entries = []
        for lang in translatable.other_languages():
            entry = kind(translatable.language_name(lang), validators=[Optional(), *limit],
                         render_kw=self.render_kw).bind(
                form=None, name=f"{self.name}-{lang}", _meta=self.meta)
            entry.process(formdata, stored.get(lang))
            entry.lang = lang
            self.entries.append(entry)
        self.data = translatable.clean({e.lang: e.data for e in self.entries})

    def validate(self, form, extra_validators=()):
        self.errors = [f"{entry.label.text}: {error}" for entry in self.entries
                       if not entry.validate(form) for error in entry.errors]
        return not self.errors

    def __iter__(self):
        return iter(self.entries)

    def __call__(self, **kwargs):  # for a page that renders it on its own
        return Markup("").join(Markup(
            '<div class="input-group mb-1"><label class="input-group-text" for="{}">{}'
            '</label>{}</div>').format(e.id, e.label.text, e(class_="form-control"))
            for e in self.entries)


def translations_field_for(model, name: str) -> TranslationsField:
    column = column_of(model, name)
    return TranslationsField(label_of(model, name), translations_of=name,
                             text=isinstance(column.type, sa.Text),
                             max_length=getattr(column.type, "length", None))


class EmailAddress:
    """An email address by core.limits' one rule (the API's and the import's too), or
    nothing."""

    def __call__(self, form, field):
        if field.data and not limits.EMAIL_RE.match(field.data):
            raise ValidationError(_l("Invalid email address."))


class Fits:
    """A form field's value must fit its column as the save path checks it (core.limits:
    ranges, dates the app computes with, text without control characters)."""

    def __init__(self, column):
        self.column = column

    def __call__(self, form, field):
        problem = limits.problem(self.column, field.data)
        if problem is not None:
            raise ValidationError(str(problem))


def _offered(choices, blank: bool):
    """A select's choices, made per form: labels (and their order) in the reader's
    language (core.choices), "—" first where the column may be empty."""
    return lambda: [("", "—")] * blank + list(choices.items())


def field_for(model, name: str):
    if relation_of(model, name) is not None:
        return ManyField(label_of(model, name), coerce=int)
    column = column_of(model, name)
    info, label = column.info, label_of(model, name)
    required = not column.nullable and column.default is None and column.server_default is None
    presence = [DataRequired()] if required else [Optional()]
    if column.foreign_keys:
        return SelectField(label, coerce=_optional_int, validate_choice=False,
                           validators=[DataRequired()] if required else [])
    if info.get("choices"):  # an integer column's choices post as its numbers
        coerce = _optional_whole if isinstance(column.type, sa.Integer) else str
        return SelectField(label, choices=_offered(info["choices"], column.nullable),
                           coerce=coerce, validators=presence)
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return BooleanField(label)
    fits = Fits(column)
    if isinstance(kind, sa.Numeric | sa.Integer):  # typed as the user writes numbers
        typed = [InputRequired() if required else Optional(), fits]  # 0 is a value
        if isinstance(kind, sa.Integer):
            return WholeNumberField(label, validators=typed)
        return NumberField(label, places=2 if kind.scale is None else kind.scale,
                           amount=is_money(column), validators=typed)
    if isinstance(kind, sa.DateTime):
        return LocalDateTimeField(label, validators=[*presence, fits])  # the user's time
    if isinstance(kind, sa.Date):
        return DateField(label, validators=[*presence, fits])
    validators = [*presence, fits]
    if getattr(kind, "length", None):
        validators.append(Length(max=kind.length))
    if info.get("format") == "email":
        validators.append(EmailAddress())
    if isinstance(kind, sa.Text):
        return TextAreaField(label, validators=validators)
    return StringField(label, validators=validators)


def hidden_field_for(model, name: str):
    """A value the page carries but the user does not edit (e.g. the record an activity is
    about, given by the link that opened the form)."""
    kind = IntegerField if isinstance(column_of(model, name).type, sa.Integer) else StringField
    return kind(label_of(model, name), widget=HiddenInput(), validators=[Optional()])


def model_form(model, fields: list[str], hidden: tuple[str, ...] = ()) -> type[FlaskForm]:
    attrs = {}
    for name in fields:  # a translatable field's other languages right after it
        attrs[name] = field_for(model, name)
        if relation_of(model, name) is None and column_of(model, name).info.get(
                "translatable"):
            attrs[translatable.translations_name(name)] = translations_field_for(model, name)
    attrs.update({name: hidden_field_for(model, name) for name in hidden})
    return type(f"{model.__name__}Form", (FlaskForm,), attrs)


def prepare(form: FlaskForm, model) -> FlaskForm:
    """Fill the choices of reference fields (per request: they depend on the user), and
    show a translatable field with its other languages beside it."""
    for name, field in form._fields.items():
        if isinstance(field, TranslationsField) and field.translations_of in form._fields:
            form[field.translations_of].translations = field
            form[field.translations_of].language = translatable.language_name(
                translatable.default_language())
            continue
        if isinstance(field, ManyField):
            field.choices = choices_of(relation_of(model, name).mapper.class_)
            field.render_kw = {**(field.render_kw or {}), **multiselect_kw()}
            continue
        is_reference = isinstance(field, wtforms.SelectField) and field.coerce is _optional_int
        if hasattr(model, name) and is_reference:
            column = column_of(model, name)
            target = reference_target(column)
            chosen = field.data if isinstance(field.data, int) else None
            field.choices = [("", "—")] + (choices_of(
                target, chosen, choices_where(target, column)) if target else [])
            if target is not None:
                narrowed = f"{model.__model__}.{name}" if column.info.get(
                    "choices_where") else None
                field.render_kw = {**(field.render_kw or {}),
                                   **lookup_kw(target.__model__, narrowed)}
        elif isinstance(field, wtforms.SelectField) and len(field.choices) >= LOOKUP_FROM:
            field.render_kw = {**(field.render_kw or {}), **lookup_kw("")}
    return form


def form_values(form: FlaskForm, model, skip=(), related: dict | None = None) -> dict:
    """The values a submitted form gives the model's fields, for core.records.save: text
    trimmed (empty is None where the column allows it), chosen ids as records (`related`
    keeps those read, for a form refilled per row of an import)."""
    values = {}
    for name, field in form._fields.items():
        if name == "csrf_token" or name in skip or not hasattr(model, name):
            continue
        if getattr(field, "translations_of", None) in skip:  # locked with its field
            continue
        value = field.data
        if isinstance(field, TranslationsField):
            value = value or None
        elif isinstance(field, ManyField):  # ids -> records (choices held readable ones only)
            target = relation_of(model, name).mapper.class_
            key = (target, tuple(sorted(value or ())))
            read = related if related is not None else {}
            if key not in read:
                read[key] = db.session.execute(sa.select(target).where(
                    target.id.in_(key[1]))).scalars().all() if key[1] else []
            value = list(read[key])
        elif isinstance(value, str):
            value = value.strip() or (None if column_of(model, name).nullable else "")
        values[name] = value
    return values
