"""Text as people search and sort it: "nguyen" finds "Nguyễn" and "dang" finds "Đặng" (no
accents, no case, on both databases), and lists sort in the reader's language where the
database has the collation, PostgreSQL's ICU (docs/decisions.md, "Search without
accents"); `sort_text` orders names held in Python (a picker's countries) the same way."""
from __future__ import annotations

import unicodedata
import weakref

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles


def _fold_table() -> dict[int, str | None]:
    """Each accented Latin letter (either case) to its plain lower-case letter, and the
    combining marks (text typed decomposed) to nothing."""
    table: dict[int, str | None] = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base != chr(code) and base.isascii() and base.isalpha():
            table[code] = base.lower()
    # letters with a stroke have no decomposition
    table.update({ord(c): p for c, p in zip("đĐøØłŁħĦıŧŦƀ", "ddoollhhittb", strict=True)})
    table.update({code: None for code in range(0x300, 0x370)})
    return table


FOLD = _fold_table()
# the same mapping for PostgreSQL's translate(): characters beyond TO's length are deleted
_FROM = "".join(chr(c) for c, p in FOLD.items() if p) + "".join(
    chr(c) for c, p in FOLD.items() if not p)
_TO = "".join(p for p in FOLD.values() if p)


def fold(text: str | None) -> str | None:
    """`text` as search compares it; erp_fold in SQL does the same to a column."""
    return text if text is None else text.lower().translate(FOLD)


class folded(sa.sql.functions.GenericFunction):
    """A column folded (`fold`) in SQL: a function registered on each SQLite connection,
    lower() and translate() on PostgreSQL, which needs no extension."""
    type = sa.String()
    name = "erp_fold"
    inherit_cache = True


@compiles(folded, "postgresql")
def _folded_postgresql(element, compiler, **kw):
    return f"translate(lower({compiler.process(element.clauses, **kw)}), '{_FROM}', '{_TO}')"


def contains(column, text: str):
    """`column` holds `text`, ignoring case and accents, with LIKE's wildcards taken
    literally (someone searching "50%" means the characters)."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return folded(column).like(f"%{escaped}%", escape="\\")


SEPARATOR = "\x1f"  # the unit separator: not typed, and a control character text refuses


def contains_any(columns, text: str):
    """One of `columns` holds `text` (ignoring case and accents): a list's search box. On
    SQLite the columns are joined and folded in one call per row (a call per column made
    a search of 100,000 contacts cost a second); a separator no one types keeps a match
    from spanning two of them."""
    from core.db import db

    if len(columns) == 1 or db.engine.dialect.name != "sqlite":
        return sa.or_(*(contains(column, text) for column in columns))
    parts = [sa.func.coalesce(sa.cast(column, sa.String), "") for column in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(SEPARATOR).op("||")(part)
    return contains(joined, text.replace(SEPARATOR, ""))


# -- sorting ---------------------------------------------------------------------------
# Vietnamese letters of their own, each after its plain letter: a ă â, d đ, e ê, o ô ơ, u ư
_VI_LETTERS = {"\u0306": "\x80", "\u0302": "\x81", "\u031b": "\x82", "đ": "d\x80"}


def sort_text(text: str | None, language: str) -> str | None:
    """A key whose plain order is `text`'s order in `language`: Vietnamese by its alphabet
    (Dương, Đặng, Đỗ, E...), other languages with accents and case after the letters
    ("Đặng" among the D's). The text itself breaks ties."""
    if text is None:
        return None
    if language != "vi":
        return f"{fold(text)}\x01{text}"
    letters = "".join(_VI_LETTERS.get(c, c) for c in unicodedata.normalize("NFD", text.lower())
                      if c in _VI_LETTERS or not unicodedata.combining(c))  # no tone marks
    return f"{letters}\x01{text}"


def register_sqlite(dbapi_conn) -> None:
    """What search calls on a new SQLite connection."""
    dbapi_conn.create_function("erp_fold", 1, fold, deterministic=True)


_ICU: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ICU_QUERY = "select collname from pg_collation where collprovider = 'i'"


def watch_postgresql(engine) -> None:
    """Read the database's ICU collations on the engine's first connection, so no request
    pays (or counts) that query."""

    @sa.event.listens_for(engine, "first_connect")
    def _read(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute(_ICU_QUERY)
        _ICU[engine] = {row[0] for row in cur.fetchall()}
        cur.close()
        dbapi_conn.rollback()  # the connection goes to the pool outside a transaction


def _icu_collations(engine) -> set[str]:
    """The ICU collations a PostgreSQL database has (none when PostgreSQL was built
    without ICU)."""
    if engine not in _ICU:  # an engine not made by core.db
        with engine.connect() as conn:
            _ICU[engine] = set(conn.exec_driver_sql(_ICU_QUERY).scalars())
    return _ICU[engine]


def sort_key(expr):
    """`expr` as lists, pickers and the API order and page it: text in the reader's
    language (a value compared with it must go through here too); anything else as it
    is. PostgreSQL: the language's ICU collation, where the database has it (zh-x-icu is
    pinyin order). SQLite keeps its binary order, which its indexes serve: a key computed
    per row in Python made every sorted list read the whole table (600 ms for the first
    page of 100,000 contacts)."""
    if not isinstance(getattr(expr, "type", None), sa.String):
        return expr
    from core.db import db
    from core.translatable import current_language

    engine, language = db.engine, current_language().split("_")[0]
    if engine.dialect.name != "postgresql":
        return expr
    # und-x-icu: the root order, accents after the letters
    name = next((name for name in (f"{language}-x-icu", "und-x-icu")
                 if name in _icu_collations(engine)), None)
    return expr if name is None else sa.collate(expr, name)
