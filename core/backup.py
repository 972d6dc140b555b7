"""Backups (`backup`, `restore`): one .tar.gz holding the database, the attachments folder
and a small manifest.

    manifest.json       format, when, the database kind, its schema revisions and modules
    database.sqlite3    SQLite: a copy made by SQLite's online backup API, consistent while
                        the app writes
    database.pgdump     PostgreSQL: `pg_dump -Fc`, restored by `pg_restore`
    attachments/...     the files under ERP_ATTACHMENTS_DIR

Restoring puts the database back exactly as it was backed up (tables made since are
dropped) and replaces the attachments folder. The instance's config.py (its secret key)
is not in the backup: keep a copy of it apart."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from core.db import db
from core.timeline import attachments_dir

FORMAT = 1
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments"
DATABASE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


def default_path() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(current_app.instance_path) / "backups" / f"erp-{stamp}.tar.gz"


def _dialect(engine: sa.Engine) -> str:
    name = engine.dialect.name
    if name not in DATABASE:
        raise BackupError(f"backups handle SQLite and PostgreSQL, not {name}")
    return name


def _sqlite_path(engine: sa.Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _close_connections() -> None:
    """Our own pooled connections would hold locks the copy or the restore waits for."""
    db.session.remove()
    db.engine.dispose()


# -- what the database says about itself -------------------------------------------------
def describe(engine: sa.Engine) -> dict:
    """Schema revisions (alembic_version) and the modules' states, when there are any."""
    out = {"revisions": [], "modules": {}}
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        if "alembic_version" in tables:
            out["revisions"] = sorted(conn.execute(
                sa.text("SELECT version_num FROM alembic_version")).scalars())
        if "core_module" in tables:
            out["modules"] = {name: {"state": state, "version": version} for name, state, version
                              in conn.execute(sa.text(
                                  "SELECT name, state, installed_version FROM core_module"))}
    return out


def _modules_counter(engine: sa.Engine) -> int:
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT value FROM core_state WHERE key = 'modules'")).scalar() or 0
    except sa.exc.DatabaseError:
        return 0


def _move_modules_counter(engine: sa.Engine, past: int) -> None:
    """Running processes reload the enabled set when the `modules` counter moves: set it
    past any value they may have seen, before or after the restore."""
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE core_state SET value = :v WHERE key = 'modules'"),
                         {"v": max(past, _counter_in(conn)) + 1})
    except sa.exc.DatabaseError:
        pass  # a backup from before `init`: there is no counter yet


def _counter_in(conn) -> int:
    return conn.execute(sa.text("SELECT value FROM core_state WHERE key = 'modules'")
                        ).scalar() or 0


# -- PostgreSQL's tools ------------------------------------------------------------------
def pg_tool(name: str, folder: str | Path | None = None) -> str:
    """The path of `pg_dump` or `pg_restore`: in `folder` (ERP_PG_BIN_DIR) when given,
    else the newest under /usr/lib/postgresql/*/bin (Debian: a newer pg_dump reads older
    servers, not the reverse), else on PATH."""
    if folder:
        found = Path(folder) / name
        if found.is_file() and os.access(found, os.X_OK):
            return str(found)
        raise BackupError(f"{name} not found in ERP_PG_BIN_DIR ({folder})")

    def version(path: Path) -> int:
        digits = re.match(r"\d+", path.parent.parent.name)
        return int(digits.group()) if digits else 0

    installed = sorted(Path("/").glob(PG_BIN_GLOB.lstrip("/") + f"/{name}"), key=version,
                       reverse=True)
    if installed:
        return str(installed[0])
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise BackupError(f"{name} not found: install PostgreSQL's client programs (Debian: "
                      f"apt-get install postgresql-client) or set ERP_PG_BIN_DIR to the "
                      f"folder that holds {name}")


def _pg_connection(engine: sa.Engine) -> tuple[str, dict]:
    """A libpq URI without the password, and an environment carrying it (so that it never
    shows in the process list)."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    return dsn, env


def _run(args: list[str], env: dict) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(args[0]).name} failed: " + " / ".join(message[-5:]))
    return done.stdout


# -- backing up --------------------------------------------------------------------------
def backup(path: Path | None = None) -> tuple[Path, dict]:
    """Write a backup of the app's database and attachments to `path` (a file, or a folder
    to put a dated file in); returns the file and its manifest."""
    engine = db.engine
    dialect = _dialect(engine)
    path = Path(path) if path else default_path()
    if path.is_dir():
        path = path / default_path().name
    path.parent.mkdir(parents=True, exist_ok=True)
    _close_connections()
    files = attachments_dir()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as scratch:
        dump = Path(scratch) / DATABASE[dialect]
        if dialect == "sqlite":
            _sqlite_copy(_sqlite_path(engine), dump)
        else:
            dsn, env = _pg_connection(engine)
            _run([pg_tool("pg_dump", current_app.config.get("ERP_PG_BIN_DIR")),
                  "--format=custom", "--file", str(dump), "--dbname", dsn], env)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"dialect": dialect, "file": DATABASE[dialect],
                         "bytes": dump.stat().st_size},
            **describe(engine),
            "attachments": sum(1 for f in files.rglob("*") if f.is_file())
            if files.is_dir() else 0,
        }
        partial = path.with_name(path.name + ".partial")
        # the backup holds password hashes and customers' data: only its owner reads it
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(datetime.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=DATABASE[dialect])
            if files.is_dir():
                tar.add(files, arcname=ATTACHMENTS)
        os.replace(partial, path)
    return path, manifest


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: one consistent snapshot, while other connections read and
    write. The copy is a single self-contained file (no WAL beside it)."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


# -- restoring ---------------------------------------------------------------------------
def read_manifest(path: Path) -> dict:
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.load(member)
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a backup made by `backup`: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r} is not "
                          f"{FORMAT}, the one this version reads")
    return manifest


def restore(path: Path) -> dict:
    """Replace the app's database and attachments with those of the backup at `path`;
    returns its manifest. Stop the web, scheduler and worker processes first: the
    restore waits for their transactions, and they keep whatever they cached."""
    manifest = read_manifest(path)
    engine = db.engine
    dialect = _dialect(engine)
    if manifest["database"]["dialect"] != dialect:
        raise BackupError(f"the backup is of a {manifest['database']['dialect']} database; "
                          f"this app's database is {dialect}")
    _close_connections()
    counter = _modules_counter(engine)
    files = attachments_dir()
    files.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=files.parent, prefix=".restore-") as scratch:
        scratch = Path(scratch)
        with tarfile.open(path, "r:gz") as tar:
            # "data": no absolute paths, no "..", no links out of the folder
            tar.extractall(scratch, filter="data")
        dump = scratch / manifest["database"]["file"]
        if dialect == "sqlite":
            _sqlite_restore(dump, _sqlite_path(engine))
        else:
            _pg_restore(engine, dump)
        engine.dispose()
        _move_modules_counter(engine, counter)
        restored = scratch / ATTACHMENTS
        restored.mkdir(exist_ok=True)
        _swap_folder(restored, files, scratch / "previous")
    return manifest


def _sqlite_restore(dump: Path, target: Path) -> None:
    """Copy the backup into the live file with the backup API: it takes the write lock,
    replaces every page, and other connections see the new content; a file copied over
    the database would leave them a stale WAL."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        dst.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"restoring into {target} failed: {exc}") from None
    finally:
        dst.close()
        src.close()


def _pg_restore(engine: sa.Engine, dump: Path) -> None:
    """pg_restore in one transaction (all or nothing), dropping and remaking the backup's
    objects; then the tables made since the backup (a module enabled later) are dropped,
    or enabling that module again would find them in the way."""
    dsn, env = _pg_connection(engine)
    tool = pg_tool("pg_restore", current_app.config.get("ERP_PG_BIN_DIR"))
    listing = _run([tool, "--list", str(dump)], env)
    kept = set()
    for line in listing.splitlines():
        # "215; 1259 16390 TABLE public core_user postgres"
        found = re.match(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", line)
        if found:
            kept.add(found.groups())
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--dbname", dsn, str(dump)], env)
    with engine.begin() as conn:
        schemas = {schema for schema, _table in kept} or {"public"}
        present = conn.execute(sa.text(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(:s)"),
            {"s": sorted(schemas)}).all()
        preparer = engine.dialect.identifier_preparer
        for schema, table in present:
            if (schema, table) not in kept:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {preparer.quote(schema)}."
                                     f"{preparer.quote(table)} CASCADE"))


def _swap_folder(new: Path, live: Path, aside: Path) -> None:
    """Put `new` where `live` is, by renames on one file system; the old folder goes. A
    folder that cannot be renamed (a mount point) has its content replaced instead."""
    try:
        if live.exists():
            os.replace(live, aside)
        os.replace(new, live)
    except OSError:
        if not live.exists():
            raise
        for entry in list(live.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        for entry in list(new.iterdir()):
            shutil.move(str(entry), live / entry.name)
    if aside.exists():
        shutil.rmtree(aside, ignore_errors=True)
