"""The home page (dashboard of the enabled modules' widgets) and the language switcher."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, session, url_for
from flask_login import current_user

from core import access
from core.db import db
from core.modules import get_registry
from core.security import redirect_back

bp = Blueprint("home", __name__)


@bp.route("/")
@access.signed_in
def index():
    widgets = get_registry().active_widgets()
    return render_template("core/home.html", widgets=widgets)


@bp.route("/lang/<code>", methods=["POST"])
@access.public
def set_language(code: str):
    if code in current_app.config["ERP_LOCALES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.lang = code
            db.session.commit()
    return redirect_back(url_for("home.index"))
