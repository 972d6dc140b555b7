"""Serving behind a reverse proxy and over HTTPS: which forwarded headers are believed,
Secure cookies and Strict-Transport-Security."""
from __future__ import annotations

from flask import request

from core import access

from ..conftest import init_db, make_app


def _probe(app):
    """A page that tells what the app believes of the request."""
    def probe():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host,
                "secure": request.is_secure}

    app.add_url_rule("/probe", "probe", access.public(probe))
    return app.test_client()


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "erp.example.com"}


def test_forwarded_headers_are_ignored_without_trusted_proxies(db_url):
    client = _probe(make_app(db_url))
    seen = client.get("/probe", headers=FORWARDED).json
    assert seen == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost",
                    "secure": False}


def test_one_trusted_proxy_gives_the_client_address_scheme_and_host(db_url):
    client = _probe(make_app(db_url, ERP_TRUSTED_PROXIES=1))
    seen = client.get("/probe", headers=FORWARDED).json
    assert seen == {"addr": "203.0.113.9", "scheme": "https", "host": "erp.example.com",
                    "secure": True}
    # a client's own X-Forwarded-For is kept by the proxy in front of the real address:
    # only the last hop (what our proxy saw) is believed
    seen = client.get("/probe", headers={**FORWARDED,
                                         "X-Forwarded-For": "10.6.6.6, 203.0.113.9"}).json
    assert seen["addr"] == "203.0.113.9"


def test_the_environment_sets_trusted_proxies_and_https(db_url, monkeypatch):
    monkeypatch.setenv("ERP_TRUSTED_PROXIES", "2")
    monkeypatch.setenv("ERP_HTTPS", "true")
    app = make_app(db_url)
    assert app.config["ERP_TRUSTED_PROXIES"] == 2 and app.config["ERP_HTTPS"] is True
    seen = _probe(app).get("/probe", headers={
        "X-Forwarded-For": "10.6.6.6, 198.51.100.7, 10.0.0.2"}).json
    assert seen["addr"] == "198.51.100.7"


def test_login_limits_count_the_client_behind_the_proxy(db_url):
    app = make_app(db_url, ERP_TRUSTED_PROXIES=1, ERP_LOGIN_ATTEMPTS_PER_ADDRESS=2)
    init_db(app)
    client = app.test_client()

    def attempt(address):
        return client.post("/login", data={"login": "admin", "password": "wrong"},
                           headers={"X-Forwarded-For": address}).status_code

    assert [attempt("203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert attempt("203.0.113.2") == 401  # another client is not blocked by the first


def test_without_a_trusted_proxy_a_forged_address_does_not_escape_the_limit(db_url):
    app = make_app(db_url, ERP_LOGIN_ATTEMPTS_PER_ADDRESS=2)
    init_db(app)
    client = app.test_client()
    codes = [client.post("/login", data={"login": "admin", "password": "wrong"},
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
             for i in range(3)]
    assert codes == [401, 401, 429]


def _cookies(response):
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


def test_https_makes_cookies_secure_and_sends_hsts(db_url):
    app = make_app(db_url, ERP_HTTPS=True)
    init_db(app)
    client = app.test_client()
    response = client.post("/login", data={"login": "admin", "password": "admin",
                                           "remember": "y"},
                           base_url="https://localhost")
    assert response.status_code == 302
    cookies = _cookies(response)
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name] and "SameSite=Lax" in cookies[name], cookies
        assert "HttpOnly" in cookies[name]
    page = client.get("/", base_url="https://localhost")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_https_follows_the_preferred_url_scheme(db_url):
    app = make_app(db_url, PREFERRED_URL_SCHEME="https")
    assert app.config["ERP_HTTPS"] is True and app.config["SESSION_COOKIE_SECURE"] is True


def test_plain_http_has_no_secure_cookies_nor_hsts_but_remember_is_lax(db_url):
    app = make_app(db_url)
    init_db(app)
    client = app.test_client()
    response = client.post("/login", data={"login": "admin", "password": "admin",
                                           "remember": "y"})
    cookies = _cookies(response)
    assert "Secure" not in cookies["session"]
    assert "SameSite=Lax" in cookies["remember_token"] and "Secure" not in cookies[
        "remember_token"]
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_csrf_still_holds_over_https_behind_the_proxy(db_url):
    """Flask-WTF checks the Referer of HTTPS posts against the host: behind the proxy that
    is the client's host, so a form posted from our own page passes and one from another
    site does not."""
    app = make_app(db_url, ERP_TRUSTED_PROXIES=1, ERP_HTTPS=True, WTF_CSRF_ENABLED=True)
    init_db(app)
    client = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "erp.example.com"}
    page = client.get("/login", headers=headers)
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    data = {"login": "admin", "password": "admin", "csrf_token": token}
    ok = client.post("/login", data=data, headers={
        **headers, "Referer": "https://erp.example.com/login"})
    assert ok.status_code == 302, ok.text
    client = app.test_client()
    page = client.get("/login", headers=headers)
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    refused = client.post("/login", data={**data, "csrf_token": token}, headers={
        **headers, "Referer": "https://evil.example/login"})
    assert refused.status_code == 400
