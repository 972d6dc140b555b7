"""Rights enforced in one place: a matrix over every route of every enabled module, and
record rules (own, team, all) on lists, forms, search and export."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from core import access
from core.auth.models import Team, User
from core.db import db
from core.modules import get_registry, lifecycle

from ..conftest import add_user, login

# Values for URL arguments, by name, so every route can be called.
ARGUMENTS = {"model": "fx.book", "name": "fx_library", "action": "upgrade", "code": "en"}


@pytest.fixture
def everything_on(app):
    with app.app_context():
        registry = get_registry()
        lifecycle.enable(registry, list(registry.manifests))
        add_user("librarian", ["fx_library.user"])
        db.session.commit()
    return app


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue  # files (a module's blueprint may serve its own)
        view = app.view_functions[rule.endpoint]
        converters = rule._converters  # arguments in the path; others come from defaults
        values = {arg: 1 if isinstance(conv, IntegerConverter)  # core.limits.IdConverter
                  else sorted(conv.items)[0] if type(conv).__name__ == "AnyConverter"
                  else ARGUMENTS.get(arg, "x") for arg, conv in converters.items()}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, getattr(view, "access", None), method, rule.build(values)[1]


def test_every_view_declares_who_may_call_it(everything_on):
    undeclared = [rule.rule for rule, declared, _m, _u in routes(everything_on) if declared is None]
    assert undeclared == []


def expected(app, declared, user: str) -> str:
    """'in', 'login' (sent to sign in), 'denied' (403) or 'token' (401: the API takes
    bearer tokens only, never the session). Model rights come from the access table, so
    a new module's views are judged by what its manifest grants."""
    if declared == "public":
        return "in"
    if declared == "token":
        return "token"
    if user == "anonymous":
        return "login"
    if declared == "login":
        return "in"
    with app.test_request_context():
        from flask import g

        g._login_user = db.session.execute(sa.select(User).where(User.login == user)).scalar()
        if declared == "admin":
            return "in" if access.is_admin() else "denied"
        if declared[0] == "right":
            return "in" if access.has_right(declared[1]) else "denied"
        model, perm = declared
        model = ARGUMENTS["model"] if model == "<model>" else model
        return "in" if access.can(model, perm) else "denied"


@pytest.mark.parametrize("user", ["anonymous", "clerk", "librarian", "admin"])
def test_permission_matrix(everything_on, user):
    client = everything_on.test_client()
    if user != "anonymous":
        login(client, user)
    checked = 0
    for rule, declared, method, url in routes(everything_on):
        if rule.endpoint in ("auth.logout", "auth.end_session"):
            continue  # would end the session the rest of the matrix runs in
        response = client.open(url, method=method)
        want = expected(everything_on, declared, user)
        where = f"{method} {url} as {user}"
        assert response.status_code != 500, where
        if want == "login":
            assert response.status_code in (302, 401), where
            if response.status_code == 302:
                assert "/login" in response.location, where
        elif want == "token":
            assert response.status_code == 401, where
            assert response.get_json()["error"]["code"] == "unauthorized", where
        elif want == "denied":
            assert response.status_code == 403, where
        else:
            assert response.status_code not in (401, 403), where
        checked += 1
    assert checked >= 15


@pytest.fixture
def shelf(app):
    """Ann and Ben shelve books; Lea leads a team with Ann; Max sees all."""
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
        ann = add_user("ann", ["fx_library.user"])
        ben = add_user("ben", ["fx_library.user"])
        lea = add_user("lea", ["fx_library.lead"])
        add_user("max", ["fx_library.manager"])
        add_user("kim", ["fx_library.user"], manager=lea.id)  # reports to Lea
        team = Team(name="Shelf A", leader_id=lea.id)
        team.members = [ann]
        db.session.add(team)
        kim = db.session.execute(sa.select(User).where(User.login == "kim")).scalar()
        db.session.add_all([Book(title="Ann's atlas", owner_id=ann.id),
                            Book(title="Ben's bible", owner_id=ben.id),
                            Book(title="Kim's koran", owner_id=kim.id),
                            Book(title="Lea's lexicon", owner_id=lea.id)])
        db.session.commit()
        return {b.title.split("'")[0].lower(): b.id
                for b in db.session.execute(sa.select(Book)).scalars()}


def titles(client, query=""):
    return sorted(b["title"] for b in client.get(f"/fx/books/{query}").get_json())


def test_record_rules_on_lists_forms_search_and_export(app, shelf):
    everyone = ["Ann's atlas", "Ben's bible", "Kim's koran", "Lea's lexicon",
                "The Art of Selling"]
    ann, ben = login(app.test_client(), "ann"), login(app.test_client(), "ben")
    lea, boss = login(app.test_client(), "lea"), login(app.test_client(), "max")
    assert titles(ann) == ["Ann's atlas"]  # own
    assert titles(ben) == ["Ben's bible"]
    assert titles(lea) == ["Ann's atlas", "Kim's koran", "Lea's lexicon"]  # team + reports
    assert titles(boss) == everyone  # no rule: all
    assert titles(login(app.test_client(), "admin")) == everyone
    # search goes through the same rules
    assert titles(ann, "?q=bible") == []
    assert titles(boss, "?q=bible") == ["Ben's bible"]
    # a record outside the rules is 404, not 403: its existence is not revealed
    assert ann.get(f"/fx/books/{shelf['ben']}").status_code == 404
    assert ann.get(f"/fx/books/{shelf['ann']}").status_code == 200
    assert ann.post(f"/fx/books/{shelf['ben']}/edit", data={"title": "stolen"}).status_code == 404
    # export too
    assert ann.get("/fx/books/export.csv").text.splitlines() == [f"{shelf['ann']},Ann's atlas"]
    assert len(boss.get("/fx/books/export.csv").text.splitlines()) == len(everyone)


def test_rights_add_up_and_follow_the_module(app, shelf):
    with app.app_context():
        both = add_user("both", ["fx_library.user", "fx_library.manager"])
        db.session.commit()
        user = db.session.get(User, both.id)
        from flask import g

        with app.test_request_context():
            assert access.can("fx.book", "d", user)  # from the manager group
            assert access.can("fx.book", "c", user)
        lifecycle.disable(get_registry(), ["fx_library"])
        with app.test_request_context():
            assert not access.can("fx.book", "r", user)  # the module's groups are inert
            assert "fx_library.user" not in access.effective_groups(user)
            g.pop("_erp_groups", None)
        lifecycle.enable(get_registry(), ["fx_library"])
        with app.test_request_context():
            assert access.can("fx.book", "r", user)


def test_a_salesperson_view_is_narrower_than_the_admins(app, admin_client):
    """The newcomer's path: the admin creates a user, who then sees less."""
    response = admin_client.post("/settings/users/new", data={
        "name": "Trần Văn Nam", "login": "nam", "email": "nam@example.com", "lang": "vi",
        "tz": "Asia/Ho_Chi_Minh", "manager_id": 0, "active": "y", "groups": ["core.user"],
        "password": "secret123", "confirm": "secret123",
    })
    assert response.status_code == 302
    nam = login(app.test_client(), "nam", "secret123")
    assert nam.get("/settings/users").status_code == 403
    assert nam.get("/apps/").status_code == 403
    assert b'data-menu="core.settings"' not in nam.get("/").data
    assert b'data-menu="core.settings"' in admin_client.get("/").data
