"""My background tasks: what the signed-in user queued, its progress and its result (the
page reloads itself while one is under way); administrators may list everyone's. An
export's file is served here to the user who asked for it."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user

from core import access
from core.auth.models import User
from core.db import db

from .models import OPEN, Task
from .queue import title

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def exports_dir() -> Path:
    return Path(current_app.instance_path) / "exports"


@bp.route("/")
@access.signed_in
def index():
    everyone = request.args.get("all") == "1" and access.is_admin()
    query = sa.select(Task).order_by(Task.id.desc()).limit(200)
    if not everyone:
        query = query.where(Task.user_id == current_user.id)
    tasks = db.session.execute(query).scalars().all()
    users = {}
    if everyone:
        ids = {t.user_id for t in tasks if t.user_id}
        users = dict(db.session.execute(
            sa.select(User.id, User.name).where(User.id.in_(ids))).all())
    return render_template("core/tasks.html", tasks=tasks, title_of=title, everyone=everyone,
                           users=users, refresh=any(t.state in OPEN for t in tasks))


@bp.route("/<int:task_id>")
@access.signed_in
def detail(task_id):
    task = _visible(task_id)
    return render_template("core/task.html", task=task, title_of=title,
                           refresh=task.state in OPEN)


@bp.route("/<int:task_id>/file")
@access.signed_in
def download(task_id):
    """The file an export task wrote, while it is kept (see core.tasks.cleanup)."""
    task = _visible(task_id)
    path = exports_dir() / f"task-{task.id}.csv"
    if task.state != "done" or not path.is_file():
        abort(404)
    name = (task.args or {}).get("views") or "export"
    return send_file(path, mimetype="text/csv", as_attachment=True,
                     download_name=f"{name}.csv")


def _visible(task_id: int) -> Task:
    """The user's own task (an administrator's: anyone's), else 404."""
    task = db.session.get(Task, task_id)
    if task is None or (task.user_id != current_user.id and not access.is_admin()):
        abort(404)
    return task
