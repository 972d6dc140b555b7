"""Test set-up: every database test runs on SQLite, and on PostgreSQL too when
ERP_TEST_POSTGRES_URL is set (`make test` sets it when PostgreSQL answers)."""
from __future__ import annotations

import os
import textwrap
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from core import create_app
from core.db import db

FIXTURE_PACKAGES = ["modules", "tests.fixture_modules"]


def _reuse_url_builders() -> None:
    """The suite makes an app per test, and Werkzeug compiles two URL builder functions
    for each of its 240 routes: 0.4 s of Python compiling per app, the same functions each
    time. A builder depends only on the rule's parsed parts and defaults, so tests compile
    each once (the server makes one app, and never needs this)."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return  # another Werkzeug: build them as it does
    built: dict = {}

    def cached(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (self.rule, tuple(getattr(self, "_trace", ())), append_unknown, tuple(
            (k, repr(v), type(self._converters.get(k)).__name__)
            for k, v in sorted(defaults.items())))
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = cached


_reuse_url_builders()
POSTGRES_URL = os.environ.get("ERP_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(autouse=True, scope="session")
def _isolated_instance(tmp_path_factory):
    """Keep tests away from the developer's instance/ folder and its config."""
    os.environ["ERP_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    for var in ("ERP_DATABASE_URL", "ERP_SECRET_KEY", "ERP_MODULE_PACKAGES"):
        os.environ.pop(var, None)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(request, monkeypatch):
    """Tests sign many people in: a one-round hash keeps the suite fast. Tests marked
    `real_hashing` (the check that passwords are stored with scrypt) keep the real one."""
    if request.node.get_closest_marker("real_hashing"):
        return
    import functools

    from werkzeug.security import generate_password_hash

    import core.auth.models

    monkeypatch.setattr(core.auth.models, "generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))


@pytest.fixture(scope="session")
def postgres_admin_engine():
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A fresh, empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'erp.sqlite3'}"
        return
    with postgres_database(request.getfixturevalue("postgres_admin_engine")) as url:
        yield url


@contextmanager
def postgres_database(admin):
    """A new PostgreSQL database, dropped afterwards: its URL."""
    name = f"erp_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manifest(name, depends=(), extra=""):
    """The text of a small valid manifest, with `extra` TOML after it."""
    deps = ", ".join(f'"{d}"' for d in depends)
    return textwrap.dedent(f"""\
        name = "{name}"
        title = "{name.title()}"
        version = "1.0.0"
        summary = "A module"
        depends = [{deps}]
        """) + extra


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A fresh importable package to put module folders in; returns (name, writer), where
    `write(module, manifest text, code of __init__.py)` makes a module folder."""
    name = f"pkg_{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(module, text, code=""):
        folder = root / module
        folder.mkdir()
        (folder / "manifest.toml").write_text(text)
        (folder / "__init__.py").write_text(code)
        return folder / "manifest.toml"

    return name, write


def make_app(db_url: str, **config):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "ERP_MODULE_PACKAGES": FIXTURE_PACKAGES,
        "ERP_MODULE_ENTRY_POINTS": False,
        "WTF_CSRF_ENABLED": False,
    }
    settings.update(config)
    return create_app(settings)


def add_user(login: str, groups=(), manager=None):
    """A user (password = login) in core.user and `groups`, flushed; inside an app context."""
    from core.auth.models import User

    user = User(login=login, name=login.title(), manager_id=manager)
    user.set_password(login)
    user.set_groups(set(groups) | {"core.user"})
    db.session.add(user)
    db.session.flush()
    return user


@contextmanager
def acting(app, login_name: str):
    """A request context signed in as `login_name`: what services, record rules and
    figures see when a test calls them directly. Rolls back what it leaves open."""
    from flask import g

    from core.auth.models import User

    with app.test_request_context():
        g._login_user = db.session.execute(
            sa.select(User).where(User.login == login_name)).scalar_one()
        try:
            yield
        finally:
            db.session.rollback()


def init_db(app) -> None:
    """What `init` does to a new database: core's tables, an administrator and a clerk."""
    from core.modules import get_registry, lifecycle

    with app.app_context():
        lifecycle.install_core(get_registry())
        add_user("admin", {"core.admin"})
        add_user("clerk")
        db.session.commit()


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    init_db(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def registry(app):
    from core.modules import get_registry

    with app.app_context():
        yield get_registry()


def login(client, user="admin", password=None):
    response = client.post("/login", data={"login": user, "password": password or user})
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def admin_client(app):
    return login(app.test_client())


@pytest.fixture
def clerk_client(app):
    return login(app.test_client(), "clerk")
