"""Field rights and the record rules on every write (issue 14): a column declares the named
right that changing it needs (`info={"write_right": ...}`), and the one save path enforces
it for the forms, the CSV import, the board and the API alike; a save, a board move and an
action check the record rules before the change (the record as it is) and after it (where
the change leaves it). Activities' assignee is such a field (`core.assign`): a user plans
their own, holders give them to the people their rules reach."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from core import access, records
from core.activities.models import Activity
from core.auth.models import Team
from core.db import db
from core.errors import Refusal
from core.modules import get_registry, lifecycle
from core.partners.models import Partner

from ..conftest import acting, add_user, login
from .test_api import Api, token_for

ACTIVITIES = "/activities/activities"


@pytest.fixture
def office(app):
    """Sales enabled (its managers hold core.assign). Mia (sales manager) leads a team of
    Sam and Tom (salespeople); the clerk is in no team. Returns logins -> ids."""
    with app.app_context():
        lifecycle.enable(get_registry(), ["sales"])
        sam, tom = add_user("sam", {"sales.user"}), add_user("tom", {"sales.user"})
        mia = add_user("mia", {"sales.manager"})
        team = Team(name="Sales A", leader_id=mia.id)
        team.members = [sam, tom]
        db.session.add(team)
        db.session.commit()
        from core.auth.models import User

        return dict(db.session.execute(sa.select(User.login, User.id)).all())


def planned(app, **values):
    with app.app_context():
        activity = Activity(**{"subject": "Call back", **values})
        db.session.add(activity)
        db.session.commit()
        return activity.id


def assignee(app, activity_id):
    with app.app_context():
        return db.session.get(Activity, activity_id).assignee_id


def select_tag(page: str, name: str) -> str:
    return re.search(rf'<select[^>]*\bid="{name}"[^>]*>', page).group(0)


def holds(app, login_name, right):
    with acting(app, login_name):
        return access.has_right(right)


# -- the declaration -------------------------------------------------------------------------
def test_a_column_declares_the_right_and_modules_give_it_to_their_groups(app, office):
    assert access.field_right(Partner, "salesperson_id") == "core.assign"
    assert access.field_right(Activity, "assignee_id") == "core.assign"
    assert access.field_right(Partner, "name") is None
    # core declares core.assign; sales gives it to its managers while it is enabled
    assert holds(app, "admin", "core.assign") and holds(app, "mia", "core.assign")
    assert not holds(app, "sam", "core.assign") and not holds(app, "clerk", "core.assign")
    with app.app_context():
        lifecycle.disable(get_registry(), ["sales"])
    assert not holds(app, "mia", "core.assign")
    assert holds(app, "admin", "core.assign")


def test_a_module_may_give_another_modules_right_without_declaring_it(package):
    from core.modules.discovery import discover

    from ..conftest import manifest

    pkg, write = package
    write("giver", manifest("giver", extra='[[groups]]\nid = "giver.boss"\ntitle = "Boss"\n'
                            '[[rights]]\nid = "core.assign"\ngroups = ["giver.boss"]\n'))
    found = discover([pkg], use_entry_points=False)
    assert not found.errors
    assert found.manifests["giver"].rights == ({"id": "core.assign", "groups": ["giver.boss"]},)


def test_the_api_documents_which_fields_need_a_right(app, office):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert schemas["partner.input"]["properties"]["salesperson_id"]["x-write-right"] == \
        "core.assign"
    assert schemas["activity.input"]["properties"]["assignee_id"]["x-write-right"] == \
        "core.assign"
    assert schemas["sale.order.input"]["properties"]["user_id"]["x-write-right"] == \
        "sales.assign"
    assert "x-write-right" not in schemas["partner.input"]["properties"]["name"]


# -- activities: API, form, import -------------------------------------------------------------
def test_an_activity_is_planned_for_oneself_unless_one_may_assign(app, office):
    sam = Api(app.test_client(), token_for(app, "sam"))
    mine = sam("POST", "activity", {"subject": "Call Hoa Sen", "assignee_id": office["sam"]})
    assert mine.status_code == 201, mine.json
    for_tom = sam("POST", "activity", {"subject": "Call Hoa Sen", "assignee_id": office["tom"]})
    assert for_tom.status_code == 403
    assert for_tom.json["error"]["code"] == "forbidden"
    assert "assignee_id" in for_tom.json["error"]["details"]
    # reassigning is refused though Tom is in Sam's team (the rules alone let it through)
    given = sam("PATCH", f"activity/{mine.json['id']}", {"assignee_id": office["tom"]})
    assert given.status_code == 403, given.json
    assert given.json["error"]["details"]["assignee_id"] == [
        "Changing this field needs a right you do not hold."]
    assert assignee(app, mine.json["id"]) == office["sam"]
    # sending the value back unchanged (a client writing back what it read) is no change
    kept = sam("PATCH", f"activity/{mine.json['id']}",
               {"subject": "Call Hoa Sen again", "assignee_id": office["sam"]})
    assert kept.status_code == 200 and kept.json["subject"] == "Call Hoa Sen again"


def test_a_manager_reassigns_within_the_rules_only(app, office):
    sams = planned(app, assignee_id=office["sam"])
    mia = Api(app.test_client(), token_for(app, "mia"))
    assert mia("PATCH", f"activity/{sams}", {"assignee_id": office["tom"]}).status_code == 200
    assert assignee(app, sams) == office["tom"]
    # the clerk is outside Mia's team: the change would take the activity out of her reach
    away = mia("PATCH", f"activity/{sams}", {"assignee_id": office["clerk"]})
    assert away.status_code == 403
    assert assignee(app, sams) == office["tom"]
    # and an activity already out of her reach is not hers to change
    clerks = planned(app, assignee_id=office["clerk"])
    assert mia("PATCH", f"activity/{clerks}", {"assignee_id": office["mia"]}).status_code == 404
    assert assignee(app, clerks) == office["clerk"]


def test_the_form_shows_the_assignee_read_only_and_refuses_a_forged_one(app, office):
    sams = planned(app, assignee_id=office["sam"])
    sam = login(app.test_client(), "sam")
    assert "disabled" in select_tag(sam.get(f"{ACTIVITIES}/{sams}").text, "assignee_id")
    form = {"subject": "Call back", "kind": "call", "state": "planned", "remind_minutes": "15"}
    forged = sam.post(f"{ACTIVITIES}/{sams}", data={**form, "assignee_id": office["tom"]})
    assert forged.status_code == 403
    assert "Changing this field needs a right you do not hold." in forged.text
    assert assignee(app, sams) == office["sam"]
    # the same value, or none (a disabled field is not posted), saves the rest
    same = sam.post(f"{ACTIVITIES}/{sams}", data={**form, "subject": "Call back today",
                                                  "assignee_id": office["sam"]})
    assert same.status_code == 302
    assert sam.post(f"{ACTIVITIES}/{sams}", data=form).status_code == 302
    assert assignee(app, sams) == office["sam"]
    # a new one is the creator's, shown read-only and kept though not posted
    new = sam.get(f"{ACTIVITIES}/new").text
    assert f'<option selected value="{office["sam"]}">' in new
    made = sam.post(f"{ACTIVITIES}/new", data={**form, "subject": "Visit"})
    assert made.status_code == 302
    with app.app_context():
        visit = db.session.execute(sa.select(Activity).where(Activity.subject == "Visit")
                                   ).scalar_one()
        assert visit.assignee_id == office["sam"]
    # a holder's form offers the field
    mia = login(app.test_client(), "mia")
    assert "disabled" not in select_tag(mia.get(f"{ACTIVITIES}/{sams}").text, "assignee_id")
    assert mia.post(f"{ACTIVITIES}/{sams}", data={**form, "assignee_id": office["tom"]}
                    ).status_code == 302
    assert assignee(app, sams) == office["tom"]


def test_the_import_refuses_rows_for_someone_else(app, office):
    sam = login(app.test_client(), "sam")

    def imported(text):
        preview = sam.post(f"{ACTIVITIES}/import",
                           data={"file": (io.BytesIO(text.encode()), "a.csv")})
        token = preview.text.split('name="token" value="')[1].split('"')[0]
        return sam.post(f"{ACTIVITIES}/import", data={"token": token}, follow_redirects=True)

    refused = imported(f"subject,kind,state,assignee_id\nMine,call,planned,{office['sam']}\n"
                       f"Tom's,call,planned,{office['tom']}\n")
    assert "Nothing was imported" in refused.text and "Assigned to" in refused.text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Activity.id))).scalar() == 0
    done = imported(f"subject,kind,state,assignee_id\nMine,call,planned,{office['sam']}\n")
    assert "1 records imported" in done.text


# -- the save path checks the rules before the change, and boards and actions after ----------
@pytest.fixture
def shelf(app):
    """The fixture library: Ann and Ben each own a book (their rule: their own)."""
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
        db.session.execute(sa.delete(Book))
        ann, ben = add_user("ann", ["fx_library.user"]), add_user("ben", ["fx_library.user"])
        db.session.add_all([Book(title="Atlas", owner_id=ann.id),
                            Book(title="Bible", owner_id=ben.id)])
        db.session.commit()
        ids = {b.title: b.id for b in db.session.execute(sa.select(Book)).scalars()}
        return ids | {"ann": ann.id, "ben": ben.id}


def test_a_save_may_not_pull_in_a_record_outside_the_writers_rules(app, shelf):
    from tests.fixture_modules.fx_library.models import Book

    with acting(app, "ann"):
        bible = db.session.get(Book, shelf["Bible"])  # read by code, not through the rules
        with pytest.raises(NotFound):  # as if it were not there, though the write would
            records.save(Book, {"owner_id": shelf["ann"]}, bible)  # bring it in reach
    with acting(app, "ann"):
        atlas = db.session.get(Book, shelf["Atlas"])
        assert records.save(Book, {"title": "Atlas (2nd ed.)"}, atlas).title == \
            "Atlas (2nd ed.)"


def test_a_board_move_goes_through_the_save_path(app, shelf):
    def no_repairs(book, values, creating):
        if values.get("status") == "repair":
            raise Refusal("Not in repair this week.", "refused", {"status": "No."})

    with app.app_context():
        get_registry().saving["fx.book"].append(("fx_library", no_repairs))
    ann = login(app.test_client(), "ann")
    move = f"/fx/books/shelf/{shelf['Atlas']}/move"
    assert ann.post(move, data={"stage": "repair"}).status_code == 409
    assert ann.post(move, data={"stage": "reading"}).status_code == 302
    assert ann.post(f"/fx/books/shelf/{shelf['Bible']}/move",
                    data={"stage": "reading"}).status_code == 404
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        assert db.session.get(Book, shelf["Atlas"]).status == "reading"
        assert db.session.get(Book, shelf["Bible"]).status == "shelved"


def test_an_action_may_not_move_a_record_out_of_the_users_reach(app, shelf):
    from core.actions import Action
    from tests.fixture_modules.fx_library.models import Book

    def give_to_ben(book):
        book.owner_id = shelf["ben"]

    with app.app_context():
        get_registry().actions["fx.book"]["give"] = Action(
            "give", "Give", give_to_ben, module="fx_library", model="fx.book")
    ann = login(app.test_client(), "ann")
    assert ann.post(f"/fx/books/shelf/{shelf['Atlas']}/give").status_code == 403
    with app.app_context():
        assert db.session.get(Book, shelf["Atlas"]).owner_id == shelf["ann"]
