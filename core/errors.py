"""Error pages: HTML for people, JSON for the API; never a stack trace."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
         429: "too_many_requests", 500: "server_error"}


def _message(code: int) -> str:
    return {
        400: _("The request could not be understood."),
        401: _("Please sign in."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist, or you may not see it."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state of the record."),
        413: _("The upload is too large."),
        422: _("Some values are not valid."),
        429: _("Too many attempts; please wait a moment and try again."),
        500: _("Something went wrong on our side; nothing was changed."),
    }.get(code, _("Something went wrong."))


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(code: int):
    if wants_json():
        body = {"error": {"code": CODES.get(code, "error"), "message": _message(code)}}
        return jsonify(body), code
    return render_template("core/error.html", code=code, message=_message(code)), code


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code in (301, 302, 303, 307, 308):
            return exc
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        from core.db import db

        db.session.rollback()
        app.logger.exception("unhandled error on %s", request.path)
        return render_error(500)
