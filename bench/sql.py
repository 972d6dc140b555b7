"""What a page costs against the SQL it runs: capture every statement one request sends
(text and parameters, with a `before_cursor_execute` listener), then send the same
statements again on a plain DBAPI connection, fetching every row, and time them. The page
time over that raw time is what the app adds: Python, the ORM, templates. Also: an app on
a SQLite file or on a database URL, and bulk inserts that use COPY on PostgreSQL."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event


def is_url(db: str) -> bool:
    """A database URL (`postgresql+psycopg://...`, `sqlite:///...`) rather than a path."""
    return "://" in str(db)


def app_for(db: str | Path):
    """An app of its own on `db`: a SQLite file's path (made if missing) or a URL."""
    from bench.commands import BENCH_CONFIG, app_on

    if not is_url(db):
        return app_on(Path(db))
    from core import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": str(db), **BENCH_CONFIG})


def describe(db: str | Path) -> str:
    """`db` for a heading, without a password a URL may hold."""
    return sa.make_url(str(db)).render_as_string(hide_password=True) if is_url(db) else str(db)


@dataclass
class Capture:
    """The statements sent through an engine while it is open: (text, parameters,
    executemany) each, in order."""
    engine: sa.Engine
    statements: list[tuple[str, object, bool]] = field(default_factory=list)

    def _seen(self, _conn, _cursor, statement, parameters, _context, executemany):
        self.statements.append((statement, parameters, executemany))

    def __enter__(self) -> Capture:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def capture(engine, func) -> list[tuple[str, object, bool]]:
    """Every statement `func()` sends through `engine`."""
    with Capture(engine) as seen:
        func()
    return seen.statements


# transaction control: the replay runs each round in one transaction of its own
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def replay_ms(engine, statements, repeat: int) -> float:
    """The median time, in ms, of sending all `statements` once more, in order, on a plain
    DBAPI connection and fetching all their rows. Each round runs in one transaction,
    rolled back (a page may write: a sign-in's last-seen time, a token's last use); the
    page's own BEGIN, COMMIT and savepoints are left out."""
    work = [s for s in statements if not s[0].lstrip().upper().startswith(CONTROL)]
    if not work:
        return 0.0
    raw = engine.raw_connection()  # from the pool: SQLite's functions are registered on it
    sqlite = engine.dialect.name == "sqlite"  # autocommit there (core.db): BEGIN by hand
    times = []
    try:
        for _ in range(max(repeat, 1)):
            cursor = raw.cursor()
            if sqlite:
                cursor.execute("BEGIN")
            start = time.perf_counter()
            for text, parameters, many in work:
                if many:
                    cursor.executemany(text, parameters)
                else:
                    cursor.execute(text, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
            cursor.close()
            raw.rollback()
    finally:
        raw.close()
    return statistics.median(times)


def copy_rows(session, table: sa.Table, rows: list[dict]) -> bool:
    """`rows` into `table` with COPY, on PostgreSQL through psycopg (the session's
    connection and transaction); False elsewhere, for the caller's executemany. Every row
    has the same keys."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        return False
    if not rows:
        return True
    names = list(rows[0])
    # the columns' Python-side defaults, which an INSERT would have applied
    defaults = {column.name: column.default for column in table.columns
                if column.name not in names and column.default is not None
                and not column.primary_key}
    fixed = [d.arg if d.is_scalar else d.arg(None) for d in defaults.values()]
    columns = ", ".join(f'"{name}"' for name in [*names, *defaults])
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([*(row[name] for name in names), *fixed])
    return True


def follow_ids(session, tables) -> None:
    """On PostgreSQL, each table's id sequence moved past the ids inserted by hand, so the
    app's own inserts do not collide; ANALYZE on both databases, so the planner knows the
    new rows."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        for table in tables:
            session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM \"{table}\"), 0) + 1, false)"))
    session.execute(sa.text("ANALYZE"))
    session.commit()
