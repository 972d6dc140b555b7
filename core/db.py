"""The database: one Flask-SQLAlchemy object, the model base every module builds on, and
the engine settings that make SQLite a sound embedded database."""
from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import g, has_app_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# search paths import contains from here
from core.search import contains as contains
from core.search import register_sqlite, watch_postgresql

# Named constraints let migrations drop and alter them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def signed_in_user_id() -> int | None:
    """Column default for an owner: whoever is signed in when the record is made (nobody
    in a command or a job)."""
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


class Model(db.Model):
    """A business record: `__model__ = "sale.order"` names it (table `sale_order`) and it
    gets the columns every business table has."""

    __abstract__ = True
    __model__: str

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return cls.__model__.replace(".", "_")

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True, sort_order=90)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, sort_order=91)

    def __init_subclass__(cls, **kwargs):
        # translatable columns get their JSON column of the other languages' values
        from core.translatable import add_columns

        add_columns(cls)
        super().__init_subclass__(**kwargs)

    def delete_refusal(self) -> str | None:
        """Why this record may not be deleted (e.g. a posted invoice), or None. Pages and
        the API ask before deleting."""
        return None

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True,
                             sort_order=92)


def configure_engine(engine: sa.Engine) -> None:
    """SQLite: WAL, foreign keys, a busy timeout, and real transactions around DDL (pysqlite
    otherwise commits before every CREATE/DROP, so a failed module enable could leave half
    its tables behind). PostgreSQL: its collations read on the first connection."""
    if engine.dialect.name == "postgresql":
        watch_postgresql(engine)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        # The busy timeout first: even the journal-mode pragma may have to wait for a
        # writer, and without it a new connection fails at once with "database is locked".
        cur.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        register_sqlite(dbapi_conn)  # accent-blind search, sorting (core.search)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_begin_immediate") or writing()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_writing() -> None:
    """Make this request's (or job's) transactions writers, from the next one on and until
    its app context ends: commits in between (an API token's last use, a scheduler step)
    do not turn the next transaction back into a reader. On SQLite a transaction that read
    first and then writes gets "database is locked" at once, without waiting, when another
    connection wrote since it began (it could not see that write); one begun IMMEDIATE
    takes the write lock first, waits its turn (busy timeout), and then reads what the
    writer before it committed. A transaction already under way stays as it began. Do not
    open a second connection in a writing request: it would wait for the first.
    Elsewhere (PostgreSQL) this changes nothing."""
    if has_app_context():
        g._erp_writing = True
    if not db.session().in_transaction():
        db.session.connection(execution_options={"sqlite_begin_immediate": True})


def writing() -> bool:
    """Whether this app context's transactions begin as writers (begin_writing)."""
    return has_app_context() and g.get("_erp_writing", False)


def end_writing() -> None:
    """The rest of this app context only reads (e.g. the page telling that the database
    was busy: it must not wait for the write lock it could not get)."""
    if has_app_context():
        g._erp_writing = False


# SQLite's "database is locked" (SQLITE_BUSY) and "table is locked" (SQLITE_LOCKED);
# PostgreSQL's serialization failure, deadlock and lock timeout (SQLSTATE)
_SQLITE_BUSY = {5, 6}
_PG_CONTENTION = {"40001", "40P01", "55P03"}


def is_contention(exc: BaseException) -> bool:
    """`exc` says another transaction held what this one needed: the transaction was
    rolled back and may be run again, it is not a fault of the request."""
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY
    if getattr(orig, "sqlstate", None) in _PG_CONTENTION:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def retry_writes(write, attempts: int = 5) -> None:
    """Do `write()` and commit, in a writer transaction, retrying when SQLite answers
    "database is locked" under a burst of writers (the scheduler, workers, requests)."""
    for attempt in range(attempts):
        begin_writing()
        try:
            write()
            db.session.commit()
            return
        except sa.exc.OperationalError:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def insert_rows(records: list[Model]) -> None:
    """INSERT new records of one model by executemany, without reading their ids back.
    The unit of work would send one INSERT per row on SQLite (it cannot match a multi-row
    RETURNING to its objects there); for child rows that nobody reads back within the
    operation, such as order and invoice lines, this is one statement for all of them.
    Columns left unset take their defaults."""
    if not records:
        return
    mapper = sa.inspect(type(records[0]))
    keys = [(attr.key, attr.columns[0].key) for attr in mapper.column_attrs
            if attr.key != "id"]
    rows = [{column: value for key, column in keys
             if (value := getattr(record, key)) is not None} for record in records]
    # an executemany takes one set of columns: a statement per run of alike rows keeps the
    # rows in order; the table's INSERT, since the ORM's bulk one costs twice as much
    for _columns, run in itertools.groupby(rows, key=lambda row: row.keys()):
        db.session.execute(mapper.local_table.insert(), list(run))


