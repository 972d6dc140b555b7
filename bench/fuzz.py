"""`flask --app wsgi bench fuzz`: the JSON API fuzzed from its own OpenAPI document.

Every module is enabled on a fresh database with the demo data, the app is served on
127.0.0.1 (a free port), and Schemathesis (its engine, the phases its CLI runs: examples,
coverage, fuzzing, stateful; every check) sends the calls as an administrator and as a demo
user who is not one, half the calls each. The figures: calls made, answers 500 (counted by
the server, with their causes from its log) and the checks that failed, by kind. It exits
with 1 when any answer was a 500 or a response broke the OpenAPI document.

Schemathesis is a test dependency (`pip install -e .[test]`); it is imported here only."""
from __future__ import annotations

import collections
import logging
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import click
import sqlalchemy as sa

PHASES = ("examples", "coverage", "fuzzing", "stateful")
# kinds of failed checks, by Schemathesis' check names; the first two fail the run
KINDS = {
    "server errors": ("not_a_server_error",),
    "schema violations": ("response_schema_conformance", "status_code_conformance",
                          "content_type_conformance", "response_headers_conformance"),
    "valid requests refused": ("positive_data_acceptance",),
    "invalid requests accepted": ("negative_data_rejection", "missing_required_header"),
    "undeclared methods": ("unsupported_method", "allow_header_conformance"),
    "authentication and access": ("ignored_auth", "object_level_authorization"),
    "resources": ("use_after_free", "ensure_resource_availability"),
}
FAILING = ("server errors", "schema violations")


@dataclass
class Tally:
    """What the server saw: calls, answers by status, and the causes of its 500s."""
    calls: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    causes: collections.Counter = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int) -> None:
        with self.lock:
            self.calls += 1
            self.statuses[status] += 1


class Counting:
    """WSGI middleware: counts every request and its answer's status."""

    def __init__(self, app, tally: Tally):
        self.app, self.tally = app, tally

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            self.tally.count(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


class Causes(logging.Handler):
    """Collects the exceptions the app logs for its 500s: type, message, where raised."""

    def __init__(self, tally: Tally):
        super().__init__(logging.ERROR)
        self.tally = tally

    def emit(self, record):
        if not record.exc_info or record.exc_info[1] is None:
            return
        exc = record.exc_info[1]
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if "/site-packages/" not in f.filename]
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        text = str(exc).splitlines()[0][:160] if str(exc) else ""
        with self.tally.lock:
            self.tally.causes[f"{type(exc).__name__} at {where}: {text}"] += 1


def prepare(database_url: str) -> tuple:
    """The app on an empty database: every module enabled, the demo data loaded, and an API
    token for the administrator and one for a demo user without administration rights."""
    from core import create_app
    from core import demo as demo_data
    from core.auth.models import ADMIN_GROUP, ApiToken, User
    from core.db import db
    from core.modules import get_registry, lifecycle

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ERP_MODULE_ENTRY_POINTS": False,
                      "ERP_RUN_SCHEDULER": False})
    with app.app_context():
        if sa.inspect(db.engine).get_table_names():
            raise click.ClickException("the database is not empty: fuzzing writes nonsense into "
                                       "it; give a fresh one")
        registry = get_registry()
        lifecycle.install_core(registry)
        lifecycle.enable(registry, list(registry.manifests))
        demo_data.load_all(registry)
        users = db.session.execute(sa.select(User).where(User.active.is_(True))
                                   .order_by(User.id)).scalars().all()
        admin = next(u for u in users if ADMIN_GROUP in u.group_ids)
        other = next((u for u in users if ADMIN_GROUP not in u.group_ids
                      and len(u.group_ids) > 1), None)
        if other is None:
            raise click.ClickException("the demo data has no user besides the administrator")
        tokens = []
        for user in (admin, other):
            _record, token = ApiToken.issue(user, "bench fuzz")
            groups = ", ".join(sorted(user.group_ids))
            tokens.append((f"{user.login} ({groups})", token))
        db.session.commit()
        modules = ", ".join(sorted(registry.manifests))
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = sum(1 for item in spec["paths"].values() for method in item
                     if method in ("get", "post", "put", "patch", "delete"))
    return app, tokens, modules, operations


def serve(app):
    """The app on 127.0.0.1, a free port, in a thread: (server, base URL)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def run_engine(url: str, token: str, phases: tuple[str, ...], max_examples: int, seed: int,
               workers: int, stop_at: int, tally: Tally, failures: dict) -> None:
    """One Schemathesis run; stops once the server has seen `stop_at` calls. Failed checks
    go to `failures`: check name -> [(operation, title, request, status, message)]."""
    import schemathesis
    from schemathesis.engine import events, from_schema

    config = schemathesis.Config.from_dict({
        "headers": {"Authorization": f"Bearer {token}"},
        "base-url": url,
        "seed": seed,
        "workers": workers,
        "cache": {"enabled": False},
        "generation": {"max-examples": max_examples, "database": "none"},
        "phases": {name: {"enabled": name in phases} for name in PHASES},
        "output": {"sanitization": {"enabled": True}},
    })
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=config)
    stream = from_schema(schema).execute()
    for event in stream:
        if tally.calls >= stop_at:
            stream.stop()
        if isinstance(event, events.FatalError):
            raise click.ClickException(f"schemathesis stopped: {event.exception!r}")
        if isinstance(event, events.NonFatalError):
            failures.setdefault("errors", []).append(
                (event.label, type(event.value).__name__, "", 0, str(event.value)[:300]))
        recorder = getattr(event, "recorder", None)
        if recorder is None or not isinstance(
                event, events.ScenarioFinished | events.FuzzScenarioFinished):
            continue
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                interaction = recorder.interactions.get(case_id)
                request = status = ""
                if interaction is not None:
                    body = interaction.request.body or b""
                    request = (f"{interaction.request.method} {interaction.request.uri}"
                               + (f" {body[:300]!r}" if body else ""))
                    if interaction.response is not None:
                        status = interaction.response.status_code
                        answer = (interaction.response.content or b"")[:300]
                        status = f"{status}: {answer.decode('utf-8', 'replace')}"
                failures.setdefault(check.name, []).append(
                    (failure.operation or recorder.label, failure.title, request, status,
                     failure.message))


def kind_of(check: str) -> str:
    return next((kind for kind, names in KINDS.items() if check in names), check)


@click.command("fuzz")
@click.option("--calls", default=10_000, show_default=True,
              help="Calls to make in all, half as each user.")
@click.option("--database-url", help="A fresh, empty database (default: a temporary SQLite "
                                     "file), e.g. postgresql+psycopg://postgres@127.0.0.1/fuzz")
@click.option("--phases", default=",".join(PHASES), show_default=True,
              help="Schemathesis phases, comma-separated.")
@click.option("--seed", default=1, show_default=True)
@click.option("--workers", default=1, show_default=True, help="Schemathesis' workers.")
@click.option("--show", default=3, show_default=True,
              help="Examples printed of each kind of failure.")
def bench_fuzz(calls, database_url, phases, seed, workers, show):
    """The JSON API fuzzed from its OpenAPI document (Schemathesis) as an administrator and
    as a salesperson; exits with 1 on any answer 500 or response that breaks the document."""
    try:
        import schemathesis  # noqa: F401
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:
        raise click.ClickException("needs schemathesis: pip install -e .[test]") from None
    chosen = tuple(p.strip() for p in phases.split(",") if p.strip())
    unknown = set(chosen) - set(PHASES)
    if unknown or not chosen:
        raise click.BadParameter(f"phases are among {', '.join(PHASES)}", param_hint="--phases")
    with tempfile.TemporaryDirectory(prefix="erp-fuzz-") as folder:
        set_hypothesis_home_dir(folder)  # Hypothesis' files stay out of the working tree
        url = database_url or f"sqlite:///{Path(folder) / 'fuzz.sqlite3'}"
        start = time.perf_counter()
        app, tokens, modules, operations = prepare(url)
        tally = Tally()
        app.logger.addHandler(Causes(tally))
        app.logger.propagate = False  # the causes are summed up below instead
        server, base = serve(Counting(app, tally))
        click.echo(f"database: {sa.engine.make_url(url).render_as_string()}; modules: {modules}; "
                   f"{operations} API operations; set up in {time.perf_counter() - start:.1f} s")
        failures: dict[str, list] = {}
        try:
            for number, (who, token) in enumerate(tokens):
                budget = calls * (number + 1) // len(tokens)
                began, first = time.perf_counter(), tally.calls
                fixed = tuple(p for p in chosen if p in ("examples", "coverage"))
                elastic = tuple(p for p in chosen if p not in fixed)
                if fixed:  # they enumerate the schema once; at most 60% when others follow
                    share = budget - tally.calls
                    stop = budget if not elastic else tally.calls + share * 3 // 5
                    run_engine(base, token, fixed, 1, seed, workers, stop, tally, failures)
                rounds = 0
                while tally.calls < budget and elastic:
                    before = tally.calls
                    per_operation = max(1, min(100, (budget - tally.calls) // (2 * operations)))
                    run_engine(base, token, elastic, per_operation, seed + 1 + rounds, workers,
                               budget, tally, failures)
                    rounds += 1
                    if tally.calls == before:
                        break
                click.echo(f"as {who}: {tally.calls - first:,} calls in "
                           f"{time.perf_counter() - began:.0f} s")
        finally:
            server.shutdown()
            with app.app_context():
                from core.db import db

                db.session.remove()
                db.engine.dispose()
    errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    click.echo(f"calls made: {tally.calls:,}")
    click.echo("answers: " + ", ".join(f"{status}: {n:,}" for status, n in
                                        sorted(tally.statuses.items())))
    click.echo(f"answers 500: {errors:,}")
    for cause, n in tally.causes.most_common():
        click.echo(f"  {n:>5}  {cause}")
    by_kind: dict[str, list] = collections.defaultdict(list)
    for check, found in failures.items():
        if check != "errors":
            by_kind[kind_of(check)].extend((check, *f) for f in found)
    click.echo("failed checks by kind (failed calls, distinct operation and failure):")
    for kind in [*KINDS, *sorted(set(by_kind) - set(KINDS))]:
        found = by_kind.get(kind, [])
        distinct = {(f[1], f[2]) for f in found}
        click.echo(f"  {kind:<28}{len(found):>7}{len(distinct):>7}")
    for kind, found in by_kind.items():
        groups: dict = {}
        for check, operation, title, request, status, message in found:
            first = next((line for line in message.strip().splitlines() if line.strip()), "")
            key = (operation, title, first[:200])
            if key not in groups:
                groups[key] = [0, check, status, request, message]
            groups[key][0] += 1
        click.echo(f"\n[{kind}] {len(groups)} distinct:")
        for (operation, title, _first), (n, check, status, request, message) in sorted(
                groups.items(), key=lambda item: -item[1][0])[:show]:
            click.echo(f"- {n} x {operation}: {title} ({check}, answered {status})\n"
                       f"    {request[:400]}\n    "
                       + message.strip()[:600].replace("\n", "\n    "))
    for label, kind, _r, _s, message in failures.get("errors", [])[:show]:
        click.echo(f"\n[schemathesis error] {label}: {kind}: {message}")
    schema_violations = len(by_kind.get("schema violations", []))
    click.echo(f"\nanswers 500: {errors:,}; schema violations: {schema_violations:,}")
    if errors or by_kind.get("server errors") or schema_violations:
        raise SystemExit(1)
