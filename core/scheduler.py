"""Scheduled jobs declared in manifests. APScheduler fires them; each firing is claimed
with a row unique on (job, scheduled time), so a second scheduler process started by
mistake, or a second host, does no harm, and is then queued as a background task
(core.tasks, task `core.job`): the scheduler only queues, a worker runs the job and
records its result on the firing's row. Jobs of disabled modules are skipped."""
from __future__ import annotations

import importlib
import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import begin_writing, db, retry_writes, utcnow

log = logging.getLogger(__name__)
# a firing's row: queued -> running -> done | failed, or skipped (its app was disabled)
STATUSES = ("queued", "running", "done", "failed", "skipped")


class JobError(Exception):
    """A job reports failure after doing what it could (e.g. some mail was refused): its
    run is marked failed with this message, and what it committed stays."""


class JobRun(db.Model):
    __tablename__ = "core_job_run"
    __table_args__ = (sa.UniqueConstraint("job_id", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    scheduled_at: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")  # STATUSES
    message: Mapped[str | None] = mapped_column(sa.Text)


def declared_jobs(registry) -> dict[str, tuple[str, dict]]:
    """job id -> (module, job) for every discovered module, enabled or not."""
    manifests = [registry.core_manifest, *registry.manifests.values()]
    return {job["id"]: (m.name, job) for m in manifests for job in m.jobs}


def resolve(func: str):
    module, _, attr = func.partition(":")
    return getattr(importlib.import_module(module), attr)


def run_job(app, job_id: str, scheduled_at: datetime | None = None,
            inline: bool = False) -> str:
    """Claim one firing of a job if its module is enabled and nobody claimed it yet, and
    queue it for a worker (`inline`: run it here and now, as `scheduler run --job` does).
    Returns 'skipped' (module disabled), 'claimed' (someone else has this firing), else
    the firing's status: 'queued', or once it ran (inline, or tasks run immediately as in
    tests) 'done', 'failed' or 'skipped'. Each step is its own short transaction begun as
    a writer (core.db.begin_writing)."""
    from core.modules import get_registry
    from core.tasks import enqueue

    with app.app_context():
        registry = get_registry()
        registry.sync()
        module, _job = declared_jobs(registry)[job_id]
        db.session.rollback()  # end the read; each write below begins afresh
        if not registry.is_enabled(module):
            return "skipped"
        run_id = _claim(job_id, scheduled_at or utcnow())
        if run_id is None:
            return "claimed"
        if inline:
            return execute_run(run_id)[0]
        retry_writes(lambda: enqueue("core.job", {"run_id": run_id}, key=f"core.job:{run_id}",
                                     subject=job_id, user_id=None))
        status = db.session.execute(sa.select(JobRun.status).where(JobRun.id == run_id)).scalar()
        db.session.rollback()
        return status


def run_claimed(run_id: int) -> str:
    """The `core.job` task: run a claimed firing; a failed job fails the task too."""
    status, message = execute_run(run_id)
    if status == "failed":
        raise JobError(message)
    return message or status


def execute_run(run_id: int) -> tuple[str, str | None]:
    """Run the job of a claimed firing, in an app context, and record its result on the
    firing's row: (status, message)."""
    from core.modules import get_registry

    registry = get_registry()
    registry.sync()
    job_id = db.session.execute(sa.select(JobRun.job_id).where(JobRun.id == run_id)).scalar()
    declared = declared_jobs(registry).get(job_id)
    db.session.rollback()
    if declared is None or not registry.is_enabled(declared[0]):
        _record(run_id, status="skipped", finished_at=utcnow())
        return "skipped", None
    _record(run_id, status="running", started_at=utcnow())
    try:
        begin_writing()
        result = resolve(declared[1]["func"])()
        db.session.commit()
        status, message = "done", None if result is None else str(result)[:2000]
    except JobError as exc:  # it says what went wrong itself
        db.session.rollback()
        status, message = "failed", str(exc)[:2000]
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed", job_id)
        status, message = "failed", f"{exc.__class__.__name__}: {exc}"[:2000]
    _record(run_id, status=status, message=message, finished_at=utcnow())
    return status, message


def _record(run_id: int, **values) -> None:
    retry_writes(lambda: db.session.execute(
        sa.update(JobRun).where(JobRun.id == run_id).values(**values)))


def _claim(job_id: str, scheduled_at: datetime) -> int | None:
    """Insert the firing's row; None when another process inserted it first."""
    ids = []

    def insert():
        run = JobRun(job_id=job_id, scheduled_at=scheduled_at)
        db.session.add(run)
        db.session.flush()
        ids.append(run.id)  # read now: after the commit it would cost a read transaction

    try:
        retry_writes(insert)
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    return ids[-1]


def _firing_time(trigger) -> datetime:
    """The scheduled time of the firing under way: the same in every process that fires it."""
    now = utcnow()
    fire = trigger.get_next_fire_time(None, (now - timedelta(seconds=60)).replace(tzinfo=UTC))
    fire = fire.astimezone(UTC).replace(tzinfo=None) if fire is not None else None
    if fire is None or fire > now:
        return now.replace(second=0, microsecond=0)
    return fire


def build(app, blocking: bool = False):
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    from core.modules import get_registry

    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(timezone="UTC", job_defaults={"coalesce": True, "misfire_grace_time": 60})
    with app.app_context():
        jobs = declared_jobs(get_registry())
    for job_id, (_module, job) in jobs.items():
        trigger = CronTrigger.from_crontab(job["cron"], timezone="UTC")

        def fire(job_id=job_id, trigger=trigger):
            run_job(app, job_id, _firing_time(trigger))

        scheduler.add_job(fire, trigger, id=job_id, name=job_id)
    return scheduler


def start_embedded(app) -> None:
    scheduler = build(app)
    scheduler.start()
    app.extensions["erp.scheduler"] = scheduler
