"""Routes of the JSON API. Authentication is a bearer token only (a browser's session
cookie is ignored here, so no request can be forged from another site)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from core import access, actions
from core.auth.models import ApiToken
from core.db import begin_writing, db, end_writing
from core.errors import CODES, _message
from core.modules import get_registry

from .openapi import build_spec
from .resource import ApiError, Resource

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_LIMIT = 500


def token_required(view):
    """API views: a bearer token's user, whose rights the view then checks per model."""
    view.access = "token"
    return view


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized",
                       _l("Send an API token in the header: Authorization: Bearer <token>."))
    reading = request.method in ("GET", "HEAD", "OPTIONS")
    if reading:  # the token's last use is written in a short writer transaction of its own
        db.session.commit()  # (what the request read so far; nothing is written yet)
        begin_writing()
    user = ApiToken.find_user(token.strip())
    if user is None:
        raise ApiError(401, "unauthorized", _l("This API token is not valid or was revoked."))
    db.session.commit()  # its last use
    if reading:
        end_writing()  # the rest only reads, beside other requests
    g._login_user = user  # Flask-Login's per-request user, without touching the session
    return None


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.session.rollback()  # a failed request changes nothing
    body = {"code": exc.code, "message": str(exc.message)}
    if exc.details:
        body["details"] = exc.details
    return jsonify({"error": body}), exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    db.session.rollback()
    code = exc.code or 500
    return jsonify({"error": {"code": CODES.get(code, "error"), "message": _message(code)}}), code


def _resource(model: str):
    resource = Resource.served(get_registry()).get(model)
    if resource is None:
        raise ApiError(404, "not_found", _l("There is no model %(model)s.", model=model))
    return resource


def _payload(optional: bool = False):
    if optional and not request.get_data():
        return {}
    if request.mimetype != "application/json":
        raise ApiError(400, "bad_content_type",
                       _l("Send JSON with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if data is None and request.get_data().strip() not in (b"null",):
        raise ApiError(400, "malformed_json", _l("The request body is not valid JSON."))
    if not isinstance(data, dict):
        raise ApiError(422, "invalid", _l("Expected a JSON object."))
    return data


def _int_param(name: str, default: int, low: int, high: int | None) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise ApiError(400, "invalid_parameter", _l("Some query parameters are not valid."),
                       {name: [str(_l("Expected a whole number in %(range)s.", range=bound))]})
    return value


def _commit():
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ApiError(409, "conflict", _l(
            "This conflicts with other records (a duplicate, or records that refer to it)."
        )) from None


@bp.route("/openapi.json")
@access.public
def openapi():
    return jsonify(build_spec(Resource.served(get_registry())))


@bp.route("/<model>", methods=["GET"])
@token_required
def list_records(model):
    resource = _resource(model)
    limit = _int_param("limit", 50, 1, MAX_LIMIT)
    offset = _int_param("offset", 0, 0, None)
    filters = {k: v for k, v in request.args.items()
               if k not in ("limit", "offset", "order", "translations")}
    query = resource.filtered(access.select_for(resource.cls), filters)
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar()
    query = resource.ordered(query, request.args.get("order", "id"))
    records = db.session.execute(query.limit(limit).offset(offset)).scalars().all()
    return jsonify({"items": resource.dump_many(records), "total": total})


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
    return jsonify(resource.dump(access.get_for(resource.cls, record_id)))


@bp.route("/<model>/<int:record_id>", methods=["PATCH"])
@token_required
def update_record(model, record_id):
    resource = _resource(model)
    record = access.get_for(resource.cls, record_id, "w", lock=True)
    resource.write(_payload(), record)
    _commit()
    return jsonify(resource.dump(record))


@bp.route("/<model>/<int:record_id>", methods=["DELETE"])
@token_required
def delete_record(model, record_id):
    resource = _resource(model)
    record = access.get_for(resource.cls, record_id, "d", lock=True)  # its state, as of now
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
    done = actions.run(resource.cls, spec, record_id, _payload(optional=True))
    _commit()
    shown = Resource.served(get_registry()).get(done.record.__model__) or resource
    body = shown.dump(done.record)
    if done.warnings:
        body["warnings"] = [w.message for w in done.warnings]
    return jsonify(body)
