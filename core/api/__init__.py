"""The JSON API under /api/v1: one generic set of routes serving every model a module
exposes, with the same rights and record rules as the pages (core.access)."""
from .fields import Field, Invalid
from .resource import ApiError, Resource

__all__ = ["ApiError", "Field", "Invalid", "Resource", "init_app"]


def init_app(app) -> None:
    from core.security import csrf

    from . import views

    csrf.exempt(views.bp)  # bearer tokens, never cookies: nothing to forge
    app.register_blueprint(views.bp)
