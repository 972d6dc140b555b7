"""The JSON API: CRUD and actions for `partner` and a fixture module's model, the same rights
and record rules as the pages, errors as JSON, and an OpenAPI document of what is enabled."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from core.auth.models import ApiToken, User
from core.db import db
from core.modules import get_registry, lifecycle

from ..conftest import add_user


class Api:
    """A client speaking JSON with a bearer token."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def __call__(self, method, path, body=None, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs.setdefault("content_type", "application/json")
        return self.client.open(f"/api/v1/{path}", method=method, headers=headers, **kwargs)


def token_for(app, login_name, groups=None):
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.login == login_name)).scalar()
        if user is None:
            user = add_user(login_name, groups or ())
        _record, token = ApiToken.issue(user, "test")
        db.session.commit()
        return token


@pytest.fixture
def api(app):
    return Api(app.test_client(), token_for(app, "admin"))


@pytest.fixture
def library(app):
    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
    return app


def test_partner_crud(api):
    created = api("POST", "partner", {"name": "Công ty Hoa Sen", "is_company": True,
                                      "email": "info@hoasen.vn", "kind": "customer"})
    assert created.status_code == 201, created.json
    company = created.json
    assert company["name"] == "Công ty Hoa Sen" and company["is_company"] is True
    person = api("POST", "partner", {"name": "Lý Minh", "parent_id": company["id"]}).json
    assert person["display_name"] == "Công ty Hoa Sen, Lý Minh"
    assert api("GET", f"partner/{person['id']}").json["parent_id"] == company["id"]
    changed = api("PATCH", f"partner/{person['id']}", {"phone": "+84 28 1234 5678"})
    assert changed.status_code == 200 and changed.json["phone"] == "+84 28 1234 5678"
    listing = api("GET", "partner?is_company=true").json
    assert listing["total"] == 1 and [p["name"] for p in listing["items"]] == ["Công ty Hoa Sen"]
    assert api("GET", f"partner?parent_id={company['id']}").json["total"] == 1
    assert api("GET", "partner?name__contains=hoa").json["total"] == 1
    assert [p["name"] for p in api("GET", "partner?order=-name").json["items"]] == [
        "Lý Minh", "Công ty Hoa Sen"]
    page = api("GET", "partner?limit=1&offset=1&order=name").json
    assert page["total"] == 2 and [p["name"] for p in page["items"]] == ["Lý Minh"]
    assert api("DELETE", f"partner/{person['id']}").status_code == 204
    assert api("GET", f"partner/{person['id']}").status_code == 404


def test_fixture_module_crud_action_and_extension_field(app, api, library):
    book = api("POST", "fx.book", {"title": "Sales for beginners"}).json
    assert "loan_count" not in book  # fx_loans is not enabled
    lent = api("POST", f"fx.book/{book['id']}/lend", {"to": "Lan"})
    assert lent.status_code == 200 and lent.json["id"] == book["id"]
    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_loans"])
    assert api("POST", "fx.loan", {"book_id": book["id"], "borrower": "Wei"}).status_code == 201
    assert api("GET", f"fx.book/{book['id']}").json["loan_count"] == 1
    refused = api("POST", f"fx.book/{book['id']}/lend")
    assert refused.status_code == 409
    assert refused.json["error"] == {"code": "refused", "message": "already lent"}
    with app.app_context():
        lifecycle.disable(get_registry(), ["fx_loans"])
    assert "loan_count" not in api("GET", f"fx.book/{book['id']}").json
    assert api("GET", "fx.loan").status_code == 404
    with app.app_context():
        lifecycle.disable(get_registry(), ["fx_library"])
    missing = api("GET", "fx.book")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_the_same_rights_and_rules_as_the_pages(app, library):
    ann = Api(app.test_client(), token_for(app, "ann", ["fx_library.user"]))
    ben = Api(app.test_client(), token_for(app, "ben", ["fx_library.user"]))
    clerk = Api(app.test_client(), token_for(app, "clerk"))
    with app.app_context():
        ann_id = db.session.execute(sa.select(User.id).where(User.login == "ann")).scalar()
        ben_id = db.session.execute(sa.select(User.id).where(User.login == "ben")).scalar()
    mine = ann("POST", "fx.book", {"title": "Ann's", "owner_id": ann_id})
    assert mine.status_code == 201
    # creating a record outside one's own rules is refused, and nothing is written
    foreign = ann("POST", "fx.book", {"title": "For Ben", "owner_id": ben_id})
    assert foreign.status_code == 403
    assert [b["title"] for b in ann("GET", "fx.book").json["items"]] == ["Ann's"]
    assert ben("GET", "fx.book").json["total"] == 0
    assert ben("GET", f"fx.book/{mine.json['id']}").status_code == 404
    assert ben("PATCH", f"fx.book/{mine.json['id']}", {"title": "x"}).status_code == 404
    assert ann("DELETE", f"fx.book/{mine.json['id']}").status_code == 403  # no 'd' right
    assert clerk("GET", "fx.book").status_code == 403
    assert clerk("GET", "partner").status_code == 200


@pytest.mark.parametrize("method, path, body, status, code", [
    ("GET", "partner?limit=501", None, 400, "invalid_parameter"),
    ("GET", "partner?limit=abc", None, 400, "invalid_parameter"),
    ("GET", "partner?offset=-1", None, 400, "invalid_parameter"),
    ("GET", "partner?colour=red", None, 400, "invalid_parameter"),
    ("GET", "partner?is_company=maybe", None, 400, "invalid_parameter"),
    ("GET", "partner?order=password", None, 400, "invalid_parameter"),
    ("GET", "partner/abc", None, 404, "not_found"),
    ("GET", "partner/999999", None, 404, "not_found"),
    ("GET", "nothing.here", None, 404, "not_found"),
    ("POST", "partner", "{not json", 400, "malformed_json"),
    ("POST", "partner", [1, 2], 422, "invalid"),
    ("POST", "partner", {}, 422, "invalid"),
    ("POST", "partner", {"name": "X", "colour": "red"}, 422, "invalid"),
    ("POST", "partner", {"name": 12}, 422, "invalid"),
    ("POST", "partner", {"name": "X", "is_company": "yes"}, 422, "invalid"),
    ("POST", "partner", {"name": "X", "kind": "alien"}, 422, "invalid"),
    ("POST", "partner", {"name": "X", "parent_id": 424242}, 422, "invalid"),
    ("POST", "partner", {"name": "X", "id": 5}, 422, "invalid"),
    ("POST", "partner", {"name": "X" * 201}, 422, "invalid"),
    ("POST", "partner/1/explode", None, 404, "not_found"),
    ("PUT", "partner/1", {"name": "X"}, 405, "method_not_allowed"),
])
def test_bad_requests_are_4xx_json_and_change_nothing(app, api, method, path, body, status, code):
    api("POST", "partner", {"name": "Existing"})
    response = api(method, path, body)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    assert api("GET", "partner").json["total"] == 1


def test_field_errors_name_each_field(api):
    response = api("POST", "partner", {"name": "", "email": "nope", "colour": 1})
    details = response.json["error"]["details"]
    assert set(details) == {"name", "email", "colour"}
    assert details["colour"] == ["Unknown field."]


def test_wrong_content_type_and_missing_or_bad_tokens(app, api):
    form = api("POST", "partner", "name=x", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 400 and form.json["error"]["code"] == "bad_content_type"
    anonymous = Api(app.test_client(), None)("GET", "partner")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
    assert Api(app.test_client(), "erp_forged")("GET", "partner").status_code == 401
    # a signed-in browser session is not enough: no cookie-authenticated API, so no CSRF
    from ..conftest import login

    browser = login(app.test_client())
    assert browser.get("/api/v1/partner").status_code == 401


def test_messages_follow_the_users_language(app):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == "admin").values(lang="vi"))
        db.session.commit()
    api = Api(app.test_client(), token_for(app, "admin"))
    message = api("GET", "partner?limit=0").json["error"]["message"]
    assert message != "Some query parameters are not valid."


def test_revoked_tokens_stop_working(app, api):
    assert api("GET", "partner").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(revoked_at=sa.func.now()))
        db.session.commit()
    assert api("GET", "partner").status_code == 401


def test_a_token_s_last_use_is_written_once_a_minute(app, api):
    """Not a write per API read: on SQLite every write waits for the one writer."""
    from datetime import timedelta

    from sqlalchemy import event

    def last_used():
        with app.app_context():
            return db.session.execute(sa.select(ApiToken.last_used_at)).scalar()

    assert api("GET", "partner").status_code == 200
    first = last_used()
    assert first is not None
    updates = []
    with app.app_context():
        engine = db.engine
    listen = lambda *args: updates.append(args[2]) if args[2].startswith("UPDATE") else None  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        assert api("GET", "partner").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert updates == [] and last_used() == first
    with app.app_context():  # a minute later, it is written again
        db.session.execute(sa.update(ApiToken).values(last_used_at=first - timedelta(minutes=2)))
        db.session.commit()
    assert api("GET", "partner").status_code == 200
    assert last_used() > first - timedelta(minutes=2)


def test_money_is_a_decimal_string(app):
    from decimal import Decimal

    from core.api.fields import Field, Invalid

    money = Field("amount", "decimal", writable=True, nullable=False)
    assert money.parse("59.97") == Decimal("59.97") and money.dump(Decimal("59.97")) == "59.97"
    assert money.parse(10) == Decimal("10.00")
    for bad in ("abc", "NaN", "Infinity", True, [], "1e99"):
        with pytest.raises(Invalid):
            money.parse(bad)


@pytest.mark.parametrize("user", ["anonymous", "clerk", "admin"])
def test_api_permission_matrix_over_every_exposed_model(app, user):
    """Every model of every enabled module, for three kinds of caller, derived from the
    access table, so a new module is covered without new tests."""
    from core import access
    from core.api import Resource

    with app.app_context():
        registry = get_registry()
        lifecycle.enable(registry, list(registry.manifests))
        served = Resource.served(registry)
        models = sorted(served)
        read_only = {model for model, resource in served.items() if resource.read_only}
    token = None if user == "anonymous" else token_for(app, user)
    api = Api(app.test_client(), token)
    assert "partner" in models and "fx.book" in models
    for model in models:
        with app.test_request_context():
            if user != "anonymous":
                from flask import g

                g._login_user = db.session.execute(
                    sa.select(User).where(User.login == user)).scalar()
            may_read = user != "anonymous" and access.can(model, "r")
            may_create = user != "anonymous" and access.can(model, "c")
        listing = api("GET", model)
        created = api("POST", model, {})
        if user == "anonymous":
            assert (listing.status_code, created.status_code) == (401, 401), model
            continue
        assert listing.status_code == (200 if may_read else 403), model
        # an empty object is refused for what it lacks (422), or for the right (403); a
        # model the API only reads takes no writes (405)
        if model in read_only:
            assert created.status_code == 405, model
        else:
            assert created.status_code in ((422, 201) if may_create else (403,)), model
        assert api("GET", f"{model}/999999").status_code == (404 if may_read else 403), model
