"""No answer 500, whatever is sent (issue 14, "500s: none, ever"): values beyond what the
columns hold, NUL and control characters and lone surrogates, nested JSON, dates the app
cannot compute with, duplicates of unique values, odd query parameters and routes. Each is
refused with a 4xx naming the field, by the API and the pages alike; the OpenAPI document
states the limits the API enforces."""
from __future__ import annotations

import base64
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core import limits
from core.db import db

from ..conftest import login
from .test_api import Api, token_for


@pytest.fixture
def api(app):
    return Api(app.test_client(), token_for(app, "admin"))


def refused(response, field, status=422):
    assert response.status_code == status, response.get_data(as_text=True)
    assert field in response.json["error"]["details"], response.json
    return response.json["error"]["details"][field][0]


# -- the API: values -----------------------------------------------------------------------
def test_whole_numbers_beyond_the_column_are_refused_not_overflowed(api):
    for value in (2**31, 2**63, -(2**31) - 1, 0):  # a reference is an id: 1 and up
        refused(api("POST", "partner", {"name": "A", "parent_id": value}), "parent_id")
    assert api("POST", "partner", {"name": "A", "parent_id": 2**31 - 1}).status_code == 422
    refused(api("GET", f"partner?parent_id={2**40}"), "parent_id", 400)
    refused(api("GET", "partner?parent_id=%C2%B2"), "parent_id", 400)  # "²" is no number


def test_ids_beyond_an_id_column_are_not_found(api, admin_client):
    for path in (f"partner/{2**31}", f"partner/{2**63}"):
        assert api("GET", path).status_code == 404
    assert api("POST", f"partner/{2**64}/x").status_code == 404
    assert api("PATCH", f"partner/{2**63}", {"name": "x"}).status_code == 404
    assert api("DELETE", f"partner/{2**40}").status_code == 404
    assert admin_client.get(f"/settings/users/{2**63}").status_code == 404  # pages too


def test_limit_and_offset_are_bounded(api):
    for query in ("limit=0", "limit=501", f"offset={2**31}", "offset=-1", "limit=1_0",
                  "offset=%C2%B2"):
        assert api("GET", f"partner?{query}").status_code == 400, query
    assert api("GET", f"partner?offset={2**31 - 1}").status_code == 200


@pytest.mark.parametrize("name", ["a\x00b", "a\x01b", "line\x0bbreak", "\x7f"])
def test_control_characters_are_refused_in_text(api, name):
    assert "control" in refused(api("POST", "partner", {"name": name}), "name")


def test_lone_surrogates_and_nan_are_not_json(api):
    for body in ('{"name": "\\udc80"}', '{"\\ud800": 1}', '{"name": "x", "notes": NaN}'):
        response = api("POST", "partner", body)
        assert response.status_code == 400 and response.json["error"]["code"] == \
            "malformed_json", body


def test_deeply_nested_json_is_refused(api):
    for depth in (40, 100_000):
        body = '{"name": "x", "notes": ' + "[" * depth + "]" * depth + "}"
        response = api("POST", "partner", body)
        assert response.status_code == 400, depth
    assert api("POST", "partner", {"name": "x", "notes": [[1]]}).status_code == 422


def test_a_list_of_ids_is_never_null(api):
    refused(api("POST", "partner", {"name": "A", "tag_ids": None}), "tag_ids")
    refused(api("POST", "partner", {"name": "A", "tag_ids": [2**40]}), "tag_ids")


def test_required_text_is_not_blank_and_lengths_count_as_sent(api):
    refused(api("POST", "partner", {"name": " \t"}), "name")
    refused(api("POST", "partner", {"name": "x", "country": " VN "}), "country")
    assert api("POST", "partner", {"name": " Hoa Sen "}).json["name"] == "Hoa Sen"


def test_emails_are_an_address_or_nothing(api):
    refused(api("POST", "partner", {"name": "A", "email": "a@b@c"}), "email")
    assert api("POST", "partner", {"name": "A", "email": ""}).json["email"] is None


def test_percentages_and_rates_stay_within_0_and_100(api):
    assert "100" in refused(api("POST", "tax", {"name": "VAT", "rate": "1000"}), "rate")
    refused(api("POST", "tax", {"name": "VAT", "rate": -5}), "rate")
    refused(api("POST", "tax", {"name": "VAT", "rate": "10.123"}), "rate")
    assert api("POST", "tax", {"name": "VAT", "rate": 8.5}).json["rate"] == "8.50"


def test_datetimes_are_rfc_3339_in_and_out(api):
    created = api("POST", "activity", {"subject": "Call", "due_at": "2026-12-02T17:00:00+07:00"})
    assert created.status_code == 201, created.json
    assert created.json["due_at"] == "2026-12-02T10:00:00Z"  # kept in UTC, said so
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", created.json["created_at"])
    for when in ("2026-12-02T10:00:00", "2026-12-02T10:00Z", "9999-12-31T00:00:00Z",
                 "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z"):
        refused(api("POST", "activity", {"subject": "Call", "due_at": when}), "due_at")


def test_minutes_are_bounded_by_what_the_reminders_compute(api):
    refused(api("POST", "activity", {"subject": "Call", "remind_minutes": 2**31 - 1}),
            "remind_minutes")
    refused(api("POST", "activity", {"subject": "Call", "duration_minutes": -1}),
            "duration_minutes")


def test_a_partner_cannot_be_its_own_company(api):
    company = api("POST", "partner", {"name": "Hoa Sen", "is_company": True}).json
    person = api("POST", "partner", {"name": "Mai", "parent_id": company["id"]}).json
    refused(api("PATCH", f"partner/{company['id']}", {"parent_id": company["id"]}),
            "parent_id")
    refused(api("PATCH", f"partner/{company['id']}", {"parent_id": person["id"]}), "parent_id")
    assert api("DELETE", f"partner/{company['id']}").status_code == 204


# -- the API: requests ---------------------------------------------------------------------
def test_405_names_the_allowed_methods(api, app):
    response = api("PUT", "partner")
    assert response.status_code == 405 and {"GET", "POST"} <= set(
        response.headers["Allow"].replace(" ", "").split(","))
    page = app.test_client().put("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_order_and_translations_parameters_are_checked(api):
    assert api("GET", "partner?order=-name,id").status_code == 200
    for query in ("order=name,,id", "order=password_hash", "order=%20name",
                  "translations=maybe", "translations=-1"):
        assert api("GET", f"partner?{query}").status_code == 400, query
    assert api("GET", "partner?translations=True").status_code == 200


def test_a_nul_anywhere_in_a_query_is_refused(api, admin_client):
    assert api("GET", "partner?name__contains=a%00b").status_code == 400
    assert admin_client.get("/contacts/partners?q=a%00b").status_code == 400


# -- duplicates ----------------------------------------------------------------------------
def test_a_duplicate_unique_value_is_409_naming_the_field(app, admin_client):
    for name in ("VIP", "VIP"):
        response = admin_client.post("/contacts/tags/new", data={"name": name,
                                                                  "color": "secondary"})
    assert response.status_code == 409
    assert "duplicate" in response.get_data(as_text=True)
    with app.app_context():
        from core.partners.models import PartnerTag

        assert db.session.execute(sa.select(sa.func.count(PartnerTag.id))).scalar() == 1


def test_a_unique_value_the_database_refuses_is_named(app):
    """What a race past the save path's check meets: the database's refusal, read for the
    field (core.errors answers it 409)."""
    from core.errors import conflict
    from core.partners.models import PartnerTag

    with app.test_request_context():
        db.session.add_all([PartnerTag(name="VIP"), PartnerTag(name="VIP")])
        with pytest.raises(sa.exc.IntegrityError) as caught:
            db.session.flush()
        db.session.rollback()
        message, fields = conflict(caught.value)
    assert fields == {"name": message}


# -- the OpenAPI document states what the API enforces -------------------------------------
def test_the_document_states_the_limits(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    partner = spec["components"]["schemas"]["partner.input"]["properties"]
    assert partner["name"]["minLength"] == 1 and partner["name"]["pattern"]
    assert partner["parent_id"]["minimum"] == 1
    assert partner["parent_id"]["maximum"] == limits.MAX_ID
    assert partner["tag_ids"]["items"]["maximum"] == limits.MAX_ID
    assert "nullable" not in partner["tag_ids"]
    tax = spec["components"]["schemas"]["tax.input"]["properties"]["rate"]
    text, number = tax["anyOf"]
    assert number["maximum"] == 100 and number["minimum"] == 0
    assert re.fullmatch(text["pattern"], "100") and not re.fullmatch(text["pattern"], "101")
    listing = spec["paths"]["/api/v1/partner"]["get"]["parameters"]
    params = {p["name"]: p["schema"] for p in listing}
    assert params["offset"]["maximum"] == limits.MAX_ID
    assert params["parent_id"] == {"type": "integer", "minimum": 1, "maximum": limits.MAX_ID}
    assert re.fullmatch(params["order"]["pattern"], "-name,id")
    one = spec["paths"]["/api/v1/partner/{id}"]["parameters"][0]["schema"]
    assert one["maximum"] == limits.MAX_ID
    # an email is what the API checks (something@something, or nothing), in and out: the
    # "email" format would call answers with addresses the API took schema violations
    for schema in ("partner", "partner.input"):
        assert "format" not in spec["components"]["schemas"][schema]["properties"]["email"]
    assert re.fullmatch(partner["email"]["pattern"], "")
    activity = spec["components"]["schemas"]["activity.input"]["properties"]["due_at"]
    assert re.fullmatch(activity["pattern"], "2026-12-02T10:00:00Z")
    assert not re.fullmatch(activity["pattern"], "2026-12-02T10:00:00")


# -- pages ---------------------------------------------------------------------------------
def test_query_values_named_like_url_for_arguments_are_ignored(admin_client):
    for query in ("_method=POST", "_external=1", "_anchor=x", "_scheme=javascript"):
        assert admin_client.get(f"/contacts/partners?{query}").status_code == 200, query
        assert admin_client.get(f"/activities/activities?{query}").status_code == 200


def test_calendar_days_beyond_the_years_show_today(admin_client):
    for day in ("0001-01-01", "9999-12-31", "1899-12-31"):
        for mode in ("month", "week"):
            response = admin_client.get(f"/activities/activities/calendar?day={day}&mode={mode}")
            assert response.status_code == 200, (day, mode)


def cursor(value, last_id) -> str:
    raw = json.dumps([value, last_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_cursor_of_another_type_or_size_is_400(admin_client):
    assert admin_client.get(f"/contacts/partners?after={cursor('Hoa', 1)}").status_code == 200
    for bad in (cursor("Hoa", "x"), cursor("Hoa", 2**64), cursor(["x"], 1), "%%%",
                cursor("Hoa\x00", 1)):
        assert admin_client.get(f"/contacts/partners?after={bad}").status_code == 400, bad
    for bad in (cursor("x", 1), cursor(2**70, 1)):  # the taxes list sorts by a number
        assert admin_client.get(f"/settings/taxes?sort=sequence&after={bad}").status_code \
            in (200, 400), bad


def test_a_page_beyond_any_offset_is_empty(admin_client):
    for page in (2**40, 10**30, -3, "²"):
        assert admin_client.get(f"/contacts/partners?page={page}").status_code == 200


def test_forms_refuse_what_the_columns_cannot_hold(admin_client):
    for rate in ("1000", "-1", "NaN", "1e400", "Infinity"):
        response = admin_client.post("/settings/taxes/new", data={
            "name": "VAT", "rate": rate, "sequence": "10"})
        assert response.status_code == 422, rate
    response = admin_client.post("/settings/taxes/new", data={
        "name": "VAT", "rate": "10", "sequence": str(2**40)})
    assert response.status_code == 422
    response = admin_client.post("/contacts/partners/new", data={
        "name": "A", "kind": "customer", "parent_id": str(2**70)})
    assert response.status_code == 422
    response = admin_client.post("/contacts/partners/new", data={
        "name": "A\x01", "kind": "customer"})
    assert response.status_code == 422
    assert admin_client.post("/contacts/partners/new", data={
        "name": "A", "kind": "customer"}).status_code == 302


def test_a_login_is_one_word(app, admin_client):
    for login_name in ("bob\n", "bob\r\nadmin", "b\x01b", "bo b"):
        response = admin_client.post("/settings/users/new", data={
            "name": "Bob", "login": login_name, "password": "secret-pw",
            "confirm": "secret-pw", "active": "y"})
        assert response.status_code in (200, 422), login_name
        assert "Letters, digits" in response.get_data(as_text=True), login_name
    with app.app_context():
        from core.auth.models import User

        assert db.session.execute(sa.select(User.id).where(
            User.login.like("bo%"))).first() is None


def test_the_cli_refuses_empty_passwords_and_odd_logins(app):
    runner = app.test_cli_runner()
    for login_name, password in (("bob", ""), ("bob", "   "), ("bob", "short"),
                                 ("bob\nadmin", "long-enough"), ("b\x01b", "long-enough")):
        result = runner.invoke(args=["users", "create", login_name, "--password", password])
        assert result.exit_code != 0, (login_name, password)
    result = runner.invoke(args=["users", "create", "bob", "--password", "long-enough"])
    assert result.exit_code == 0, result.output


def test_signing_in_with_a_nul_is_refused(app):
    client = app.test_client()
    assert client.post("/login", data={"login": "admin\x00", "password": "x"}).status_code \
        == 400
    assert login(client)  # and the form still works


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Must be between -1,000,000.50 and 2,000,000.50."),
    ("vi", "Phải nằm trong khoảng từ -1.000.000,50 đến 2.000.000,50."),
])
def test_a_range_message_writes_its_bounds_as_the_reader_does(app, lang, expected):
    from flask_babel import force_locale

    message = limits.number_problem(Decimal("9e9"), Decimal("-1000000.50"),
                                    Decimal("2000000.50"))
    with app.test_request_context(), force_locale(lang):
        assert str(message) == expected
