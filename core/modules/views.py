"""The Apps page: the module manager for administrators."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core.access import admin_required

from . import get_registry, lifecycle

log = logging.getLogger(__name__)
bp = Blueprint("apps", __name__, url_prefix="/apps")

ACTIONS = {
    "enable": (lifecycle.plan_enable, lifecycle.enable),
    "disable": (lifecycle.plan_disable, lifecycle.disable),
    "upgrade": (lifecycle.plan_upgrade, lifecycle.upgrade),
}


@bp.route("/")
@admin_required
def index():
    registry = get_registry()
    category = request.args.get("category")
    query = (request.args.get("q") or "").strip().lower()
    modules = [
        m for m in registry.manifests.values()
        if (not category or m.category == category)
        and (not query or query in m.name or query in _(m.title).lower()
             or query in _(m.summary).lower())
    ]
    modules.sort(key=lambda m: (not m.application, m.sequence, m.name))
    categories = sorted({m.category for m in registry.manifests.values()})
    return render_template(
        "apps/index.html", registry=registry, modules=modules, categories=categories,
        category=category, query=query, form=FlaskForm(),
    )


@bp.route("/<name>/<action>", methods=["GET", "POST"])
@admin_required
def change(name: str, action: str):
    """GET shows what the action will change and asks; POST does it."""
    registry = get_registry()
    if action not in ACTIONS or name not in registry.manifests:
        return render_template("core/error.html", code=404), 404
    plan_fn, do_fn = ACTIONS[action]
    try:
        plan = plan_fn(registry, [name])
    except lifecycle.LifecycleError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("apps.index"))
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            do_fn(registry, [name])
        except lifecycle.LifecycleError as exc:
            flash(str(exc), "danger")
        except Exception:  # a failing migration: the transaction rolled back whole
            log.exception("module %s %s failed", name, action)
            flash(_("That failed and nothing was changed; the server log has the details."),
                  "danger")
        else:
            titles = ", ".join(_(registry.manifests[n].title) for n in plan.modules)
            messages = {
                "enable": _("Enabled: %(modules)s", modules=titles),
                "disable": _("Disabled: %(modules)s", modules=titles),
                "upgrade": _("Upgraded: %(modules)s", modules=titles),
            }
            flash(messages[action], "success")
        return redirect(url_for("apps.index"))
    return render_template("apps/confirm.html", registry=registry, plan=plan,
                           manifest=registry.manifests[name], form=form)
