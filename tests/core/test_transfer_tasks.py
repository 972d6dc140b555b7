"""Large CSV imports and exports are background tasks with progress; the import's preview
files are removed when the import is over and expire otherwise (the clean-up job)."""
from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import db
from core.notifications import Notification
from core.tasks import Task

from ..conftest import add_user, login
from .test_csv_transfer import upload
from .test_generic_views import SHELF, books  # noqa: F401  (the fixture)


@pytest.fixture(autouse=True)
def _own_instance(tmp_path, monkeypatch):
    """An instance folder of this test's own: the files in it are counted."""
    monkeypatch.setenv("ERP_INSTANCE_PATH", str(tmp_path / "instance"))


def count_books(app):
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(Book.id))).scalar()


def previews(app):
    folder = Path(app.instance_path) / "imports"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def preview(client, text):
    response = upload(client, SHELF, text)
    assert response.status_code == 200, response.text
    return response.text.split('name="token" value="')[1].split('"')[0]


def only_task(app, name: str) -> Task:
    with app.app_context():
        task = db.session.execute(sa.select(Task).where(Task.name == name)).scalar_one()
        db.session.expunge(task)
        return task


def test_a_large_import_is_a_task_with_progress(app, books, admin_client):  # noqa: F811
    app.config["ERP_IMPORT_INLINE_ROWS"] = 2
    uploaded = admin_client.post(f"{SHELF}/import", data={"file": (io.BytesIO(
        b"title,status\nEins,shelved\nZwei,reading\nDrei,shelved\n"), "books.csv")})
    check = only_task(app, "core.import_check")  # the upload's rows checked in the background
    assert uploaded.status_code == 302 and uploaded.location.endswith(f"/tasks/{check.id}")
    assert (check.state, check.done, check.total) == ("done", 3, 3)
    assert check.message == "3 rows are ready to import."
    token = check.link.split("token=")[1]
    assert len(previews(app)) == 2  # the file, and what its check found
    with app.app_context():
        add_user("ann", {"fx_library.user"})
        db.session.commit()
    ann = login(app.test_client(), "ann")  # another importer: not her file
    assert "That import has expired" in ann.get(check.link, follow_redirects=True).text
    page = admin_client.get(check.link)
    assert page.status_code == 200 and "3 rows are ready to import." in page.text
    done = admin_client.post(f"{SHELF}/import", data={"token": token})
    task = only_task(app, "core.import")
    assert done.status_code == 302 and done.location.endswith(f"/tasks/{task.id}")
    assert (task.name, task.state, task.done, task.total) == ("core.import", "done", 3, 3)
    assert task.message == "3 records imported: 3 created, 0 updated, 0 rejected."
    assert task.link == SHELF
    assert task.subject == "Books: 3 rows"
    assert count_books(app) == 7
    assert previews(app) == []  # removed once imported
    page = admin_client.get(done.location).text
    assert "3 records imported:" in page and f'href="{SHELF}"' in page
    with app.app_context():
        assert db.session.execute(sa.select(Notification.subject).order_by(
            Notification.id)).scalars().all() == ["Finished: CSV import check",
                                                   "Finished: CSV import"]
    again = admin_client.post(f"{SHELF}/import", data={"token": token}, follow_redirects=True)
    assert "That import has expired" in again.text and count_books(app) == 7  # once


def test_a_refused_large_import_imports_nothing_and_says_why(app, books):  # noqa: F811
    app.config["ERP_IMPORT_INLINE_ROWS"] = 1
    with app.app_context():
        add_user("ann", {"fx_library.user"})
        db.session.commit()
        from core.auth.models import User

        admin_id = db.session.execute(sa.select(User.id).where(User.login == "admin")).scalar()
    client = login(app.test_client(), "ann")
    token = preview(client, f"title,status,owner_id\nMine,shelved,\nSneaky,shelved,{admin_id}\n")
    done = client.post(f"{SHELF}/import", data={"token": token}, follow_redirects=True)
    assert "Nothing was imported: some rows would create records you may not create." in (
        done.text)
    task = only_task(app, "core.import")
    assert task.state == "failed" and task.attempts == 1  # an answer: not tried again
    assert count_books(app) == 4 and previews(app) == []


def test_a_large_export_is_a_file_to_download(app, books, admin_client):  # noqa: F811
    app.config["ERP_EXPORT_INLINE_ROWS"] = 2
    small = admin_client.get(f"{SHELF}/export.csv?f.status=reading")  # 2 rows: streamed
    assert small.status_code == 200 and small.text.count("\n") == 3
    large = admin_client.get(f"{SHELF}/export.csv?q=a&sort=-title")  # Atlas, Diary, Codex...
    task = only_task(app, "core.export")
    assert large.status_code == 302 and large.location.endswith(f"/tasks/{task.id}")
    assert (task.name, task.state, task.done, task.total) == ("core.export", "done", 3, 3)
    assert task.link == f"/tasks/{task.id}/file"
    csv = admin_client.get(task.link)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "shelf.csv" in csv.headers["Content-Disposition"]
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Title,") and [line.split(",")[0] for line in lines[1:]] == [
        "Diary", "Codex", "Atlas"]  # the filters and the order asked for
    clerk = login(app.test_client(), "clerk")
    assert clerk.get(task.link).status_code == 404  # someone else's file


def test_preview_files_expire(app, books, admin_client):  # noqa: F811
    from core.scheduler import run_job

    preview(admin_client, "title\nOld\n")
    preview(admin_client, "title\nNew\n")
    old, new = sorted(previews(app), key=lambda p: p.stat().st_mtime)
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    exports = Path(app.instance_path) / "exports"
    exports.mkdir(exist_ok=True)
    stale = exports / "task-999.csv"
    stale.write_text("x")
    os.utime(stale, (day_ago, day_ago))
    from core.db import utcnow

    with app.app_context():  # a job's finished task of two days ago, a user's of last week
        from datetime import timedelta

        from core.auth.models import User

        admin_id = db.session.execute(sa.select(User.id).where(User.login == "admin")).scalar()
        from core.scheduler import JobRun

        long_ago = utcnow() - timedelta(days=40)  # and a job's run of 40 days ago
        db.session.add_all([
            Task(name="core.job", state="done", finished_at=utcnow() - timedelta(days=2)),
            Task(name="core.import", state="done", user_id=admin_id,
                 finished_at=utcnow() - timedelta(days=7)),
            JobRun(job_id="core.deliver_mail", scheduled_at=long_ago, started_at=long_ago,
                   finished_at=long_ago, status="done")])
        db.session.commit()
    assert run_job(app, "core.clean_up") == "done"  # the hourly job, run by a worker
    assert previews(app) == [new] and not stale.exists()
    with app.app_context():
        from core.scheduler import JobRun

        run = db.session.execute(sa.select(JobRun)).scalar_one()
        assert run.message.startswith("2 files expired, 1 tasks and 1 job runs deleted")
        kept = db.session.execute(sa.select(Task.name, Task.user_id)).all()
        assert ("core.import", admin_id) in kept and ("core.job", None) in kept  # this run's


def test_a_large_imports_rejected_rows_download(app, books, admin_client):  # noqa: F811
    app.config["ERP_IMPORT_INLINE_ROWS"] = 1
    page = upload(admin_client, SHELF, "title,status\nFresh,shelved\n,reading\n")
    assert page.status_code == 200 and "Import the valid rows (1)" in page.text
    token = page.text.split('name="token" value="')[1].split('"')[0]
    admin_client.post(f"{SHELF}/import", data={"token": token, "mode": "valid"})
    task = only_task(app, "core.import")
    assert task.message == "1 records imported: 1 created, 0 updated, 1 rejected."
    rejected = admin_client.get(task.link)  # written by the worker, for the user
    assert rejected.status_code == 200 and rejected.mimetype == "text/csv"
    assert rejected.data.decode("utf-8-sig").splitlines()[1].startswith(",reading,")
    assert login(app.test_client(), "clerk").get(task.link).status_code in (403, 404)
