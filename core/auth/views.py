"""Signing in and out, and each user's own profile: preferences, password, API tokens."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from core import access
from core.db import db, utcnow
from core.security import safe_target

from . import reset, sessions
from .forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    PreferencesForm,
    ResetPasswordForm,
    TokenForm,
)
from .models import ApiToken, User

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@access.public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        # counted before the password is checked, given back if it is right (ratelimit.py)
        attempt = current_app.extensions["erp.login_limits"].attempt(form.login.data,
                                                                     request.remote_addr)
        if not attempt.allowed:
            return _too_many("auth/login.html", attempt, form=form)
        user = db.session.execute(
            sa.select(User).where(User.login == form.login.data.strip())
        ).scalar()
        if user is not None and user.active and user.check_password(form.password.data):
            attempt.succeeded()
            session.clear()  # a fresh session on sign-in: no fixation
            sessions.start(user, remember=bool(form.remember.data))
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_target(request.args.get("next"), url_for("home.index")))
        flash(_("Wrong login or password."), "danger")
        status = 401
    return render_template("auth/login.html", form=form), status


def _too_many(template: str, attempt, **context):
    flash(_("Too many attempts; please wait a moment and try again."), "danger")
    return render_template(template, **context), 429, {"Retry-After": str(attempt.retry_after)}


@bp.route("/password/forgot", methods=["GET", "POST"])
@access.public
def forgot_password():
    """Ask for a link to choose a new password. The answer is the same whether an account
    matches or not, so it tells nobody which logins and addresses exist."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        attempt = current_app.extensions["erp.reset_limits"].attempt(form.login.data,
                                                                     request.remote_addr)
        if not attempt.allowed:
            return _too_many("auth/forgot.html", attempt, form=form)
        for user in reset.matching_users(form.login.data):
            reset.send_link(user)
        db.session.commit()
        flash(_("If an account has this login or email address, a link to choose a new "
                "password is on its way there."), "info")
        return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access.public
def reset_password(token):
    """The link of the mail: choose a new password, then sign in with it. Every session of
    the user ends; none is started here."""
    private = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    user = reset.user_for(token)
    if user is None:
        return render_template("auth/reset.html", form=None), 400, private
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)  # which also spends the link
        sessions.end(user.id)
        db.session.commit()
        flash(_("Your password is changed. Sign in with the new one."), "success")
        return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, user=user), status, private


@bp.route("/logout", methods=["POST"])
@access.signed_in
def logout():
    if current_user.session_id:
        sessions.end(current_user.id, [current_user.session_id])
        db.session.commit()
    logout_user()
    session.clear()
    session["_remember"] = "clear"  # Flask-Login deletes the remember cookie after this
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@access.signed_in
def profile():
    prefs = PreferencesForm(obj=current_user, prefix="prefs")
    password = ChangePasswordForm(prefix="pw")
    token_form = TokenForm(prefix="token")
    new_token = None
    action = request.form.get("action")
    if action == "prefs" and prefs.validate_on_submit():
        current_user.name, current_user.email = prefs.name.data.strip(), prefs.email.data or None
        current_user.lang, current_user.tz = prefs.lang.data or None, prefs.tz.data or None
        current_user.theme = prefs.theme.data or None
        db.session.commit()
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("auth.profile"))
    if action == "password" and password.validate_on_submit():
        if not current_user.check_password(password.current.data):
            password.current.errors.append(_("This is not your current password."))
        else:
            current_user.set_password(password.password.data)
            # whoever had the old password is signed out everywhere but here
            sessions.end(current_user.id, keep=current_user.session_id)
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    if action == "token" and token_form.validate_on_submit():
        _record, new_token = ApiToken.issue(current_user, token_form.name.data.strip())
        db.session.commit()
    tokens = db.session.execute(
        sa.select(ApiToken).where(ApiToken.user_id == current_user.id,
                                  ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).scalars().all()
    status = 422 if request.method == "POST" and new_token is None else 200
    return render_template("auth/profile.html", prefs=prefs, password=password,
                           token_form=token_form, tokens=tokens, new_token=new_token,
                           sessions=sessions.active(current_user.id),
                           describe_agent=sessions.describe_agent), status


@bp.route("/profile/sessions/<int:session_id>/end", methods=["POST"])
@access.signed_in
def end_session(session_id):
    """Sign out one of one's own sessions (another browser, a lost phone)."""
    if not sessions.end(current_user.id, [session_id]):
        abort(404)
    db.session.commit()
    if session_id == current_user.session_id:
        return logout()
    flash(_("That session is signed out."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/profile/sessions/end-others", methods=["POST"])
@access.signed_in
def end_other_sessions():
    sessions.end(current_user.id, keep=current_user.session_id)
    db.session.commit()
    flash(_("Your other sessions are signed out."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@access.signed_in
def revoke_token(token_id):
    token = db.session.execute(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    ).scalar()
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
        flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.profile"))
