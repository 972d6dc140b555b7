"""Sales on the module contract: actions declared once (sales/actions.py) show as buttons
only in their states and to those with the right, run from the page, the list and the API
alike, and leave a timeline entry; the order's workflow locks a confirmed order against
every way of writing it."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.timeline import TimelineEntry
from modules.sales.models import Lead, Order

from ...core.test_api import Api, token_for
from .conftest import lead, order, partner


def _order(sales, state="draft", **values):
    with sales.app_context():
        made = order(partner("Hoa Sen").id, user_id=sales.ids["sam"], **values)
        made.state = state
        db.session.commit()
        return made.id


def _buttons(page: str) -> set[str]:
    bar = page.split("record-actions", 1)[1].split('class="statusbar', 1)[0]
    return {chunk.split('"', 1)[0] for chunk in bar.split('class="action-')[1:]}


def test_buttons_follow_the_state_and_the_right(sales, sam_client, mia_client):
    made = _order(sales)
    assert _buttons(sam_client.get(f"/sales/orders/{made}").text) == {
        "send", "confirm", "cancel"}
    # the override reason is asked of managers only: Sam's confirm is a plain button
    assert 'name="override"' not in sam_client.get(f"/sales/orders/{made}").text
    assert 'name="override"' in mia_client.get(f"/sales/orders/{made}").text
    assert sam_client.post(f"/sales/orders/{made}/confirm").status_code == 302
    page = sam_client.get(f"/sales/orders/{made}").text
    assert _buttons(page) == {"done", "cancel"}
    assert 'statusbar-step state-confirmed current' in page


def test_a_transition_the_state_does_not_allow_is_refused_everywhere(sales, sam_client):
    made = _order(sales, state="done")
    refused = sam_client.post(f"/sales/orders/{made}/confirm", follow_redirects=True)
    assert refused.status_code == 200 and "cannot be done now" in refused.text
    api = Api(sales.test_client(), token_for(sales, "sam"))
    answer = api("POST", f"sale.order/{made}/cancel")
    assert (answer.status_code, answer.json["error"]["code"]) == (409, "invalid_state")
    assert api("POST", f"sale.order/{made}/no_such_action").status_code == 404
    with sales.app_context():
        assert db.session.get(Order, made).state == "done"


def test_a_locked_record_refuses_writes_from_the_api_and_the_editor(sales, sam_client):
    made = _order(sales, state="confirmed", note="As agreed")
    api = Api(sales.test_client(), token_for(sales, "sam"))
    answer = api("PATCH", f"sale.order/{made}", {"note": "Changed"})
    assert answer.status_code == 409
    assert answer.json["error"]["details"] == {"note": [answer.json["error"]["message"]]}
    # unchanged values are no write: sending the record back as it is passes
    assert api("PATCH", f"sale.order/{made}", {"note": "As agreed"}).status_code == 200
    posted = sam_client.post(f"/sales/orders/{made}", data={"note": "Changed", **{
        "line_product_id": "", "line_description": "Extra", "line_quantity": "1",
        "line_price_unit": "5", "line_discount": ""}})
    assert posted.status_code == 422
    with sales.app_context():
        assert db.session.get(Order, made).note == "As agreed"


def test_the_right_decides_who_may_act(sales):
    made = _order(sales)
    with sales.app_context():
        from tests.conftest import add_user

        add_user("viewer", {"core.user"})
        db.session.commit()
    viewer = Api(sales.test_client(), token_for(sales, "viewer"))
    assert viewer("POST", f"sale.order/{made}/send").status_code in (403, 404)
    sam = Api(sales.test_client(), token_for(sales, "sam"))
    # a parameter guarded by a named right: a salesperson may not give an override reason
    refused = sam("POST", f"sale.order/{made}/confirm", {"override": "I say so"})
    assert refused.status_code == 403
    with sales.app_context():
        assert db.session.get(Order, made).state == "draft"


def test_an_action_leaves_a_timeline_entry_shown_by_its_label(sales, sam_client):
    made = _order(sales)
    sam_client.post(f"/sales/orders/{made}/send")
    with sales.app_context():
        kinds = db.session.execute(sa.select(TimelineEntry.kind, TimelineEntry.body).where(
            TimelineEntry.model == "sale.order", TimelineEntry.record_id == made,
            TimelineEntry.kind == "action")).all()
    assert kinds == [("action", "send")]
    assert "Mark as sent" in sam_client.get(f"/sales/orders/{made}").text.split(
        "timeline-entries")[1]


def test_bulk_actions_run_per_record_and_report_refusals(sales, mia_client):
    with sales.app_context():
        first = lead("First", type="opportunity").id
        second = lead("Second", type="opportunity").id
        closed = lead("Closed", type="opportunity", outcome="lost").id
        db.session.commit()
    listing = mia_client.get("/sales/opportunities").text
    assert '<option value="won">' in listing
    assert 'value="lost"' not in listing.split("bulk-action")[1].split("</select>")[0]
    done = mia_client.post("/sales/opportunities/bulk", data={
        "ids": [first, second, closed], "action": "won"}, follow_redirects=True)
    assert "done for 2 records" in done.text and "refused for 1 records" in done.text
    with sales.app_context():
        outcomes = dict(db.session.execute(sa.select(Lead.id, Lead.outcome)).all())
    assert outcomes == {first: "won", second: "won", closed: "lost"}


def test_the_api_documents_actions_and_their_inputs(sales):
    spec = sales.test_client().get("/api/v1/openapi.json").json
    confirm = spec["paths"]["/api/v1/sale.order/{id}/confirm"]["post"]
    schema = confirm["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"override"}
    lost = spec["paths"]["/api/v1/sale.lead/{id}/lost"]["post"]
    assert "lost_reason_id" in lost["requestBody"]["content"]["application/json"]["schema"][
        "properties"]
