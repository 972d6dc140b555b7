"""The tutorial's module (docs/modules.md) through its whole life: enabled (its migration
runs), demo data, its pages in three languages, its actions from the page and the API
(in their states, to those with the right), the locks of its workflow, its record rule,
disabled and enabled again with its data, and purged."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core import demo
from core.db import db
from core.modules import get_registry, lifecycle
from core.timeline import TimelineEntry

from ..conftest import add_user, login
from ..core.test_api import Api, token_for
from ..core.test_permissions import expected, routes
from .conftest import claim, stored


def buttons(page: str) -> set[str]:
    """The actions offered above a claim (core/templates/generic/_actions.html)."""
    return set(re.findall(r'class="(?:action-params )?action-(\w+)"', page))


def tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


# -- enable, demo ---------------------------------------------------------------------------
def test_enabling_runs_the_migration_and_adds_the_menu(app):
    assert "expense_claim" not in tables(app)
    with app.app_context():
        registry = get_registry()
        assert registry.state("expenses") == "available"
        lifecycle.enable(registry, ["expenses"])
        assert registry.installed_version("expenses") == "1.0.0"
        heads = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        assert "expenses_0001" in set(heads)
        add_user("an", {"expenses.user"})
        db.session.commit()
    assert "expense_claim" in tables(app)
    home = login(app.test_client(), "an").get("/").text
    assert 'href="/expenses/claims"' in home


def test_demo_data_gives_claims_in_every_state(expenses):
    with expenses.app_context():
        done = demo.load_all(get_registry())
        assert "demo data: expenses" in done
        states = set(db.session.execute(sa.text("SELECT state FROM expense_claim")).scalars())
    assert states == {"draft", "submitted", "approved", "paid", "refused"}
    board = login(expenses.test_client(), "demo_zh", "demo").get("/expenses/claims/board")
    assert board.status_code == 200
    assert "上海出差高铁票" in board.text and "Khách sạn Đà Nẵng" not in board.text  # own only


# -- pages ----------------------------------------------------------------------------------
WORDS = {  # what each page shows, per language
    "en": ["Expense claims", "Employee", "Travel", "Reimbursed", "Submit"],
    "vi": ["Đề nghị thanh toán chi phí", "Nhân viên", "Đi lại", "Đã chi trả", "Gửi duyệt"],
    "zh_CN": ["费用报销", "员工", "差旅", "已报销", "提交"],
}


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_the_pages_in_each_language(expenses, lang):
    from core.auth.models import User

    made = claim(expenses, "an", category="travel")
    with expenses.app_context():
        db.session.get(User, expenses.ids["an"]).lang = lang
        db.session.commit()
    title, employee, travel, reimbursed, submit = WORDS[lang]
    an = login(expenses.test_client(), "an")
    listing = an.get("/expenses/claims")
    assert listing.status_code == 200
    assert title in listing.text and travel in listing.text
    form = an.get(f"/expenses/claims/{made}")
    assert form.status_code == 200
    assert employee in form.text and submit in form.text
    assert an.get("/expenses/claims/new").status_code == 200
    board = an.get("/expenses/claims/board")
    assert board.status_code == 200 and reimbursed in board.text
    assert an.get("/expenses/claims/report?rows=category").status_code == 200


# -- actions from the page ---------------------------------------------------------------
def test_a_claim_from_draft_to_reimbursed_on_its_page(expenses, an, vy):
    created = an.post("/expenses/claims/new", data={
        "date": "2026-11-30", "category": "travel", "amount": "18.50",
        "description": "Taxi to Nội Bài"})
    assert created.status_code == 302
    made = int(created.location.rsplit("/", 1)[1])
    assert stored(expenses, made).employee_id == expenses.ids["an"]  # who recorded it
    page = f"/expenses/claims/{made}"
    assert buttons(an.get(page).text) == {"submit"}
    assert an.post(f"{page}/submit").status_code == 302
    assert buttons(an.get(page).text) == {"reset"}  # no right to approve
    assert buttons(vy.get(page).text) == {"approve", "refuse", "reset"}
    assert vy.post(f"{page}/approve").status_code == 302
    assert buttons(vy.get(page).text) == {"pay"}
    assert buttons(an.get(page).text) == set()
    assert vy.post(f"{page}/pay").status_code == 302
    assert stored(expenses, made).state == "paid"
    assert buttons(vy.get(page).text) == set()
    with expenses.app_context():
        done = db.session.execute(sa.select(TimelineEntry.body).where(
            TimelineEntry.model == "expense.claim", TimelineEntry.record_id == made,
            TimelineEntry.kind == "action").order_by(TimelineEntry.id)).scalars().all()
    assert done == ["submit", "approve", "pay"]


def test_refusing_asks_a_reason_and_reset_starts_again(expenses, an, vy):
    made = claim(expenses, "an", state="submitted")
    page = f"/expenses/claims/{made}"
    assert 'name="reason"' in vy.get(page).text
    refused = vy.post(f"{page}/refuse", data={"reason": ""}, follow_redirects=True)
    assert "This field is required." in refused.text
    assert stored(expenses, made).state == "submitted"
    vy.post(f"{page}/refuse", data={"reason": "Attach the receipt, please."})
    assert (stored(expenses, made).state, stored(expenses, made).refusal_reason) == (
        "refused", "Attach the receipt, please.")
    assert "Attach the receipt, please." in an.get(page).text
    assert buttons(an.get(page).text) == {"reset"}
    an.post(f"{page}/reset")
    assert (stored(expenses, made).state, stored(expenses, made).refusal_reason) == (
        "draft", None)


def test_an_approver_does_not_approve_their_own_claim(expenses, vy):
    own = claim(expenses, "vy", state="submitted")
    assert buttons(vy.get(f"/expenses/claims/{own}").text) == {"reset"}
    answer = Api(expenses.test_client(), token_for(expenses, "vy"))(
        "POST", f"expense.claim/{own}/approve")
    assert (answer.status_code, answer.json["error"]["code"]) == (409, "own_claim")


def test_bulk_approval_reports_what_the_state_refuses(expenses, vy):
    first, second = claim(expenses, "an", "submitted"), claim(expenses, "binh", "submitted")
    draft = claim(expenses, "an")
    done = vy.post("/expenses/claims/bulk", data={"ids": [first, second, draft],
                                                  "action": "approve"}, follow_redirects=True)
    assert "done for 2 records" in done.text and "refused for 1 records" in done.text
    assert [stored(expenses, i).state for i in (first, second, draft)] == [
        "approved", "approved", "draft"]


def test_the_board_shows_states_but_moves_them_only_by_actions(expenses, an):
    made = claim(expenses, "an", state="submitted")
    board = an.get("/expenses/claims/board").text
    assert "data-movable" not in board
    assert an.post(f"/expenses/claims/{made}/move", data={"stage": "paid"}).status_code == 409
    assert stored(expenses, made).state == "submitted"


# -- actions through the API ----------------------------------------------------------------
def test_the_api_creates_and_moves_claims_under_the_same_rules(expenses):
    an = Api(expenses.test_client(), token_for(expenses, "an"))
    vy = Api(expenses.test_client(), token_for(expenses, "vy"))
    created = an("POST", "expense.claim", {"date": "2026-11-28", "category": "meals",
                                           "amount": "42.30", "description": "Lunch"})
    assert created.status_code == 201, created.json
    assert (created.json["employee_id"], created.json["state"]) == (expenses.ids["an"], "draft")
    made = created.json["id"]
    zero = an("POST", "expense.claim", {"amount": "0", "description": "Nothing"})
    assert (zero.status_code, list(zero.json["error"]["details"])) == (422, ["amount"])
    assert an("POST", "expense.claim", {"amount": "5", "description": "x",
                                        "category": "yacht"}).status_code == 422
    assert an("POST", f"expense.claim/{made}/approve").status_code == 403  # no right
    assert vy("POST", f"expense.claim/{made}/approve").json["error"]["code"] == "invalid_state"
    assert an("POST", f"expense.claim/{made}/submit").json["state"] == "submitted"
    again = an("POST", f"expense.claim/{made}/submit")
    assert (again.status_code, again.json["error"]["code"]) == (409, "invalid_state")
    paid_early = vy("POST", f"expense.claim/{made}/pay")
    assert (paid_early.status_code, paid_early.json["error"]["code"]) == (409, "invalid_state")
    assert vy("POST", f"expense.claim/{made}/refuse", {}).status_code == 422  # no reason
    refused = vy("POST", f"expense.claim/{made}/refuse", {"reason": "No receipt"})
    assert (refused.json["state"], refused.json["refusal_reason"]) == ("refused", "No receipt")
    assert an("POST", f"expense.claim/{made}/nothing").status_code == 404


def test_the_api_documents_the_actions(expenses):
    spec = expenses.test_client().get("/api/v1/openapi.json").json
    assert "/api/v1/expense.claim" in spec["paths"]
    refuse = spec["paths"]["/api/v1/expense.claim/{id}/refuse"]["post"]
    schema = refuse["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["reason"]


# -- the workflow's locks --------------------------------------------------------------------
def test_a_submitted_claim_is_locked_in_the_form_and_the_api(expenses, an):
    made = claim(expenses, "an", state="submitted", category="travel")
    api = Api(expenses.test_client(), token_for(expenses, "an"))
    changed = api("PATCH", f"expense.claim/{made}", {"amount": "99.00"})
    assert (changed.status_code, changed.json["error"]["code"]) == (409, "invalid_state")
    assert list(changed.json["error"]["details"]) == ["amount"]
    assert api("PATCH", f"expense.claim/{made}", {"amount": "18.50"}).status_code == 200
    page = an.get(f"/expenses/claims/{made}").text
    assert " disabled " in re.search(r'<input[^>]*name="amount"[^>]*>', page).group(0)
    assert ">Save</button>" not in page
    forged = an.post(f"/expenses/claims/{made}", data={
        "employee_id": expenses.ids["an"], "date": "2026-11-30", "category": "travel",
        "amount": "99.00", "description": "Taxi to the airport"})
    assert forged.status_code == 409
    assert str(stored(expenses, made).amount) == "18.50"
    # a draft is the employee's to change
    draft = claim(expenses, "an")
    assert api("PATCH", f"expense.claim/{draft}", {"amount": "20.00"}).status_code == 200


# -- the record rule -------------------------------------------------------------------------
def test_employees_see_their_own_claims_and_approvers_all(expenses, an, vy):
    mine = claim(expenses, "an", description="Taxi for An")
    theirs = claim(expenses, "binh", description="Hotel for Binh")
    assert "Taxi for An" in an.get("/expenses/claims").text
    assert "Hotel for Binh" not in an.get("/expenses/claims").text
    assert "Hotel for Binh" not in an.get("/expenses/claims/board").text
    assert an.get(f"/expenses/claims/{theirs}").status_code == 404
    assert an.post(f"/expenses/claims/{theirs}/submit").status_code == 404
    api = Api(expenses.test_client(), token_for(expenses, "an"))
    assert [c["id"] for c in api("GET", "expense.claim").json["items"]] == [mine]
    assert api("GET", f"expense.claim/{theirs}").status_code == 404
    assert api("PATCH", f"expense.claim/{theirs}", {"amount": "1"}).status_code == 404
    # nor may An file a claim in Binh's name: it would leave An's reach
    forged = api("POST", "expense.claim", {"employee_id": expenses.ids["binh"],
                                           "amount": "9.99", "description": "Not mine"})
    assert forged.status_code == 403
    listing = vy.get("/expenses/claims").text
    assert "Taxi for An" in listing and "Hotel for Binh" in listing


@pytest.mark.parametrize("user", ["anonymous", "clerk", "an", "vy", "admin"])
def test_every_page_of_the_module_answers_as_it_declares(expenses, user):
    """The suite's permission matrix (tests/core/test_permissions.py) over this module."""
    client = expenses.test_client()
    if user != "anonymous":
        login(client, user)
    checked = 0
    for rule, declared, method, url in routes(expenses):
        if not rule.endpoint.startswith("expenses."):
            continue
        status = client.open(url, method=method).status_code
        want = expected(expenses, declared, user)
        assert status != 500, f"{method} {url}"
        assert (status in (302, 401)) if want == "login" else (
            status == 403 if want == "denied" else status not in (401, 403)), (
            f"{method} {url} as {user}: {status}, expected {want}")
        checked += 1
    assert checked >= 10


# -- disable, enable, purge ----------------------------------------------------------------
def test_disabling_keeps_the_claims_and_enabling_brings_them_back(expenses, an):
    made = claim(expenses, "an", description="Kept while disabled")
    token = token_for(expenses, "an")
    with expenses.app_context():
        lifecycle.disable(get_registry(), ["expenses"])
    assert an.get("/expenses/claims").status_code == 404
    assert Api(expenses.test_client(), token)("GET", "expense.claim").status_code == 404
    assert "expense_claim" in tables(expenses)
    with expenses.app_context():
        lifecycle.enable(get_registry(), ["expenses"])
    assert "Kept while disabled" in an.get("/expenses/claims").text
    assert stored(expenses, made).description == "Kept while disabled"


def test_purging_drops_the_table(expenses):
    claim(expenses, "an")
    with expenses.app_context():
        registry = get_registry()
        lifecycle.disable(registry, ["expenses"])
        lifecycle.uninstall(registry, ["expenses"])
        assert registry.state("expenses") == "uninstalled"
    assert "expense_claim" not in tables(expenses)
    with expenses.app_context():  # installed again: a new, empty table
        lifecycle.enable(get_registry(), ["expenses"])
        assert db.session.execute(sa.text("SELECT count(*) FROM expense_claim")).scalar() == 0
