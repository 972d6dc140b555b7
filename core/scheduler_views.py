"""Settings → Scheduled jobs: every declared job with its last run, result and next run,
and a button to run one now."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core import access
from core.db import db
from core.modules import get_registry
from core.scheduler import JobRun, declared_jobs, run_job

bp = Blueprint("jobs", __name__, url_prefix="/settings/jobs")


@bp.route("/")
@access.admin_required
def index():
    registry = get_registry()
    jobs = declared_jobs(registry)
    latest = sa.select(sa.func.max(JobRun.id)).group_by(JobRun.job_id)
    last_runs = {run.job_id: run for run in db.session.execute(
        sa.select(JobRun).where(JobRun.id.in_(latest))).scalars()}
    now = datetime.now(UTC)
    rows = []
    for job_id, (module, job) in sorted(jobs.items()):
        trigger = CronTrigger.from_crontab(job["cron"], timezone="UTC")
        next_run = trigger.get_next_fire_time(None, now)
        rows.append({
            "id": job_id, "module": registry.manifest(module).title, "cron": job["cron"],
            "enabled": registry.is_enabled(module), "last": last_runs.get(job_id),
            "next": next_run.replace(tzinfo=None) if next_run else None,
        })
    return render_template("settings/jobs.html", rows=rows, form=FlaskForm())


@bp.route("/<job_id>/run", methods=["POST"])
@access.admin_required
def run_now(job_id):
    if job_id not in declared_jobs(get_registry()) or not FlaskForm().validate_on_submit():
        abort(404)
    db.session.commit()  # end this request's read transaction before the job's own
    result = run_job(current_app._get_current_object(), job_id)
    messages = {"done": (_("The job ran."), "success"),
                "failed": (_("The job failed; its message is in the list."), "danger"),
                "queued": (_("The job is queued; a worker runs it in a moment."), "info"),
                "skipped": (_("The job's app is disabled; nothing ran."), "warning"),
                "claimed": (_("The job is running elsewhere right now."), "info")}
    flash(*messages[result])
    return redirect(url_for("jobs.index"))
