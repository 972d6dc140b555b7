"""Several hosts on one PostgreSQL and one Redis (issue 14): two gunicorn instances on
their own ports and instance folders, as two machines would run them, share what they
must. A module toggled on one is seen by the other, a session started on one works on
the other, login limits count across both, a scheduled job fires once, its queued task
runs once on whichever host's worker takes it, and a sequence never repeats a number."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bench.load import ROOT, Client, free_port, prepare_database, sign_in, start_gunicorn, stop

from ..conftest import postgres_database
from ..smtp import Inbox

POSTGRES_URL = os.environ.get("ERP_TEST_POSTGRES_URL")
REDIS_URL = "redis://127.0.0.1:6379/12"

pytestmark = pytest.mark.postgres


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture
def database(request):
    if not POSTGRES_URL or not redis_answers():
        pytest.skip("needs PostgreSQL (ERP_TEST_POSTGRES_URL) and Redis")
    with postgres_database(request.getfixturevalue("postgres_admin_engine")) as url:
        yield url


@pytest.fixture
def hosts(database, tmp_path):
    """Two hosts' environments and their running gunicorn: [(env, base url)], and the
    demo users' API tokens."""
    inbox = Inbox()
    shared = {
        "ERP_DATABASE_URL": database,
        "ERP_SECRET_KEY": uuid.uuid4().hex,
        "ERP_RATELIMIT_REDIS_URL": REDIS_URL,
        "ERP_TASKS_REDIS_URL": REDIS_URL,
        "ERP_TASKS_QUEUE": f"erp-test-{uuid.uuid4().hex[:8]}",
        "ERP_SMTP_HOST": "127.0.0.1",
        "ERP_SMTP_PORT": str(inbox.port),
        "ERP_RUN_SCHEDULER": "0",
        "ERP_RUN_WORKER": "0",
    }
    envs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        envs.append({**shared, "ERP_INSTANCE_PATH": str(tmp_path / name)})
    tokens = prepare_database(envs[0])
    started = []
    try:
        for env in envs:
            process, base = start_gunicorn(env, free_port(), 1, 2,
                                           tmp_path / f"gunicorn-{len(started)}.log")
            started.append((process, env, base))
        with inbox:
            yield [(env, base) for _process, env, base in started], tokens, inbox
    finally:
        for process, _env, _base in started:
            stop(process)


def flask(env: dict, *args, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)


def python(env: dict, code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def post_form(client: Client, page: str, url: str, form: dict | None = None):
    """A form post the way a browser makes it: the page's CSRF token with the fields."""
    _status, body, _headers = client.request("GET", page)
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    return client.request("POST", url, form={**(form or {}), "csrf_token": token.decode()})


def test_two_hosts_share_one_database(hosts):
    (env_a, a), (env_b, b) = hosts[0]
    tokens, inbox = hosts[1], hosts[2]

    # a session started on one host works on the other
    on_b = Client(b)
    on_b.cookies = sign_in(a, "admin", "admin")
    status, _body, _headers = on_b.request("GET", "/")
    assert status == 200

    # a module disabled on one host is gone on the other at its next request, and back
    # when enabled there
    admin = Client(a)
    admin.cookies = dict(on_b.cookies)
    status, _body, headers = post_form(admin, "/apps/credit_limit/disable",
                                       "/apps/credit_limit/disable")
    assert status == 302, headers
    partner_id = Client(b).request("GET", "/api/v1/partner?limit=1", token=tokens["admin"])
    partner_id = json.loads(partner_id[1])["items"][0]["id"]

    def credit_fields(base):
        _s, body, _h = Client(base).request("GET", f"/api/v1/partner/{partner_id}",
                                            token=tokens["admin"])
        return "credit_limit" in json.loads(body)

    assert not credit_fields(b) and not credit_fields(a)
    assert Client(b).request("GET", "/credit/holds", token=None)[0] in (302, 404)
    status, _body, _headers = post_form(on_b, "/apps/credit_limit/enable",
                                        "/apps/credit_limit/enable")
    assert status == 302
    assert credit_fields(a) and credit_fields(b)

    # login limits count across both hosts: 5 failures per account and address in all
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    answers = []
    for base in (a, b, a, b, a, b):
        client = Client(base)
        answers.append(post_form(client, "/login", "/login",
                                 {"login": ghost, "password": "wrong"})[0])
    assert answers == [401] * 5 + [429]

    # a sequence never repeats a number: quotations made on both hosts at once
    partner = partner_id
    _s, body, _h = Client(a).request("GET", "/api/v1/product?limit=1", token=tokens["admin"])
    product = json.loads(body)["items"][0]["id"]
    names, failures = [], []

    def make(base):
        client = Client(base)
        for _ in range(8):
            status, body, _h = client.request("POST", "/api/v1/sale.order", token=tokens["admin"],
                                              body={"partner_id": partner, "lines": [
                                                  {"product_id": product, "quantity": "1"}]})
            (names if status == 201 else failures).append(
                json.loads(body).get("name") if status == 201 else status)

    threads = [threading.Thread(target=make, args=(base,)) for base in (a, b, a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(names) == 32 and len(set(names)) == 32

    # a scheduled job fires once though both hosts' schedulers fire it, and its task runs
    # once on whichever host's worker takes it: one mail queued, one mail delivered
    queue = python(env_a, "from core import create_app\nfrom core.db import db\n"
                          "from core.mail import queue_mail\napp = create_app()\n"
                          "with app.app_context():\n"
                          "    queue_mail('ops@example.com', 'Two hosts', 'Sent once')\n"
                          "    db.session.commit()\n")
    assert queue.wait(60) == 0, queue.stdout.read()
    workers = [flask(env, "tasks", "worker", start_new_session=True) for env in (env_a, env_b)]
    try:
        firing = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0).isoformat()
        fire = ("from datetime import datetime\nfrom core import create_app\n"
                "from core.scheduler import run_job\n"
                f"print(run_job(create_app(), 'core.deliver_mail', "
                f"datetime.fromisoformat('{firing}')))\n")
        fired = [python(env, fire) for env in (env_a, env_b)]
        outcomes = sorted(p.communicate(timeout=120)[0].strip().splitlines()[-1] for p in fired)
        assert outcomes[0] == "claimed" and outcomes[1] in ("queued", "done"), outcomes
        deadline = time.monotonic() + 60
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # time enough for a second delivery, were there one
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert [m["Subject"] for m in inbox.messages] == ["Two hosts"]
    engine = sa.create_engine(env_a["ERP_DATABASE_URL"])
    with engine.connect() as conn:
        runs = conn.execute(sa.text(
            "SELECT status FROM core_job_run WHERE job_id = 'core.deliver_mail'")).all()
        tasks = conn.execute(sa.text(
            "SELECT state, attempts FROM core_task WHERE name = 'core.job'")).all()
    engine.dispose()
    assert [r.status for r in runs] == ["done"]
    assert [(t.state, t.attempts) for t in tasks] == [("done", 1)]
