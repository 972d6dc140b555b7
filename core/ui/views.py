"""The home page (dashboard of the enabled modules' widgets), the language switcher, and
the search behind reference pickers."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from core import access
from core.db import db
from core.modules import get_registry
from core.security import redirect_back
from core.ui.forms import choices_where, column_of
from core.ui.forms import lookup as lookup_records

bp = Blueprint("home", __name__)


@bp.route("/")
@access.signed_in
def index():
    # a widget renders nothing for a user without the right to its figures: no empty card
    widgets = [(widget, body) for widget in get_registry().active_widgets()
               if (body := widget.render(current_user))]
    return render_template("core/home.html", widgets=widgets)


@bp.route("/favicon.ico")
@access.public
def favicon():
    """Browsers ask for /favicon.ico whatever the page links: send them to the icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/lang/<code>", methods=["POST"])
@access.public
def set_language(code: str):
    if code in current_app.config["ERP_LOCALES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.lang = code
            db.session.commit()
    return redirect_back(url_for("home.index"))


@bp.route("/lookup/<model>")
@access.signed_in
def lookup(model: str):
    """Records of `model` whose name holds `q`, for a picker's search box: the readable,
    active ones only, as [[id, name], ...]; `field` ("partner.parent_id", a reference to
    `model`) narrows them as its choices_where says (companies only)."""
    registry = get_registry()
    target = registry.models.get(model)
    owner = registry.table_owner(target.__tablename__) if target is not None else None
    if owner is None or not registry.is_enabled(owner) \
            or not hasattr(target, "name") \
            or model in registry.access_table() and not access.can(model, "r"):
        abort(404)
    where = []
    if request.args.get("field"):
        source, _dot, name = request.args["field"].rpartition(".")
        referring = registry.models.get(source)
        if referring is None or name not in sa.inspect(referring).column_attrs:
            abort(404)
        where = choices_where(target, column_of(referring, name))
    text = (request.args.get("q") or "").strip()[:100]
    return jsonify(items=lookup_records(target, text, where=where) if text else [])
