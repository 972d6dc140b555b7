"""Sign-in limits (core.ratelimit): shared by every worker (the database or Redis, memory
only when asked for), atomic, and no lever to lock an account's owner out."""
from __future__ import annotations

import logging
import random
import socket
import threading

import pytest
import sqlalchemy as sa

from core import ratelimit
from core.db import db

from ..conftest import init_db, make_app

STORAGES = ["database", "redis"]


def redis_url():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return None
    return "redis://127.0.0.1:6379/13"


def storage_config(storage):
    if storage == "redis":
        url = redis_url()
        if url is None:
            pytest.skip("no Redis on 127.0.0.1:6379")
        return {"ERP_RATELIMIT_REDIS_URL": url}
    return {"ERP_RATELIMIT_STORAGE": storage}


def workers(db_url, storage, count=2, **config):
    """`count` app instances on one database, as separate worker processes would be."""
    config = {**storage_config(storage), **config}
    apps = [make_app(db_url, **config) for _ in range(count)]
    init_db(apps[0])
    return apps


def an_address():
    """Each test signs in from addresses of its own: Redis outlives the test."""
    return f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"


def post(app, login, password, address):
    return app.test_client().post("/login", data={"login": login, "password": password},
                                  environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("storage", STORAGES)
def test_two_workers_share_the_limits(db_url, storage):
    first, second = workers(db_url, storage, ERP_LOGIN_FAILURES_PER_ACCOUNT=5)
    address = an_address()
    codes = [post(app, "admin", "bad", address).status_code
             for app in (first, second) * 4]
    assert codes == [401] * 5 + [429] * 3  # five in all, not five per worker


def test_memory_is_per_worker_and_says_so(db_url, caplog):
    with caplog.at_level(logging.INFO, logger="core.ratelimit"):
        first, second = workers(db_url, "memory", ERP_LOGIN_FAILURES_PER_ACCOUNT=2)
    assert "memory" in caplog.text and "WARNING" in {r.levelname for r in caplog.records}
    address = an_address()
    codes = [post(app, "admin", "bad", address).status_code for app in (first, second) * 3]
    assert codes == [401, 401, 401, 401, 429, 429]  # each worker counted alone


@pytest.mark.parametrize("storage", ["database", "redis", "memory"])
def test_start_up_names_the_storage(db_url, storage, caplog):
    config = storage_config(storage)
    with caplog.at_level(logging.INFO, logger="core.ratelimit"):
        make_app(db_url, **config)
    assert f"login limits are kept in {'Redis' if storage == 'redis' else storage}" in \
        caplog.text.replace("this process's memory", "memory").replace("the database",
                                                                          "database")


def test_the_database_is_the_default(db_url):
    app = make_app(db_url, ERP_RATELIMIT_STORAGE=None)
    assert app.extensions["erp.login_limits"].storage.name == "database"
    assert make_app(db_url).extensions["erp.login_limits"].storage.name == "database"


@pytest.mark.parametrize("storage", STORAGES + ["memory"])
def test_hammering_an_account_does_not_lock_its_owner_out(db_url, storage):
    (app,) = workers(db_url, storage, count=1, ERP_LOGIN_FAILURES_PER_ACCOUNT=3)
    attacker, owner = an_address(), an_address()
    codes = [post(app, "admin", "guess", attacker).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert post(app, "admin", "admin", attacker).status_code == 429  # that pair waits
    assert post(app, "admin", "admin", owner).status_code == 302  # the owner does not
    refused = post(app, "admin", "guess", attacker)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("storage", STORAGES + ["memory"])
def test_the_waits_grow_and_a_success_forgets_them(db_url, storage, monkeypatch):
    (app,) = workers(db_url, storage, count=1, ERP_LOGIN_FAILURES_PER_ACCOUNT=2,
                     ERP_LOGIN_MAX_DELAY_SECONDS=8)
    now = [1_000_000.0 + random.random()]
    monkeypatch.setattr(ratelimit, "clock", lambda: now[0])
    address = an_address()

    def attempt(password="bad"):
        response = post(app, "admin", password, address)
        return response.status_code, response.headers.get("Retry-After")

    assert [attempt(), attempt()] == [(401, None), (401, None)]
    waits = []
    for _ in range(5):  # 2, 4, 8, then 8 at most
        code, wait = attempt()
        assert code == 429
        waits.append(int(wait))
        now[0] += int(wait) - 0.5
        assert attempt()[0] == 429  # not a moment early
        now[0] += 0.5
        assert attempt()[0] == 401
    assert waits == [2, 4, 8, 8, 8]
    now[0] += 8
    assert attempt("admin")[0] == 302  # the right password, once the wait is over
    assert [attempt()[0], attempt()[0]] == [401, 401]  # and the pair starts afresh


@pytest.mark.parametrize("storage", STORAGES + ["memory"])
def test_an_address_is_capped_across_accounts(db_url, storage, monkeypatch):
    (app,) = workers(db_url, storage, count=1, ERP_LOGIN_ATTEMPTS_PER_ADDRESS=3,
                     ERP_LOGIN_WINDOW_SECONDS=300)
    now = [2_000_000.0 + random.random()]
    monkeypatch.setattr(ratelimit, "clock", lambda: now[0])
    address = an_address()
    assert post(app, "clerk", "clerk", address).status_code == 302  # successes are free
    codes = [post(app, name, "bad", address).status_code
             for name in ("admin", "clerk", "nobody", "someone")]
    assert codes == [401, 401, 401, 429]
    assert post(app, "clerk", "clerk", address).status_code == 429  # the address waits
    assert post(app, "clerk", "clerk", an_address()).status_code == 302  # others do not
    now[0] += 99  # one more every window / limit = 100 seconds
    assert post(app, "admin", "bad", address).status_code == 429
    now[0] += 1
    assert post(app, "admin", "bad", address).status_code == 401
    assert post(app, "admin", "bad", address).status_code == 429


@pytest.mark.parametrize("storage", STORAGES + ["memory"])
def test_racing_attempts_never_pass_the_limit(db_url, storage):
    """Ten attempts at once where five are allowed: five pass, whatever the timing (a
    check and then a count would let more through)."""
    (app,) = workers(db_url, storage, count=1, ERP_LOGIN_FAILURES_PER_ACCOUNT=5,
                     ERP_LOGIN_ATTEMPTS_PER_ADDRESS=100)
    limits = app.extensions["erp.login_limits"]
    address, results = an_address(), []
    start = threading.Barrier(10)

    def attempt():
        with app.app_context():
            start.wait()
            results.append(limits.attempt("admin", address).allowed)
            db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True] * 5


@pytest.mark.parametrize("storage", ["database", "redis"])
def test_racing_sign_ins_through_two_workers(db_url, storage):
    apps = workers(db_url, storage, ERP_LOGIN_FAILURES_PER_ACCOUNT=4)
    address, codes = an_address(), []
    start = threading.Barrier(8)

    def attempt(app):
        client = app.test_client()
        start.wait()
        codes.append(client.post("/login", data={"login": "admin", "password": "bad"},
                                 environ_base={"REMOTE_ADDR": address}).status_code)

    threads = [threading.Thread(target=attempt, args=(apps[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [401] * 4 + [429] * 4


def test_the_database_forgets_what_is_of_no_use(db_url, monkeypatch):
    (app,) = workers(db_url, "database", count=1)
    storage = app.extensions["erp.login_limits"].storage
    monkeypatch.setattr(ratelimit.random, "random", lambda: 0.0)  # clean up every time
    with app.app_context():
        storage.rate("old", 100.0, 3, 300)
        storage.backoff("pair", 100.0, 5, 900)
        storage.rate("new", 100.0 + ratelimit.FORGET_AFTER + 1, 3, 300)
        keys = db.session.execute(db.select(ratelimit.RateLimit.key)).scalars().all()
        assert sorted(keys) == ["new"]


def test_redis_down_answers_try_again_not_500(db_url):
    # a port nothing listens on: the limits cannot be read, so nobody signs in, politely
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(db_url, ERP_RATELIMIT_REDIS_URL=f"redis://127.0.0.1:{port}/0")
    init_db(app)
    answer = post(app, "admin", "admin", an_address())
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"


@pytest.mark.parametrize("call", ["backoff", "rate"])
def test_a_row_reset_meanwhile_is_counted_anew_not_a_500(db_url, monkeypatch, call):
    """Two sign-ins of one user at once: one succeeds and deletes the pair's row between the
    other's insert and its update (seen as a 500 on PostgreSQL)."""
    (app,) = workers(db_url, "database", count=1)
    storage = app.extensions["erp.login_limits"].storage
    ensure, calls = storage._ensure, []

    def ensure_then_lose_it(key, now):
        ensure(key, now)
        calls.append(key)
        if len(calls) == 1:  # the other request's reset lands here
            db.session.execute(sa.delete(ratelimit.RateLimit))

    monkeypatch.setattr(storage, "_ensure", ensure_then_lose_it)
    with app.app_context():
        args = (100.0, 5, 900) if call == "backoff" else (100.0, 3, 300)
        assert getattr(storage, call)("key", *args).allowed
        assert calls == ["key", "key"]
        row = db.session.execute(sa.select(ratelimit.RateLimit)).scalar_one()
        assert (row.hits if call == "backoff" else row.at) > 0
