"""Error pages: HTML for people, JSON for the API; never a stack trace. And the one type
for "the business refuses this", which every module raises and core answers once."""
from __future__ import annotations

from dataclasses import dataclass

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from core.db import db
from core.security import safe_target

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
         429: "too_many_requests", 500: "server_error", 503: "busy"}


class Refusal(Exception):
    """A business rule refuses the operation. `message` is for the user (translated),
    `code` is stable for programs; `fields` names the fields at fault ({name: message}).
    The API answers it as 422 when the input is at fault (`invalid`) and 409 when the
    record's state or other records are (`invalid_state`, `already_claimed`, ...); pages
    show it beside the fields or as a flash, and nothing is saved."""

    INPUT_CODES = frozenset({"invalid"})

    def __init__(self, message, code: str = "refused", fields: dict | None = None,
                 status: int | None = None):
        super().__init__(str(message))
        self.message, self.code, self.fields = str(message), code, fields or {}
        self.status = status or (422 if code in self.INPUT_CODES else 409)


@dataclass
class Warn:
    """What a signal handler answers to let an operation go on with a word of caution
    (e.g. a customer near their credit limit); a handler that refuses returns a Refusal."""
    message: str


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
        503: _("The server is busy; nothing was changed. Please try again in a moment."),
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

    @app.errorhandler(Refusal)
    def _refused(exc: Refusal):
        db.session.rollback()  # a refused operation changes nothing
        if wants_json():
            body = {"code": exc.code, "message": exc.message}
            if exc.fields:
                body["details"] = {k: [str(v)] for k, v in exc.fields.items()}
            return jsonify({"error": body}), exc.status
        back = safe_target(request.referrer, "") if request.referrer else ""
        return render_template("core/error.html", code=exc.status, message=exc.message,
                               back=back), exc.status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s", request.path)
        return render_error(500)
