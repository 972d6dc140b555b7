"""Choosing a new password by email: a neutral answer, a rate limit, a mail in the user's
language through the outbox, and a signed link that expires and works once."""
from __future__ import annotations

import re
import time

import sqlalchemy as sa

from core.auth.models import User, UserSession
from core.db import db
from core.mail import OutboxMail

from ..conftest import login


def set_user(app, login_name, **values):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == login_name).values(**values))
        db.session.commit()


def outbox(app):
    with app.app_context():
        return [(m.to_addr, m.subject, m.body) for m in db.session.execute(
            sa.select(OutboxMail).order_by(OutboxMail.id)).scalars()]


def ask(client, text, address="127.0.0.1"):
    return client.post("/password/forgot", data={"login": text},
                       environ_base={"REMOTE_ADDR": address})


def link_in(body):
    return re.search(r"http://localhost(/password/reset/\S+)", body).group(1)


def test_the_sign_in_page_offers_it(app):
    page = app.test_client().get("/login").text
    assert 'href="/password/forgot"' in page and "Forgot your password?" in page
    assert app.test_client().get("/password/forgot").status_code == 200


def test_the_answer_is_the_same_whoever_is_asked_for(app):
    set_user(app, "clerk", email="clerk@example.com")
    set_user(app, "admin", email=None)
    answers = []
    for text in ("clerk", "CLERK@example.com", "admin", "nobody", "nobody@example.com"):
        client = app.test_client()
        response = ask(client, text, address=f"203.0.113.{len(answers) + 1}")
        assert response.status_code == 302
        page = client.get(response.location).text
        answers.append((response.location, re.findall(r'class="alert[^"]*"[^>]*>(.*?)<',
                                                       page, re.S)))
    assert all(answer == answers[0] for answer in answers)
    assert "a link to choose a new password is on its way" in str(answers[0])
    # mail for the login and the email address (any case); none for no address or nobody
    assert [to for to, _s, _b in outbox(app)] == ["clerk@example.com"] * 2


def test_the_mail_is_in_the_users_language(app, monkeypatch):
    import flask_babel

    import core.auth.reset

    set_user(app, "clerk", email="clerk@example.com", lang="vi")
    monkeypatch.setattr(core.auth.reset, "_", lambda text, **kw: f"[{flask_babel.get_locale()}]"
                        + (text % kw if kw else text))
    ask(app.test_client(), "clerk")
    ((to, subject, body),) = outbox(app)
    assert subject.startswith("[vi]") and body.startswith("[vi]")  # not the asker's (en)
    assert "Clerk" in body and "clerk" in body and "60" in body


def test_the_link_works_once_and_signs_everyone_out(app):
    set_user(app, "clerk", email="clerk@example.com")
    signed_in = login(app.test_client(), "clerk")
    ask(app.test_client(), "clerk")
    ((_to, _subject, body),) = outbox(app)
    link = link_in(body)
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200 and 'name="password"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "At least 8 characters." in short.text
    differ = client.post(link, data={"password": "longenough", "confirm": "different"})
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    done = client.post(link, data={"password": "brandnew12", "confirm": "brandnew12"})
    assert done.status_code == 302 and done.location == "/login"
    assert "Your password is changed." in client.get("/login").text
    assert client.get("/profile").status_code == 302  # nobody is signed in by the link
    assert signed_in.get("/profile").status_code == 302  # and every session has ended
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(UserSession).where(
            UserSession.ended_at.is_(None))).scalar() == 0
    login(app.test_client(), "clerk", "brandnew12")
    again = app.test_client().get(link)  # spent
    assert again.status_code == 400 and 'data-reset="invalid"' in again.text
    reused = app.test_client().post(link, data={"password": "another12",
                                                "confirm": "another12"})
    assert reused.status_code == 400
    login(app.test_client(), "clerk", "brandnew12")


def test_expired_and_tampered_links_are_refused(app, monkeypatch):
    import itsdangerous.timed

    set_user(app, "clerk", email="clerk@example.com")
    ask(app.test_client(), "clerk")
    link = link_in(outbox(app)[0][2])
    token = link.rsplit("/", 1)[1]
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
                token.replace(".", "x", 1), "nonsense", token + "x"):
        response = app.test_client().get(f"/password/reset/{bad}")
        assert response.status_code == 400, bad
    with app.app_context():  # signed with another salt: a token of another purpose
        from itsdangerous import URLSafeTimedSerializer

        clerk_id = db.session.execute(sa.select(User.id).where(User.login == "clerk")).scalar()
        other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(
            {"u": clerk_id, "p": "x"})
    assert app.test_client().get(f"/password/reset/{other}").status_code == 400
    later = time.time() + 3601

    class Clock:
        @staticmethod
        def time():
            return later

    assert app.test_client().get(link).status_code == 200
    monkeypatch.setattr(itsdangerous.timed, "time", Clock)
    assert app.test_client().get(link).status_code == 400  # an hour on
    response = app.test_client().post(link, data={"password": "brandnew12",
                                                  "confirm": "brandnew12"})
    assert response.status_code == 400


def test_a_deactivated_user_gets_no_mail_and_no_reset(app):
    set_user(app, "clerk", email="clerk@example.com")
    ask(app.test_client(), "clerk")
    link = link_in(outbox(app)[0][2])
    set_user(app, "clerk", active=False)
    assert app.test_client().get(link).status_code == 400
    ask(app.test_client(), "clerk", address="203.0.113.9")
    assert len(outbox(app)) == 1


def test_asking_is_rate_limited(app):
    set_user(app, "clerk", email="clerk@example.com")
    client = app.test_client()
    codes = [ask(client, "clerk").status_code for _ in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    assert len(outbox(app)) == 3
    # the mails one user gets are capped whoever asks, from wherever
    codes = [ask(app.test_client(), "clerk", address=f"203.0.113.{i}").status_code
             for i in range(1, 4)]
    assert codes == [302, 302, 302] and len(outbox(app)) == 3
    # and an address is capped across logins
    codes = [ask(client, f"user{i}", address="198.51.100.7").status_code for i in range(11)]
    assert codes == [302] * 10 + [429]


def test_links_use_the_configured_address(db_url):
    from ..conftest import init_db, make_app

    app = make_app(db_url, ERP_BASE_URL="https://erp.example.com/")
    init_db(app)
    set_user(app, "clerk", email="clerk@example.com")
    app.test_client().post("/password/forgot", data={"login": "clerk"},
                           headers={"Host": "evil.example"})
    body = outbox(app)[0][2]
    assert "https://erp.example.com/password/reset/" in body and "evil.example" not in body
