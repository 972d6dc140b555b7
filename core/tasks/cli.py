"""`flask --app wsgi tasks worker`: a process that runs background tasks."""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("tasks")
def tasks_group():
    """Background tasks."""


@tasks_group.command("worker")
@click.option("--threads", default=2, show_default=True,
              help="Tasks run at once by this process.")
@with_appcontext
def tasks_worker(threads):
    """Run queued tasks until stopped: SIGTERM (systemd's stop) lets the tasks under way
    finish; Ctrl+C (SIGINT) stops at once and queues them again. Start as many such
    processes as the work needs: with ERP_TASKS_REDIS_URL they share one queue from any
    host; otherwise they share the queue file in the instance folder, on this host."""
    from . import queue_of

    huey = queue_of(current_app).huey
    if huey.immediate:
        raise click.ClickException("tasks run in the process that queues them here "
                                   "(ERP_TASKS_IMMEDIATE or TESTING): there is no queue to work")
    logging.getLogger("huey").setLevel(logging.INFO)
    where = "Redis" if current_app.config["ERP_TASKS_REDIS_URL"] else huey.storage.filename
    click.echo(f"worker running ({threads} threads, queue {huey.name} at {where}); "
               f"Ctrl+C stops it")
    huey.create_consumer(workers=threads, worker_type="thread", periodic=False,
                         max_delay=1.0, graceful_signal="TERM").run()
