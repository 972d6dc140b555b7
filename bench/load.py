"""`flask --app wsgi bench load`: the whole stack under concurrent clients.

Without --url it starts gunicorn with the repository's settings (deploy/gunicorn.conf.py)
on a free 127.0.0.1 port, against a fresh database with every module enabled and the demo
data: a temporary SQLite file, or --database-url. C clients, each a thread with its own
HTTP connection, signed in as the demo users (a web session for pages, an API token for
the API), run a mix of reads (list pages, record pages, API lists and records) and writes
(API creates of partners and leads, updates, an action) for N seconds. It prints requests
per second, latency percentiles, errors by status, and then reads back every write the
server acknowledged: a created record that is missing, or does not hold the last
acknowledged update, is a lost write (and makes the command fail). Traffic only goes to
127.0.0.1 unless --url says otherwise."""
from __future__ import annotations

import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import click

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
# login, password: the demo users (core/demo.py); admin creates the leads (a salesperson
# may hold only so many open leads), everyone creates and updates partners
USERS = [("admin", "admin"), ("demo", "demo"), ("demo_zh", "demo")]
CITIES = ["Hà Nội", "Đà Nẵng", "上海", "深圳", "Singapore", "London"]
# (kind, weight): 70% reads, 30% writes unless --writes says otherwise
MIX = [("page list", 16), ("page record", 12), ("api list", 24), ("api record", 18),
       ("create partner", 10), ("create lead", 6), ("update partner", 9),
       ("action lead", 5)]
WRITES = {"create partner", "create lead", "update partner", "action lead"}


def weights(share: float) -> list[float]:
    """MIX's weights with writes making `share` of the requests."""
    reads = sum(w for kind, w in MIX if kind not in WRITES)
    writes = sum(w for kind, w in MIX if kind in WRITES)
    return [w * share / writes if kind in WRITES else w * (1 - share) / reads
            for kind, w in MIX]
LIST_PAGES = ["/contacts/partners", "/sales/leads", "/sales/orders",
              "/sales/opportunities/board", "/"]
PAGES = {"partner": "/contacts/partners/", "sale.lead": "/sales/leads/"}
API_LISTS = ["/api/v1/partner?limit=20&order=-created_at", "/api/v1/sale.lead?limit=20",
             "/api/v1/sale.order?limit=20", "/api/v1/partner?is_company=true&limit=50"]


# -- a small HTTP client -----------------------------------------------------------------
class Client:
    """One keep-alive connection (re-opened when the server closes it) with a cookie jar."""

    def __init__(self, base: str, timeout: float = 60):
        parts = urlsplit(base)
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn = None

    def _connect(self):
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)

    def request(self, method: str, path: str, body=None, headers=None, token=None,
                form=None) -> tuple[int, bytes, dict]:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self.conn.request(method, self.prefix + path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # a kept-alive connection the server had closed: retry once on a new one,
                # only when nothing came back (a write the server acted on is not repeated)
                self.close()
                if attempt == 2:
                    raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        if not token:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data, dict(response.headers)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def sign_in(base: str, login: str, password: str) -> dict[str, str]:
    """A web session's cookies: the sign-in form with its CSRF token."""
    client = Client(base)
    status, page, _ = client.request("GET", "/login")
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    form = {"login": login, "password": password}
    if found:
        form["csrf_token"] = found.group(1).decode()
    status, _body, _ = client.request("POST", "/login", form=form)
    client.close()
    if status != 302:
        raise click.ClickException(f"signing in as {login} at {base} answered {status}")
    return client.cookies


# -- the server under load ---------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def scratch_environment(values: dict):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def prepare_database(env: dict) -> dict[str, str]:
    """Every module enabled, the demo data, and an API token per demo user (what `init
    --preset all --demo` and `users token` do)."""
    import sqlalchemy as sa

    from core import create_app
    from core import demo as demo_data
    from core.auth.models import ApiToken, User
    from core.db import db
    from core.modules import get_registry, lifecycle

    with scratch_environment(env):
        app = create_app({"ERP_MODULE_ENTRY_POINTS": False})
        with app.app_context():
            registry = get_registry()
            lifecycle.install_core(registry)
            lifecycle.enable(registry, list(registry.manifests))
            demo_data.load_all(registry)
            tokens = issue_tokens(db, sa, User, ApiToken)
            db.session.remove()
            db.engine.dispose()
    return tokens


def issue_tokens(db, sa, User, ApiToken) -> dict[str, str]:
    tokens = {}
    for login, _password in USERS:
        user = db.session.execute(sa.select(User).where(User.login == login)).scalar()
        if user is None:
            raise click.ClickException(f"no user {login!r}: load the demo data first")
        _record, tokens[login] = ApiToken.issue(user, "bench load")
    db.session.commit()
    return tokens


def start_gunicorn(env: dict, port: int, workers: int, threads: int, log: Path):
    env = {**os.environ, **env, "ERP_BIND": f"127.0.0.1:{port}",
           "ERP_WEB_WORKERS": str(workers), "ERP_WEB_THREADS": str(threads),
           "ERP_ACCESS_LOG": str(log.with_name("access.log"))}
    out = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException("gunicorn stopped: " + "\n".join(
                server_errors(log)) + "\n" + tail(log, 5))
        try:
            status, _, _ = Client(base, timeout=5).request("GET", "/login")
            if status == 200:
                return process, base
        except OSError:
            pass
        time.sleep(0.3)
    stop(process)
    raise click.ClickException("gunicorn did not answer within 120 s: " + tail(log))


def stop(process) -> None:
    """The gunicorn we started: TERM (graceful), then KILL to its process group."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- the load ----------------------------------------------------------------------------
@dataclass
class Written:
    """A record the server said it created, and what it should hold now."""
    model: str
    id: int
    expect: dict
    owner: str


@dataclass
class Results:
    timings: dict = field(default_factory=lambda: defaultdict(list))  # kind -> [ms]
    statuses: Counter = field(default_factory=Counter)  # (kind, status) -> n
    written: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def visible_ids(base: str, token: str, model: str) -> list[int]:
    status, data, _ = Client(base).request("GET", f"/api/v1/{model}?limit=100", token=token)
    if status != 200:
        raise click.ClickException(f"GET /api/v1/{model} answered {status}: {data[:200]!r}")
    return [item["id"] for item in json.loads(data)["items"]]


def run_clients(base: str, users: dict, seconds: float, connections: int, seed: int,
                tag: str, share: float = 0.3) -> Results:
    """users: login -> {"token", "cookies", "readable": models, model: ids it may read}."""
    results = Results()
    deadline = time.monotonic() + seconds
    kinds, mix = [kind for kind, _w in MIX], weights(share)
    logins = list(users)
    admin = users["admin"]

    def client_loop(number: int):
        rng = random.Random(seed * 1000 + number)
        login = logins[number % len(logins)]
        me = users[login]
        client = Client(base)
        client.cookies = dict(me["cookies"])
        mine: list[Written] = []  # partners this client made (it alone updates them)
        leads: list[Written] = []  # leads it made, not yet acted on
        timings, statuses, written = defaultdict(list), Counter(), []
        count = 0
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, mix)[0]
            if kind == "update partner" and not mine:
                kind = "create partner"
            if kind == "action lead" and not leads:
                kind = "create lead"
            count += 1
            method, path, body, token, expect = "GET", None, None, me["token"], 200
            if kind == "page list":
                path, token = rng.choice(LIST_PAGES), None
            elif kind == "page record":
                model = rng.choice(me["readable"])
                path, token = PAGES[model] + str(rng.choice(me[model])), None
            elif kind == "api list":
                path = rng.choice(API_LISTS)
            elif kind == "api record":
                model = rng.choice(me["readable"])
                path = f"/api/v1/{model}/{rng.choice(me[model])}"
            elif kind == "create partner":
                name = f"{tag} {number}-{count}"
                body = {"name": name, "is_company": True, "city": rng.choice(CITIES),
                        "kind": "prospect", "email": f"load{number}x{count}@example.com"}
                method, path, expect = "POST", "/api/v1/partner", 201
            elif kind == "create lead":
                body = {"name": f"{tag} lead {number}-{count}",
                        "contact_name": f"Contact {count}", "email": f"l{number}x{count}@ex.com"}
                method, path, token, expect = "POST", "/api/v1/sale.lead", admin["token"], 201
            elif kind == "update partner":
                target = rng.choice(mine)
                body = {"city": rng.choice(CITIES), "phone": f"+84 {number} {count}"}
                method, path, expect = "PATCH", f"/api/v1/partner/{target.id}", 200
            else:  # action lead: disqualify a lead this client made
                target = leads.pop(rng.randrange(len(leads)))
                method, path, token = "POST", f"/api/v1/sale.lead/{target.id}/disqualify", \
                    admin["token"]
            start = time.perf_counter()
            try:
                status, data, _headers = client.request(method, path, body=body, token=token)
            except (OSError, http.client.HTTPException) as exc:
                status, data = f"{type(exc).__name__}", b""
                client.close()
            timings[kind].append((time.perf_counter() - start) * 1000)
            statuses[(kind, status)] += 1
            if status != expect:
                continue
            if kind in ("create partner", "create lead"):
                created = json.loads(data)
                model = "partner" if kind == "create partner" else "sale.lead"
                record = Written(model, created["id"], {"name": body["name"]}, login)
                written.append(record)
                (mine if model == "partner" else leads).append(record)
            elif kind == "update partner":
                target.expect.update(body)
            elif kind == "action lead":
                target.expect["status"] = "disqualified"
        client.close()
        with results.lock:
            for key, values in timings.items():
                results.timings[key].extend(values)
            results.statuses.update(statuses)
            results.written.extend(written)

    threads = [threading.Thread(target=client_loop, args=(n,), daemon=True)
               for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def lost_writes(base: str, token: str, written: list[Written], parallel: int) -> list[str]:
    """Read back every acknowledged write, as the administrator."""
    lost, lock = [], threading.Lock()
    queue = list(written)

    def check():
        client = Client(base)
        while True:
            with lock:
                if not queue:
                    break
                record = queue.pop()
            status, data, _ = client.request("GET", f"/api/v1/{record.model}/{record.id}",
                                             token=token)
            problem = None
            if status != 200:
                problem = f"answered {status}"
            else:
                got = json.loads(data)
                wrong = {k: (v, got.get(k)) for k, v in record.expect.items() if got.get(k) != v}
                if wrong:
                    problem = f"holds {wrong} (expected, found)"
            if problem:
                with lock:
                    lost.append(f"{record.model} {record.id}: {problem}")
        client.close()

    threads = [threading.Thread(target=check) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return lost


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with q% of them at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def report(results: Results, seconds: float, lost: list[str]) -> None:
    every = [ms for values in results.timings.values() for ms in values]
    total = len(every)
    click.echo(f"requests: {total} in {seconds:.1f} s = {total / seconds:.1f}/s")
    click.echo(f"latency ms: p50 {percentile(every, 50):.1f}  p90 {percentile(every, 90):.1f}"
               f"  p99 {percentile(every, 99):.1f}  max {max(every, default=0):.1f}")
    click.echo(f"{'kind':<16}{'count':>7}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}")
    for kind, _weight in MIX:
        values = results.timings.get(kind, [])
        if values:
            click.echo(f"{kind:<16}{len(values):>7}{percentile(values, 50):>9.1f}"
                       f"{percentile(values, 90):>9.1f}{percentile(values, 99):>9.1f}"
                       f"{max(values):>9.1f}")
    expected = {"create partner": 201, "create lead": 201}
    errors = Counter()
    for (kind, status), n in results.statuses.items():
        if status != expected.get(kind, 200):
            errors[f"{status} on {kind}"] += n
    if errors:
        click.echo(f"errors: {sum(errors.values())} (" + ", ".join(
            f"{what}: {n}" for what, n in sorted(errors.items())) + ")")
    else:
        click.echo("errors: 0")
    creates = Counter(w.model for w in results.written)
    updates = results.statuses[("update partner", 200)]
    actions = results.statuses[("action lead", 200)]
    click.echo(f"acknowledged writes: {creates['partner']} partners and {creates['sale.lead']} "
               f"leads created, {updates} updates, {actions} actions")
    click.echo(f"lost writes: {len(lost)}")
    for line in lost[:20]:
        click.echo(f"  lost: {line}")


def server_errors(log: Path, limit: int = 3) -> list[str]:
    """The last distinct exception lines gunicorn logged (for 5xx answers)."""
    found = []
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        if re.match(r"^[\w.]+(Error|Exception): ", line) and line not in found:
            found.append(line)
    return found[-limit:]


@click.command("load")
@click.option("--seconds", default=30.0, show_default=True, help="How long the clients run.")
@click.option("--connections", default=10, show_default=True,
              help="Concurrent clients (threads, one connection each).")
@click.option("--url", help="Load a server that runs already (its database must hold the "
                            "demo users; tokens are made in this app's database) instead of "
                            "starting one.")
@click.option("--database-url", help="Database for the server this command starts "
                                     "(default: a new SQLite file in a temporary folder). It "
                                     "is set up with every module and the demo data.")
@click.option("--workers", default=2, show_default=True, help="gunicorn workers.")
@click.option("--threads", default=1, show_default=True,
              help="Threads per gunicorn worker (more than 1: gthread).")
@click.option("--writes", "share", default=0.3, show_default=True,
              type=click.FloatRange(0, 1), help="The share of requests that write.")
@click.option("--seed", default=1, show_default=True, help="Random seed of the mix.")
def bench_load(seconds, connections, url, database_url, workers, threads, share, seed):
    """The whole stack under C concurrent clients for N seconds: throughput, latency,
    errors, and a check that no acknowledged write was lost."""
    scratch = Path(tempfile.mkdtemp(prefix="erp-load-"))
    process = None
    log = scratch / "gunicorn.log"
    try:
        if url:
            base = url.rstrip("/")
            tokens = tokens_from_this_app()
            where = base
        else:
            database_url = database_url or f"sqlite:///{scratch / 'erp.sqlite3'}"
            env = {"ERP_INSTANCE_PATH": str(scratch), "ERP_DATABASE_URL": database_url,
                   "ERP_SECRET_KEY": secrets.token_hex(32)}
            started = time.perf_counter()
            tokens = prepare_database(env)
            port = free_port()
            process, base = start_gunicorn(env, port, workers, threads, log)
            kind = database_url.split(":", 1)[0].split("+", 1)[0]
            where = (f"gunicorn {workers} worker(s) x {threads} thread(s) on {base}, {kind} "
                     f"(ready in {time.perf_counter() - started:.0f} s)")
        users = {}
        for login, password in USERS:
            me = {"token": tokens[login], "cookies": sign_in(base, login, password)}
            # the records this user may read (record rules), for record pages and the API
            for model in PAGES:
                me[model] = visible_ids(base, tokens[login], model)
            me["readable"] = [model for model in PAGES if me[model]]
            if not me["readable"]:
                raise click.ClickException(f"{login} may read no partner and no lead")
            users[login] = me
        click.echo(f"load: {connections} connections for {seconds:g} s, {share:.0%} writes, "
                   f"against {where}")
        tag = f"Load {secrets.token_hex(3)}"
        started = time.perf_counter()
        results = run_clients(base, users, seconds, connections, seed, tag, share)
        elapsed = time.perf_counter() - started
        lost = lost_writes(base, tokens["admin"], results.written, min(connections, 8))
        report(results, elapsed, lost)
        if process is not None and any(isinstance(s, int) and s >= 500
                                       for _kind, s in results.statuses):
            for line in server_errors(log):
                click.echo(f"server: {line}")
        if lost:
            raise click.ClickException(f"{len(lost)} acknowledged writes were lost")
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(scratch, ignore_errors=True)


def tokens_from_this_app() -> dict[str, str]:
    """API tokens for the demo users, made in the database `flask --app wsgi` points at."""
    import sqlalchemy as sa
    from flask.cli import ScriptInfo

    from core.auth.models import ApiToken, User
    from core.db import db

    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    with app.app_context():
        tokens = issue_tokens(db, sa, User, ApiToken)
        db.session.remove()
    return tokens

