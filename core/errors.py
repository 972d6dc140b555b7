"""Error pages: HTML for people, JSON for the API; never a stack trace. And the one type
for "the business refuses this", which every module raises and core answers once."""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
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


def render_error(code: int, headers: dict | None = None):
    if wants_json():
        body = {"error": {"code": CODES.get(code, "error"), "message": _message(code)}}
        return jsonify(body), code, headers or {}
    return render_template("core/error.html", code=code, message=_message(code)), code, \
        headers or {}


def conflict(exc: sa.exc.IntegrityError) -> tuple[str, dict]:
    """What a refused write means, from the database's error: (message, {field: message})
    for a value another record holds already (a unique column; the field named when the
    database says which), else the general "conflicts with other records"."""
    text = str(exc.orig)
    table = column = None
    diag = getattr(exc.orig, "diag", None)  # PostgreSQL names the constraint
    name = getattr(diag, "constraint_name", None)
    if name:
        for found in db.metadata.tables.values():
            for constraint in [*found.constraints, *found.indexes]:
                if constraint.name == name and getattr(constraint, "unique", True):
                    columns = list(constraint.columns)
                    if len(columns) == 1:
                        table, column = found.name, columns[0].name
    else:  # SQLite: "UNIQUE constraint failed: product.code"
        match = re.search(r"UNIQUE constraint failed: (\w+)\.(\w+)$", text)
        if match:
            table, column = match.groups()
    unique = "UNIQUE" in text or "unique" in text or "duplicate key" in text
    if unique:
        taken = _("This conflicts with another record (a duplicate?).")
        return taken, ({column: taken} if column and table else {})
    return _("This conflicts with other records (a duplicate, or records that refer to "
             "it)."), {}


def init_app(app) -> None:
    @app.before_request
    def _refuse_nul():
        """A NUL in a query or form value is never text anyone typed, and PostgreSQL
        cannot hold it: 400 before any page or search sees it."""
        values = [*request.args.keys(), *request.args.values()]
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            values += [*request.form.keys(), *request.form.values()]
        if any("\x00" in value for value in values):
            return render_error(400)
        return None

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code in (301, 302, 303, 307, 308):
            return exc
        allowed = getattr(exc, "valid_methods", None)  # 405 names the methods it takes
        return render_error(exc.code or 500, {"Allow": ", ".join(allowed)} if allowed else None)

    @app.errorhandler(sa.exc.IntegrityError)
    def _integrity(exc: sa.exc.IntegrityError):
        """A write the database refused (a unique value taken, a record others refer to):
        409, naming the field when it can; nothing is saved."""
        db.session.rollback()
        message, fields = conflict(exc)
        if wants_json():
            body = {"code": "conflict", "message": message}
            if fields:
                body["details"] = {k: [v] for k, v in fields.items()}
            return jsonify({"error": body}), 409
        return render_template("core/error.html", code=409, message=message), 409

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
