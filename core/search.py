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
    return folded(column).like(_like_pattern(text), escape="\\")


def _like_pattern(text: str) -> str:
    """LIKE's pattern for text holding `text` folded, its wildcards literal (ESCAPE \\)."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


SEPARATOR = "\x1f"  # the unit separator: not typed, and a control character text refuses


def contains_any(columns, text: str):
    """One of `columns` holds `text` (ignoring case and accents), by reading every row: a
    search of columns no index covers (`matching`). On SQLite the columns are joined and
    folded in one call per row (a call per column made a search of 100,000 contacts cost
    a second); a separator no one types keeps a match from spanning two of them."""
    from core.db import db

    if len(columns) == 1 or db.engine.dialect.name != "sqlite":
        return sa.or_(*(contains(column, text) for column in columns))
    parts = [sa.func.coalesce(sa.cast(column, sa.String), "") for column in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(SEPARATOR).op("||")(part)
    return contains(joined, text.replace(SEPARATOR, ""))


# -- the search index ------------------------------------------------------------------
# A model declares the columns its list searches, `__search__ = ("name", "email")`, and a
# migration builds their index with `create_index` (docs/decisions.md, "List search by an
# index"): a copy of those columns' text, folded and joined by SEPARATOR, in a trigram
# index. SQLite: an FTS5 table `<table>_search` (rowid = the record's id) that triggers keep
# exact in the writing transaction; PostgreSQL: a stored generated column `search_text`
# and a pg_trgm GIN index on it.
INDEXED_COLUMN = "search_text"  # PostgreSQL: the folded copy, a column the model does not map


def matching(model, names, text: str, expression=None):
    """Records of `model` whose columns `names` hold `text` (ignoring case and accents):
    a list's search box. Through the model's search index when `names` are among its
    declared `__search__` columns (the index finds the rows holding the text in any of
    them; a narrower search then checks its own columns among those few), else by reading
    every row (`contains_any`). `expression(name)`: the SQL of a column as the scan reads
    it (a translatable one in the reader's language)."""
    from core.db import db

    expression = expression or (lambda name: getattr(model, name))
    declared = tuple(getattr(model, "__search__", ()))
    dialect = db.engine.dialect.name
    if not names or not set(names) <= set(declared) or dialect not in ("sqlite", "postgresql"):
        return contains_any([expression(name) for name in names], text)
    table = model.__table__
    text = text.replace(SEPARATOR, "")
    if dialect == "sqlite":
        index = sa.table(index_table(table.name), sa.column("rowid"), sa.column("text"))
        folded_text = fold(text)
        # FTS5's trigrams find a text of 3 characters or more; SQLite 3.40's find nothing
        # for a shorter one of 3 bytes or more ("王", "æx"), so shorter texts and those
        # holding a wildcard are read from the table's folded copy, in C (`+`: no index)
        by_index = len(folded_text) >= 3 and not any(c in folded_text for c in "*?[")
        column = index.c.text if by_index else sa.literal_column(f"+{index.name}.text")
        found = table.c.id.in_(sa.select(index.c.rowid).where(
            column.op("GLOB")(_glob_pattern(text))))
    else:
        # a column of the table, though unmapped: what reads it knows whose it is
        column = sa.column(INDEXED_COLUMN, sa.String, _selectable=table)
        found = column.like(_like_pattern(text), escape="\\")
    if set(names) == set(declared):
        return found
    return sa.and_(found, contains_any([expression(name) for name in names], text))


def index_table(table: str) -> str:
    """SQLite: the FTS5 table holding `table`'s searched text."""
    return f"{table}_search"


def index_name(table: str) -> str:
    """PostgreSQL: the trigram index of `table`'s searched text."""
    return f"ix_{table}_search"


def _glob_pattern(text: str) -> str:
    """GLOB's pattern for text holding `text` folded, its wildcards (* ? [) literal. GLOB,
    not LIKE: FTS5 serves LIKE from its index only without an ESCAPE clause, and a case-
    sensitive trigram table (the text is folded already) serves GLOB only."""
    return "*" + "".join(f"[{c}]" if c in "*?[" else c for c in fold(text)) + "*"


def _joined(columns):
    """The columns' text joined by SEPARATOR, NULL as empty: what the index holds (its
    constants written out, for a generated column's DDL)."""
    empty, separator = sa.literal_column("''"), sa.literal_column(f"'{SEPARATOR}'")
    joined = None
    for column in columns:
        part = sa.func.coalesce(column, empty)
        joined = part if joined is None else joined.op("||")(separator).op("||")(part)
    return joined


def create_index(conn, table: str, columns) -> None:
    """Build (or build again) the search index of `table`'s `columns` (its model's
    `__search__`), for the rows already there too; a migration calls it with
    `op.get_bind()`. A migration that copies the table on SQLite (batch mode) drops its
    triggers with it: call this again after."""
    columns = tuple(columns)
    if conn.dialect.name == "sqlite":
        _create_fts(conn, table, columns)
    elif conn.dialect.name == "postgresql":
        _create_trigram(conn, table, columns)


def drop_index(conn, table: str) -> None:
    """Remove what `create_index` built (a migration's downgrade, before dropping the
    table)."""
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "sqlite":
        for event in ("insert", "update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {quote(f'{table}_search_{event}')}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(index_table(table))}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {quote(index_name(table))}")
        conn.exec_driver_sql(f"ALTER TABLE {quote(table)} DROP COLUMN IF EXISTS "
                             f"{INDEXED_COLUMN}")


def _create_fts(conn, table: str, columns) -> None:
    drop_index(conn, table)
    quote = conn.dialect.identifier_preparer.quote
    fts, source = quote(index_table(table)), quote(table)

    def text_of(row: str) -> str:
        joined = f" || '{SEPARATOR}' || ".join(
            f"coalesce({row}{quote(c)}, '')" for c in columns)
        return f"erp_fold({joined})"

    def trigger(event: str, when: str, body: str) -> None:
        conn.exec_driver_sql(f"CREATE TRIGGER {quote(f'{table}_search_{event}')} {when} "
                             f"ON {source} BEGIN {body} END")

    # case-sensitive: the text is folded already, and such a table serves GLOB by its index
    conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {fts} USING fts5(text, "
                         f"tokenize = 'trigram case_sensitive 1')")
    conn.exec_driver_sql(f"INSERT INTO {fts} (rowid, text) SELECT id, {text_of('')} "
                         f"FROM {source}")
    insert = f"INSERT INTO {fts} (rowid, text) VALUES (new.id, {text_of('new.')});"
    trigger("insert", "AFTER INSERT", insert)
    trigger("update", f"AFTER UPDATE OF id, {', '.join(quote(c) for c in columns)}",
            f"DELETE FROM {fts} WHERE rowid = old.id; {insert}")
    trigger("delete", "AFTER DELETE", f"DELETE FROM {fts} WHERE rowid = old.id;")


def _create_trigram(conn, table: str, columns) -> None:
    """The folded text as a stored generated column (PostgreSQL computes it on every write,
    once: its translate() costs 0.2 ms a row, too much to run on every row searched or on
    every candidate the index offers) and a trigram index on it."""
    import logging

    drop_index(conn, table)
    quote = conn.dialect.identifier_preparer.quote
    expression = folded(_joined([sa.column(c) for c in columns])).compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    conn.exec_driver_sql(f"ALTER TABLE {quote(table)} ADD COLUMN {INDEXED_COLUMN} text "
                         f"GENERATED ALWAYS AS ({expression}) STORED")
    have = conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if have.first() is None:
        try:
            with conn.begin_nested():  # pg_trgm is trusted: a database owner may add it
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except sa.exc.DBAPIError as exc:
            logging.getLogger(__name__).warning(
                "no pg_trgm (%s): %s is searched without an index", exc.orig, table)
            return
    conn.exec_driver_sql(f"CREATE INDEX {quote(index_name(table))} ON {quote(table)} "
                         f"USING gin ({INDEXED_COLUMN} gin_trgm_ops)")


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


SORTED_LANGUAGES = ("en", "vi", "zh")  # the shipped languages' orders, indexed below


def create_sorted_index(bind, table: str, column: str) -> None:
    """On PostgreSQL, an index of `column` in each shipped language's order (the collation
    `sort_key` picks), so that a list or picker sorted by it, or a list's groups paged by
    name, walks an index instead of sorting the table. Nothing on SQLite, whose binary
    order the plain index serves."""
    if bind.dialect.name != "postgresql":
        return
    present = set(bind.exec_driver_sql(_ICU_QUERY).scalars())
    names = [f"{language}-x-icu" for language in SORTED_LANGUAGES]
    if any(name not in present for name in names):
        names.append("und-x-icu")  # what a language without its own collation sorts by
    for name in names:
        if name in present:
            index = sorted_index_name(table, column, name.split("-")[0])
            bind.exec_driver_sql(f'CREATE INDEX IF NOT EXISTS {index} '
                                 f'ON {table} ({column} COLLATE "{name}", id)')


def sorted_index_name(table: str, column: str, language: str) -> str:
    return f"ix_{table}_{column}_{language}"


def drop_sorted_index(bind, table: str, column: str) -> None:
    if bind.dialect.name == "postgresql":
        for language in (*SORTED_LANGUAGES, "und"):
            bind.exec_driver_sql(
                f"DROP INDEX IF EXISTS {sorted_index_name(table, column, language)}")


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
