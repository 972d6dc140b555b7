"""Command line: `flask --app wsgi COMMAND` or `erp COMMAND`. Errors are one line on stderr
with a non-zero exit status."""
from __future__ import annotations

import copy
import functools
import json
import secrets
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from core.db import db
from core.modules import get_registry, lifecycle
from core.modules.registry import RESERVED_COMMANDS
from core.tasks.cli import tasks_group


def main() -> None:
    from core import create_app

    FlaskGroup(create_app=lambda: create_app(), help="The ERP suite.")()


def core_commands() -> dict[str, click.Command]:
    return {c.name: c for c in (init_command, modules_group, users_group, demo_group,
                                scheduler_group, tasks_group, backup_command,
                                restore_command)}


def init_app(app) -> None:
    registry = app.extensions["erp.modules"]
    assert set(core_commands()) <= RESERVED_COMMANDS, "name core's commands in the registry"
    for command in core_commands().values():
        app.cli.add_command(command)
    for name, (module, command) in registry.commands.items():
        app.cli.add_command(module_command(command, module), name)
    try:  # benchmarks live beside the code in a source tree, not in an installed package
        from bench.commands import bench_group
    except ImportError:
        return
    app.cli.add_command(bench_group(registry))


def module_command(command: click.Command, module: str) -> click.Command:
    """A module's command as the CLI serves it (`module.cli`): registered at start-up with
    every module's, whether enabled or not, like its routes; run while `module` is not
    enabled, it stops with a one-line error before doing anything (a group: before any of
    its subcommands). A copy, so the module's own command object is left as it was."""
    gated = copy.copy(command)
    callback = command.callback

    def run(*args, **kwargs):
        ctx = click.get_current_context()
        if not current_app:
            ctx.with_resource(ctx.ensure_object(ScriptInfo).load_app().app_context())
        registry = get_registry()
        registry.sync()
        if not registry.is_enabled(module):
            _fail(f"module {module} is not enabled (modules enable {module})")
        return callback(*args, **kwargs) if callback else None

    gated.callback = functools.update_wrapper(run, callback) if callback else run
    return gated


def _fail(message) -> None:
    raise click.ClickException(str(message))


def _write_secret_key() -> None:
    """Give the instance a secret key of its own, once."""
    path = Path(current_app.instance_path) / "config.py"
    if not current_app.config.get("ERP_EPHEMERAL_SECRET"):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    with path.open("a") as fh:
        fh.write(f"\n# Written by `init`: signs sessions and CSRF tokens. Keep it secret.\n"
                 f"SECRET_KEY = {key!r}\n")
    current_app.config["SECRET_KEY"] = key
    current_app.config["ERP_EPHEMERAL_SECRET"] = False
    click.echo(f"wrote a new secret key to {path}")


def preset_modules(registry, preset: str) -> list[str]:
    if preset == "all":
        return list(registry.manifests)
    if preset not in registry.presets:
        known = ", ".join(sorted(registry.presets) + ["all"])
        _fail(f"unknown preset {preset!r} (known: {known})")
    modules = registry.presets[preset]["modules"]
    missing = [m for m in modules if m not in registry.manifests]
    if missing:
        _fail(f"preset {preset!r} needs modules that are not available: {', '.join(missing)}")
    return modules


@click.command("init")
@click.option("--preset", help="Enable the modules of a business preset ('all': every module).")
@click.option("--demo", is_flag=True, help="Load demo data and demo users.")
@with_appcontext
def init_command(preset, demo):
    """Create or upgrade the database, optionally enable a preset and load demo data."""
    registry = get_registry()
    _write_secret_key()
    lifecycle.install_core(registry)
    if preset:
        plan = lifecycle.enable(registry, preset_modules(registry, preset))
        if plan.modules:
            click.echo("enabled: " + ", ".join(plan.modules))
    if demo:
        from core import demo as demo_data

        for line in demo_data.load_all(registry):
            click.echo(line)
    click.echo("database ready")


# -- modules -----------------------------------------------------------------------------
@click.group("modules")
def modules_group():
    """List, enable, disable, upgrade and uninstall modules."""


@modules_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def modules_list(as_json):
    registry = get_registry()
    registry.sync()
    rows = [{
        "name": m.name, "title": m.title, "version": m.version, "state": registry.state(m.name),
        "depends": list(m.depends), "installed_version": registry.installed_version(m.name),
        "category": m.category, "application": m.application, "auto_install": m.auto_install,
    } for m in registry.manifests.values()]
    if as_json:
        click.echo(json.dumps({"modules": rows, "errors": [str(e) for e in registry.errors]},
                              indent=2))
        return
    for r in rows:
        depends = ", ".join(r["depends"]) or "-"
        click.echo(f"{r['name']:<20} {r['state']:<12} {r['version']:<8} "
                   f"{r['installed_version'] or '-':<8} needs: {depends}")
    for error in registry.errors:
        click.echo(f"error: {error}", err=True)


def _act(action: str, names, yes: bool) -> None:
    registry = get_registry()
    registry.sync()
    plan_fn = getattr(lifecycle, f"plan_{action}")
    try:
        plan = plan_fn(registry, list(names)) if names or action != "upgrade" else plan_fn(registry)
    except lifecycle.LifecycleError as exc:
        _fail(exc)
    if not plan.modules:
        click.echo(f"nothing to {action}")
        return
    click.echo(f"will {action}: " + ", ".join(plan.modules))
    if plan.extra and not yes:
        click.confirm("go on?", abort=True)
    try:
        getattr(lifecycle, action)(registry, list(names) if names else None)
    except lifecycle.LifecycleError as exc:
        _fail(exc)
    except Exception as exc:  # a failed migration: rolled back whole
        _fail(f"{action} failed, nothing was changed: {exc.__class__.__name__}: {exc}")
    done = {"enable": "enabled", "disable": "disabled", "upgrade": "upgraded",
            "uninstall": "uninstalled"}[action]
    click.echo(f"{done}: " + ", ".join(plan.modules))


_names = click.argument("names", nargs=-1)
_yes = click.option("--yes", "-y", is_flag=True, help="Do not ask before acting.")


@modules_group.command("enable")
@click.argument("names", nargs=-1, required=True)
@_yes
@with_appcontext
def modules_enable(names, yes):
    """Enable modules and everything they depend on."""
    _act("enable", names, yes)


@modules_group.command("disable")
@click.argument("names", nargs=-1, required=True)
@_yes
@with_appcontext
def modules_disable(names, yes):
    """Disable modules and the modules that depend on them; their data is kept."""
    _act("disable", names, yes)


@modules_group.command("upgrade")
@_names
@_yes
@with_appcontext
def modules_upgrade(names, yes):
    """Run newer migrations of enabled modules (all of them when none is named)."""
    _act("upgrade", names, yes)


@modules_group.command("uninstall")
@click.argument("names", nargs=-1, required=True)
@click.option("--purge", is_flag=True, help="Required: drops the modules' tables and data.")
@_yes
@with_appcontext
def modules_uninstall(names, purge, yes):
    """Drop modules' tables and data. Needs --purge; dependents must be uninstalled first."""
    if not purge:
        _fail("uninstall deletes the modules' data: repeat with --purge to confirm")
    _act("uninstall", names, yes)


@modules_group.command("revision")
@click.argument("name")
@click.option("-m", "--message", required=True)
@with_appcontext
def modules_revision(name, message):
    """Write a new migration for a module from the difference between its models and its
    migrations so far."""
    from core.modules import migrations

    registry = get_registry()
    if name == "core":
        folder = migrations.CORE_DIR / "versions"
    elif name in registry.manifests:
        folder = registry.manifests[name].migrations_dir
    else:
        _fail(f"unknown module: {name}")
    migrations.revision(registry, name, message, folder)


# -- users -------------------------------------------------------------------------------
@click.group("users")
def users_group():
    """Create users and their API tokens."""


@users_group.command("create")
@click.argument("login")
@click.option("--password", required=True)
@click.option("--name", help="Display name (default: the login).")
@click.option("--email")
@click.option("--admin", is_flag=True, help="Member of core.admin.")
@click.option("--groups", default="", help="Comma-separated group ids.")
@with_appcontext
def users_create(login, password, name, email, admin, groups):
    from core.auth.models import ADMIN_GROUP, User, login_problem, password_problem

    for what, problem in (("login", login_problem(login)),
                          ("password", password_problem(password))):
        if problem is not None:
            _fail(f"{what}: {problem}")
    if db.session.execute(sa.select(User.id).where(User.login == login)).first():
        _fail(f"user {login!r} exists already")
    group_ids = {g.strip() for g in groups.split(",") if g.strip()} | {"core.user"}
    if admin:
        group_ids.add(ADMIN_GROUP)
    user = User(login=login, name=name or login, email=email)
    user.set_password(password)
    user.set_groups(group_ids)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created user {login}")


@users_group.command("token")
@click.argument("login")
@click.option("--name", default="cli", help="A name to tell the token apart.")
@with_appcontext
def users_token(login, name):
    """Make an API token for a user and print only the token (it is stored hashed)."""
    from core.auth.models import ApiToken, User

    user = db.session.execute(sa.select(User).where(User.login == login)).scalar()
    if user is None:
        _fail(f"no user {login!r}")
    _record, token = ApiToken.issue(user, name)
    db.session.commit()
    click.echo(token)


# -- demo --------------------------------------------------------------------------------
@click.group("demo")
def demo_group():
    """Demo data."""


@demo_group.command("load")
@with_appcontext
def demo_load():
    """Load demo users and each enabled module's demo data (once)."""
    from core import demo as demo_data

    for line in demo_data.load_all(get_registry()):
        click.echo(line)


# -- scheduler ---------------------------------------------------------------------------
@click.group("scheduler")
def scheduler_group():
    """Scheduled jobs."""


@scheduler_group.command("run")
@click.option("--job", "job_id", help="Run this one job now, in this process, and exit.")
@click.option("--at", "firing", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
              help="With --job: the firing (UTC) to claim, e.g. to redo a missed one; a "
                   "firing already claimed is not run again.")
@with_appcontext
def scheduler_run(job_id, firing):
    """Run the scheduler in the foreground (one such process per deployment). It only
    queues each firing: `tasks worker` processes run them."""
    from core import scheduler

    app = current_app._get_current_object()
    if job_id:
        from core.modules import get_registry as registry_of

        if job_id not in scheduler.declared_jobs(registry_of()):
            _fail(f"unknown job: {job_id}")
        click.echo(f"{job_id}: {scheduler.run_job(app, job_id, firing, inline=True)}")
        return
    click.echo("scheduler running; Ctrl+C stops it")
    scheduler.build(app, blocking=True).start()


# -- backup and restore ------------------------------------------------------------------
def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@click.command("backup")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path):
    """Back up the database and the attachments into one .tar.gz at PATH (a file, or a
    folder; default: instance/backups/erp-DATE.tar.gz). Safe while the app runs."""
    from core import backup

    try:
        written, manifest = backup.backup(path)
    except backup.BackupError as exc:
        _fail(exc)
    size = written.stat().st_size
    size = f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"
    click.echo(f"backup written to {written} ({size}: {manifest['database']['dialect']} "
               f"database, {_count(manifest['attachments'], 'attachment')})")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_yes
@with_appcontext
def restore_command(path, yes):
    """Replace the database and the attachments with a backup's. Stop the web, scheduler
    and worker processes first, and start them again after."""
    from core import backup

    try:
        manifest = backup.read_manifest(path)
    except backup.BackupError as exc:
        _fail(exc)
    enabled = sorted(n for n, m in manifest["modules"].items() if m["state"] == "enabled")
    click.echo(f"backup of {manifest['created_at']}: {manifest['database']['dialect']} "
               f"database, modules enabled: {', '.join(enabled) or '-'}, "
               f"{_count(manifest['attachments'], 'attachment')}")
    target = db.engine.url.render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"replace everything in {target} and the attachments folder?",
                      abort=True)
    try:
        backup.restore(path)
    except backup.BackupError as exc:
        _fail(exc)
    click.echo(f"restored into {target}; schema revisions: "
               f"{', '.join(manifest['revisions']) or '-'}")
    click.echo("if this code is newer than the backup, run `modules upgrade` next")
