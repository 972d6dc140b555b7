"""Settings → Outgoing mail: the outbox as administrators see it: mail waiting to be sent
(with its attempts, next try and last error), mail given up, mail sent; a button puts one
message, or every failed one, back in line; and the result of the delivery job's last run."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm

from core import access
from core.db import db
from core.mail import STATES, OutboxMail, retry
from core.scheduler import JobRun

bp = Blueprint("outbox", __name__, url_prefix="/settings/outbox")
DELIVERY_JOB = "core.deliver_mail"


@bp.route("/")
@access.admin_required
def index():
    state = request.args.get("state", "pending")
    if state not in STATES:
        state = "pending"
    counts = dict(db.session.execute(sa.select(OutboxMail.state, sa.func.count(OutboxMail.id))
                                     .group_by(OutboxMail.state)).all())
    order = OutboxMail.id.desc() if state == "sent" else OutboxMail.id
    mails = db.session.execute(sa.select(OutboxMail).where(OutboxMail.state == state)
                               .order_by(order).limit(200)).scalars().all()
    last_run = db.session.execute(sa.select(JobRun).where(JobRun.job_id == DELIVERY_JOB)
                                  .order_by(JobRun.id.desc()).limit(1)).scalar()
    return render_template("settings/outbox.html", mails=mails, state=state, counts=counts,
                           last_run=last_run, form=FlaskForm())


@bp.route("/<int:mail_id>/retry", methods=["POST"])
@access.admin_required
def retry_one(mail_id):
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not retry([mail_id]):
        abort(404)
    db.session.commit()
    flash(_("The message will be sent at the next delivery run."), "success")
    return redirect(url_for("outbox.index", state=request.args.get("state", "pending")))


@bp.route("/retry-failed", methods=["POST"])
@access.admin_required
def retry_failed():
    if not FlaskForm().validate_on_submit():
        abort(400)
    count = retry()
    db.session.commit()
    flash(ngettext("%(num)s message will be sent at the next delivery run.",
                   "%(num)s messages will be sent at the next delivery run.", count), "success")
    return redirect(url_for("outbox.index"))
