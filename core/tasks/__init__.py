"""Background tasks: long or heavy work (large imports and exports, mass mail, renewals,
reminders over many records) runs in worker processes (`flask --app wsgi tasks worker`),
never inside a web request nor inside the scheduler, which only queues it.

A module declares a task in `register(module)`:

    module.task("renew", "modules.membership.services:renew_all", title=_l("Renewals"))

and queues it with keyword arguments, for the signed-in user, once its transaction commits:

    task = core.tasks.enqueue("membership.renew", {"plan_id": 3}, key=f"renew:3:{day}")

The function reports progress with `core.tasks.progress(done, total)` and returns a message,
or a `Result(message, link)`. The user who queued it follows it under "My background
tasks" (/tasks/) and gets a notification when it ends; `GET /api/v1/core.task` reads the
same rows. How it is queued and run: core/tasks/queue.py."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import Task
from .queue import Queue, Result, current, enqueue, progress, queue_of, start_embedded, title

__all__ = ["Result", "Task", "current", "enqueue", "init_app", "progress", "queue_of",
           "register", "start_embedded", "title"]


def init_app(app) -> None:
    from . import queue, views

    app.extensions[queue.EXTENSION] = Queue(app)
    app.register_blueprint(views.bp)


def register(module) -> None:
    """Core's own tasks, and the task rows as a read-only API resource (core's part of the
    module contract, like core.partners)."""
    from core import access

    module.task("job", "core.scheduler:run_claimed", title=_l("Scheduled job"), retries=0)
    module.task("import", "core.ui.generic.transfer_tasks:import_rows", title=_l("CSV import"),
                retries=2)
    module.task("import_check", "core.ui.generic.transfer_tasks:check_upload",
                title=_l("CSV import check"), retries=2)
    module.task("export", "core.ui.generic.transfer_tasks:export_rows", title=_l("CSV export"),
                retries=2)
    module.expose(Task, read=("name", "user_id", "subject", "state", "done", "total",
                              "message", "link", "attempts", "run_at", "started_at",
                              "finished_at"),
                  filter=("name", "state"))
    # everyone reads their own tasks; administrators (who may do everything) all of them
    module.record_rule("core.task", "core.user", access.own(Task.user_id))
    module.saving(Task, _read_only)


def _read_only(record, values, creating) -> None:
    from core.errors import Refusal

    raise Refusal(_l("Background tasks are started by the app; they can only be read."),
                  "invalid")
