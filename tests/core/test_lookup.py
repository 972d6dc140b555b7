"""Reference pickers with more records than a list can hold: the search behind them
(`/lookup/<model>`) and the chosen record kept beyond the first names."""
from __future__ import annotations

import pytest

from core.db import db
from core.modules import get_registry, lifecycle
from core.partners.models import Partner
from core.ui import forms

from ..conftest import acting

NAMES = ["Hoa Sen", "Hoa Mai", "Blue River", "50% Off Shop", "Hoa_Lan", "Old Hoa Co"]


@pytest.fixture
def partners(app):
    with app.app_context():
        db.session.add_all([Partner(name=n, active=n != "Old Hoa Co") for n in NAMES])
        db.session.commit()
    return app


def found(client, model, text):
    response = client.get(f"/lookup/{model}", query_string={"q": text})
    assert response.status_code == 200, response.text
    return [name for _id, name in response.get_json()["items"]]


def test_search_finds_active_records_by_name_with_wildcards_taken_literally(
        partners, clerk_client):
    assert found(clerk_client, "partner", "hoa") == ["Hoa Mai", "Hoa Sen", "Hoa_Lan"]
    assert found(clerk_client, "partner", "%") == ["50% Off Shop"]
    assert found(clerk_client, "partner", "a_l") == ["Hoa_Lan"]  # not "any one character"
    assert found(clerk_client, "partner", "  ") == []


def test_search_is_refused_where_the_list_would_be(partners, clerk_client):
    assert clerk_client.get("/lookup/no.such.model?q=a").status_code == 404
    assert clerk_client.get("/lookup/fx.book?q=a").status_code == 404  # module disabled
    with partners.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
    # enabled, but the clerk has no right on books (and books have no name to search)
    assert clerk_client.get("/lookup/fx.book?q=a").status_code == 404
    assert partners.test_client().get("/lookup/partner?q=a").status_code in (302, 401)


def test_a_chosen_record_beyond_the_first_names_stays_in_the_list(partners, monkeypatch):
    monkeypatch.setattr(forms, "LOOKUP_LIMIT", 2)
    with acting(partners, "clerk"):
        first = forms.choices_of(Partner)
        assert [name for _id, name in first] == ["50% Off Shop", "Blue River"]
        river = dict((name, id_) for id_, name in forms.choices_of(Partner))["Blue River"]
        sen = next(p.id for p in db.session.query(Partner).filter_by(name="Hoa Sen"))
        assert forms.choices_of(Partner, sen)[0] == (sen, "Hoa Sen")
        assert len(forms.choices_of(Partner, river)) == 2  # already there: not twice


def test_generic_forms_give_reference_pickers_their_search(partners, admin_client):
    page = admin_client.get("/activities/activities/new").text
    assert 'data-lookup="/lookup/partner"' in page
