"""`backup` and `restore`: a round trip brings back the records and the attachments as they
were, on SQLite and on PostgreSQL."""
from __future__ import annotations

import io
import json
import sqlite3
import stat
import tarfile
import threading

import pytest
import sqlalchemy as sa

from core import backup
from core.db import db
from core.partners.models import Partner

from ..conftest import init_db, make_app


def _names(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.execute(sa.select(Partner.name, Partner.city)
                                  .order_by(Partner.name)).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def _files(folder) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes()
            for f in sorted(folder.rglob("*")) if f.is_file()}


@pytest.fixture
def served(db_url, tmp_path):
    files = tmp_path / "attachments"
    app = make_app(db_url, ERP_ATTACHMENTS_DIR=str(files))
    init_db(app)
    with app.app_context():
        db.session.add_all([Partner(name="Công ty Hoa Sen", city="Hà Nội"),
                            Partner(name="上海明珠", city="上海"),
                            Partner(name="Blue River", city="Singapore")])
        db.session.commit()
    (files / "2026" / "05").mkdir(parents=True)
    (files / "2026" / "05" / "a1b2").write_bytes(b"%PDF-1.4 quotation")
    yield app, files
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_restore_brings_back_records_and_attachments(served, tmp_path):
    app, files = served
    before, files_before = _names(app), _files(files)
    runner = app.test_cli_runner()
    target = tmp_path / "backups" / "erp.tar.gz"
    done = runner.invoke(args=["backup", str(target)])
    assert done.exit_code == 0, done.output
    assert "backup written to" in done.output and "1 attachment)" in done.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # password hashes, customers' data
    manifest = backup.read_manifest(target)
    dialect = db_url_dialect(app)
    assert manifest["database"]["dialect"] == dialect
    assert manifest["revisions"] and manifest["modules"] == {}  # core alone, no module

    # afterwards: a record deleted, one changed, one added, a table made, files changed
    with app.app_context():
        db.session.execute(sa.delete(Partner).where(Partner.name == "Blue River"))
        db.session.execute(sa.update(Partner).where(Partner.name == "上海明珠")
                           .values(city="北京"))
        db.session.add(Partner(name="Made after the backup"))
        db.session.execute(sa.text("CREATE TABLE stray_module_table (id integer)"))
        db.session.commit()
    (files / "2026" / "05" / "a1b2").unlink()
    (files / "later.txt").write_bytes(b"later")
    assert _names(app) != before

    refused = runner.invoke(args=["restore", str(target)], input="n\n")
    assert refused.exit_code != 0 and _names(app) != before  # asked, and nothing done
    done = runner.invoke(args=["restore", str(target), "--yes"])
    assert done.exit_code == 0, done.output
    assert _names(app) == before
    assert _files(files) == files_before
    with app.app_context():
        assert "stray_module_table" not in sa.inspect(db.engine).get_table_names()
        db.session.remove()
    # the same app keeps serving the restored database
    client = app.test_client()
    client.post("/login", data={"login": "admin", "password": "admin"})
    assert "上海明珠" in client.get("/contacts/partners").text


def db_url_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def test_backup_into_a_folder_takes_a_dated_name(served, tmp_path):
    app, _files_dir = served
    done = app.test_cli_runner().invoke(args=["backup", str(tmp_path)])
    assert done.exit_code == 0, done.output
    made = list(tmp_path.glob("erp-*.tar.gz"))
    assert len(made) == 1
    with tarfile.open(made[0]) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "attachments/2026/05/a1b2" in names
    assert {"database.sqlite3", "database.pgdump"} & set(names)


def test_a_backup_of_another_kind_of_database_is_refused(served, tmp_path):
    app, _files_dir = served
    other = "postgresql" if db_url_dialect(app) == "sqlite" else "sqlite"
    path = tmp_path / "other.tar.gz"
    data = json.dumps({"format": 1, "created_at": "2026-01-01T00:00:00+00:00",
                       "database": {"dialect": other, "file": "database.x"},
                       "revisions": [], "modules": {}, "attachments": 0}).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    done = app.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert done.exit_code == 1
    assert f"the backup is of a {other} database" in done.output


def test_a_file_that_is_not_a_backup_is_refused(served, tmp_path):
    app, _files_dir = served
    path = tmp_path / "notes.tar.gz"
    path.write_bytes(b"not a tarball")
    done = app.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert done.exit_code == 1 and "is not a backup made by `backup`" in done.output


def test_missing_postgresql_tools_are_named(tmp_path):
    with pytest.raises(backup.BackupError, match="pg_dump not found in ERP_PG_BIN_DIR"):
        backup.pg_tool("pg_dump", tmp_path)
    assert backup.pg_tool("pg_restore").endswith("pg_restore")  # installed on this machine


def test_a_sqlite_backup_is_consistent_while_the_app_writes(tmp_path):
    """The online backup API copies one snapshot while another connection keeps writing."""
    app = make_app(f"sqlite:///{tmp_path / 'busy.sqlite3'}",
                   ERP_ATTACHMENTS_DIR=str(tmp_path / "files"))
    init_db(app)
    stop = threading.Event()
    written = []

    def writer():
        with app.app_context():
            while not stop.is_set():
                db.session.add(Partner(name=f"p{len(written)}"))
                db.session.commit()
                written.append(1)
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 50:
            stop.wait(0.01)
        with app.app_context():
            path, _manifest = backup.backup(tmp_path / "busy.tar.gz")
    finally:
        stop.set()
        thread.join()
    with tarfile.open(path) as tar:
        tar.extract("database.sqlite3", tmp_path / "out", filter="data")
    copy = sqlite3.connect(tmp_path / "out" / "database.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    count = copy.execute("SELECT count(*) FROM partner").fetchone()[0]
    assert 50 <= count <= len(written)
    copy.close()
    with app.app_context():
        db.engine.dispose()
