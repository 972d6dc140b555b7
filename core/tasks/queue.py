"""Queuing and running background tasks on Huey.

`enqueue(name, arguments)` adds a `core_task` row in the caller's transaction; the queue
gets the row's id only once that transaction commits (nothing is sent for a rolled-back
change, and a worker never looks for a row that is not there yet). A worker claims the row
(queued -> running, one UPDATE: a message delivered twice runs once), calls the declared
function in an app context signed in as the user who queued it, and records what came of
it: done with its message and link, or the error, retried later with a doubling wait, or
failed for good. Either way the user finds it under "My background tasks" and in the
inbox.

The queue is Huey's SQLite storage in the instance folder (one host: the web processes and
the `tasks worker` process share the file) or its Redis storage when ERP_TASKS_REDIS_URL is
set (several hosts). Under TESTING (or ERP_TASKS_IMMEDIATE) each task runs in the process
that queued it, as soon as the queuing transaction commits."""
from __future__ import annotations

import contextvars
import json
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, g, has_request_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from core.db import db, retry_writes, utcnow
from core.errors import Refusal
from core.modules import get_registry

from .models import Task

log = logging.getLogger(__name__)
EXTENSION = "erp.tasks"
PENDING = "erp.tasks.pending"  # Session.info: (task id, delay) to send once it commits
MAX_RETRY_DELAY = 3600
PROGRESS_EVERY = 1.0  # seconds between two progress writes
_CURRENT_USER = object()
_running: contextvars.ContextVar = contextvars.ContextVar("erp_task", default=None)


@dataclass
class Result:
    """What a task function may return: a message for the user and a link to what it made
    (a plain string is taken as the message)."""
    message: str | None = None
    link: str | None = None


class Queue:
    """The app's Huey instance and its one Huey task, which runs a `core_task` row."""

    def __init__(self, app):
        from huey import RedisHuey, SqliteHuey

        config = app.config
        immediate = config["ERP_TASKS_IMMEDIATE"]
        if immediate is None:
            immediate = app.testing
        name = config["ERP_TASKS_QUEUE"]
        if config["ERP_TASKS_REDIS_URL"]:
            self.huey = RedisHuey(name, url=config["ERP_TASKS_REDIS_URL"], results=False,
                                  immediate=immediate)
        else:
            path = Path(app.instance_path) / "tasks.sqlite3"
            if not immediate:
                path.parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(name, filename=str(path), results=False,
                                   immediate=immediate)
            # its tables are made: let go of the file, so that a process forked from this
            # one (gunicorn's preload) opens its own connection instead of sharing this one
            self.huey.storage.close()

        @self.huey.task(name="erp.run")
        def run(task_id):
            execute(app, task_id)

        @self.huey.signal("interrupted")
        def interrupted(_signal, message, *args, **kwargs):
            """The worker stops with this task under way (SIGTERM): queue it again."""
            requeue(app, message.args[0])

        self.run = run

    def send(self, task_id: int, delay: float | None = None) -> None:
        """Put a row's id on the queue (after `delay` seconds). A queue that cannot be
        reached loses nothing: the row stays queued and the clean-up job sends it again."""
        try:
            if delay:
                self.run.schedule(args=(task_id,), delay=delay)
            else:
                self.run(task_id)
        except Exception:  # noqa: BLE001 - the row is the record; it is sent again later
            log.exception("could not queue task %s", task_id)


def queue_of(app) -> Queue:
    return app.extensions[EXTENSION]


def requeue(app, task_id: int) -> None:
    """A running task whose worker stopped goes back in line (its attempt counted)."""
    with app.app_context():
        def write():
            result = db.session.execute(
                sa.update(Task).where(Task.id == task_id, Task.state == "running")
                .values(state="queued").execution_options(synchronize_session=False))
            if result.rowcount:
                send_at_commit(task_id)

        retry_writes(write)


# -- queuing -------------------------------------------------------------------------------
def enqueue(name: str, arguments: dict | None = None, *, key: str | None = None,
            subject: str | None = None, total: int | None = None,
            user_id=_CURRENT_USER) -> Task:
    """Queue the declared task `name` with keyword `arguments` (JSON values), for the
    signed-in user unless `user_id` says otherwise (None: nobody's, e.g. a job's). With a
    `key`, work already queued, running or done under that key is not queued again: its
    row is returned (a failed one is queued afresh). Sent to the workers when the caller
    commits."""
    if name not in get_registry().tasks:
        raise KeyError(f"no task {name!r} is declared")
    arguments = dict(arguments or {})
    json.dumps(arguments)  # refuse what the row could not hold, here rather than later
    if user_id is _CURRENT_USER:
        user_id = (current_user.id if has_request_context() and current_user.is_authenticated
                   else None)
    if key is not None:
        found = db.session.execute(sa.select(Task).where(Task.key == key)).scalar()
        if found is not None:
            if found.state == "failed":
                found.state, found.args, found.attempts, found.done = "queued", arguments, 0, 0
                found.message = found.run_at = found.started_at = found.finished_at = None
                send_at_commit(found.id)
            return found
    task = Task(name=name, user_id=user_id, key=key, args=arguments, total=total,
                subject=subject[:255] if subject else None)
    try:
        with db.session.begin_nested():
            db.session.add(task)
    except sa.exc.IntegrityError:  # the same key, queued meanwhile by someone else
        return db.session.execute(sa.select(Task).where(Task.key == key)).scalar_one()
    send_at_commit(task.id)
    return task


def send_at_commit(task_id: int, delay: float | None = None) -> None:
    db.session().info.setdefault(PENDING, []).append((task_id, delay))


@event.listens_for(Session, "after_commit")
def _send_pending(session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        queue = queue_of(current_app)
        for task_id, delay in pending:
            queue.send(task_id, delay)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session) -> None:
    session.info.pop(PENDING, None)


# -- running -------------------------------------------------------------------------------
class Running:
    """The task under way in this context: `core.tasks.progress()` reports through it."""

    def __init__(self, task_id: int, total: int | None):
        self.id, self.total, self.done, self.link = task_id, total, 0, None
        self._written = 0.0

    def progress(self, done: int, total: int | None = None, message: str | None = None):
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        finished = self.total is not None and done >= self.total
        if now - self._written < PROGRESS_EVERY and not finished:
            return
        self._written = now
        values = {"done": done, "total": self.total}
        if message is not None:
            values["message"] = message
        _write_aside(self.id, values)


def current() -> Running | None:
    return _running.get()


def progress(done: int, total: int | None = None, message: str | None = None) -> None:
    """Report how far the running task got (done of total); nothing outside a task. Written
    at most once a second, on a connection of its own, so the user sees it while the task's
    own transaction is still open."""
    running = _running.get()
    if running is not None:
        running.progress(done, total, message)


def _write_aside(task_id: int, values: dict) -> None:
    """Update the task's row outside the task's transaction, without waiting for a lock:
    on SQLite, while the task itself holds the write lock, the figure is simply not
    written until the end."""
    values = {**values, "updated_at": utcnow()}
    engine = db.engine
    if engine.dialect.name == "sqlite":  # one statement in autocommit, failing at once
        values["updated_at"] = values["updated_at"].strftime("%Y-%m-%d %H:%M:%S.%f")
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA busy_timeout=0")
            try:
                names = list(values)
                cursor.execute(f"UPDATE core_task SET {', '.join(f'{n} = ?' for n in names)} "
                               "WHERE id = ?", [*(values[n] for n in names), task_id])
            finally:
                cursor.execute("PRAGMA busy_timeout=10000")
                cursor.close()
        except Exception:  # noqa: BLE001 - "database is locked": written at the end
            log.debug("progress of task %s not written now", task_id)
        finally:
            raw.close()
        return
    table = Task.__table__
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '500ms'")
            conn.execute(sa.update(table).where(table.c.id == task_id).values(**values))
    except sa.exc.DBAPIError:
        log.debug("progress of task %s not written now", task_id)


def execute(app, task_id: int) -> None:
    """Run one `core_task` row (what a worker does with a message). The claim is made in
    an app context of its own, and the work in another, fresh one, with no transaction
    under way: its transactions begin as readers. On SQLite a task that reads and then
    writes ends its reads (commit or rollback) and calls core.db.begin_writing() before
    its writes, as the CSV import does; a "database is locked" is retried like any error."""
    with app.app_context():
        if not _claim(task_id):
            return  # ran already, or runs elsewhere: a message delivered twice runs once
        task = db.session.get(Task, task_id)
        name, arguments, total, user_id = task.name, dict(task.args or {}), task.total, \
            task.user_id
        db.session.rollback()
    with app.app_context():
        from core.auth.models import User

        registry = get_registry()
        registry.sync()
        definition = registry.tasks.get(name)
        user = db.session.get(User, user_id) if user_id else None
        db.session.rollback()  # no read transaction left open for the work to write in
        context = app.test_request_context("/") if user is not None else nullcontext()
        with context:
            if user is not None:
                g._login_user = user  # Flask-Login's user, as the API signs a token in
            running = Running(task_id, total)
            token = _running.set(running)
            try:
                if definition is None or not registry.is_enabled(definition.module):
                    raise Refusal(_("This task's app is not enabled; nothing was done."))
                outcome = definition.resolve()(**arguments)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - recorded on the row, maybe retried
                db.session.rollback()
                _failed(task_id, definition, exc, user)
            else:
                _finished(task_id, definition, outcome, running, user)
            finally:
                _running.reset(token)


def _claim(task_id: int) -> bool:
    claimed = []

    def write():
        result = db.session.execute(
            sa.update(Task).where(Task.id == task_id, Task.state == "queued")
            .values(state="running", started_at=utcnow(), finished_at=None, run_at=None,
                    attempts=Task.attempts + 1)
            .execution_options(synchronize_session=False))
        claimed.append(result.rowcount == 1)

    retry_writes(write)
    return claimed[-1]


def title(task: Task) -> str:
    """What the user calls the task: its declared title, in their language."""
    definition = get_registry().tasks.get(task.name)
    return str(definition.title) if definition is not None and definition.title else task.name


def _finished(task_id: int, definition, outcome, running: Running, user) -> None:
    if isinstance(outcome, Result):
        message, link = outcome.message, outcome.link
    else:
        message, link = (None if outcome is None else str(outcome)), None
    link = link or running.link

    def write():
        task = db.session.get(Task, task_id, populate_existing=True)
        task.state, task.finished_at = "done", utcnow()
        task.message = message[:2000] if message else None
        task.link = link
        task.total = running.total if running.total is not None else task.total
        task.done = task.total if task.total is not None else running.done
        if user is not None:
            _tell(user, task)

    retry_writes(write)


def _failed(task_id: int, definition, exc: Exception, user) -> None:
    final = definition is None or isinstance(exc, Refusal | HTTPException)
    if isinstance(exc, Refusal):
        message = exc.message
    elif isinstance(exc, HTTPException):
        message = _("You may not do this.") if exc.code == 403 else str(exc)
    else:
        log.exception("task %s failed", task_id)
        message = f"{exc.__class__.__name__}: {exc}"

    def write():
        task = db.session.get(Task, task_id, populate_existing=True)
        task.message = message[:2000]
        if not final and task.attempts <= definition.retries:
            delay = min(definition.retry_delay * 2 ** (task.attempts - 1), MAX_RETRY_DELAY)
            task.state, task.run_at = "queued", utcnow() + timedelta(seconds=delay)
            send_at_commit(task_id, delay)
            return
        task.state, task.finished_at = "failed", utcnow()
        if user is not None:
            _tell(user, task)

    retry_writes(write)


def _tell(user, task: Task) -> None:
    """The user's inbox, in their language: the task ended."""
    from core.notifications import in_language, notify

    with in_language(user):
        if task.state == "done":
            text = _("Finished: %(task)s", task=title(task))
        else:
            text = _("Failed: %(task)s", task=title(task))
    notify(user.id, text, task.message, link=url_for("tasks.detail", task_id=task.id))


# -- embedded worker -----------------------------------------------------------------------
def start_embedded(app, threads: int = 1) -> None:
    """A worker inside this process (ERP_RUN_WORKER, the embedded default with `make run`):
    Huey's consumer threads without its signal handling, which belongs to a main thread."""
    queue = queue_of(app)
    if queue.huey.immediate:
        return
    consumer = queue.huey.create_consumer(workers=threads, worker_type="thread",
                                          periodic=False, max_delay=1.0)
    consumer.scheduler.start()
    for _worker, thread in consumer.worker_threads:
        thread.start()
    app.extensions["erp.worker"] = consumer
