"""The host. `create_app()` builds the Flask app: configuration, database, modules,
security, languages, UI and CLI. Nothing happens at import time."""
from __future__ import annotations

import logging
import os

from flask import Flask

from core.config import PROJECT_ROOT


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("ERP_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    from core import config as config_module

    config_module.load(app, config)
    from core.limits import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route: ids beyond MAX_ID 404
    app.json.ensure_ascii = False  # Vietnamese and Chinese stay readable in JSON
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "WARNING"))

    from core import (
        api,
        auth,
        busy,
        cli,
        errors,
        i18n,
        mail,  # noqa: F401  (its outbox table)
        mail_views,
        notifications,
        scheduler,
        scheduler_views,
        security,
        sequences,  # noqa: F401  (its counter table)
        settings_views,
        tasks,
        timeline_views,
    )
    from core import modules as module_system
    from core.db import configure_engine, db
    from core.modules import validation as module_validation
    from core.modules import views as module_views
    from core.ui import init_app as ui_init_app

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    security.init_app(app)
    auth.init_app(app)
    registry = module_system.init_app(app)  # imports modules, registers their blueprints
    i18n.init_app(app, registry)
    app.register_blueprint(module_views.bp)
    app.register_blueprint(timeline_views.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(settings_views.bp)
    app.register_blueprint(scheduler_views.bp)
    app.register_blueprint(mail_views.bp)
    tasks.init_app(app)  # the queue, and the "My background tasks" pages
    app.add_template_global(timeline_views.render_timeline, "timeline")
    ui_init_app(app, registry)
    api.init_app(app)
    errors.init_app(app)
    busy.init_app(app)  # "database is locked": run again, or 503, never 500
    cli.init_app(app)
    # Every blueprint is registered: refuse the modules whose menus, access, signals or
    # templates name what does not exist (core/modules/validation.py).
    module_validation.check_loaded(registry)
    if app.config["ERP_RUN_SCHEDULER"]:
        scheduler.start_embedded(app)
    if app.config["ERP_RUN_WORKER"]:
        tasks.start_embedded(app)
    return app
