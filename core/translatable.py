"""Translatable fields: a text column whose value is kept per language (a product's name, a
pipeline stage's name, a payment term's name).

A model declares the column with `translatable(...)` (or `info={"translatable": True}`).
The column itself keeps the value in the deployment's default language
(`ERP_DEFAULT_LOCALE`), so unique constraints, indexes and every query that reads it as
it is keep working; the other languages go to a JSON column `<name>_translations`
(`{"vi": ..., "zh_CN": ...}`) that core.db.Model adds beside it (a module's migration
creates it). A reader sees the value in their language, else the default-language value:

    expression(Product, "name")      SQL, for selecting, searching, filtering, sorting
    value(product, "name")           the same in Python, from a loaded record
    set_translations(product, "name", {"vi": "Cà phê"})    write (merging; "" removes)

Every generic view, picker, export and the API go through these, so a module declares a
translatable field and writes no code for it.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import MappedColumn, mapped_column

from core.db import db
from core.i18n import LANGUAGE_NAMES
from core.settings import get_setting

SUFFIX = "_translations"


# -- declaring -----------------------------------------------------------------------------
def translatable(*args, info: dict | None = None, **kwargs) -> MappedColumn:
    """`mapped_column(...)` of a text column kept per language."""
    return mapped_column(*args, info={**(info or {}), "translatable": True}, **kwargs)


def N_(text: str) -> str:
    """Marks a default record name for the catalogs: the record is made with its name in
    every language the catalogs translate it into (`default_row`), and each language is
    renamed on its own afterwards."""
    return text


def translations_name(name: str) -> str:
    return f"{name}{SUFFIX}"


def add_columns(cls) -> None:
    """Give each translatable column of a model being declared its JSON column of the
    other languages' values (called by core.db.Model for every model class)."""
    for klass in cls.__mro__:
        if klass is not cls and "__mapper__" in vars(klass):
            continue
        for key, attr in list(vars(klass).items()):
            if not isinstance(attr, MappedColumn) or not attr.column.info.get("translatable"):
                continue
            companion = translations_name(key)
            if companion not in vars(cls):
                label = attr.column.info.get("label")
                setattr(cls, companion, mapped_column(
                    sa.JSON(none_as_null=True), nullable=True,
                    info={"translations_of": key, **({"label": label} if label else {})}))


def fields_of(model) -> list[str]:
    """The translatable columns of a model class."""
    mapper = sa.inspect(model, raiseerr=False)
    if mapper is None or not hasattr(mapper, "column_attrs"):
        return []
    return [attr.key for attr in mapper.column_attrs
            if attr.columns[0].info.get("translatable")]


def is_translatable(model, name: str) -> bool:
    return name in fields_of(model)


# -- languages -----------------------------------------------------------------------------
def languages() -> list[str]:
    """The languages the deployment offers."""
    if has_app_context():
        return list(current_app.config["ERP_LOCALES"])
    return list(LANGUAGE_NAMES)


def default_language() -> str:
    """The language the column itself holds (fixed per deployment: changing it later does
    not move stored values)."""
    if has_app_context():
        return current_app.config.get("ERP_DEFAULT_LOCALE") or "en"
    return "en"


def other_languages() -> list[str]:
    """The languages kept in `<name>_translations`."""
    default = default_language()
    return [lang for lang in languages() if lang != default]


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, lang)


def current_language() -> str:
    """The reader's language as one of ours (`zh_CN`, not Babel's `zh_Hans_CN`): the
    request's locale (or one forced with `in_language`), else the default."""
    if not has_app_context():
        return default_language()
    from flask_babel import get_locale

    locale = get_locale()
    if locale is None:
        return default_language()
    offered = languages()
    code = "_".join(p for p in (locale.language, locale.territory) if p)
    if code in offered:
        return code
    return locale.language if locale.language in offered else default_language()


@contextmanager
def in_language(lang: str):
    """Messages, formats and translatable fields in `lang` for the block (a document
    printed in its customer's language)."""
    from flask_babel import force_locale

    with force_locale(lang):
        yield


def document_language(partner) -> str:
    """The language to write to a partner in: theirs, else their company's, else the
    deployment's."""
    offered = languages()
    for candidate in (getattr(partner, "lang", None), _parent_lang(partner)):
        if candidate in offered:
            return candidate
    if has_app_context():
        chosen = get_setting("default_locale")
        if chosen in offered:
            return chosen
    return default_language()


def _parent_lang(partner) -> str | None:
    parent_id = getattr(partner, "parent_id", None)
    if not parent_id:
        return None
    return db.session.execute(sa.select(type(partner).lang).where(
        type(partner).id == parent_id)).scalar()


# -- reading -------------------------------------------------------------------------------
def _columns(source, name: str):
    """(base, translations or None) of `name` on a model class, an aliased class, a table
    or an alias of one."""
    if isinstance(source, sa.sql.FromClause):
        base = source.c[name]
        companion = source.c.get(translations_name(name))
    else:
        base = getattr(source, name)
        companion = getattr(source, translations_name(name), None)
    column = getattr(base, "expression", base)
    if companion is None or not any(
            c.info.get("translatable") for c in getattr(column, "base_columns", ())):
        return base, None
    return base, companion


def expression(source, name: str, lang: str | None = None):
    """`name` in the reader's language (or `lang`), as SQL: the stored translation, else
    the default-language value. The column itself where `name` is not translatable or the
    reader reads the default language (so its index serves them)."""
    base, companion = _columns(source, name)
    lang = lang or current_language()
    if companion is None or lang == default_language():
        return base
    column = getattr(base, "expression", base)
    return sa.func.coalesce(sa.func.nullif(companion[lang].as_string(), ""), base,
                            type_=column.type)


def stored(record, name: str) -> dict:
    """The other languages' values kept for `name` (a copy)."""
    return dict(getattr(record, translations_name(name), None) or {})


def value(record, name: str, lang: str | None = None):
    """`name` of a loaded record in the reader's language (or `lang`), with the same
    fallback as `expression`; any other attribute as it is."""
    base = getattr(record, name)
    if not hasattr(type(record), translations_name(name)):
        return base
    lang = lang or current_language()
    if lang == default_language():
        return base
    return stored(record, name).get(lang) or base


def shown(mapping) -> str:
    """Translations as a person reads them (the timeline): "Tiếng Việt: Mới; 简体中文: 新建"."""
    return "; ".join(f"{language_name(lang)}: {text}" for lang, text in (mapping or {}).items())


def translated(record, name: str = "name"):
    """Jinja filter: `{{ term|translated }}`, `{{ product|translated('description') }}`."""
    return None if record is None else value(record, name)


# -- writing -------------------------------------------------------------------------------
def clean(mapping: dict | None) -> dict:
    """A translations mapping as stored: our other languages only, text trimmed, empty
    values left out (so the fallback applies, in SQL and in Python alike)."""
    offered = set(other_languages())
    return {lang: text.strip() for lang, text in (mapping or {}).items()
            if lang in offered and isinstance(text, str) and text.strip()}


def set_translations(record, name: str, mapping: dict) -> None:
    """Merge `mapping` ({lang: text}) into the record's translations of `name`; a language
    given as None or "" loses its value. The default language writes the column."""
    current = stored(record, name)
    default = default_language()
    for lang, text in mapping.items():
        text = text.strip() if isinstance(text, str) else None
        if lang == default:
            if text:
                setattr(record, name, text)
        elif text:
            current[lang] = text
        else:
            current.pop(lang, None)
    # a new dict: the JSON column sees assignments, not changes inside the old one
    setattr(record, translations_name(name), clean(current) or None)


def merged(record, name: str, mapping: dict) -> dict | None:
    """What `<name>_translations` becomes when `mapping` is merged into the record's (a
    new record: into nothing), for a save path that takes values (core.records.save)."""
    current = stored(record, name) if record is not None else {}
    for lang, text in mapping.items():
        if isinstance(text, str) and text.strip():
            current[lang] = text.strip()
        else:
            current.pop(lang, None)
    return clean(current) or None


def prepared(model, values: dict, record=None, lang: str | None = None) -> dict:
    """Values for core.records.save from a writer that names languages (the API):
    `<name>_translations` given as {lang: text, or None to remove} is merged into the
    record's, a default-language entry in it writes the column; and with `lang` (the API
    user's language when they do not ask for every language) a plain `name` is written in
    that language, becoming the default-language value too on a new record, so every
    record has a value each reader falls back to."""
    values = dict(values)
    default = default_language()
    for name in fields_of(model):
        companion = translations_name(name)
        given = companion in values
        # merged into the record's translations; given as null: into none (cleared)
        start = None if given and values[companion] is None else record
        mapping = dict(values.get(companion) or {})
        if lang and lang != default and isinstance(values.get(name), str):
            text = values.pop(name)
            mapping[lang] = text
            given = True
            if record is None:
                values[name] = text
        if not given:
            continue
        if isinstance(mapping.get(default), str) and mapping[default].strip():
            values[name] = mapping[default].strip()
        mapping.pop(default, None)
        values[companion] = merged(start, name, mapping)
    return values


# -- default records -----------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _catalog(folder: str, lang: str):
    from babel import support

    return support.Translations.load(folder, [lang])


def catalog_values(message: str, folder) -> dict[str, str]:
    """{lang: text} of an English message in the catalogs under `folder` (a module's
    translations/), for each of our languages it is translated into."""
    found = {}
    for lang in languages():
        if lang == "en":
            found[lang] = message
            continue
        text = _catalog(str(folder), lang).gettext(message)
        if text and text != message:
            found[lang] = text
    return found


def default_row(name: str, message: str, folder) -> dict:
    """The columns of a record a module creates with a default name (an English message
    its catalogs translate): the default-language value and the others' translations."""
    values = catalog_values(message, folder)
    default = default_language()
    base = values.get(default, message)
    others = {lang: text for lang, text in values.items()
              if lang != default and lang in other_languages() and text != base}
    return {name: base, translations_name(name): others or None}


def fill_defaults(connection, table: str, messages, folder, name: str = "name") -> int:
    """For a migration: records of `table` that still carry a default English name and no
    translations get the catalogs' translations. Returns how many were filled."""
    t = sa.table(table, sa.column("id"), sa.column(name),
                 sa.column(translations_name(name), sa.JSON(none_as_null=True)))
    filled = 0
    for message in messages:
        row = default_row(name, message, Path(folder))
        if not row[translations_name(name)] and row[name] == message:
            continue
        result = connection.execute(
            t.update().where(t.c[name] == message, t.c[translations_name(name)].is_(None))
            .values(row))
        filled += result.rowcount or 0
    return filled


# -- printed documents ---------------------------------------------------------------------
def printed_lines(lines, lang: str, product_table: str = "product") -> list[tuple]:
    """(line, text, details) of a document's lines printed in `lang`: a product line
    whose description is still the product's name (in any language) shows the name in
    `lang`, and the product's description in `lang` beneath it; a typed description
    stays as typed. The product model is whichever module registered `product_table`
    (a module that bills need not import the one that sells)."""
    from core.modules import get_registry  # the registry's models subclass core.db's Model

    model = get_registry().table_models.get(product_table)
    ids = {line.product_id for line in lines if getattr(line, "product_id", None)}
    products = {}
    if model is not None and ids:
        products = {p.id: p for p in db.session.execute(
            sa.select(model).where(model.id.in_(ids))).scalars()}
    printed = []
    for line in lines:
        product = products.get(getattr(line, "product_id", None))
        text, details = line.description, None
        if product is not None:
            names = {product.name, *stored(product, "name").values()}
            if line.description in names:
                text = value(product, "name", lang)
                if hasattr(product, "description"):
                    details = value(product, "description", lang)
        printed.append((line, text, details))
    return printed
