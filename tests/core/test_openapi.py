"""The OpenAPI document describes exactly what is enabled, validates as OpenAPI 3, matches
the routes, and generated bad input to every operation never gets a 500."""
from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from core.modules import get_registry, lifecycle

from .test_api import Api, token_for


def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def test_the_document_follows_the_enabled_modules_and_validates(app):
    before = spec(app)
    validate(before)
    assert "/api/v1/partner" in before["paths"]
    assert not any("fx." in p for p in before["paths"])
    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_loans"])
    after = spec(app)
    validate(after)
    assert "/api/v1/fx.book/{id}/lend" in after["paths"]
    assert "loan_count" in after["components"]["schemas"]["fx.book"]["properties"]
    assert "loan_count" not in after["components"]["schemas"]["fx.book.input"]["properties"]
    assert after["components"]["schemas"]["partner.input"]["additionalProperties"] is False
    with app.app_context():
        lifecycle.disable(get_registry(), ["fx_loans"])
    assert "loan_count" not in spec(app)["components"]["schemas"]["fx.book"]["properties"]


def test_every_documented_operation_has_a_route_and_back(app):
    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_loans"])
    document = spec(app)
    adapter = app.url_map.bind("localhost")
    documented = set()
    for path, item in document["paths"].items():
        for method in ("get", "post", "patch", "delete"):
            if method in item:
                endpoint, _args = adapter.match(path.replace("{id}", "7"), method.upper())
                assert endpoint.startswith("api."), path
                documented.add((endpoint, method.upper()))
    api_rules = {(r.endpoint, m) for r in app.url_map.iter_rules()
                 if r.endpoint.startswith("api.") and r.endpoint != "api.openapi"
                 for m in r.methods - {"HEAD", "OPTIONS"}}
    assert api_rules <= documented  # every generic route is described


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                   max_size=3),
    max_leaves=8,
)


def operations(document):
    ops = []
    for path, item in document["paths"].items():
        for method in ("get", "post", "patch", "delete"):
            if method in item:
                op = item[method]
                names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
                schema_ref = (op.get("requestBody", {}).get("content", {})
                              .get("application/json", {}).get("schema", {}))
                ref = schema_ref.get("$ref", "")
                fields = list(document["components"]["schemas"].get(
                    ref.rsplit("/", 1)[-1], schema_ref).get("properties", {}))
                ops.append((method.upper(), path, names, fields))
    return ops


@pytest.fixture
def fuzz_target(app):
    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_loans"])
    api = Api(app.test_client(), token_for(app, "admin"))
    api("POST", "partner", {"name": "Seed"})
    api("POST", "fx.book", {"title": "Seed"})
    return api, operations(spec(app))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_bad_input_never_gets_a_500(fuzz_target, data):
    api, ops = fuzz_target
    method, path, params, fields = data.draw(st.sampled_from(ops))
    record_id = data.draw(st.one_of(st.integers(-3, 5), st.just(2**70), st.text(max_size=6)))
    url = path.replace("/api/v1/", "").replace("{id}", quote(str(record_id), safe=""))
    query = data.draw(st.dictionaries(
        st.one_of(st.sampled_from(params or ["limit"]),
                  st.sampled_from([f"{p}__{op}" for p in params or ["id"]
                                   for op in ("in", "gte", "contains", "zz")]),
                  st.text(max_size=6)),
        st.text(max_size=12), max_size=3))
    if query:
        url += "?" + urlencode(query)
    body = None
    if method in ("POST", "PATCH"):
        body = data.draw(st.one_of(
            st.dictionaries(st.sampled_from(fields or ["x"]) | st.text(max_size=6), JSON,
                            max_size=4),
            JSON,
            st.binary(max_size=20),
        ))
        if not isinstance(body, bytes):
            body = json.dumps(body)
    response = api(method, url, body)
    assert response.status_code < 500, (method, url, body, response.data[:300])
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert re.fullmatch(r"[a-z_]+", error["code"]) and error["message"]
