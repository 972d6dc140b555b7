"""User and team administration (Settings → Users, Teams), for administrators."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import access
from core.db import db
from core.modules import get_registry
from core.search import contains_any, sort_key

from . import sessions
from .forms import NewUserForm, ResetPasswordForm, TeamForm, UserForm
from .models import Team, TeamMember, User

bp = Blueprint("users", __name__, url_prefix="/settings")


def _user_choices(exclude: int | None = None, empty=True):
    users = db.session.execute(
        sa.select(User.id, User.name).where(User.active).order_by(User.name)).all()
    choices = [(0, "—")] if empty else []
    return choices + [(u.id, u.name) for u in users if u.id != exclude]


def _group_choices():
    registry = get_registry()
    return [(grp["id"], f"{_(m.title)}: {_(grp['title'])}") for m, grp in registry.all_groups()]


def _team_choices():
    return [(t.id, t.name) for t in db.session.execute(
        sa.select(Team).order_by(Team.name)).scalars()]


@bp.route("/users")
@access.admin_required
def user_list():
    query = (request.args.get("q") or "").strip()
    stmt = sa.select(User).order_by(User.active.desc(), sort_key(User.name))
    if query:
        stmt = stmt.where(contains_any([User.name, User.login, User.email], query))
    users = db.session.execute(stmt).scalars().all()
    titles = {gid: title for gid, title in _group_choices()}
    return render_template("settings/users.html", users=users, query=query, titles=titles)


def _save_user(user: User, form: UserForm) -> bool:
    """Copy the form to the user; False (with a field error) when the login is taken."""
    login = form.login.data.strip()
    taken = db.session.execute(
        sa.select(User.id).where(User.login == login, User.id != (user.id or 0))).first()
    if taken:
        form.login.errors.append(_("This login is taken."))
        return False
    user.login, user.name = login, form.name.data.strip()
    user.email = form.email.data or None
    user.lang, user.tz = form.lang.data or None, form.tz.data or None
    user.manager_id = form.manager_id.data or None
    user.active = form.active.data
    user.set_groups(form.groups.data)
    db.session.add(user)
    db.session.flush()
    if not user.active:
        sessions.end(user.id)  # deactivated: signed out everywhere, now
    db.session.execute(sa.delete(TeamMember).where(TeamMember.user_id == user.id))
    if form.teams.data:
        db.session.execute(sa.insert(TeamMember),
                           [{"team_id": t, "user_id": user.id} for t in form.teams.data])
    return True


def _user_form(form_cls, user: User | None):
    form = form_cls(obj=user)
    form.manager_id.choices = _user_choices(exclude=user.id if user else None)
    form.groups.choices = _group_choices()
    form.teams.choices = _team_choices()
    if request.method == "GET":
        form.groups.data = sorted(user.group_ids) if user else ["core.user"]
        form.manager_id.data = (user.manager_id or 0) if user else 0
        form.teams.data = [r for (r,) in db.session.execute(
            sa.select(TeamMember.team_id).where(TeamMember.user_id == user.id))] if user else []
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@access.admin_required
def user_new():
    form = _user_form(NewUserForm, None)
    if form.validate_on_submit():
        user = User()
        user.set_password(form.password.data)
        if _save_user(user, form):
            db.session.commit()
            flash(_("User %(name)s created.", name=user.name), "success")
            return redirect(url_for("users.user_edit", user_id=user.id))
        db.session.rollback()
    status = 422 if request.method == "POST" else 200
    return render_template("settings/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@access.admin_required
def user_edit(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(UserForm, user)
    reset = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        if user.id == current_user.id and (
                not form.active.data or "core.admin" not in form.groups.data):
            form.active.errors.append(_("You cannot deactivate yourself or drop your own "
                                        "administrator rights."))
        elif _save_user(user, form):
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("users.user_edit", user_id=user.id))
        db.session.rollback()
    status = 422 if request.method == "POST" else 200
    return _user_page(form, user, reset), status


def _user_page(form, user: User, reset):
    return render_template("settings/user_form.html", form=form, user=user, reset=reset,
                           sessions=sessions.active(user.id),
                           describe_agent=sessions.describe_agent)


def _own_session(user: User) -> int | None:
    """The admin's current session when `user` is themselves: kept when theirs end."""
    return current_user.session_id if user.id == current_user.id else None


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@access.admin_required
def user_reset_password(user_id):
    user = db.session.get(User, user_id) or abort(404)
    reset = ResetPasswordForm(prefix="reset")
    if reset.validate_on_submit():
        user.set_password(reset.password.data)
        sessions.end(user.id, keep=_own_session(user))  # the old password's sessions end
        db.session.commit()
        flash(_("The password of %(name)s is reset.", name=user.name), "success")
        return redirect(url_for("users.user_edit", user_id=user.id))
    form = _user_form(UserForm, user)
    return _user_page(form, user, reset), 422


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@access.admin_required
def user_end_sessions(user_id):
    """Sign the user out everywhere (but an admin's own current session)."""
    user = db.session.get(User, user_id) or abort(404)
    sessions.end(user.id, keep=_own_session(user))
    db.session.commit()
    flash(_("%(name)s is signed out everywhere.", name=user.name), "success")
    return redirect(url_for("users.user_edit", user_id=user.id))


@bp.route("/teams")
@access.admin_required
def team_list():
    teams = db.session.execute(sa.select(Team).order_by(Team.name)).scalars().all()
    return render_template("settings/teams.html", teams=teams)


@bp.route("/teams/new", methods=["GET", "POST"], defaults={"team_id": None})
@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@access.admin_required
def team_edit(team_id):
    team = (db.session.get(Team, team_id) or abort(404)) if team_id else None
    form = TeamForm(obj=team)
    form.leader_id.choices = _user_choices()
    form.members.choices = _user_choices(empty=False)
    if request.method == "GET" and team:
        form.leader_id.data = team.leader_id or 0
        form.members.data = [u.id for u in team.members]
    if form.validate_on_submit():
        name = form.name.data.strip()
        taken = db.session.execute(
            sa.select(Team.id).where(Team.name == name, Team.id != (team_id or 0))).first()
        if taken:
            form.name.errors.append(_("A team of this name exists."))
        else:
            team = team or Team()
            team.name, team.leader_id = name, form.leader_id.data or None
            db.session.add(team)
            db.session.flush()
            db.session.execute(sa.delete(TeamMember).where(TeamMember.team_id == team.id))
            if form.members.data:
                db.session.execute(sa.insert(TeamMember),
                                   [{"team_id": team.id, "user_id": u} for u in form.members.data])
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("users.team_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("settings/team_form.html", form=form, team=team), status
