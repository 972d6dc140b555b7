"""Background tasks (core.tasks): declared by a module, queued at commit, run once per key,
as the user who queued it, with progress, retries with a growing wait, a notification; the
scheduler only queues; a worker process runs the queue; "My background tasks" and the API
show each user their own."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.modules import get_registry, lifecycle
from core.modules.models import StateCounter
from core.notifications import Notification
from core.tasks import Task, enqueue, queue_of
from core.tasks.queue import execute

from ..conftest import FIXTURE_PACKAGES, acting, add_user, init_db, login, make_app

COUNT = "fx_library.count_by_author"


@pytest.fixture
def library(app):
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
        db.session.add_all([Book(title="Atlas", author="Ann"), Book(title="Codex", author="Ann"),
                            Book(title="Bible", author="Ben")])
        add_user("lib", ["fx_library.user"])  # sees the books they own: none
        db.session.commit()
    return app


def runs(app) -> int:
    with app.app_context():
        counter = db.session.get(StateCounter, "fx_library.task_runs")
        return counter.value if counter else 0


def task_row(app, task_id) -> Task:
    with app.app_context():
        task = db.session.get(Task, task_id)
        db.session.expunge(task)
        return task


def queue(app, login_name, arguments, **options) -> int:
    """Queue the fixture's task as `login_name` and commit; its id."""
    with acting(app, login_name):
        task = enqueue(COUNT, arguments, **options)
        db.session.commit()
        return task.id


def test_a_task_runs_as_its_user_with_progress_and_tells_them(library):
    task_id = queue(library, "admin", {"author": "Ann"}, subject="Ann's books")
    task = task_row(library, task_id)
    assert task.state == "done" and task.attempts == 1
    assert task.message == "2 books by Ann, seen by admin"  # signed in as who queued it
    assert (task.done, task.total, task.link) == (2, 2, "/fx/books/shelf")
    assert task.started_at and task.finished_at and task.user_id is not None
    with library.app_context():
        note = db.session.execute(sa.select(Notification)).scalar_one()
        assert note.user_id == task.user_id and note.subject == "Finished: Count books"
        assert note.link == f"/tasks/{task_id}"


def test_progress_is_seen_while_the_task_runs(library):
    """Written on a connection of its own, so the task page sees it before the task's
    transaction ends; never waiting for a lock (SQLite: the task's own write lock)."""
    from core import tasks
    from core.db import begin_writing
    from core.modules.registry import TaskDef

    seen, waited = [], []

    def watched(author):
        for done in (1, 2, 3):
            tasks.progress(done, 3)
            with db.engine.connect() as conn:  # what the page reads meanwhile
                seen.append(tuple(conn.execute(sa.select(Task.done, Task.total)).one()))
        begin_writing()
        db.session.execute(sa.update(StateCounter).values(value=StateCounter.value))
        started = time.monotonic()
        tasks.progress(3, 4)  # the task holds the write lock now (SQLite)
        waited.append(time.monotonic() - started)
        return "watched"

    with library.app_context():
        registry = get_registry()
        registry.tasks[COUNT] = TaskDef(COUNT, "fx_library", watched)
    task_id = queue(library, "admin", {"author": "Ann"})
    assert seen[0] == (1, 3) and seen[-1] == (3, 3)  # (2 waits: one write a second at most)
    assert waited[0] < 1
    task = task_row(library, task_id)
    assert (task.state, task.done, task.total) == ("done", 4, 4)


def test_nothing_is_queued_by_a_rolled_back_change(library):
    with acting(library, "admin"):
        enqueue(COUNT, {"author": "Ann"})
        db.session.rollback()
    with library.app_context():
        assert db.session.execute(sa.select(sa.func.count(Task.id))).scalar() == 0
    assert runs(library) == 0


def test_the_same_key_runs_once(library):
    first = queue(library, "admin", {"author": "Ann"}, key="ann-once")
    second = queue(library, "admin", {"author": "Ann"}, key="ann-once")
    assert first == second and runs(library) == 1
    execute(library, first)  # the same message delivered again: the row is not queued
    assert runs(library) == 1
    with library.app_context():
        assert db.session.execute(sa.select(sa.func.count(Task.id))).scalar() == 1


def test_a_failing_task_is_retried_with_a_growing_wait_then_given_up(library):
    task_id = queue(library, "admin", {"author": "Ann", "fail": "error"}, key="flaky")
    first = task_row(library, task_id)
    assert first.state == "queued" and first.attempts == 1
    assert "the shelf fell over" in first.message
    wait = first.run_at - utcnow()
    assert timedelta(seconds=8) < wait <= timedelta(seconds=10)  # retry_delay=10
    execute(library, task_id)  # the worker takes the retry when it is due
    second = task_row(library, task_id)
    assert second.state == "queued" and second.attempts == 2
    assert timedelta(seconds=18) < second.run_at - utcnow() <= timedelta(seconds=20)  # doubled
    execute(library, task_id)
    last = task_row(library, task_id)
    assert last.state == "failed" and last.attempts == 3 and last.finished_at  # retries=2
    assert runs(library) == 3
    with library.app_context():
        note = db.session.execute(sa.select(Notification)).scalar_one()
        assert note.subject == "Failed: Count books" and "fell over" in note.body
    # queued again under its key: a failed task is tried afresh, in its own row
    assert queue(library, "admin", {"author": "Ann"}, key="flaky") == task_id
    again = task_row(library, task_id)
    assert (again.state, again.attempts, again.message) == ("done", 1,
                                                            "2 books by Ann, seen by admin")


def test_a_refusal_is_an_answer_not_retried(library):
    task_id = queue(library, "admin", {"author": "Ann", "fail": "refuse"})
    task = task_row(library, task_id)
    assert (task.state, task.attempts, task.message) == ("failed", 1, "No counting on Sundays")


def test_a_disabled_modules_task_does_not_run(library):
    with library.app_context():
        lifecycle.disable(get_registry(), ["fx_library"])
    task_id = queue(library, "admin", {"author": "Ann"})
    task = task_row(library, task_id)
    assert task.state == "failed" and "not enabled" in task.message
    assert runs(library) == 0


def test_each_user_sees_their_own_tasks(library, admin_client, clerk_client):
    mine = queue(library, "clerk", {"author": "Ann"})
    theirs = queue(library, "admin", {"author": "Ben"})
    page = clerk_client.get("/tasks/").text
    assert f'data-task="{mine}"' in page and f'data-task="{theirs}"' not in page
    assert "You may not do this." in page  # the clerk's own rights: no books to read
    assert clerk_client.get(f"/tasks/{theirs}").status_code == 404
    assert clerk_client.get(f"/tasks/{mine}").status_code == 200
    assert f'data-task="{mine}"' not in admin_client.get("/tasks/").text
    everyone = admin_client.get("/tasks/?all=1").text
    assert f'data-task="{mine}"' in everyone and f'data-task="{theirs}"' in everyone
    assert admin_client.get(f"/tasks/{mine}").status_code == 200


def test_the_api_reads_ones_own_tasks(library):
    from .test_api import Api, token_for

    mine = queue(library, "lib", {"author": "Ann"})
    queue(library, "admin", {"author": "Ben"})
    lib = Api(library.test_client(), token_for(library, "lib"))
    listed = lib("GET", "core.task?state=done").get_json()
    assert [t["id"] for t in listed["items"]] == [mine] and listed["total"] == 1
    assert listed["items"][0]["name"] == COUNT
    assert listed["items"][0]["message"] == "0 books by Ann, seen by lib"  # their rules
    assert lib("GET", "core.task?state=failed").get_json()["total"] == 0
    admin = Api(library.test_client(), token_for(library, "admin"))
    assert admin("GET", "core.task").get_json()["total"] == 2
    # read only, for everyone, and the API's document says so
    for who, method, path in ((lib, "POST", "core.task"), (admin, "POST", "core.task"),
                              (admin, "PATCH", f"core.task/{mine}"),
                              (admin, "DELETE", f"core.task/{mine}")):
        refused = who(method, path, {} if method != "DELETE" else None)
        assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
    document = admin("GET", "openapi.json").get_json()["paths"]
    assert set(document["/api/v1/core.task"]) - {"parameters"} == {"get"}
    assert set(document["/api/v1/core.task/{id}"]) - {"parameters"} == {"get"}


@pytest.fixture
def queued_app(db_url):
    """An app whose tasks go to a real queue (Huey's SQLite storage in the instance folder,
    a queue of its own) instead of running at once."""
    app = make_app(db_url, ERP_TASKS_IMMEDIATE=False, ERP_TASKS_QUEUE=f"t{uuid.uuid4().hex}")
    init_db(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def work(app) -> int:
    """Do what a worker does with every message on the queue now; how many it ran."""
    huey = queue_of(app).huey
    done = 0
    while (message := huey.dequeue()) is not None:
        huey.execute(message)
        done += 1
    return done


def test_the_scheduler_only_queues_and_a_worker_runs_the_job(queued_app):
    from core.scheduler import JobRun, run_job

    with queued_app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
    firing = utcnow().replace(second=0, microsecond=0)
    assert run_job(queued_app, "fx_library.count_books", firing) == "queued"
    assert run_job(queued_app, "fx_library.count_books", firing) == "claimed"  # fires once
    with queued_app.app_context():
        run = db.session.execute(sa.select(JobRun)).scalar_one()
        assert run.status == "queued"
        assert db.session.get(StateCounter, "fx_library.job_runs") is None  # not run yet
    assert work(queued_app) == 1
    with queued_app.app_context():
        run = db.session.execute(sa.select(JobRun)).scalar_one()
        assert run.status == "done" and run.finished_at
        assert db.session.get(StateCounter, "fx_library.job_runs").value == 1
        task = db.session.execute(sa.select(Task)).scalar_one()
        assert task.name == "core.job" and task.state == "done" and task.user_id is None
        assert task.subject == "fx_library.count_books"


def test_a_retry_waits_on_the_queue(queued_app):
    with queued_app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
    task_id = queue(queued_app, "admin", {"author": "Ann", "fail": "error"})
    work(queued_app)  # runs it; its retry's message comes back and goes on Huey's schedule
    task = task_row(queued_app, task_id)
    assert (task.state, task.attempts) == ("queued", 1) and runs(queued_app) == 1
    assert queue_of(queued_app).huey.scheduled_count() == 1  # 10 s away
    assert work(queued_app) == 0


def test_a_task_interrupted_by_a_stopping_worker_is_queued_again(queued_app):
    from core.tasks.queue import _claim

    with queued_app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
    task_id = queue(queued_app, "admin", {"author": "Ann"})
    huey = queue_of(queued_app).huey
    message = huey.dequeue()
    with queued_app.app_context():
        assert _claim(task_id)  # a worker took it ...
    huey._emit("interrupted", message)  # ... and stopped under way (Huey's signal)
    assert task_row(queued_app, task_id).state == "queued"
    assert work(queued_app) == 1  # sent again: the next worker runs it
    task = task_row(queued_app, task_id)
    assert (task.state, task.attempts) == ("done", 2)


def redis_url():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return None
    return "redis://127.0.0.1:6379/14"


def test_several_hosts_share_a_redis_queue(db_url):
    url = redis_url()
    if url is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    name = f"t{uuid.uuid4().hex}"
    web = make_app(db_url, ERP_TASKS_IMMEDIATE=False, ERP_TASKS_REDIS_URL=url,
                   ERP_TASKS_QUEUE=name)
    init_db(web)
    worker = make_app(db_url, ERP_TASKS_IMMEDIATE=False, ERP_TASKS_REDIS_URL=url,
                      ERP_TASKS_QUEUE=name)
    try:
        with web.app_context():
            lifecycle.enable(get_registry(), ["fx_library"])
        task_id = queue(web, "admin", {"author": "Ann"})
        assert task_row(web, task_id).state == "queued"
        assert work(worker) == 1  # another process (host) took it from Redis
        assert task_row(web, task_id).state == "done"
    finally:
        queue_of(web).huey.flush()
        for a in (web, worker):
            with a.app_context():
                db.engine.dispose()


def test_the_worker_command_runs_the_queue(queued_app, db_url, tmp_path):
    """`flask --app wsgi tasks worker` as its own process, on the queue file in the instance
    folder that the app (a web process) queued to."""
    with queued_app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
        db.engine.dispose()
    task_id = queue(queued_app, "admin", {"author": "Ann"})
    env = dict(os.environ, ERP_DATABASE_URL=db_url, ERP_SECRET_KEY="test",
               ERP_MODULE_PACKAGES=",".join(FIXTURE_PACKAGES),
               ERP_TASKS_QUEUE=queued_app.config["ERP_TASKS_QUEUE"])
    root = Path(__file__).resolve().parents[2]
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "tasks", "worker",
                               "--threads", "1"], cwd=root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and task_row(queued_app, task_id).state != "done":
            assert worker.poll() is None, worker.communicate()
            time.sleep(0.3)
    finally:
        worker.send_signal(signal.SIGTERM)  # the tasks under way finish, then it stops
        out, err = worker.communicate(timeout=30)
    task = task_row(queued_app, task_id)
    assert task.state == "done", (out, err)
    assert task.message == "0 books by Ann, seen by admin"  # none of Ann's here
    assert "worker running" in out


def test_login_required_for_the_tasks_page(app):
    assert app.test_client().get("/tasks/").status_code == 302
    assert login(app.test_client(), "clerk").get("/tasks/").status_code == 200
