"""Signed-in sessions: every sign-in is a row (core_user_session) whose key the session and
"keep me signed in" cookies carry, so signing out, a password change or reset and
deactivation end them at once, and a user sees and ends their sessions."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from core.auth.models import User, UserSession
from core.db import db, utcnow

from ..conftest import login

AGENT = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")


def sign_in(app, user="clerk", password=None, remember=False, agent=AGENT):
    client = app.test_client()
    data = {"login": user, "password": password or user}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, headers={"User-Agent": agent})
    assert response.status_code == 302, response.text
    return client


def signed_in(client) -> bool:
    response = client.get("/profile")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found else None


def replay(app, **cookies):
    """A new browser that sends only these cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def rows(app, login_name="clerk"):
    with app.app_context():
        return db.session.execute(
            sa.select(UserSession).join(User).where(User.login == login_name)
            .order_by(UserSession.id)).scalars().all()


def test_signing_out_deletes_the_remember_cookie(app):
    client = sign_in(app, remember=True)
    assert cookie(client, "remember_token")
    response = client.post("/logout")
    assert "remember_token=;" in " ".join(response.headers.getlist("Set-Cookie"))
    assert cookie(client, "remember_token") is None
    assert not signed_in(client)


def test_the_remember_cookie_lasts_30_days_and_is_same_site(app):
    client = app.test_client()
    response = client.post("/login", data={"login": "clerk", "password": "clerk",
                                           "remember": "y"})
    remember = next(c for c in response.headers.getlist("Set-Cookie")
                    if c.startswith("remember_token="))
    assert "SameSite=Lax" in remember and "HttpOnly" in remember
    expires = client.get_cookie("remember_token").expires.replace(tzinfo=None)
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30, minutes=1)


def test_old_cookies_replayed_after_signing_out_are_refused(app):
    client = sign_in(app, remember=True)
    old_session, old_remember = cookie(client, "session"), cookie(client, "remember_token")
    assert signed_in(replay(app, remember_token=old_remember))  # a valid cookie works
    client.post("/logout")
    assert not signed_in(replay(app, session=old_session))
    assert not signed_in(replay(app, remember_token=old_remember))
    assert not signed_in(replay(app, session=old_session, remember_token=old_remember))


def test_cookies_carry_a_session_key_not_the_user_id(app):
    client = sign_in(app, remember=True)
    (row,) = rows(app)
    with app.app_context():
        clerk_id = db.session.execute(sa.select(User.id).where(User.login == "clerk")).scalar()
    with client.session_transaction() as session:
        key = session["_user_id"]
    assert key != str(clerk_id) and len(key) >= 32
    assert row.key_hash == UserSession.digest(key) and key not in row.key_hash
    # a cookie made the old way (the user's id, signed with our key) is not a session
    with client.session_transaction() as session:
        session["_user_id"] = str(clerk_id)
    client.delete_cookie("remember_token")
    assert not signed_in(client)


def test_an_admin_password_reset_ends_every_session_of_the_user(app, admin_client):
    first, second = sign_in(app, remember=True), sign_in(app)
    remember = cookie(first, "remember_token")
    clerk_id = rows(app)[0].user_id
    admin_client.post(f"/settings/users/{clerk_id}/password",
                      data={"reset-password": "brandnew1", "reset-confirm": "brandnew1"})
    assert not signed_in(first) and not signed_in(second)
    assert not signed_in(replay(app, remember_token=remember))
    assert all(r.ended_at for r in rows(app))
    assert signed_in(admin_client)  # the admin's own session goes on
    assert signed_in(sign_in(app, password="brandnew1"))


def test_changing_ones_password_ends_the_other_sessions_only(app):
    here, elsewhere = sign_in(app), sign_in(app, remember=True)
    remember = cookie(elsewhere, "remember_token")
    response = here.post("/profile", data={"action": "password", "pw-current": "clerk",
                                           "pw-password": "another1", "pw-confirm": "another1"})
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not signed_in(replay(app, remember_token=remember))


def test_deactivating_a_user_ends_their_sessions(app, admin_client):
    client = sign_in(app, remember=True)
    remember = cookie(client, "remember_token")
    clerk_id = rows(app)[0].user_id
    admin_client.post(f"/settings/users/{clerk_id}", data={
        "name": "Clerk", "login": "clerk", "manager_id": 0, "groups": ["core.user"],
        "lang": "", "tz": ""})  # "active" left out: unticked
    with app.app_context():
        assert not db.session.get(User, clerk_id).active
    assert all(r.ended_at for r in rows(app))
    with app.app_context():  # reactivated: the old cookies stay dead
        db.session.get(User, clerk_id).active = True
        db.session.commit()
    assert not signed_in(client)
    assert not signed_in(replay(app, remember_token=remember))


def test_the_profile_lists_and_ends_sessions(app):
    here = sign_in(app)
    other = sign_in(app, agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
                              "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
                              "Mobile/15E148 Safari/604.1")
    third = sign_in(app)
    page = here.get("/profile").text
    assert "Firefox" in page and "Linux" in page and "Safari" in page and "iOS" in page
    assert "127.0.0.1" in page
    assert page.count('data-session="') == 3 and page.count("This session") == 1
    first, second, _third = rows(app)
    response = here.post(f"/profile/sessions/{second.id}/end")
    assert response.status_code == 302
    assert not signed_in(other) and signed_in(third) and signed_in(here)
    here.post("/profile/sessions/end-others")
    assert not signed_in(third) and signed_in(here)
    assert [r.ended_at is None for r in rows(app)] == [True, False, False]
    assert here.get("/profile").text.count('data-session="') == 1


def test_one_cannot_end_someone_elses_session(app, admin_client):
    sign_in(app)
    (row,) = rows(app)
    assert admin_client.post(f"/profile/sessions/{row.id}/end").status_code == 404
    assert rows(app)[0].ended_at is None


def test_an_admin_sees_and_ends_a_users_sessions(app, admin_client):
    client = sign_in(app)
    clerk_id = rows(app)[0].user_id
    page = admin_client.get(f"/settings/users/{clerk_id}").text
    assert page.count('data-session="') == 1 and "Firefox" in page
    admin_client.post(f"/settings/users/{clerk_id}/sessions/end")
    assert not signed_in(client)


def test_last_seen_is_written_at_most_once_a_minute(app):
    client = sign_in(app)
    (row,) = rows(app)
    with app.app_context():
        past = utcnow() - timedelta(seconds=30)
        db.session.execute(sa.update(UserSession).values(last_seen_at=past, created_at=past))
        db.session.commit()
    client.get("/profile")
    assert rows(app)[0].last_seen_at == past  # seen 30 seconds ago: not written again
    with app.app_context():
        long_ago = utcnow() - timedelta(minutes=5)
        db.session.execute(sa.update(UserSession).values(last_seen_at=long_ago))
        db.session.commit()
    client.get("/profile")
    assert rows(app)[0].last_seen_at > utcnow() - timedelta(seconds=30)


def test_sessions_expire(app):
    short, kept = sign_in(app), sign_in(app, remember=True)
    remember = cookie(kept, "remember_token")
    with app.app_context():  # a day without activity ends a session not kept signed in
        db.session.execute(sa.update(UserSession).values(
            last_seen_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    assert not signed_in(short) and signed_in(kept)
    with app.app_context():  # and a kept one ends with its cookie, 30 days after sign-in
        db.session.execute(sa.update(UserSession).values(
            created_at=utcnow() - timedelta(days=31)))
        db.session.commit()
    assert not signed_in(kept) and not signed_in(replay(app, remember_token=remember))


def test_api_tokens_still_work_and_ignore_the_session(app, clerk_client):
    page = clerk_client.post("/profile", data={"action": "token", "token-name": "cli"})
    token = page.text.split('<code class="new-token user-select-all">')[1].split("<")[0]
    api = app.test_client()
    response = api.get("/api/v1/partner", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    clerk_client.post("/logout")
    assert api.get("/api/v1/partner",
                   headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert clerk_client.get("/api/v1/partner").status_code == 401


def test_users_compare_by_id(app):
    with app.app_context():
        one = db.session.execute(sa.select(User).where(User.login == "clerk")).scalar()
        admin = db.session.execute(sa.select(User).where(User.login == "admin")).scalar()
        assert one != admin and one == one and len({one, admin}) == 2


def test_signing_in_again_keeps_working(app):
    client = login(app.test_client(), "clerk")
    client.post("/logout")
    login(client, "clerk")
    assert signed_in(client)
