"""Scheduled jobs declared in manifests. APScheduler fires them; before a firing runs it is
claimed with a row unique on (job, scheduled time), so a second scheduler process started
by mistake, or a second host, does no harm. Jobs of disabled modules are skipped."""
from __future__ import annotations

import importlib
import logging
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import begin_writing, db, utcnow

log = logging.getLogger(__name__)


class JobRun(db.Model):
    __tablename__ = "core_job_run"
    __table_args__ = (sa.UniqueConstraint("job_id", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    scheduled_at: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="running")  # done | failed
    message: Mapped[str | None] = mapped_column(sa.Text)


def declared_jobs(registry) -> dict[str, tuple[str, dict]]:
    """job id -> (module, job) for every discovered module, enabled or not."""
    manifests = [registry.core_manifest, *registry.manifests.values()]
    return {job["id"]: (m.name, job) for m in manifests for job in m.jobs}


def resolve(func: str):
    module, _, attr = func.partition(":")
    return getattr(importlib.import_module(module), attr)


def run_job(app, job_id: str, scheduled_at: datetime | None = None) -> str:
    """Run one firing of a job if its module is enabled and nobody claimed it yet.
    Returns 'done', 'failed', 'skipped' (module disabled) or 'claimed' (ran elsewhere).
    Each step is its own short transaction begun as a writer (core.db.begin_writing)."""
    from core.modules import get_registry

    with app.app_context():
        registry = get_registry()
        registry.sync()
        module, job = declared_jobs(registry)[job_id]
        db.session.rollback()  # end the read; each write below begins afresh
        if not registry.is_enabled(module):
            return "skipped"
        run_id = _claim(job_id, scheduled_at or utcnow())
        if run_id is None:
            return "claimed"
        try:
            begin_writing()
            result = resolve(job["func"])()
            db.session.commit()
            status, message = "done", None if result is None else str(result)[:2000]
        except Exception as exc:
            db.session.rollback()
            log.exception("job %s failed", job_id)
            status, message = "failed", f"{exc.__class__.__name__}: {exc}"[:2000]
        _retrying(lambda: db.session.execute(sa.update(JobRun).where(JobRun.id == run_id).values(
            status=status, message=message, finished_at=utcnow())))
        return status


def _claim(job_id: str, scheduled_at: datetime) -> int | None:
    """Insert the firing's row; None when another process inserted it first."""
    ids = []

    def insert():
        run = JobRun(job_id=job_id, scheduled_at=scheduled_at)
        db.session.add(run)
        db.session.flush()
        ids.append(run.id)  # read now: after the commit it would cost a read transaction

    try:
        _retrying(insert)
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    return ids[-1]


def _retrying(write, attempts: int = 5) -> None:
    """Do `write` and commit in a writer transaction, retrying when SQLite answers
    "database is locked" under a burst of writers."""
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
