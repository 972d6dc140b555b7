"""The CLI as other programs use it: `flask --app wsgi ...` in a separate process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from core.config import PROJECT_ROOT


@pytest.fixture
def cli(db_url, tmp_path):
    env = dict(os.environ, ERP_DATABASE_URL=db_url, ERP_INSTANCE_PATH=str(tmp_path),
               ERP_MODULE_PACKAGES="modules,tests.fixture_modules")

    def run(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=PROJECT_ROOT, env=env,
            input=stdin, capture_output=True, text=True, timeout=120,
        )

    return run


def modules(cli) -> dict:
    result = cli("modules", "list", "--json")
    assert result.returncode == 0, result.stderr
    return {m["name"]: m for m in json.loads(result.stdout)["modules"]}


def test_init_list_enable_disable_uninstall(cli, tmp_path):
    result = cli("init", "--preset", "fx-lending", "--demo")
    assert result.returncode == 0, result.stderr
    assert "enabled: fx_library, fx_loans, fx_bridge" in result.stdout
    assert "admin/admin" in result.stdout
    assert "SECRET_KEY" in (tmp_path / "config.py").read_text()
    listed = modules(cli)
    assert listed["fx_loans"] == {
        "name": "fx_loans", "title": "Loans", "version": "1.0.0", "state": "enabled",
        "depends": ["fx_library"], "installed_version": "1.0.0", "category": "Testing",
        "application": True, "auto_install": False,
    }
    result = cli("modules", "disable", "fx_library", "--yes")
    assert result.returncode == 0
    assert "will disable: fx_bridge, fx_loans, fx_library" in result.stdout
    assert {m["state"] for name, m in modules(cli).items()
            if name.startswith("fx_")} == {"disabled"}
    result = cli("modules", "uninstall", "fx_bridge", "fx_loans", "--purge", "--yes")
    assert result.returncode == 0, result.stderr
    assert modules(cli)["fx_loans"]["state"] == "uninstalled"


def test_asks_before_acting_on_more_than_was_named(cli):
    cli("init")
    result = cli("modules", "enable", "fx_loans", stdin="n\n")
    assert result.returncode == 1
    assert "will enable: fx_library, fx_loans, fx_bridge" in result.stdout
    assert modules(cli)["fx_loans"]["state"] == "available"
    result = cli("modules", "enable", "fx_loans", stdin="y\n")
    assert result.returncode == 0
    assert modules(cli)["fx_loans"]["state"] == "enabled"


BAD_INPUT = [
    (("modules", "enable", "nope", "--yes"), "unknown module: nope"),
    (("modules", "uninstall", "fx_library", "--yes"), "repeat with --purge"),
    (("modules", "uninstall", "fx_library", "--purge", "--yes"),
     "cannot purge fx_library: fx_loans, fx_bridge depend on it"),
    (("modules", "upgrade", "fx_bridge", "--yes"), "not enabled: fx_bridge"),
    (("init", "--preset", "nope"), "unknown preset 'nope'"),
]


def test_bad_input_exits_non_zero_with_a_one_line_error(cli):
    assert cli("init").returncode == 0
    assert cli("modules", "enable", "fx_loans", "--yes").returncode == 0
    assert cli("modules", "disable", "fx_bridge", "--yes").returncode == 0
    for args, message in BAD_INPUT:
        result = cli(*args)
        assert result.returncode != 0, args
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert message in lines[0]
        assert "Traceback" not in result.stderr


def test_users_create_and_token(cli):
    assert cli("init").returncode == 0
    result = cli("users", "create", "lan", "--password", "pw123456", "--groups", "fx_library.user")
    assert result.returncode == 0, result.stderr
    assert cli("users", "create", "lan", "--password", "x").returncode == 1
    token = cli("users", "token", "lan")
    assert token.returncode == 0
    assert token.stdout.strip().startswith("erp_") and len(token.stdout.splitlines()) == 1
    missing = cli("users", "token", "nobody")
    assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr


def test_scheduler_runs_a_job_once_per_firing(cli):
    assert cli("init", "--preset", "fx-lending").returncode == 0
    assert cli("scheduler", "run", "--job", "fx_library.count_books").stdout.strip() == (
        "fx_library.count_books: done")
    cli("modules", "disable", "fx_library", "--yes")
    assert cli("scheduler", "run", "--job", "fx_library.count_books").stdout.strip() == (
        "fx_library.count_books: skipped")
    unknown = cli("scheduler", "run", "--job", "nope")
    assert unknown.returncode == 1 and "unknown job: nope" in unknown.stderr


def test_a_modules_command_runs_only_while_it_is_enabled(cli):
    """`module.cli`: the command is there from start-up, and refused while disabled."""
    assert cli("init").returncode == 0
    assert "loans" in cli("--help").stdout
    refused = cli("loans", "count")
    assert refused.returncode == 1
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "module fx_loans is not enabled" in lines[0], refused.stderr
    assert cli("modules", "enable", "fx_loans", "--yes").returncode == 0
    done = cli("loans", "count")
    assert done.returncode == 0 and done.stdout.strip() == "0 loans", done.stderr
    assert cli("modules", "disable", "fx_library", "--yes").returncode == 0
    assert cli("loans", "count").returncode == 1


def test_a_modules_bench_workload_is_listed_and_runs(cli):
    """`module.bench`: the runner lists it with its module and runs it; it needs no
    enabled module (a workload sets up a database of its own)."""
    listed = cli("bench", "--help")
    assert listed.returncode == 0, listed.stderr
    assert "lists" in listed.stdout and "[fx_loans]" in listed.stdout
    assert "[sales]" in listed.stdout  # sales' seed and run
    done = cli("bench", "loans", "--repeat", "2")
    assert done.returncode == 0 and done.stdout.strip() == "loans workload: 2 runs"


def test_a_module_may_not_take_a_core_command_name(package, db_url):
    from core.modules import get_registry

    from ..conftest import make_app
    from ..conftest import manifest as manifest_text

    name, write = package
    write("mod_cli", manifest_text("mod_cli"), textwrap.dedent("""\
        import click


        def register(module):
            module.cli(click.Command("init"))
        """))
    app = make_app(db_url, ERP_MODULE_PACKAGES=[name])
    with app.app_context():
        errors = [str(e) for e in get_registry().errors]
    assert any("the command name 'init' is taken" in e for e in errors), errors
    assert app.cli.get_command(None, "init").help.startswith("Create or upgrade")
