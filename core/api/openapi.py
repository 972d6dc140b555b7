"""The OpenAPI 3 description of the API as it is now: the resources of enabled modules.
What it allows the API takes, and what the API refuses for its form it states: lengths,
ranges, patterns, choices (core.api.fields, core.limits)."""
from __future__ import annotations

import re

from core import limits

from .fields import BOOL_PATTERN

ERROR = {"$ref": "#/components/responses/Error"}
MAX_LIMIT = 500
MAX_OFFSET = limits.INT32[1]
TOTAL_CAP = 10_000  # a list's total is counted this far, unless asked for exactly


def build_spec(resources: dict) -> dict:
    paths: dict = {}
    schemas: dict = {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "string"}}}}}}},
    }
    for model in sorted(resources):
        r = resources[model]
        name = model
        readable = {n: f for n, f in r.fields.items() if f.readable}
        writable = {n: f for n, f in r.fields.items() if f.writable}
        schemas[name] = {"type": "object",
                         "properties": {n: f.schema() for n, f in readable.items()}}
        schemas[f"{name}.input"] = {
            "type": "object", "additionalProperties": False,
            "properties": {n: f.schema(input=True) for n, f in writable.items()},
        }
        required = [n for n, f in writable.items() if f.required]
        create_schema = dict(schemas[f"{name}.input"], required=required) if required else None
        item = {"$ref": f"#/components/schemas/{name}"}
        filters = [{"name": n, "in": "query", "required": False,
                    "description": "exact value (empty: none); also n__in, n__gte, n__lte, "
                                   "n__gt, n__lt, n__ne" + (
                                       ", n__contains" if f.type == "string" else ""),
                    "schema": f.query_schema()}
                   for n, f in r.fields.items() if f.filterable and f.column is not None]
        tag = [model]
        paths[f"/api/v1/{model}"] = {
            **({"parameters": _languages()} if _has_translations(r) else {}),
            "get": {
                "tags": tag, "operationId": f"list_{_op(model)}",
                "summary": f"List {model} records the caller may see",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {
                        "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}},
                    {"name": "offset", "in": "query", "schema": {
                        "type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
                    {"name": "order", "in": "query",
                     "schema": {"type": "string", "pattern": order_pattern(r)},
                     "description": "comma-separated fields, '-' for descending"},
                    {"name": "exact_total", "in": "query", "schema": {
                        "type": "string", "pattern": BOOL_PATTERN, "default": "false"},
                     "description": f"true: count every matching record; otherwise `total` "
                                    f"is exact up to {TOTAL_CAP} and `total_exact` says "
                                    f"whether there are more"},
                    *filters,
                ],
                "responses": {"200": {"description": "A page of records", "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["items", "total", "total_exact"],
                        "properties": {
                            "items": {"type": "array", "items": item},
                            "total": {"type": "integer", "description": (
                                f"the matching records, or {TOTAL_CAP} when total_exact is "
                                f"false: at least that many")},
                            "total_exact": {"type": "boolean"}}}}}},
                    **_errors(400, 401, 403)},
            },
            "post": {
                "tags": tag, "operationId": f"create_{_op(model)}",
                "summary": f"Create a {model}",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": create_schema or {"$ref": f"#/components/schemas/{name}.input"}}}},
                "responses": {"201": _one(item, "Created"), **_errors(400, 401, 403, 409, 422)},
            },
        }
        id_param = {"name": "id", "in": "path", "required": True, "schema": {
            "type": "integer", "minimum": 1, "maximum": limits.MAX_ID}}
        paths[f"/api/v1/{model}/{{id}}"] = {
            "parameters": [id_param, *(_languages() if _has_translations(r) else [])],
            "get": {"tags": tag, "operationId": f"get_{_op(model)}",
                    "summary": f"One {model}", "responses": {
                        "200": _one(item, "The record"), **_errors(400, 401, 403, 404)}},
            "patch": {"tags": tag, "operationId": f"update_{_op(model)}",
                      "summary": f"Change a {model}",
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": {"$ref": f"#/components/schemas/{name}.input"}}}},
                      "responses": {"200": _one(item, "The changed record"),
                                    **_errors(400, 401, 403, 404, 409, 422)}},
            "delete": {"tags": tag, "operationId": f"delete_{_op(model)}",
                       "summary": f"Delete a {model}",
                       "responses": {"204": {"description": "Deleted"},
                                     **_errors(400, 401, 403, 404, 409)}},
        }
        if r.read_only:  # read through the API only: writes answer 405
            del paths[f"/api/v1/{model}"]["post"]
            for method in ("patch", "delete"):
                del paths[f"/api/v1/{model}/{{id}}"][method]
        for action in sorted(r.actions):
            paths[f"/api/v1/{model}/{{id}}/{action}"] = {
                "parameters": [id_param],
                "post": {
                    "tags": tag, "operationId": f"{action}_{_op(model)}",
                    "summary": r.actions[action].summary or f"{action} a {model}",
                    "requestBody": {"required": False, "content": {"application/json": {
                        "schema": _params_schema(r.actions[action])}}},
                    "responses": {"200": {"description": "The result", "content": {
                        "application/json": {"schema": {"type": "object"}}}},
                        **_errors(400, 401, 403, 404, 409, 422)},
                },
            }
    return {
        "openapi": "3.0.3",
        "info": {"title": "ERP suite API", "version": "1"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "An error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        },
    }


def _params_schema(action) -> dict:
    """The inputs an action takes (core.actions.Param), as a JSON object's schema."""
    kinds = {"id": {"type": "integer", "minimum": 1, "maximum": limits.MAX_ID},
             "choice": {"type": "string"},
             "text": {"type": "string", "maxLength": 2000, "pattern": limits.TEXT_PATTERN}}
    schema = {"type": "object", "properties": {
        p.name: {**kinds.get(p.kind, {"type": "string"}), "description": str(p.label),
                 **({} if p.required else {"nullable": True})}
        for p in action.params}}
    required = [p.name for p in action.params if p.required]
    if required:
        schema["required"] = required
    return schema


def sortable(resource) -> list[str]:
    """The fields a list may be ordered by."""
    return [n for n, f in resource.fields.items()
            if f.column is not None and (f.filterable or n in ("id", "created_at", "updated_at"))]


def order_pattern(resource) -> str:
    """`order`: comma-separated sortable fields, each maybe with '-' (descending)."""
    one = "-?(" + "|".join(re.escape(n) for n in sortable(resource)) + ")"
    return f"^({one}(,{one})*)?$"


def _has_translations(resource) -> bool:
    return any(f.type == "translations" for f in resource.fields.values())


def _languages() -> list[dict]:
    """The switch between translatable fields in the caller's language and in all."""
    return [{"name": "translations", "in": "query", "required": False,
             "schema": {"type": "string", "pattern": BOOL_PATTERN, "default": "false"},
             "description": "true: translatable fields hold the default language's value "
                            "and `<field>_translations` every other language's, read and "
                            "written; otherwise they are read, written, filtered and "
                            "sorted in the API user's language"}]


def _op(model: str) -> str:
    return model.replace(".", "_")


def _one(item, description):
    return {"description": description, "content": {"application/json": {"schema": item}}}


def _errors(*codes):
    return {str(code): ERROR for code in codes}
