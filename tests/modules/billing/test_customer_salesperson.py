"""A salesperson may not take a customer, and with it the customer's invoices (issue 14):
billing's invoice rule keys on the partner's salesperson, so `partner.salesperson_id`
needs the right `core.assign` (administrators, and sales managers through sales), by the
API, the contact form and the CSV import alike."""
from __future__ import annotations

import io
import re

import pytest

from core.db import db
from core.partners.models import Partner

from ...conftest import login
from ...core.test_api import Api, token_for
from .conftest import acting, partner, posted

CONTACTS = "/contacts/partners"


@pytest.fixture
def toms_customer(shop):
    """Tom's customer with a posted invoice: (partner id, invoice id)."""
    with shop.app_context(), acting(shop, "max"):
        customer = partner("Công ty Hoa Sen", salesperson_id=shop.ids["tom"])
        invoice = posted(customer.id, "100")
        ids = customer.id, invoice.id
        db.session.commit()
    return ids


def salesperson_of(app, partner_id):
    with app.app_context():
        return db.session.get(Partner, partner_id).salesperson_id


def test_a_salesperson_cannot_take_a_customer_by_the_api(shop, toms_customer):
    customer, invoice = toms_customer
    sam = Api(shop.test_client(), token_for(shop, "sam"))
    assert sam("GET", f"billing.invoice/{invoice}").status_code == 404
    taken = sam("PATCH", f"partner/{customer}", {"salesperson_id": shop.ids["sam"]})
    assert taken.status_code == 403, taken.json
    assert taken.json["error"]["code"] == "forbidden"
    assert taken.json["error"]["details"] == {
        "salesperson_id": ["Changing this field needs a right you do not hold."]}
    assert salesperson_of(shop, customer) == shop.ids["tom"]
    assert sam("GET", f"billing.invoice/{invoice}").status_code == 404
    assert sam("GET", "billing.invoice").json["items"] == []
    # nor clear it; other fields, with the salesperson sent back as it is, are his to edit
    assert sam("PATCH", f"partner/{customer}", {"salesperson_id": None}).status_code == 403
    edited = sam("PATCH", f"partner/{customer}", {"phone": "+84 24 3825 1234",
                                                  "salesperson_id": shop.ids["tom"]})
    assert edited.status_code == 200 and edited.json["phone"] == "+84 24 3825 1234"
    # a new customer may be his own, not someone else's
    own = sam("POST", "partner", {"name": "Sài Gòn Xanh", "salesperson_id": shop.ids["sam"]})
    assert own.status_code == 201
    given = sam("POST", "partner", {"name": "Blue River", "salesperson_id": shop.ids["tom"]})
    assert given.status_code == 403 and "salesperson_id" in given.json["error"]["details"]


def test_a_sales_manager_or_an_administrator_reassigns_customers(shop, toms_customer):
    customer, invoice = toms_customer
    ada = Api(shop.test_client(), token_for(shop, "ada"))  # sales and billing manager
    moved = ada("PATCH", f"partner/{customer}", {"salesperson_id": shop.ids["sam"]})
    assert moved.status_code == 200, moved.json
    sam = Api(shop.test_client(), token_for(shop, "sam"))
    assert sam("GET", f"billing.invoice/{invoice}").status_code == 200  # his customer now
    admin = Api(shop.test_client(), token_for(shop, "admin"))
    assert admin("PATCH", f"partner/{customer}", {"salesperson_id": shop.ids["tom"]}
                 ).status_code == 200
    # a billing clerk bills customers but does not give them to salespeople
    bea = Api(shop.test_client(), token_for(shop, "bea"))
    assert bea("PATCH", f"partner/{customer}", {"salesperson_id": shop.ids["sam"]}
               ).status_code == 403
    assert salesperson_of(shop, customer) == shop.ids["tom"]


def test_the_contact_form_shows_the_salesperson_read_only_and_refuses_a_forged_one(
        shop, toms_customer):
    customer, invoice = toms_customer
    sam = login(shop.test_client(), "sam")
    page = sam.get(f"{CONTACTS}/{customer}").text
    assert "disabled" in re.search(r'<select[^>]*\bid="salesperson_id"[^>]*>', page).group(0)
    form = {"name": "Công ty Hoa Sen", "kind": "customer", "phone": "+84 24 1111 2222",
            "active": "y"}
    forged = sam.post(f"{CONTACTS}/{customer}",
                      data={**form, "salesperson_id": shop.ids["sam"]})
    assert forged.status_code == 403
    assert "Changing this field needs a right you do not hold." in forged.text
    assert salesperson_of(shop, customer) == shop.ids["tom"]
    # a browser posts no disabled field; a hand-made form posts it unchanged: both save
    assert sam.post(f"{CONTACTS}/{customer}", data=form).status_code == 302
    assert sam.post(f"{CONTACTS}/{customer}",
                    data={**form, "salesperson_id": shop.ids["tom"]}).status_code == 302
    assert salesperson_of(shop, customer) == shop.ids["tom"]
    assert login(shop.test_client(), "sam").get(
        f"/billing/invoices/{invoice}").status_code == 404
    # the manager's form offers the field
    ada = login(shop.test_client(), "ada")
    page = ada.get(f"{CONTACTS}/{customer}").text
    assert "disabled" not in re.search(r'<select[^>]*\bid="salesperson_id"[^>]*>',
                                       page).group(0)
    assert ada.post(f"{CONTACTS}/{customer}", data={**form, "salesperson_id": shop.ids["sam"]}
                    ).status_code == 302
    assert salesperson_of(shop, customer) == shop.ids["sam"]


def test_the_import_cannot_make_customers_for_someone_else(shop):
    sam = login(shop.test_client(), "sam")

    def imported(text):
        preview = sam.post(f"{CONTACTS}/import",
                           data={"file": (io.BytesIO(text.encode()), "c.csv")})
        token = preview.text.split('name="token" value="')[1].split('"')[0]
        return sam.post(f"{CONTACTS}/import", data={"token": token}, follow_redirects=True)

    refused = imported(f"name,kind,salesperson_id\nHoa Sen,customer,{shop.ids['tom']}\n")
    assert "Nothing was imported" in refused.text and "Salesperson" in refused.text
    done = imported(f"name,kind,salesperson_id\nHoa Sen,customer,{shop.ids['sam']}\n"
                    "Blue River,customer,\n")
    assert "2 records imported" in done.text


def test_a_new_contact_is_its_makers(shop):
    """The field is read-only for a salesperson, so the contact he makes is his own: he
    sees it and, later, its invoices."""
    sam = login(shop.test_client(), "sam")
    made = sam.post(f"{CONTACTS}/new", data={"name": "Sài Gòn Xanh", "kind": "customer",
                                               "active": "y"})
    assert made.status_code == 302, made.text
    with shop.app_context():
        maker = db.session.execute(db.select(Partner.salesperson_id).where(
            Partner.name == "Sài Gòn Xanh")).scalar_one()
    assert maker == shop.ids["sam"]


def test_an_imported_contact_without_the_column_keeps_the_defaults(shop):
    sam = login(shop.test_client(), "sam")
    preview = sam.post(f"{CONTACTS}/import", data={
        "file": (io.BytesIO(b"name,kind,active\nBlue River,customer,\n"), "c.csv")})
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    sam.post(f"{CONTACTS}/import", data={"token": token})
    with shop.app_context():
        made = db.session.execute(db.select(Partner).where(
            Partner.name == "Blue River")).scalar_one()
        assert (made.salesperson_id, made.active) == (shop.ids["sam"], True)
