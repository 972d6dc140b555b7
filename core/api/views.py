"""Routes of the JSON API. Authentication is a bearer token only (a browser's session
cookie is ignored here, so no request can be forged from another site)."""
from __future__ import annotations

import json
import re

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from core import access, actions, limits
from core.auth.models import ApiToken
from core.db import begin_writing, db, end_writing
from core.errors import CODES, _message
from core.modules import get_registry
from core.modules.models import request_counters

from .fields import BOOL_PATTERN, INT_PATTERN, parse_bool
from .openapi import MAX_LIMIT, MAX_OFFSET, TOTAL_CAP, build_spec, order_pattern
from .resource import ApiError, Resource

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_DEPTH = 32  # of nested JSON arrays and objects in a request


def token_required(view):
    """API views: a bearer token's user, whose rights the view then checks per model."""
    view.access = "token"
    return view


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    _bool_param("translations")  # checked before the token: a 400 whoever asks
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized",
                       _l("Send an API token in the header: Authorization: Bearer <token>."))
    user, stale = ApiToken.find(token.strip())
    if user is None:
        raise ApiError(401, "unauthorized", _l("This API token is not valid or was revoked."))
    get_registry().sync(request_counters())  # read with the token, in one statement
    if stale is not None:  # its last use, at most once a minute, in a short writer
        reading = request.method in ("GET", "HEAD", "OPTIONS")  # transaction of its own
        db.session.commit()  # (what the request read so far; nothing is written yet)
        begin_writing()
        stale.touch()
        db.session.commit()
        if reading:
            end_writing()  # the rest only reads, beside other requests
    g._login_user = user  # Flask-Login's per-request user, without touching the session
    return None


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    body = {"code": exc.code, "message": str(exc.message)}  # in the user's language: read
    if exc.details:                                     # before the rollback expires them
        body["details"] = exc.details
    db.session.rollback()  # a failed request changes nothing
    return jsonify({"error": body}), exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    code = exc.code or 500
    response = jsonify({"error": {"code": CODES.get(code, "error"), "message": _message(code)}})
    db.session.rollback()
    if getattr(exc, "valid_methods", None):  # 405: the methods this URL takes
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response, code


def _record_id(record_id: int) -> int:
    """An id beyond what an id column holds names no record (404), never an overflow."""
    if not 1 <= record_id <= limits.MAX_ID:
        raise ApiError(404, "not_found", _message(404))
    return record_id


def _resource(model: str):
    resource = Resource.served(get_registry()).get(model)
    if resource is None:
        raise ApiError(404, "not_found", _l("There is no model %(model)s.", model=model))
    if resource.read_only and request.method not in ("GET", "HEAD", "OPTIONS"):
        raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
    return resource


def _payload(optional: bool = False):
    if optional and not request.get_data():
        return {}
    if request.mimetype != "application/json":
        raise ApiError(400, "bad_content_type",
                       _l("Send JSON with Content-Type: application/json."))
    try:
        data = json.loads(request.get_data(), parse_constant=_not_json)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond reason
        raise ApiError(400, "malformed_json", _l("The request body is not valid JSON.")) \
            from None
    depth = _depth(data)
    if depth is None:
        raise ApiError(400, "malformed_json", _l("The request body is not valid JSON."))
    if depth > MAX_DEPTH:
        raise ApiError(400, "malformed_json", _l(
            "The request body nests arrays and objects more than %(n)s deep.", n=MAX_DEPTH))
    if not isinstance(data, dict):
        raise ApiError(422, "invalid", _l("Expected a JSON object."))
    return data


def _not_json(constant):
    raise ValueError(constant)  # NaN and Infinity are Python's, not JSON's


def _depth(data) -> int | None:
    """How deep arrays and objects nest in a JSON value (without recursion); None when a
    text or a key holds a lone surrogate, which nothing can store or answer as UTF-8."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _utf8(value):
                return None
        elif isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            if isinstance(value, dict):
                if not all(_utf8(key) for key in value):
                    return None
                value = value.values()
            stack.extend((item, depth + 1) for item in value)
    return deepest


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _int_param(name: str, default: int, low: int, high: int | None) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    value = int(text) if re.fullmatch(INT_PATTERN, text) else None
    if value is None or value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise ApiError(400, "invalid_parameter", _l("Some query parameters are not valid."),
                       {name: [str(_l("Expected a whole number in %(range)s.", range=bound))]})
    return value


def _bool_param(name: str) -> bool:
    """A true or false query parameter (false when absent), or 400 naming it."""
    text = request.args.get(name, "false")
    if not re.fullmatch(BOOL_PATTERN, text):
        raise ApiError(400, "invalid_parameter", _l("Some query parameters are not valid."),
                       {name: [str(_l("Expected true or false."))]})
    return parse_bool(text)


def _commit():
    db.session.commit()  # an IntegrityError is answered 409 (core.errors)


@bp.route("/openapi.json")
@access.public
def openapi():
    return jsonify(build_spec(Resource.served(get_registry())))


@bp.route("/<model>", methods=["GET"])
@token_required
def list_records(model):
    resource = _resource(model)
    limit = _int_param("limit", 50, 1, MAX_LIMIT)
    offset = _int_param("offset", 0, 0, MAX_OFFSET)
    order = request.args.get("order", "id")
    if not re.fullmatch(order_pattern(resource), order):
        raise ApiError(400, "invalid_parameter", _l("Some query parameters are not valid."),
                       {"order": [str(_l("Cannot sort by %(name)s.", name=order))]})
    exact = _bool_param("exact_total")
    filters = {k: v for k, v in request.args.items()
               if k not in ("limit", "offset", "order", "translations", "exact_total")}
    query = resource.filtered(access.select_for(resource.cls), filters)
    # the total rides on the page's own statement (a subquery the database runs once),
    # counted up to the cap: a count of the whole table grows with it
    matching = query.order_by(None)
    if not exact:
        matching = matching.limit(TOTAL_CAP + 1)
    counted = sa.select(sa.func.count()).select_from(matching.subquery())
    rows = db.session.execute(resource.ordered(query, order).add_columns(
        counted.scalar_subquery()).limit(limit).offset(offset)).all()
    # an empty page: past the end (counted then), or nothing matches
    total = rows[0][1] if rows else db.session.execute(counted).scalar() if offset else 0
    whole = exact or total <= TOTAL_CAP
    return jsonify({"items": resource.dump_many([row[0] for row in rows]),
                    "total": total if whole else TOTAL_CAP, "total_exact": whole})


@bp.route("/<model>", methods=["POST"])
@token_required
def create_record(model):
    resource = _resource(model)
    access.require(model, "c")
    record = resource.write(_payload())
    _commit()
    return jsonify(resource.dump(record)), 201


@bp.route("/<model>/<int:record_id>", methods=["GET"])
@token_required
def get_record(model, record_id):
    resource = _resource(model)
    return jsonify(resource.dump(access.get_for(resource.cls, _record_id(record_id))))


@bp.route("/<model>/<int:record_id>", methods=["PATCH"])
@token_required
def update_record(model, record_id):
    resource = _resource(model)
    record = access.get_for(resource.cls, _record_id(record_id), "w", lock=True)
    resource.write(_payload(), record)
    _commit()
    return jsonify(resource.dump(record))


@bp.route("/<model>/<int:record_id>", methods=["DELETE"])
@token_required
def delete_record(model, record_id):
    resource = _resource(model)
    record = access.get_for(resource.cls, _record_id(record_id), "d", lock=True)  # as of now
    refusal = record.delete_refusal() if hasattr(record, "delete_refusal") else None
    if refusal:
        raise ApiError(409, "not_deletable", refusal)
    db.session.delete(record)
    _commit()
    return "", 204


@bp.route("/<model>/<int:record_id>/<action>", methods=["POST"])
@token_required
def run_action(model, record_id, action):
    resource = _resource(model)
    spec = resource.actions.get(action)
    if spec is None:
        raise ApiError(404, "not_found", _l("There is no action %(action)s.", action=action))
    done = actions.run(resource.cls, spec, _record_id(record_id), _payload(optional=True))
    _commit()
    shown = Resource.served(get_registry()).get(done.record.__model__) or resource
    body = shown.dump(done.record)
    if done.warnings:
        body["warnings"] = [w.message for w in done.warnings]
    return jsonify(body)
