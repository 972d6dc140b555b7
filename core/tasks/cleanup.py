"""The hourly clean-up job (`core.clean_up`, run by a worker like every job): files the CSV
import and export leave in the instance folder expire, finished tasks are deleted after a
while, and so are the scheduled jobs' runs (a job firing every minute leaves 1,440 rows a
day), a task whose message the queue lost is sent again, and one whose worker died while
running it is marked failed."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from core.db import db, retry_writes, utcnow
from core.scheduler import JobRun

from .models import Task
from .queue import queue_of

TRANSFER_FOLDERS = ("imports", "exports")  # under the instance folder
LOST_AFTER = timedelta(minutes=15)  # queued and not started: its message was lost
DEAD_AFTER = timedelta(hours=6)  # running with no word (progress) for so long: its worker died
JOBS_KEPT = timedelta(days=1)  # finished tasks queued by nobody (jobs) are kept this long


def expire_files(max_age_hours: float | None = None) -> int:
    """Delete import previews and exported files older than ERP_TRANSFER_FILES_HOURS."""
    hours = max_age_hours if max_age_hours is not None else current_app.config[
        "ERP_TRANSFER_FILES_HOURS"]
    oldest = time.time() - hours * 3600
    removed = 0
    for name in TRANSFER_FOLDERS:
        folder = Path(current_app.instance_path) / name
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < oldest:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # removed meanwhile (its import finished)
                continue
    return removed


def clean_up() -> str:
    now = utcnow()
    files = expire_files()
    keep = timedelta(days=current_app.config["ERP_TASKS_KEEP_DAYS"])
    deleted = []
    retry_writes(lambda: deleted.append(db.session.execute(sa.delete(Task).where(
        Task.state.in_(("done", "failed")), sa.or_(
            Task.finished_at < now - keep,
            # nobody's (a job's firing, every minute for some): its run's row stays
            sa.and_(Task.user_id.is_(None), Task.finished_at < now - JOBS_KEPT)))).rowcount))
    runs = []
    retry_writes(lambda: runs.append(db.session.execute(sa.delete(JobRun).where(
        JobRun.finished_at < now - keep)).rowcount))
    dead = []
    retry_writes(lambda: dead.append(db.session.execute(
        sa.update(Task).where(Task.state == "running", Task.updated_at < now - DEAD_AFTER)
        .values(state="failed", finished_at=now,
                message=_("The worker stopped while this task ran; start it again."))
        .execution_options(synchronize_session=False)).rowcount))
    lost = db.session.execute(sa.select(Task.id).where(
        Task.state == "queued", sa.func.coalesce(Task.run_at, Task.updated_at) < now - LOST_AFTER
    )).scalars().all()
    db.session.rollback()
    queue = queue_of(current_app)
    for task_id in lost:  # a second message for one row runs it once (the claim)
        queue.send(task_id)
    return (f"{files} files expired, {deleted[-1]} tasks and {runs[-1]} job runs deleted, "
            f"{dead[-1]} stopped, {len(lost)} sent again")
