"""The module system: discovery, the registry of what modules contribute, the lifecycle."""
from __future__ import annotations

from flask import abort, current_app, request

from core.db import begin_writing

from .registry import ModuleContext, ModuleRegistry

__all__ = ["ModuleContext", "ModuleRegistry", "get_registry", "init_app"]


def get_registry() -> ModuleRegistry:
    return current_app.extensions["erp.modules"]


def init_app(app) -> ModuleRegistry:
    registry = ModuleRegistry(app)
    app.extensions["erp.modules"] = registry
    registry.load()

    @app.before_request
    def _gate_disabled_modules():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # requests that write hold the SQLite write lock from the start (core.busy runs
            # again as a writer a GET that turns out to write and loses the race)
            begin_writing()
        if request.blueprint != "api" or request.endpoint == "api.openapi":
            registry.sync()  # the API reads the counters with its token (core.api.views)
        if request.blueprint:
            owner = registry.blueprint_owner.get(request.blueprint.split(".")[0])
            if owner and not registry.is_enabled(owner):
                abort(404)

    return registry
