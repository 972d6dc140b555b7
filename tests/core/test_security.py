"""Passwords, sessions, CSRF, login rate limits and security headers."""
from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.db import db

from ..conftest import init_db, login, make_app


@pytest.mark.real_hashing
def test_passwords_are_stored_with_scrypt(app):
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.login == "admin")).scalar()
        assert user.password_hash.startswith("scrypt:")
        assert "admin" not in user.password_hash
        assert user.check_password("admin") and not user.check_password("Admin")


def test_security_headers_and_cookie_flags(app):
    client = app.test_client()
    response = client.post("/login", data={"login": "admin", "password": "admin"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert b"<script>" not in page.data  # no inline script anywhere in the shell


def test_logout_ends_the_session(app):
    client = login(app.test_client())
    assert client.get("/profile").status_code == 200
    assert client.post("/logout").status_code == 302
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.location


def test_inactive_users_cannot_sign_in_and_are_signed_out(app):
    client = login(app.test_client(), "clerk")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == "clerk").values(active=False))
        db.session.commit()
    assert client.get("/profile").status_code == 302  # the running session ends too
    response = app.test_client().post("/login", data={"login": "clerk", "password": "clerk"})
    assert response.status_code == 401


def test_open_redirects_are_refused(app):
    response = app.test_client().post("/login?next=//evil.example/x",
                                      data={"login": "admin", "password": "admin"})
    assert response.location == "/"


def test_csrf_is_required_on_every_form(db_url):
    app = make_app(db_url, WTF_CSRF_ENABLED=True)
    init_db(app)
    client = app.test_client()
    assert client.post("/login", data={"login": "admin", "password": "admin"}).status_code == 400
    page = client.get("/login").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"login": "admin", "password": "admin",
                                           "csrf_token": token})
    assert response.status_code == 302
    assert client.post("/logout").status_code == 400  # signed in, still no token: refused
    assert client.get("/profile").status_code == 200


def redis_url():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return None
    return "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize("storage", ["database", "memory", "redis"])
def test_login_is_rate_limited_per_account_and_per_address(db_url, storage):
    """More in tests/core/test_ratelimit.py."""
    config = {"ERP_LOGIN_FAILURES_PER_ACCOUNT": 3, "ERP_LOGIN_ATTEMPTS_PER_ADDRESS": 6,
              "ERP_RATELIMIT_STORAGE": storage}
    if storage == "redis":
        url = redis_url()
        if url is None:
            pytest.skip("no Redis on 127.0.0.1:6379")
        import redis

        redis.Redis.from_url(url).flushdb()
        config["ERP_RATELIMIT_REDIS_URL"] = url
    app = make_app(db_url, **config)
    init_db(app)
    client = app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"login": "admin", "password": "bad"}).status_code == 401
    # this address waits before trying this account again, even with the right password
    locked = client.post("/login", data={"login": "admin", "password": "admin"})
    assert locked.status_code == 429
    assert b"Too many attempts" in locked.data
    # another account from the same address still works until the address limit
    assert client.post("/login", data={"login": "clerk", "password": "clerk"}).status_code == 302
    client.post("/logout")
    for _ in range(3):  # six failures from this address in all
        client.post("/login", data={"login": "nobody", "password": "x"})
    assert client.post("/login", data={"login": "clerk", "password": "clerk"}).status_code == 429
    other = app.test_client()  # same limits apply to any client from that address
    assert other.post("/login", data={"login": "clerk", "password": "clerk"}).status_code == 429


def test_redirect_targets_stay_on_this_site(app):
    from core.security import safe_target

    with app.test_request_context(base_url="http://erp.example"):
        for ours in ("/contacts/partners?q=a", "http://erp.example/apps/"):
            assert safe_target(ours, "/") == ours
        for theirs in ("//evil.example/x", "/\\evil.example", "https://evil.example/",
                       "http://erp.example.evil.example/", "", None):
            assert safe_target(theirs, "/fallback") == "/fallback"
