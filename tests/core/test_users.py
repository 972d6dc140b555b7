"""User administration, the profile page and API tokens."""
from __future__ import annotations

import sqlalchemy as sa

from core.auth.models import ApiToken, Team, User
from core.db import db

from ..conftest import login

NEW_USER = {"name": "Lê Thu", "login": "thu", "email": "thu@example.com", "lang": "vi",
            "tz": "Asia/Ho_Chi_Minh", "manager_id": 0, "active": "y",
            "groups": ["core.user"], "password": "longenough", "confirm": "longenough"}


def user(app, login_name) -> User:
    with app.app_context():
        return db.session.execute(sa.select(User).where(User.login == login_name)).scalar()


def test_create_edit_and_deactivate_a_user(app, admin_client):
    assert admin_client.post("/settings/users/new", data=NEW_USER).status_code == 302
    thu = user(app, "thu")
    assert (thu.name, thu.lang, thu.tz, thu.group_ids) == (
        "Lê Thu", "vi", "Asia/Ho_Chi_Minh", {"core.user"})
    page = admin_client.get("/settings/users")
    assert b'data-user="thu"' in page.data
    with app.app_context():
        team = Team(name="North")
        db.session.add(team)
        db.session.commit()
        team_id = team.id
        admin_id = user(app, "admin").id
    edit = dict(NEW_USER, name="Lê Thị Thu", manager_id=admin_id, teams=[team_id],
                groups=["core.user", "core.admin"])
    assert admin_client.post(f"/settings/users/{thu.id}", data=edit).status_code == 302
    thu = user(app, "thu")
    assert thu.name == "Lê Thị Thu" and thu.manager_id == admin_id and thu.is_admin
    with app.app_context():
        assert [u.login for u in db.session.get(Team, team_id).members] == ["thu"]
    edit.pop("active")
    admin_client.post(f"/settings/users/{thu.id}", data=edit)
    assert not user(app, "thu").active
    response = app.test_client().post("/login", data={"login": "thu", "password": "longenough"})
    assert response.status_code == 401


def test_bad_input_rerenders_with_errors_beside_the_fields(app, admin_client):
    bad = dict(NEW_USER, login="admin", email="not-an-email", confirm="different")
    response = admin_client.post("/settings/users/new", data=bad)
    assert response.status_code == 422
    html = response.text
    assert "The two passwords differ." in html
    assert 'field-email' in html and "Invalid email address." in html
    assert user(app, "thu") is None
    taken = admin_client.post("/settings/users/new", data=dict(NEW_USER, login="admin"))
    assert taken.status_code == 422 and "This login is taken." in taken.text


def test_an_admin_cannot_lock_themselves_out(app, admin_client):
    admin = user(app, "admin")
    data = dict(NEW_USER, login="admin", name="Admin", groups=["core.user"])
    response = admin_client.post(f"/settings/users/{admin.id}", data=data)
    assert response.status_code == 422
    assert user(app, "admin").is_admin


def test_reset_password(app, admin_client):
    clerk = user(app, "clerk")
    short = admin_client.post(f"/settings/users/{clerk.id}/password",
                              data={"reset-password": "short", "reset-confirm": "short"})
    assert short.status_code == 422 and "At least 8 characters." in short.text
    admin_client.post(f"/settings/users/{clerk.id}/password",
                      data={"reset-password": "brandnew1", "reset-confirm": "brandnew1"})
    login(app.test_client(), "clerk", "brandnew1")


def test_profile_password_language_and_time_zone(app, clerk_client):
    wrong = clerk_client.post("/profile", data={
        "action": "password", "pw-current": "nope", "pw-password": "another1",
        "pw-confirm": "another1"})
    assert wrong.status_code == 422 and "This is not your current password." in wrong.text
    clerk_client.post("/profile", data={
        "action": "password", "pw-current": "clerk", "pw-password": "another1",
        "pw-confirm": "another1"})
    login(app.test_client(), "clerk", "another1")
    clerk_client.post("/profile", data={"action": "prefs", "prefs-name": "Clerk Kent",
                                        "prefs-lang": "zh_CN", "prefs-tz": "Asia/Shanghai"})
    clerk = user(app, "clerk")
    assert (clerk.name, clerk.lang, clerk.tz) == ("Clerk Kent", "zh_CN", "Asia/Shanghai")
    assert "退出登录" in clerk_client.get("/").text  # the menus follow the saved language


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(app, clerk_client):
    page = clerk_client.post("/profile", data={"action": "token", "token-name": "laptop"})
    token = page.text.split('<code class="new-token user-select-all">')[1].split("<")[0]
    assert token.startswith("erp_")
    with app.app_context():
        record = db.session.execute(sa.select(ApiToken)).scalar()
        assert record.token_hash == ApiToken.digest(token) and token not in record.token_hash
        assert ApiToken.find(token)[0].login == "clerk"
    assert token not in clerk_client.get("/profile").text
    clerk_client.post(f"/profile/tokens/{record.id}/revoke")
    with app.app_context():
        assert ApiToken.find(token) == (None, None)


def test_teams(app, admin_client):
    clerk = user(app, "clerk")
    admin_client.post("/settings/teams/new", data={"name": "South", "leader_id": clerk.id,
                                                   "members": [clerk.id]})
    assert "South" in admin_client.get("/settings/teams").text
    duplicate = admin_client.post("/settings/teams/new", data={"name": "South", "leader_id": 0})
    assert duplicate.status_code == 422 and "A team of this name exists." in duplicate.text
